/* SPDX-License-Identifier: MIT */
/* The request handlers: a passthrough of one directory tree.  Every handler
   replies exactly once, with the errno of the system call that failed (ENOMEM
   when an allocation fails), and never aborts.

   Inodes have O_PATH fds (inode.h), borrowed for the length of one
   operation: the table may close idle ones and reopen them by file handle.
   Operations that need a real open file reopen the O_PATH fd through
   /proc/self/fd (fs->proc_fd), which reaches the very inode without walking
   any path; operations that work on O_PATH fds directly use AT_EMPTY_PATH. */
#include "cntrfs-internal.h"
#include "cntrfs-handle.h"
#include "cntrfs-ops.h"
#include "cntrfs-virtual.h"
#include "cleanup.h"
#include "io.h"
#include "syscalls.h"
#include "cntrfs-elf.h"
#include "cntrfs-script.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The mount namespace check (check.c) for requests that name or open a
   file: true when the caller is refused. */
static bool
caller_refused(fuse_req_t req)
{
  struct cntrfs *fs = fuse_req_userdata(req);
  pid_t pid;

  if (fs->ns_proc_fd < 0)
    return false;
  pid = fuse_req_ctx(req)->pid;
  if (cntrfs_caller_allowed(fs, pid))
    return false;
  if (fs->opt.debug)
    fuse_log(FUSE_LOG_DEBUG, "cntrfs: refused pid %d: not in the session's mount namespace\n",
             (int)pid);
  return true;
}

/* 0, or a negative errno. */
static int
stat_inode(struct cntrfs *fs, struct cntrfs_inode *inode, struct stat *st)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;

  if (inode_fd_get(&fs->inodes, inode, &b) < 0
      || fstatat(b.fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return neg_errno();
  return 0;
}

/* Open the file behind an O_PATH inode fd for real: the new fd, or a
   negative errno.  O_NOFOLLOW must go: the /proc/self/fd/N entry is itself
   a (magic) link.  Read-only layers ask for O_NOATIME, which fails with
   EPERM where the kernel does not allow it. */
static int
reopen_inode(struct cntrfs *fs, struct cntrfs_inode *inode, int flags)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char name[16];
  int fd;

  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    return neg_errno();
  fd_name(name, sizeof name, b.fd);
  flags &= ~(O_NOFOLLOW | O_CREAT | O_EXCL | O_NOCTTY);
  flags |= O_CLOEXEC;
  if (fs->opt.read_only)
    {
      fd = openat(fs->proc_fd, name, flags | O_NOATIME);
      if (fd >= 0)
        return fd;
      if (errno != EPERM)
        return neg_errno();
    }
  fd = openat(fs->proc_fd, name, flags);
  return fd >= 0 ? fd : neg_errno();
}

/* ---- credentials ------------------------------------------------------ */

/* Operations that create files act with the caller's fsuid/fsgid and
   supplementary groups, so that new files get the caller's ownership and the
   underlying file system checks the caller's rights.  All three are
   per-thread: the raw syscalls change only the calling thread (glibc's
   setgroups() would broadcast to every thread of the process).  Dropping
   fsuid from 0 also drops CAP_DAC_OVERRIDE & co. from the thread's effective
   set, and going back to 0 restores them. */
struct creds
{
  bool ids;
  bool groups;
  bool umask;
};

/* 0, or a negative errno; creds_leave is due either way. */
static int
creds_enter(fuse_req_t req, struct cntrfs *fs, struct creds *c)
{
  const struct fuse_ctx *ctx = fuse_req_ctx(req);

  c->ids = false;
  c->groups = false;
  c->umask = false;
  /* DONT_MASK: the kernel leaves the caller's umask to us, so that the file
     system below applies it only where the directory has no default ACL,
     as it does natively.  Only where the umask is this thread's own. */
  if (cntrfs_thread_umask && ctx->umask != 0)
    {
      umask(ctx->umask);
      c->umask = true;
    }
  if (ctx->uid == fs->server_fsuid && ctx->gid == fs->server_fsgid)
    return 0;

  /* Root keeps its own groups: it has DAC override anyway. */
  if (ctx->uid != 0)
    {
      gid_t small[64];
      cleanup_free gid_t *big = NULL;
      gid_t *groups = small;
      int n = fuse_req_getgroups(req, 64, small);

      if (n > 64)
        {
          big = calloc((size_t)n, sizeof *big);
          if (big == NULL)
            return -ENOMEM;
          int m = fuse_req_getgroups(req, n, big);
          n = m > n ? n : m;
          groups = big;
        }
      /* The caller may have exited or be invisible from our pid namespace:
         it then acts with no supplementary groups. */
      if (n < 0)
        n = 0;
      if (sys_setgroups_thread((size_t)n, groups) < 0)
        return neg_errno();
      c->groups = true;
    }

  c->ids = true;
  sys_setfsgid_thread(ctx->gid);
  sys_setfsuid_thread(ctx->uid);
  /* setfsuid reports no errors; an invalid id is ignored.  Read back. */
  if (sys_setfsuid_thread((uid_t)-1) != ctx->uid || sys_setfsgid_thread((gid_t)-1) != ctx->gid)
    return -EPERM;
  return 0;
}

static void
creds_leave(struct cntrfs *fs, const struct creds *c)
{
  int saved = errno;

  if (c->ids)
    {
      sys_setfsuid_thread(fs->server_fsuid);
      sys_setfsgid_thread(fs->server_fsgid);
    }
  if (c->groups)
    sys_setgroups_thread((size_t)fs->server_ngroups, fs->server_groups);
  if (c->umask)
    umask(0);
  errno = saved;
}

void
entry_init(struct fuse_entry_param *e)
{
  memset(e, 0, sizeof *e);
  e->attr_timeout = CNTRFS_TIMEOUT;
  e->entry_timeout = CNTRFS_TIMEOUT;
}

/* How long the kernel may trust what it caches of an inode: long when the
   watcher reports its changes. */
static double
timeout_of(struct cntrfs *fs, struct cntrfs_inode *inode)
{
  if (virtual_of(fs, inode) != NULL || !inode_table_is_watched(&fs->inodes, inode))
    return CNTRFS_TIMEOUT;
  return CNTRFS_WATCHED_TIMEOUT;
}

