/* SPDX-License-Identifier: MIT */
/* A session's FUSE mount made inside a target's user namespace
   (fuse-mount.h). */
#include "fuse-mount.h"
#include "cleanup.h"
#include "log.h"
#include "syscalls.h"
#include "wire.h"

#include "cntrfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where fsconfig failed: the kernel's own words (fsopen's log: "e fuse:
   ..."), or errno's. */
static int
fsconfig_fail(int fs_fd, int err, const char *what)
{
  char log[256];
  ssize_t n = read(fs_fd, log, sizeof log - 1);
  if (n > 2 && log[1] == ' ')
    {
      log[n] = '\0';
      log[strcspn(log, "\n")] = '\0';
      return cntr_fail(err, "%s (%s)", what, log + 2);
    }
  return cntr_fail(err, "%s", what);
}

/* fsconfig the FUSE mount options "k=v,flag,..." (cntrfs_kernel_options). */
static int
configure(int fs_fd, char *options)
{
  if (sys_fsconfig(fs_fd, SYS_FSCONFIG_SET_STRING, "source", "cntr", 0) < 0
      || sys_fsconfig(fs_fd, SYS_FSCONFIG_SET_STRING, "subtype", "cntr", 0) < 0)
    return fsconfig_fail(fs_fd, errno, "configure the FUSE mount");
  for (char *save = NULL, *o = strtok_r(options, ",", &save); o; o = strtok_r(NULL, ",", &save))
    {
      char *value = strchr(o, '=');
      if (value)
        *value++ = '\0';
      unsigned cmd = value ? SYS_FSCONFIG_SET_STRING : SYS_FSCONFIG_SET_FLAG;
      if (sys_fsconfig(fs_fd, cmd, o, value, 0) < 0)
        return fsconfig_fail(fs_fd, errno, "configure the FUSE mount");
    }
  if (sys_fsconfig(fs_fd, SYS_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fsconfig_fail(fs_fd, errno, "create the FUSE mount in the target's user namespace");
  return 0;
}

/* The child: never returns. */
static __attribute__((noreturn)) void
mount_child(struct cntrfs *fs, int userns_fd, int dev_fd, int sock)
{
  /* Its root has every capability there, and a mount namespace it owns is
     where it may create a mount (the file descriptor of /dev/fuse must be
     opened in the same user namespace, hence the reopen). */
  if (setns(userns_fd, CLONE_NEWUSER) < 0)
    {
      cntr_fail(errno, "join the target's user namespace");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  if (unshare(CLONE_NEWNS) < 0)
    {
      cntr_fail(errno, "make a mount namespace in the target's user namespace");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", dev_fd);
  cleanup_close int fuse_fd = open(path, O_RDWR | O_CLOEXEC);
  if (fuse_fd < 0)
    {
      cntr_fail(errno, "open /dev/fuse in the target's user namespace");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  char options[256];
  if (cntrfs_kernel_options(fs, fuse_fd, options, sizeof options) < 0)
    {
      cntr_fail(errno, "FUSE mount options");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  cleanup_close int fs_fd = sys_fsopen("fuse", FSOPEN_CLOEXEC);
  if (fs_fd < 0)
    {
      cntr_fail(errno, "open a FUSE file system in the target's user namespace");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  if (configure(fs_fd, options) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);
  cleanup_close int mount_fd
      = sys_fsmount(fs_fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  if (mount_fd < 0)
    {
      cntr_fail(errno, "make the FUSE mount");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  struct wire_msg m = { .type = WIRE_MOUNTED };
  if (wire_send(sock, &m, fuse_fd) < 0 || wire_send(sock, &m, mount_fd) < 0)
    _exit(CNTR_EXIT_FAILURE);
  _exit(0);
}

/* One fd from the child, or its error. */
static int
receive(int sock, int *fd)
{
  struct wire_msg m;
  int r = wire_recv(sock, &m, fd);
  if (r < 0)
    return cntr_fail(errno, "receive the FUSE mount");
  if (r == 0)
    return cntr_fail(EPIPE, "receive the FUSE mount");
  if (m.type == WIRE_ERROR)
    {
      cntr_error_restore(&m.error);
      return -1;
    }
  if (m.type != WIRE_MOUNTED || *fd < 0)
    return cntr_fail(EPROTO, "receive the FUSE mount");
  return 0;
}

int
fuse_mount_in_userns(struct cntrfs *fs, int userns_fd, int *fuse_fd, int *mount_fd)
{
  *fuse_fd = *mount_fd = -1;
  cleanup_close int dev_fd = open("/dev/fuse", O_PATH | O_CLOEXEC);
  if (dev_fd < 0)
    {
      cntr_fail(errno, "open /dev/fuse");
      cntr_hint("load the fuse module (modprobe fuse) and run cntr where /dev/fuse exists");
      return -1;
    }
  int sock[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0)
    return cntr_fail(errno, "socketpair");
  pid_t pid = fork();
  if (pid < 0)
    {
      int err = errno;
      close(sock[0]);
      close(sock[1]);
      return cntr_fail(err, "fork");
    }
  if (pid == 0)
    {
      close(sock[0]);
      mount_child(fs, userns_fd, dev_fd, sock[1]);
    }
  close(sock[1]);
  int r = receive(sock[0], fuse_fd);
  if (r == 0)
    r = receive(sock[0], mount_fd);
  close(sock[0]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (r < 0)
    {
      cleanup_closep(fuse_fd);
      cleanup_closep(mount_fd);
    }
  return r;
}
