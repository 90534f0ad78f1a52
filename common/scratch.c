/* SPDX-License-Identifier: MIT */
/* A detached tmpfs for a scratch layer (scratch.h). */
#include "scratch.h"
#include "cleanup.h"
#include "syscalls.h"

#include <errno.h>

int
scratch_open(const char *size)
{
  cleanup_close int fs_fd = sys_fsopen("tmpfs", FSOPEN_CLOEXEC);

  if (fs_fd < 0)
    return -1;
  /* The root's mode is the server's to set (it copies the served tree's
     root onto it); until then nobody else may enter. */
  if (sys_fsconfig(fs_fd, SYS_FSCONFIG_SET_STRING, "mode", "0700", 0) < 0)
    return -1;
  if (size != NULL && sys_fsconfig(fs_fd, SYS_FSCONFIG_SET_STRING, "size", size, 0) < 0)
    return -1;
  if (sys_fsconfig(fs_fd, SYS_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  /* The server only reads and writes what is in it; nothing there is
     executed or opened as a device through this mount. */
  return sys_fsmount(fs_fd, FSMOUNT_CLOEXEC,
                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}