/* Look up a name of the real directory parent, given an fd of it (O_PATH
   or open); as do_lookup.  A directory found gets a watch; a file found in
   a watched directory is watched through it (FAN_EVENT_ON_CHILD). */
static int
lookup_at(struct cntrfs *fs, struct cntrfs_inode *parent, int parent_fd, const char *name,
          struct fuse_entry_param *e)
{
  cleanup_close int fd = -1;
  struct cntrfs_inode *inode;
  struct stat st;

  entry_init(e);
  fd = openat(parent_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return neg_errno();
  inode = inode_table_ref(&fs->inodes, &fd, &st);
  if (inode == NULL)
    return -ENOMEM;
  /* Both: a directory needs its own mark for the names in it. */
  if (cntrfs_watch_dir(fs->watch, inode, &st) | inode_table_is_marked(&fs->inodes, parent))
    inode_table_set_watched(&fs->inodes, inode);
  e->attr_timeout = e->entry_timeout = timeout_of(fs, inode);
  e->ino = (fuse_ino_t)(uintptr_t)inode;
  e->attr = st;
  return 0;
}

int
do_lookup(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
          struct fuse_entry_param *e)
{
  cleanup_inode_fd struct inode_fd pfd = INODE_FD_INIT;

  entry_init(e);
  /* The kernel resolves ".." itself, but never let it leave the layer. */
  if (parent == fs->root && strcmp(name, "..") == 0)
    name = ".";
  if (inode_fd_get(&fs->inodes, parent, &pfd) < 0)
    return neg_errno();
  return lookup_at(fs, parent, pfd.fd, name, e);
}

/* Whether names created in (or removed from) dir directly are reported. */
static bool
watched(struct cntrfs *fs, struct cntrfs_inode *dir)
{
  return virtual_of(fs, dir) == NULL && inode_table_is_marked(&fs->inodes, dir);
}

/* Undo a lookup the kernel never received. */
void
unref_entry(struct cntrfs *fs, fuse_ino_t ino, uint64_t n)
{
  struct cntrfs_inode *inode = inode_of(fs, ino);

  if (ino != 0 && virtual_of(fs, inode) == NULL)
    inode_table_unref(&fs->inodes, inode, n);
}

void
reply_entry(fuse_req_t req, struct cntrfs *fs, const struct fuse_entry_param *e)
{
  if (fuse_reply_entry(req, e) < 0)
    unref_entry(fs, e->ino, 1);
}

static void
cntrfs_op_init(void *userdata, struct fuse_conn_info *conn)
{
  (void)userdata;
  /* What we want when the kernel offers it.  Splice moves request and reply
     data between the pipe and the file without copying through us.
     FLOCK_LOCKS forwards flock(2) so that it works between processes on the
     mount and the layer's own users.  CACHE_SYMLINKS keeps readlink results
     (they change only when the link is replaced, which is a new inode). */
  const unsigned want = FUSE_CAP_ASYNC_READ | FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_AUTO_INVAL_DATA
                        | FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE
                        | FUSE_CAP_SPLICE_MOVE | FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_READDIRPLUS
                        | FUSE_CAP_READDIRPLUS_AUTO | FUSE_CAP_ASYNC_DIO | FUSE_CAP_CACHE_SYMLINKS
                        | FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;
  /* POSIX_ACL: the kernel enforces the layer's ACLs in its permission
     checks (without it, default_permissions looks at the mode bits only,
     and an ACL's grants and denials are lost) and caches them, so that
     ls -l does not ask for system.posix_acl_* of every file.  The file
     system below keeps the mode in step with the ACL and applies default
     ACLs; for that it needs the caller's umask unapplied: DONT_MASK (see
     creds_enter).
     What we never want, even where libfuse defaults to it:
     - EXPORT_SUPPORT: no lookups of "." / ".." (would need them to stay
       inside the layer, and NFS export is not a use case);
     - HANDLE_KILLPRIV: we write as root, and root's writes do not clear
       setuid bits, so the kernel must do it;
     - WRITEBACK_CACHE: the kernel would trust its own size and mtime of
       regular files over the layer's, so a file that grows on the host
       (a log) would not grow in the session;
     - POSIX_LOCKS: without getlk/setlk handlers the kernel keeps POSIX
       locks itself, which is right for processes sharing this mount. */
  const unsigned never = FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_HANDLE_KILLPRIV
                         | FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_POSIX_LOCKS;

  conn->want = ((conn->want & ~never) | (want & conn->capable)) & conn->capable;
}

/* The answer to a LOOKUP of a refused caller.  It may be the kernel
   revalidating a dentry it holds (its entry timeout passed): on any error
   but ENOMEM the kernel then invalidates the dentry, and d_invalidate
   detaches every mount on it, in every mount namespace - a foreign process
   could unmount what the session mounted on the layer.  So for names of
   inodes the kernel holds, ENOMEM, which leaves the dentry alone; EACCES
   for the others. */
static int
refused_lookup_err(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name)
{
  cleanup_inode_fd struct inode_fd pfd = INODE_FD_INIT;
  cleanup_close int fd = -1;
  struct stat st;

  int res = virtual_refused_lookup(fs, parent, name);

  if (res < 0)
    return res;
  if (inode_fd_get(&fs->inodes, parent, &pfd) < 0)
    return -EACCES;
  fd = openat(pfd.fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return -EACCES;
  return inode_table_known(&fs->inodes, &st) ? -ENOMEM : -EACCES;
}

/* ---- the request prologue ---------------------------------------------- */

/* What the prologue does for each operation before its handler runs, in
   this order: the caller check, the read-only check, what the virtual
   entries answer, the read-only check of what they left to the real tree.
   Not here: FORGET, BATCH_FORGET, INIT, DESTROY and INTERRUPT, which the
   kernel sends for itself and which get no reply, and RELEASE and
   RELEASEDIR, which must never be refused: the handle must go. */
const struct op_policy cntrfs_op_policy[CNTRFS_OP_COUNT] = {
  [CNTRFS_OP_LOOKUP] = { OP_CHECK_CALLER | OP_HELD_NAMES, &virtual_lookup },
  /* Through a handle: reads refreshing the size, ftruncate (fstat(2)
     sends none). */
  [CNTRFS_OP_GETATTR] = { OP_CHECK_CALLER | OP_HANDLE_TRUSTED, &virtual_getattr },
  [CNTRFS_OP_SETATTR] = { OP_CHECK_CALLER | OP_HANDLE_TRUSTED | OP_MUTATES, &virtual_immutable },
  [CNTRFS_OP_READLINK] = { OP_CHECK_CALLER, &virtual_readlink },
  [CNTRFS_OP_MKNOD] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_make },
  [CNTRFS_OP_MKDIR] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_make },
  [CNTRFS_OP_UNLINK] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_unlink },
  [CNTRFS_OP_RMDIR] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_rmdir },
  [CNTRFS_OP_SYMLINK] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_make },
  [CNTRFS_OP_RENAME] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_rename },
  [CNTRFS_OP_LINK] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_link },
  [CNTRFS_OP_OPEN] = { OP_CHECK_CALLER | OP_MAY_WRITE, &virtual_open },
  /* Requests on open handles: the open was checked, and a process may
     hand its files on.  Virtual files answer through what they serve
     (enum file_content). */
  [CNTRFS_OP_READ] = { 0, NULL },
  [CNTRFS_OP_WRITE] = { OP_MUTATES, NULL },
  [CNTRFS_OP_FLUSH] = { 0, NULL },
  [CNTRFS_OP_FSYNC] = { 0, NULL },
  [CNTRFS_OP_OPENDIR] = { OP_CHECK_CALLER, &virtual_opendir },
  [CNTRFS_OP_READDIR] = { 0, NULL },
  [CNTRFS_OP_FSYNCDIR] = { 0, NULL },
  [CNTRFS_OP_STATFS] = { OP_CHECK_CALLER, &virtual_statfs },
  [CNTRFS_OP_SETXATTR] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_immutable },
  [CNTRFS_OP_GETXATTR] = { OP_CHECK_CALLER, &virtual_getxattr },
  [CNTRFS_OP_LISTXATTR] = { OP_CHECK_CALLER, &virtual_listxattr },
  [CNTRFS_OP_REMOVEXATTR] = { OP_CHECK_CALLER | OP_MUTATES, &virtual_immutable },
  [CNTRFS_OP_ACCESS] = { OP_CHECK_CALLER | OP_MAY_WRITE, &virtual_access },
  [CNTRFS_OP_CREATE] = { OP_CHECK_CALLER | OP_MAY_WRITE, &virtual_create },
  [CNTRFS_OP_FLOCK] = { 0, NULL },
  [CNTRFS_OP_FALLOCATE] = { OP_MUTATES, NULL },
  [CNTRFS_OP_READDIRPLUS] = { 0, NULL },
  [CNTRFS_OP_COPY_FILE_RANGE] = { OP_MUTATES, NULL },
  [CNTRFS_OP_LSEEK] = { 0, NULL },
};

