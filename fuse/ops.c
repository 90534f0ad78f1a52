/* SPDX-License-Identifier: MIT */
/* The request path (cntrfs-ops.h) and the passthrough of names and inodes.

   Every request starts in the prologue here, driven by the per-operation
   policy table cntrfs_op_policy: it checks the caller, refuses mutations
   of a read-only layer and lets the virtual entries answer for themselves
   (virtual.c).  What is left is passed through to the layer; this file
   does so for lookup and forget (with the entry and lookup-count
   bookkeeping the other handlers share), attributes, readlink, creating,
   removing, renaming and linking names, statfs and access, and holds the
   ops table.  Open files are file.c's, open directories readdir.c's,
   extended attributes xattr.c's.

   Inodes have O_PATH fds (inode.h), borrowed for the length of one
   operation: the table may close idle ones and reopen them by file handle.
   Operations that need a real open file reopen the O_PATH fd through
   /proc/self/fd (fs->proc_fd), which reaches the very inode without walking
   any path; operations that work on O_PATH fds directly use AT_EMPTY_PATH. */
#include "cntrfs-ops.h"
#include "cntrfs-caller.h"
#include "cntrfs-handle.h"
#include "cntrfs-internal.h"
#include "cntrfs-killpriv.h"
#include "cntrfs-link.h"
#include "cntrfs-virtual.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

int
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
   a (magic) link.  Read-only layers, and the lower layer of a union (never
   written, not even its atimes), ask for O_NOATIME, which fails with EPERM
   where the kernel does not allow it. */
int
reopen_inode(struct cntrfs *fs, struct cntrfs_inode *inode, int flags)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char name[FD_NAME_SIZE];
  int fd;

  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    return neg_errno();
  fd_name(name, b.fd);
  flags &= ~(O_NOFOLLOW | O_CREAT | O_EXCL | O_NOCTTY);
  flags |= O_CLOEXEC;
  if (fs->opt.read_only || (fs->un != NULL && !union_is_upper(inode)))
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

void
entry_init(struct fuse_entry_param *e)
{
  memset(e, 0, sizeof *e);
  e->attr_timeout = CNTRFS_TIMEOUT;
  e->entry_timeout = CNTRFS_TIMEOUT;
}

double
entry_timeout_of(struct cntrfs *fs, struct cntrfs_inode *inode)
{
  if (virtual_of(fs, inode) != NULL)
    return CNTRFS_TIMEOUT;
  /* The server is the only one to change the upper layer. */
  if (union_is_upper(inode) || inode_table_is_watched(&fs->inodes, inode))
    return CNTRFS_WATCHED_TIMEOUT;
  return CNTRFS_TIMEOUT;
}

/* What the host policy says of name in parent (fd: the child, st its
   stat): 0 with the child's marks, or a negative errno. */
static int
policy_lookup_at(struct cntrfs *fs, struct cntrfs_inode *parent, int parent_fd, const char *name,
                 int fd, const struct stat *st, struct policy_marks *marks)
{
  struct policy_marks none = { 0 };
  struct stat pst;
  struct statfs sf = { 0 };

  if (fstatat(parent_fd, "", &pst, AT_EMPTY_PATH) < 0)
    return neg_errno();
  /* Only a mount root can be a pseudo file system's. */
  if (S_ISDIR(st->st_mode) && st->st_dev != pst.st_dev && fstatfs(fd, &sf) < 0)
    return neg_errno();
  return policy_lookup(&fs->policy, parent->has_marks ? &parent->marks : &none, &pst,
                       parent == fs->root, name, st, (unsigned long)sf.f_type, marks);
}

int
host_policy_open(struct cntrfs *fs, struct cntrfs_inode *inode, int mask)
{
  struct stat st;
  struct policy_marks none = { 0 };
  int res;

  if (!fs->policy.enabled || virtual_of(fs, inode) != NULL || union_is_upper(inode))
    return 0;
  res = stat_inode(fs, inode, &st);
  if (res < 0)
    return res;
  return policy_open(&fs->policy, inode->has_marks ? &inode->marks : &none, &st, mask);
}

/* Look up a name of the real directory parent, given an fd of it (O_PATH
   or open); as do_lookup.  A directory found gets a watch; a file found in
   a watched directory is watched through it (FAN_EVENT_ON_CHILD). */
int
lookup_at(struct cntrfs *fs, struct cntrfs_inode *parent, int parent_fd, const char *name,
          struct fuse_entry_param *e)
{
  cleanup_close int fd = -1;
  struct cntrfs_inode *inode;
  struct stat st;

  struct policy_marks marks = { 0 };

