/* SPDX-License-Identifier: MIT */
/* Ending a session: every process of a session lives in the session's own
   mount namespace (the target's processes never do), so that namespace names
   exactly what must die when the session ends. */
#ifndef CNTR_SWEEP_H
#define CNTR_SWEEP_H

#include <sys/types.h>

/* SIGKILL every process (but the caller) whose mount namespace is (dev, ino),
   scanning the host's /proc (host_proc_fd), until a scan finds none or about
   two seconds passed; each through a pidfd checked to be the process whose
   namespace was seen (a PID reused meanwhile is never signalled).  Returns
   the number of processes signalled. */
int sweep_mount_namespace(int host_proc_fd, dev_t dev, ino_t ino);

#endif