bool
cntrfs_prologue(fuse_req_t req, enum cntrfs_op op, struct cntrfs_request *r)
{
  struct cntrfs *fs = fs_of(req);
  const struct op_policy *p = &cntrfs_op_policy[op];
  bool trusted = (p->flags & OP_HANDLE_TRUSTED) && r->fi != NULL;

  if ((p->flags & OP_CHECK_CALLER) && !trusted && caller_refused(req))
    {
      reply_err(req,
                (p->flags & OP_HELD_NAMES) ? refused_lookup_err(fs, r->parent, r->name) : -EACCES);
      return true;
    }
  if ((p->flags & OP_MUTATES) && fs->opt.read_only)
    {
      fuse_reply_err(req, EROFS);
      return true;
    }
  if (p->virt != NULL && virtual_dispatch(req, fs, p->virt, r))
    return true;
  if ((p->flags & OP_MAY_WRITE) && r->writes && fs->opt.read_only)
    {
      fuse_reply_err(req, EROFS);
      return true;
    }
  return false;
}

void
reply_lookup(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *parent, int res,
             struct fuse_entry_param *e)
{
  if (res == -ENOENT && (fs->opt.read_only || watched(fs, parent)))
    {
      /* Negative entry: the kernel remembers the name does not exist.
         Names created through the mount replace it; on a writable layer,
         names created on it directly are reported by the watcher. */
      e->ino = 0;
      e->entry_timeout = watched(fs, parent) ? CNTRFS_WATCHED_TIMEOUT : CNTRFS_TIMEOUT;
      fuse_reply_entry(req, e);
      return;
    }
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  reply_entry(req, fs, e);
}

static void
cntrfs_op_lookup(fuse_req_t req, fuse_ino_t parent_ino, const char *name)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *parent = inode_of(fs, parent_ino);
  struct cntrfs_request r = { .parent = parent, .name = name };
  struct fuse_entry_param e;

  if (cntrfs_prologue(req, CNTRFS_OP_LOOKUP, &r))
    return;
  reply_lookup(req, fs, parent, do_lookup(fs, parent, name, &e), &e);
}

static void
cntrfs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
  struct cntrfs *fs = fs_of(req);

  unref_entry(fs, ino, nlookup);
  fuse_reply_none(req);
}

static void
cntrfs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_request r = { .inode = inode_of(fs, ino), .fi = fi };
  struct stat st;
  int res;

  if (cntrfs_prologue(req, CNTRFS_OP_GETATTR, &r))
    return;
  res = stat_inode(fs, inode_of(fs, ino), &st);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  fuse_reply_attr(req, &st, timeout_of(fs, inode_of(fs, ino)));
}

/* 0, or a negative errno. */
static int
truncate_inode(struct cntrfs *fs, struct cntrfs_inode *inode, struct fuse_file_info *fi, off_t size)
{
  cleanup_close int fd = -1;

  if (fi != NULL)
    return ftruncate(file_of(fi)->fd, size) < 0 ? neg_errno() : 0;
  /* The kernel sends a size only for regular files; O_NONBLOCK keeps a
     surprise FIFO from blocking us. */
  fd = reopen_inode(fs, inode, O_WRONLY | O_NONBLOCK);
  if (fd < 0)
    return fd;
  return ftruncate(fd, size) < 0 ? neg_errno() : 0;
}