  entry_init(e);
  if (fs->policy.enabled && parent->has_marks && parent->marks.sealed)
    return -ENOENT;
  fd = openat(parent_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return neg_errno();
  if (fs->policy.enabled)
    {
      int res = policy_lookup_at(fs, parent, parent_fd, name, fd, &st, &marks);
      if (res < 0)
        return res;
    }
  inode = inode_table_ref(&fs->inodes, &fd, &st);
  if (inode == NULL)
    return -ENOMEM;
  if (fs->policy.enabled && !inode->has_marks)
    {
      inode->marks = marks;
      inode->has_marks = true;
    }
  /* Where it is now: a link confined by its depth follows a directory the
     layer's owner moves (the watcher has the kernel look it up again). */
  inode->depth = parent->depth + 1;
  /* Both: a directory needs its own mark for the names in it. */
  if (cntrfs_watch_dir(fs->watch, inode, &st) | inode_table_is_marked(&fs->inodes, parent))
    inode_table_set_watched(&fs->inodes, inode);
  e->attr_timeout = e->entry_timeout = entry_timeout_of(fs, inode);
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
  if (virtual_of(fs, dir) != NULL)
    return false;
  /* An upper directory changes through the mount only. */
  return union_is_upper(dir) || inode_table_is_marked(&fs->inodes, dir);
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
  if (fs->un != NULL)
    return union_name_known(fs, parent, name) ? -ENOMEM : -EACCES;
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
  /* Nothing is made in, or taken from, what the host policy seals. */
  if ((p->flags & (OP_MUTATES | OP_MAY_WRITE))
      && (inode_sealed(fs, r->parent) || inode_sealed(fs, r->parent2)))
    {
      fuse_reply_err(req, EACCES);
      return true;
    }
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
  reply_lookup(
      req, fs, parent,
      fs->un != NULL ? union_lookup(fs, parent, name, &e) : do_lookup(fs, parent, name, &e), &e);
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
  res = fs->un != NULL ? union_stat(fs, r.inode, &st) : stat_inode(fs, r.inode, &st);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  fuse_reply_attr(req, &st, entry_timeout_of(fs, r.inode));
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
set_attributes(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *inode, int fd,
               struct fuse_file_info *fi, const struct stat *attr, int to_set)
{
  int res;

  if (to_set & FUSE_SET_ATTR_MODE)
    {
      if (fi != NULL)
        res = fchmod(file_of(fi)->fd, attr->st_mode) < 0 ? neg_errno() : 0;
      else
        res = fd_chmod(fs->proc_fd, fd, attr->st_mode);
      if (res < 0)
        return res;
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
      /* The kernel's flag also comes with every chown, whoever asks: only
         a truncate's means the caller lacks CAP_FSETID. */
      res = killpriv_before_change(req, fs, fi != NULL ? file_of(fi)->fd : fd, KILLPRIV_FLAGGED);
      if (res == 0)
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
  if (fs->un != NULL)
    {
      /* A change of the copy; a handle may have opened the lower file. */
      bool empties = (to_set & FUSE_SET_ATTR_SIZE) && attr->st_size == 0;
      res = union_copy_up(fs, inode, !empties);
      if (res == 0)
        res = union_meta_fd(fs, inode, &b);
      fi = NULL;
    }
  else
    res = inode_fd_get(&fs->inodes, inode, &b) < 0 ? neg_errno() : 0;
  if (res == 0)
    res = set_attributes(req, fs, inode, b.fd, fi, attr, to_set);
  if (res == 0)
    res = fs->un != NULL ? union_stat(fs, inode, &st) : stat_inode(fs, inode, &st);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  fuse_reply_attr(req, &st, entry_timeout_of(fs, inode));
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
  /* The result, its NUL included, must fit in PATH_MAX like any path. */
  int len = link_present(buf, fs->opt.symlink_prefix, fs->opt.symlink_prefix_len,
                         fs->opt.confine_symlinks, inode->depth > 0 ? inode->depth - 1 : 0, out,
                         sizeof out);
  if (len < 0)
    reply_err(req, len);
  else
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
  if (fs->un != NULL)
    {
      res = union_make(req, fs, parent, name, mode, rdev, link, &e);
      if (res < 0)
        reply_err(req, res);
      else
        reply_entry(req, fs, &e);
      return;
    }
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
  if (fs->un != NULL)
    reply_status(req, union_remove(fs, parent, name, (flags & AT_REMOVEDIR) != 0));
  else if (inode_fd_get(&fs->inodes, parent, &pfd) < 0 || unlinkat(pfd.fd, name, flags) < 0)
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
  if (fs->un != NULL)
    reply_status(req, union_rename(fs, parent, name, newparent, newname, flags));
  else if (inode_fd_get(&fs->inodes, parent, &pfd) < 0
           || inode_fd_get(&fs->inodes, newparent, &npfd) < 0
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
  if (fs->un != NULL)
    {
      res = union_link(fs, inode, newparent, newname, &e);
      if (res < 0)
        reply_err(req, res);
      else
        reply_entry(req, fs, &e);
      return;
    }

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
      char name[FD_NAME_SIZE];

      fd_name(name, b.fd);
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

static void
cntrfs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_request r = { .inode = inode_of(fs, ino) };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  struct statvfs sv;

  if (cntrfs_prologue(req, CNTRFS_OP_STATFS, &r))
    return;
  /* A union's: where what is written goes (as overlayfs). */
  if (fs->un != NULL)
    {
      if (fstatvfs(fs->un->upper_root, &sv) < 0)
        reply_errno(req);
      else
        fuse_reply_statfs(req, &sv);
    }
  else if (inode_fd_get(&fs->inodes, r.inode, &b) < 0 || fstatvfs(b.fd, &sv) < 0)
    reply_errno(req);
  else
    fuse_reply_statfs(req, &sv);
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
  res = fs->un != NULL ? union_meta_fd(fs, inode, &b)
                       : (inode_fd_get(&fs->inodes, inode, &b) < 0 ? neg_errno() : 0);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  res = creds_enter(req, fs, &c);
  if (res == 0 && faccessat(b.fd, "", mask, AT_EMPTY_PATH | AT_EACCESS) < 0)
    res = neg_errno();
  creds_leave(fs, &c);
  reply_status(req, res);
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
  .releasedir = cntrfs_op_release,
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
