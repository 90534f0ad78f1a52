/* SPDX-License-Identifier: MIT */
/* Request checks: only processes of the session's mount namespace are
   answered.  Why: the session's processes run inside a container, and any
   process of that container that may read /proc/<session pid>/root (same
   user, or root of the container) would otherwise walk into the tools tree
   - the host's / - through the session's mount, served by us as root.

   The check is one fstatat of /proc/<pid>/ns/mnt per request: the kernel
   reports the caller's thread id, and /proc resolves thread ids too (a
   thread may have unshared its mount namespace on its own, so the thread
   is the right thing to ask about).  The caller waits in the kernel for our
   reply, so its pid cannot be reused before we have answered.  No cache:
   a cache keyed on the pid would need the start time from /proc/<pid>/stat
   to notice reuse, which costs as much as the check itself. */
#include "cntrfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int
cntrfs_restrict_to_mount_ns(struct cntrfs *fs, dev_t dev, ino_t ino)
{
  int fd;

  if (fs == NULL)
    {
      errno = EINVAL;
      return -1;
    }
  if (fs->started)
    {
      errno = EBUSY;
      return -1;
    }
  fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fs->ns_proc_fd >= 0)
    close(fs->ns_proc_fd);
  fs->ns_proc_fd = fd;
  fs->ns_dev = dev;
  fs->ns_ino = ino;
  return 0;
}

bool
cntrfs_caller_allowed(const struct cntrfs *fs, pid_t pid)
{
  char path[32];
  struct stat st;

  if (fs->ns_proc_fd < 0)
    return true;
  /* 0: the caller is not visible in the PID namespace of the mount. */
  if (pid <= 0)
    return false;
  snprintf(path, sizeof path, "%d/ns/mnt", (int)pid);
  if (fstatat(fs->ns_proc_fd, path, &st, 0) < 0)
    return false;
  return st.st_dev == fs->ns_dev && st.st_ino == fs->ns_ino;
}