/* What SETATTR asks, on inode (fd its borrowed O_PATH fd): 0, or a
   negative errno (what was done before the failure stays done). */
static int
set_attributes(struct cntrfs *fs, struct cntrfs_inode *inode, int fd, struct fuse_file_info *fi,
               const struct stat *attr, int to_set)
{
  int res;

  if (fi != NULL && file_of(fi)->fd < 0)
    fi = NULL;

  if (to_set & FUSE_SET_ATTR_MODE)
    {
      char name[16];

      if (fi != NULL)
        res = fchmod(file_of(fi)->fd, attr->st_mode);
      else
        {
          /* fchmod refuses O_PATH fds; the /proc link reaches the inode. */
          fd_name(name, sizeof name, fd);
          res = fchmodat(fs->proc_fd, name, attr->st_mode, 0);
        }
      if (res < 0)
        return neg_errno();
    }
  if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
    {
      uid_t uid = (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
      gid_t gid = (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

      if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        return neg_errno();
    }
  if (to_set & FUSE_SET_ATTR_SIZE)
    {
      res = truncate_inode(fs, inode, fi, attr->st_size);
      if (res < 0)
        return res;
    }
  if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))
    {
      struct timespec tv[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };

      if (to_set & FUSE_SET_ATTR_ATIME_NOW)
        tv[0].tv_nsec = UTIME_NOW;
      else if (to_set & FUSE_SET_ATTR_ATIME)
        tv[0] = attr->st_atim;
      if (to_set & FUSE_SET_ATTR_MTIME_NOW)
        tv[1].tv_nsec = UTIME_NOW;
      else if (to_set & FUSE_SET_ATTR_MTIME)
        tv[1] = attr->st_mtim;
      if (fi != NULL)
        res = futimens(file_of(fi)->fd, tv);
      else
        res = utimensat(fd, "", tv, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
      if (res < 0)
        return neg_errno();
    }
  return 0;
}

static void
cntrfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                  struct fuse_file_info *fi)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  struct stat st;
  int res;

  struct cntrfs_request r = { .inode = inode, .fi = fi };

  if (cntrfs_prologue(req, CNTRFS_OP_SETATTR, &r))
    return;
  res = inode_fd_get(&fs->inodes, inode, &b) < 0 ? neg_errno() : 0;
  if (res == 0)
    res = set_attributes(fs, inode, b.fd, fi, attr, to_set);
  if (res == 0)
    res = stat_inode(fs, inode, &st);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  fuse_reply_attr(req, &st, timeout_of(fs, inode));
}

static void
cntrfs_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char buf[PATH_MAX + 1];
  char out[PATH_MAX];
  ssize_t n;

  struct cntrfs_request r = { .inode = inode };

  if (cntrfs_prologue(req, CNTRFS_OP_READLINK, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  n = readlinkat(b.fd, "", buf, sizeof buf);
  if (n < 0)
    {
      reply_errno(req);
      return;
    }
  if ((size_t)n >= sizeof buf - 1)
    {
      fuse_reply_err(req, ENAMETOOLONG);
      return;
    }
  buf[n] = '\0';
  if (fs->opt.symlink_prefix == NULL || buf[0] != '/')
    {
      fuse_reply_readlink(req, buf);
      return;
    }
  /* Relocate absolute targets under the prefix; the result, its NUL
     included, must fit in PATH_MAX like any path. */
  if (fs->opt.symlink_prefix_len + (size_t)n >= sizeof out)
    {
      fuse_reply_err(req, ENAMETOOLONG);
      return;
    }
  memcpy(out, fs->opt.symlink_prefix, fs->opt.symlink_prefix_len);
  memcpy(out + fs->opt.symlink_prefix_len, buf, (size_t)n + 1);
  fuse_reply_readlink(req, out);
}

/* mknod, mkdir and symlink: create as the caller, then look the result up. */
static void
make_node(fuse_req_t req, enum cntrfs_op op, fuse_ino_t parent_ino, const char *name, mode_t mode,
          dev_t rdev, const char *link)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *parent = inode_of(fs, parent_ino);
  cleanup_inode_fd struct inode_fd pfd = INODE_FD_INIT;
  struct fuse_entry_param e;
  struct creds c;
  int fd, res;

  struct cntrfs_request r = { .parent = parent, .name = name };

  if (cntrfs_prologue(req, op, &r))
    return;
  fd = inode_fd_get(&fs->inodes, parent, &pfd);
  if (fd < 0)
    {
      reply_errno(req);
      return;
    }

  res = creds_enter(req, fs, &c);
  if (res == 0)
    {
      if (link != NULL)
        res = symlinkat(link, fd, name);
      else if (S_ISDIR(mode))
        res = mkdirat(fd, name, mode & 07777);
      else
        res = mknodat(fd, name, mode, rdev);
      if (res < 0)
        res = neg_errno();
    }
  creds_leave(fs, &c);
  if (res == 0)
    res = lookup_at(fs, parent, fd, name, &e);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  reply_entry(req, fs, &e);
}

static void
cntrfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
  make_node(req, CNTRFS_OP_MKNOD, parent, name, mode, rdev, NULL);
}

static void
cntrfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
  make_node(req, CNTRFS_OP_MKDIR, parent, name, S_IFDIR | (mode & 07777), 0, NULL);
}

/* unlink and rmdir */
static void
remove_entry(fuse_req_t req, fuse_ino_t parent_ino, const char *name, int flags)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *parent = inode_of(fs, parent_ino);
  cleanup_inode_fd struct inode_fd pfd = INODE_FD_INIT;
  struct cntrfs_request r = { .parent = parent, .name = name };

  if (cntrfs_prologue(req, (flags & AT_REMOVEDIR) ? CNTRFS_OP_RMDIR : CNTRFS_OP_UNLINK, &r))
    return;
  if (inode_fd_get(&fs->inodes, parent, &pfd) < 0 || unlinkat(pfd.fd, name, flags) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

static void
cntrfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
  remove_entry(req, parent, name, 0);
}

