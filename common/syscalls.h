/* SPDX-License-Identifier: MIT */
/* Thin wrappers of the system calls glibc 2.36 (Debian 12) has no function
   for, or whose function does the wrong thing for us, with the constants
   its headers may lack.  Each returns what the system call returns: -1 with
   errno set on failure. */
#ifndef CNTR_COMMON_SYSCALLS_H
#define CNTR_COMMON_SYSCALLS_H

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_NOATIME 0x00000010
#endif
#ifndef MOUNT_ATTR_NOEXEC
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
/* fsopen(2), fsconfig(2), fsmount(2): linux/mount.h, which glibc 2.36's
   sys/mount.h conflicts with. */
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
enum
{
  SYS_FSCONFIG_SET_STRING = 1,
  SYS_FSCONFIG_CMD_CREATE = 6,
};
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static inline int
sys_pidfd_open(pid_t pid, unsigned flags)
{
  return (int)syscall(SYS_pidfd_open, pid, flags);
}

static inline int
sys_pidfd_send_signal(int pidfd, int sig)
{
  return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static inline int
sys_close_range(unsigned first, unsigned last, unsigned flags)
{
  return (int)syscall(SYS_close_range, first, last, flags);
}

static inline int
sys_open_tree(int dirfd, const char *path, unsigned flags)
{
  return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

static inline int
sys_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path,
               unsigned flags)
{
  return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

static inline int
sys_fsopen(const char *fs_name, unsigned flags)
{
  return (int)syscall(SYS_fsopen, fs_name, flags);
}

static inline int
sys_fsconfig(int fs_fd, unsigned cmd, const char *key, const void *value, int aux)
{
  return (int)syscall(SYS_fsconfig, fs_fd, cmd, key, value, aux);
}

/* A detached mount of what fs_fd created: an fd of its root. */
static inline int
sys_fsmount(int fs_fd, unsigned flags, unsigned attr_flags)
{
  return (int)syscall(SYS_fsmount, fs_fd, flags, attr_flags);
}

/* struct mount_attr of linux/mount.h, which glibc 2.36's sys/mount.h
   conflicts with. */
struct sys_mount_attr
{
  unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

static inline int
sys_mount_setattr(int dirfd, const char *path, unsigned flags, const struct sys_mount_attr *attr)
{
  return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof *attr);
}

/* The credential calls below change the calling thread only: glibc's
   setgroups() and setfs*id() broadcast to every thread of the process
   (setxid), which a FUSE worker acting as one caller must not do. */

/* The previous fsuid (which is also how to read it: pass (uid_t)-1). */
static inline uid_t
sys_setfsuid_thread(uid_t uid)
{
  return (uid_t)syscall(SYS_setfsuid, uid);
}

static inline gid_t
sys_setfsgid_thread(gid_t gid)
{
  return (gid_t)syscall(SYS_setfsgid, gid);
}

static inline int
sys_setgroups_thread(size_t n, const gid_t *groups)
{
  return (int)syscall(SYS_setgroups, n, groups);
}

#endif