static void
cntrfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
  remove_entry(req, parent, name, AT_REMOVEDIR);
}

static void
cntrfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
  make_node(req, CNTRFS_OP_SYMLINK, parent, name, S_IFLNK | 0777, 0, link);
}

static void
cntrfs_op_rename(fuse_req_t req, fuse_ino_t parent_ino, const char *name, fuse_ino_t newparent_ino,
                 const char *newname, unsigned int flags)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *parent = inode_of(fs, parent_ino);
  struct cntrfs_inode *newparent = inode_of(fs, newparent_ino);
  cleanup_inode_fd struct inode_fd pfd = INODE_FD_INIT;
  cleanup_inode_fd struct inode_fd npfd = INODE_FD_INIT;
  struct cntrfs_request r
      = { .parent = parent, .name = name, .parent2 = newparent, .name2 = newname };

  if (cntrfs_prologue(req, CNTRFS_OP_RENAME, &r))
    return;
  if (inode_fd_get(&fs->inodes, parent, &pfd) < 0 || inode_fd_get(&fs->inodes, newparent, &npfd) < 0
      || renameat2(pfd.fd, name, npfd.fd, newname, flags) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

static void
cntrfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent_ino, const char *newname)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_inode *newparent = inode_of(fs, newparent_ino);
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  cleanup_inode_fd struct inode_fd npfd = INODE_FD_INIT;
  struct cntrfs_request r = { .inode = inode, .parent = newparent, .name = newname };
  struct fuse_entry_param e;
  int res;

  if (cntrfs_prologue(req, CNTRFS_OP_LINK, &r))
    return;

  /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link (followed: it
     leads to the inode itself, symlinks included) does not. */
  if (inode_fd_get(&fs->inodes, inode, &b) < 0 || inode_fd_get(&fs->inodes, newparent, &npfd) < 0)
    {
      reply_errno(req);
      return;
    }
  res = linkat(b.fd, "", npfd.fd, newname, AT_EMPTY_PATH);
  if (res < 0 && errno == ENOENT)
    {
      char name[16];

      fd_name(name, sizeof name, b.fd);
      res = linkat(fs->proc_fd, name, npfd.fd, newname, AT_SYMLINK_FOLLOW);
    }
  if (res < 0)
    {
      reply_errno(req);
      return;
    }

  entry_init(&e);
  if (fstatat(b.fd, "", &e.attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    {
      reply_errno(req);
      return;
    }
  inode_table_ref_existing(&fs->inodes, inode);
  e.ino = (fuse_ino_t)(uintptr_t)inode;
  reply_entry(req, fs, &e);
}

/* Files of kernel pseudo file systems, whose size says nothing about what a
   read returns. */
static bool
is_pseudo_file(int fd)
{
  static const unsigned long pseudo[] = {
    PROC_SUPER_MAGIC,    SYSFS_MAGIC,   CGROUP_SUPER_MAGIC,
    CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
    SECURITYFS_MAGIC,    BPF_FS_MAGIC,  0x62656570 /* configfs */,
    EFIVARFS_MAGIC,
  };
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0)
    return false;
  for (size_t i = 0; i < sizeof pseudo / sizeof *pseudo; i++)
    if ((unsigned long)sf.f_type == pseudo[i])
      return true;
  return false;
}

static void
cntrfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  cleanup_free struct cntrfs_file *fh = NULL;
  int flags = fi->flags & ~CNTRFS_FMODE_EXEC;
  bool exec = (fi->flags & CNTRFS_FMODE_EXEC) != 0;
  struct cntrfs_request r = { .inode = inode, .fi = fi, .writes = opens_for_write(flags) };

  if (cntrfs_prologue(req, CNTRFS_OP_OPEN, &r))
    return;
  fh = file_new();
  if (fh == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  /* O_DIRECT would impose alignment on libfuse's buffers; the kernel
     bypasses its cache for us instead (direct_io). */
  if (flags & O_DIRECT)
    {
      flags &= ~O_DIRECT;
      fi->direct_io = 1;
    }
  fh->fd = reopen_inode(fs, inode, flags);
  if (fh->fd < 0)
    {
      reply_err(req, fh->fd);
      return;
    }
  /* Failing (the file went meanwhile) costs only what inode_fd is for. */
  (void)inode_fd_get(&fs->inodes, inode, &fh->inode_fd);
  /* For an open by execve(2): a script with its "#!" line rewritten. */
  if (exec && fs->opt.exec_script_prefix != NULL
      && script_head_open(fh->fd, fs->opt.exec_script_prefix, fs->opt.exec_script_prefix_len,
                          &fh->u.script)
             == 1)
    fh->content = CONTENT_SCRIPT_HEAD;
  if (fh->content == CONTENT_SCRIPT_HEAD)
    {
      /* The rewritten line is for this execve only: keep it out of the
         page cache, which every other open (the interpreter reading the
         script, cat, an editor) shares.  direct_io also makes the kernel
         take all we return: a cached read stops at the file's size, and
         the rewritten file is longer. */
      fi->direct_io = 1;
      fi->keep_cache = 0;
      reply_open_handle(req, fs, fi, &fh->h, NULL);
      fh = NULL;
      return;
    }
  if (is_pseudo_file(fh->fd))
    {
      /* procfs, sysfs and the like report size 0 and make up their
         contents at each read: a cached read would stop at that size. */
      fi->direct_io = 1;
      fi->keep_cache = 0;
      reply_open_handle(req, fs, fi, &fh->h, NULL);
      fh = NULL;
      return;
    }
  /* An ELF executable whose interpreter is interp_from: for every open
     that can read, so that whatever fills the (shared) page cache presents
     the same bytes. */
  if ((flags & O_ACCMODE) != O_WRONLY && fs->opt.interp_from != NULL
      && elf_interp_open(fh->fd, fs->opt.interp_from, fs->opt.interp_from_len, fs->opt.interp_to,
                         fs->opt.interp_to_len, &fh->u.interp)
             == 1)
    fh->content = CONTENT_PATCHED_INTERP;
  /* Keep the page cache across opens.  Writes through the mount keep it
     current; a change made to the layer directly is reported by the
     watcher, or else noticed when the attributes are next fetched
     (AUTO_INVAL_DATA: a new mtime or size drops the cached pages), that is
     within CNTRFS_TIMEOUT. */
  fi->keep_cache = 1;
  reply_open_handle(req, fs, fi, &fh->h, NULL);
  fh = NULL;
}

static void
reply_fd_data(fuse_req_t req, int fd, size_t size, off_t off)
{
  struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);

  bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
  bv.buf[0].fd = fd;
  bv.buf[0].pos = off;
  fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
}

/* A read of a file as rewritten (script.c, elf.c), through a buffer of
   ours. */
static void
reply_rewritten(fuse_req_t req, struct cntrfs_file *fh, size_t size, uint64_t off)
{
  cleanup_free char *buf = malloc(size ? size : 1);
  ssize_t n;

  if (buf == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  if (fh->content == CONTENT_SCRIPT_HEAD)
    n = script_head_read(&fh->u.script, fh->fd, buf, size, off);
  else
    n = elf_interp_read(&fh->u.interp, fh->fd, buf, size, off);
  if (n < 0)
    reply_err(req, (int)n);
  else
    fuse_reply_buf(req, buf, (size_t)n);
}

static void
reply_memory(fuse_req_t req, const struct file_memory *m, size_t size, off_t off)
{
  size_t left;

  if ((uint64_t)off >= m->size)
    {
      fuse_reply_buf(req, NULL, 0);
      return;
    }
  left = m->size - (size_t)off;
  fuse_reply_buf(req, (const char *)m->data + off, size < left ? size : left);
}

/* One switch on what the file serves; whatever is not rewritten is the
   file's own bytes, spliced from our fd (the place where kernel FUSE
   passthrough takes over). */
static void
cntrfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  off_t at = off; /* where the file's own bytes are */

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_READ, &r))
    return;
  if (off < 0)
    {
      fuse_reply_err(req, EINVAL);
      return;
    }
  switch (fh->content)
    {
    case CONTENT_MEMORY:
      reply_memory(req, &fh->u.memory, size, off);
      return;
    case CONTENT_SCRIPT_HEAD:
      if (script_head_covers(&fh->u.script, (uint64_t)off))
        {
          reply_rewritten(req, fh, size, (uint64_t)off);
          return;
        }
      at = (off_t)script_head_file_offset(&fh->u.script, (uint64_t)off);
      break;
    case CONTENT_PATCHED_INTERP:
      if (elf_interp_covers(&fh->u.interp, (uint64_t)off, size))
        {
          reply_rewritten(req, fh, size, (uint64_t)off);
          return;
        }
      break;
    case CONTENT_FD:
      break;
    }
  reply_fd_data(req, fh->fd, size, at);
}

static void
cntrfs_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in_buf, off_t off,
                    struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in_buf));
  ssize_t res;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_WRITE, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, EBADF);
      return;
    }
  out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
  out.buf[0].fd = fh->fd;
  out.buf[0].pos = off;
  res = fuse_buf_copy(&out, in_buf, 0);
  if (res < 0)
    reply_err(req, (int)res);
  else
    fuse_reply_write(req, (size_t)res);
}

static void
cntrfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  int fd;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FLUSH, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, 0);
      return;
    }
  /* A close(2) of the caller's fd: closing a duplicate drops the POSIX
     locks and lets file systems such as NFS report write-back errors,
     without giving up our fd (the file may be mapped and used again). */
  fd = dup(fh->fd);
  if (fd < 0)
    {
      reply_errno(req);
      return;
    }
  if (close(fd) < 0 && errno != EINTR)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

static void
cntrfs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs_file *fh = file_of(fi);

  (void)ino;
  handle_release(fs_of(req), &fh->h);
  fuse_reply_err(req, 0);
}

static void
cntrfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  int res;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FSYNC, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    res = 0;
  else
    res = datasync ? fdatasync(fh->fd) : fsync(fh->fd);
  if (res < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

static void
cntrfs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  cleanup_free struct cntrfs_dir *d = NULL;
  int fd;

  struct cntrfs_request r = { .inode = inode, .fi = fi };

  if (cntrfs_prologue(req, CNTRFS_OP_OPENDIR, &r))
    return;
  d = dir_new();
  if (d == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  fd = reopen_inode(fs, inode, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    {
      reply_err(req, fd);
      return;
    }
  d->dp = fdopendir(fd);
  if (d->dp == NULL)
    {
      int res = neg_errno();
      close(fd);
      reply_err(req, res);
      return;
    }
  d->is_root = inode == fs->root;
  /* The kernel may cache the listing: it drops it itself when the
     directory changes through the mount, and when its mtime changes on the
     next attribute fetch otherwise. */
  fi->keep_cache = 1;
  fi->cache_readdir = 1;
  reply_open_handle(req, fs, fi, &d->h, NULL);
  d = NULL;
}

static bool
is_dot_or_dotdot(const char *name)
{
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

static void
do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, struct fuse_file_info *fi,
           bool plus)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *dir_inode = inode_of(fs, ino);
  struct cntrfs_dir *d = dir_of(fi);
  cleanup_free char *buf = NULL;
  size_t used = 0;
  int err = 0;

  if (cntrfs_prologue(req, plus ? CNTRFS_OP_READDIRPLUS : CNTRFS_OP_READDIR, &r))
    return;
  if (d->node != NULL)
    {
      virtual_readdir(req, fs, d->node, size, offset, plus);
      return;
    }
  buf = malloc(size ? size : 1);
  if (buf == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  if (offset != d->offset)
    {
      seekdir(d->dp, offset);
      d->entry = NULL;
      d->offset = offset;
    }

  for (;;)
    {
      struct fuse_entry_param e;
      const char *name;
      off_t next;
      size_t entsize;

      if (d->entry == NULL)
        {
          errno = 0;
          d->entry = readdir(d->dp);
          if (d->entry == NULL)
            {
              err = errno;
              break;
            }
        }
      name = d->entry->d_name;
      next = d->entry->d_off;
      /* The virtual entries shadow real entries of their names, and are
         themselves not listed: skip those so readdirplus does not bind the
         names to the real files. */
      if (d->is_root && virtual_by_name(fs, dir_inode, name) != NULL)
        {
          d->entry = NULL;
          d->offset = next;
          continue;
        }

      if (plus)
        {
          /* The open directory is the parent: no fd to borrow. */
          int lres
              = is_dot_or_dotdot(name) ? -ENOENT : lookup_at(fs, dir_inode, dirfd(d->dp), name, &e);
          if (lres < 0)
            {
              /* Dot entries, and entries gone since readdir: a name without
                 attributes (nodeid 0 makes the kernel skip the entry's
                 dentry, not the name). */
              memset(&e, 0, sizeof e);
              e.attr.st_ino = d->entry->d_ino;
              e.attr.st_mode = (mode_t)d->entry->d_type << 12;
            }
          entsize = fuse_add_direntry_plus(req, buf + used, size - used, name, &e, next);
          if (entsize > size - used)
            {
              /* Did not fit: the kernel will not learn of this lookup. */
              unref_entry(fs, e.ino, 1);
              break;
            }
        }
      else
        {
          struct stat st = { .st_ino = d->entry->d_ino, .st_mode = (mode_t)d->entry->d_type << 12 };
          entsize = fuse_add_direntry(req, buf + used, size - used, name, &st, next);
          if (entsize > size - used)
            break;
        }
      used += entsize;
      d->entry = NULL;
      d->offset = next;
    }

  /* An error after some entries: return those, the next call reports it. */
  if (err != 0 && used == 0)
    fuse_reply_err(req, err);
  else
    fuse_reply_buf(req, buf, used);
}

static void
cntrfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
                  struct fuse_file_info *fi)
{
  do_readdir(req, ino, size, offset, fi, false);
}

static void
cntrfs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs_dir *d = dir_of(fi);

  (void)ino;
  handle_release(fs_of(req), &d->h);
  fuse_reply_err(req, 0);
}

static void
cntrfs_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_dir *d = dir_of(fi);
  int fd;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FSYNCDIR, &r))
    return;
  if (d->dp == NULL)
    {
      fuse_reply_err(req, 0);
      return;
    }
  fd = dirfd(d->dp);
  if ((datasync ? fdatasync(fd) : fsync(fd)) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

static void
cntrfs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_request r = { .inode = inode_of(fs, ino) };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  struct statvfs sv;

  if (cntrfs_prologue(req, CNTRFS_OP_STATFS, &r))
    return;
  if (inode_fd_get(&fs->inodes, r.inode, &b) < 0 || fstatvfs(b.fd, &sv) < 0)
    reply_errno(req);
  else
    fuse_reply_statfs(req, &sv);
}

/* Extended attributes: there are no *at variants that take an O_PATH fd
   (before Linux 6.13), and f*xattr refuse O_PATH fds.  The path
   /proc/self/fd/N, followed, leads to the inode itself - for a symlink the
   link, not its target - so the following (non-l) calls are the right ones:
   lsetxattr would act on the /proc magic link. */
static void
cntrfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
                   int flags)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[64];

  if (cntrfs_prologue(req, CNTRFS_OP_SETXATTR, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  fd_path(path, sizeof path, b.fd);
  if (setxattr(path, name, value, size, flags) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

static void
cntrfs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode };
  cleanup_free char *buf = NULL;
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[64];
  ssize_t n;

  if (cntrfs_prologue(req, CNTRFS_OP_GETXATTR, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  fd_path(path, sizeof path, b.fd);
  if (size == 0)
    {
      n = getxattr(path, name, NULL, 0);
      if (n < 0)
        reply_errno(req);
      else
        fuse_reply_xattr(req, (size_t)n);
      return;
    }
  buf = malloc(size);
  if (buf == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  n = getxattr(path, name, buf, size);
  if (n < 0)
    reply_errno(req);
  else
    fuse_reply_buf(req, buf, (size_t)n);
}

static void
cntrfs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode, .size = size };
  cleanup_free char *buf = NULL;
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[64];
  ssize_t n;

  if (cntrfs_prologue(req, CNTRFS_OP_LISTXATTR, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  fd_path(path, sizeof path, b.fd);
  if (size == 0)
    {
      n = listxattr(path, NULL, 0);
      if (n < 0)
        reply_errno(req);
      else
        fuse_reply_xattr(req, (size_t)n);
      return;
    }
  buf = malloc(size);
  if (buf == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  n = listxattr(path, buf, size);
  if (n < 0)
    reply_errno(req);
  else
    fuse_reply_buf(req, buf, (size_t)n);
}

static void
cntrfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[64];

  if (cntrfs_prologue(req, CNTRFS_OP_REMOVEXATTR, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  fd_path(path, sizeof path, b.fd);
  if (removexattr(path, name) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

/* With default_permissions the kernel checks access itself and never sends
   this; it is here for mounts without that option.  Checked as the caller
   (AT_EACCESS: against the fs ids we switched to). */
static void
cntrfs_op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode, .mask = mask, .writes = (mask & W_OK) != 0 };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  struct creds c;
  int res;

  if (cntrfs_prologue(req, CNTRFS_OP_ACCESS, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  res = creds_enter(req, fs, &c);
  if (res == 0 && faccessat(b.fd, "", mask, AT_EMPTY_PATH | AT_EACCESS) < 0)
    res = neg_errno();
  creds_leave(fs, &c);
  reply_status(req, res);
}

static void
cntrfs_op_create(fuse_req_t req, fuse_ino_t parent_ino, const char *name, mode_t mode,
                 struct fuse_file_info *fi)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *parent = inode_of(fs, parent_ino);
  cleanup_free struct cntrfs_file *fh = NULL;
  cleanup_inode_fd struct inode_fd pfd = INODE_FD_INIT;
  struct fuse_entry_param e;
  struct creds c;
  struct cntrfs_request r = { .parent = parent, .name = name, .fi = fi, .writes = true };
  int flags = fi->flags;
  int res;

  if (cntrfs_prologue(req, CNTRFS_OP_CREATE, &r))
    return;
  fh = file_new();
  if (fh == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  if (flags & O_DIRECT)
    {
      flags &= ~O_DIRECT;
      fi->direct_io = 1;
    }
  /* O_NOFOLLOW: should the name have become a symlink since the kernel
     looked, do not follow it out of the layer. */
  flags = (flags & ~O_NOCTTY) | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
  if (inode_fd_get(&fs->inodes, parent, &pfd) < 0)
    {
      reply_errno(req);
      return;
    }

  res = creds_enter(req, fs, &c);
  if (res == 0)
    {
      fh->fd = openat(pfd.fd, name, flags, mode & 07777);
      if (fh->fd < 0)
        res = neg_errno();
    }
  creds_leave(fs, &c);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }

  res = lookup_at(fs, parent, pfd.fd, name, &e);
  if (res < 0)
    {
      close(fh->fd);
      reply_err(req, res);
      return;
    }
  (void)inode_fd_get(&fs->inodes, inode_of(fs, e.ino), &fh->inode_fd);
  fi->keep_cache = 1;
  reply_open_handle(req, fs, fi, &fh->h, &e);
  fh = NULL;
}

/* flock(2) may wait for a long time; when the caller is interrupted, the
   kernel tells us and we interrupt the waiting worker. */
struct flock_wait
{
  pthread_t thread;
};

static void
flock_interrupted(fuse_req_t req, void *data)
{
  struct flock_wait *w = data;

  (void)req;
  pthread_kill(w->thread, CNTRFS_WAKE_SIGNAL);
}

static void
cntrfs_op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  struct flock_wait w = { .thread = pthread_self() };
  int res;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FLOCK, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, 0);
      return;
    }
  if (!(op & LOCK_NB))
    fuse_req_interrupt_func(req, flock_interrupted, &w);
  res = flock(fh->fd, op) < 0 ? neg_errno() : 0;
  if (!(op & LOCK_NB))
    fuse_req_interrupt_func(req, NULL, NULL);
  reply_status(req, res);
}

static void
cntrfs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                    struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FALLOCATE, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    fuse_reply_err(req, EBADF);
  else if (fallocate(fh->fd, mode, offset, length) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

static void
cntrfs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
                      struct fuse_file_info *fi)
{
  do_readdir(req, ino, size, offset, fi, true);
}

static void
cntrfs_op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                          struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
                          struct fuse_file_info *fi_out, size_t len, int flags)
{
  struct cntrfs_request r = { .fi = fi_in };
  struct cntrfs_file *in = file_of(fi_in);
  struct cntrfs_file *out = file_of(fi_out);
  loff_t oi = off_in, oo = off_out;
  ssize_t n;

  (void)ino_in;
  (void)ino_out;
  if (cntrfs_prologue(req, CNTRFS_OP_COPY_FILE_RANGE, &r))
    return;
  /* The kernel falls back to copying through the page cache on
     EOPNOTSUPP; that also applies the interpreter rewrite. */
  if (in->content != CONTENT_FD || out->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, EOPNOTSUPP);
      return;
    }
  n = copy_file_range(in->fd, &oi, out->fd, &oo, len, (unsigned)flags);
  if (n < 0)
    reply_errno(req);
  else
    fuse_reply_write(req, (size_t)n);
}

static void
cntrfs_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  struct stat st;
  off_t size = 0; /* as served */
  off_t res;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_LSEEK, &r))
    return;
  switch (fh->content)
    {
    case CONTENT_MEMORY:
      size = (off_t)fh->u.memory.size;
      break;
    case CONTENT_SCRIPT_HEAD:
      if (fstat(fh->fd, &st) < 0)
        {
          reply_errno(req);
          return;
        }
      size = script_head_size(&fh->u.script, st.st_size);
      break;
    case CONTENT_FD:
    case CONTENT_PATCHED_INTERP:
      res = lseek(fh->fd, off, whence);
      if (res < 0)
        reply_errno(req);
      else
        fuse_reply_lseek(req, res);
      return;
    }
  /* No holes in what we present. */
  if ((whence != SEEK_DATA && whence != SEEK_HOLE) || off < 0)
    fuse_reply_err(req, EINVAL);
  else if (off >= size)
    fuse_reply_err(req, ENXIO);
  else
    fuse_reply_lseek(req, whence == SEEK_DATA ? off : size);
}

static void
cntrfs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
  struct cntrfs *fs = fs_of(req);

  for (size_t i = 0; i < count; i++)
    unref_entry(fs, forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

const struct fuse_lowlevel_ops cntrfs_ops = {
  .init = cntrfs_op_init,
  .lookup = cntrfs_op_lookup,
  .forget = cntrfs_op_forget,
  .getattr = cntrfs_op_getattr,
  .setattr = cntrfs_op_setattr,
  .readlink = cntrfs_op_readlink,
  .mknod = cntrfs_op_mknod,
  .mkdir = cntrfs_op_mkdir,
  .unlink = cntrfs_op_unlink,
  .rmdir = cntrfs_op_rmdir,
  .symlink = cntrfs_op_symlink,
  .rename = cntrfs_op_rename,
  .link = cntrfs_op_link,
  .open = cntrfs_op_open,
  .read = cntrfs_op_read,
  .write_buf = cntrfs_op_write_buf,
  .flush = cntrfs_op_flush,
  .release = cntrfs_op_release,
  .fsync = cntrfs_op_fsync,
  .opendir = cntrfs_op_opendir,
  .readdir = cntrfs_op_readdir,
  .releasedir = cntrfs_op_releasedir,
  .fsyncdir = cntrfs_op_fsyncdir,
  .statfs = cntrfs_op_statfs,
  .setxattr = cntrfs_op_setxattr,
  .getxattr = cntrfs_op_getxattr,
  .listxattr = cntrfs_op_listxattr,
  .removexattr = cntrfs_op_removexattr,
  .access = cntrfs_op_access,
  .create = cntrfs_op_create,
  .flock = cntrfs_op_flock,
  .fallocate = cntrfs_op_fallocate,
  .readdirplus = cntrfs_op_readdirplus,
  .copy_file_range = cntrfs_op_copy_file_range,
  .lseek = cntrfs_op_lseek,
  .forget_multi = cntrfs_op_forget_multi,
};
