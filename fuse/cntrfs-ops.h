/* SPDX-License-Identifier: MIT */
/* The request path: what every handler (ops.c, file.c, readdir.c,
   xattr.c) shares - the request prologue and its per-operation policy,
   reaching the server and an inode from a request, replying a helper's
   result, and the entry and lookup-count bookkeeping (ops.c).

   Every handler replies exactly once, with the errno of the system call
   that failed (ENOMEM when an allocation fails), and never aborts. */
#ifndef CNTR_FUSE_OPS_H
#define CNTR_FUSE_OPS_H

#include "cntrfs-internal.h"
#include "cntrfs-virtual.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static inline struct cntrfs *
fs_of(fuse_req_t req)
{
  return fuse_req_userdata(req);
}

static inline struct cntrfs_inode *
inode_of(struct cntrfs *fs, fuse_ino_t ino)
{
  if (ino == FUSE_ROOT_ID)
    return fs->root;
  return (struct cntrfs_inode *)(uintptr_t)ino;
}

/* Reply a helper's failure (a negative errno, cntrfs-internal.h). */
static inline void
reply_err(fuse_req_t req, int neg)
{
  fuse_reply_err(req, neg < 0 ? -neg : EIO);
}

/* Reply a helper's result to a request answered by a status only. */
static inline void
reply_status(fuse_req_t req, int res)
{
  if (res < 0)
    reply_err(req, res);
  else
    fuse_reply_err(req, 0);
}

/* Reply the errno of the system call that just failed. */
static inline void
reply_errno(fuse_req_t req)
{
  reply_err(req, neg_errno());
}

/* FSYNC and FSYNCDIR of fd, what a handle has open; -1 (virtual entries:
   nothing) syncs nothing. */
static inline void
reply_sync(fuse_req_t req, int fd, int datasync)
{
  if (fd >= 0 && (datasync ? fdatasync(fd) : fsync(fd)) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

/* One request, as the rules it goes through see it (virtual.c). */
struct cntrfs_request
{
  struct cntrfs_inode *inode;  /* the inode acted on, or NULL */
  struct cntrfs_inode *parent; /* the directory of name, or NULL */
  const char *name;
  struct cntrfs_inode *parent2; /* rename: the directory of name2 */
  const char *name2;
  /* open, create, opendir: the open's; getattr, setattr: the handle the
     request was made through, or NULL. */
  struct fuse_file_info *fi;
  int mask;    /* access */
  size_t size; /* listxattr */
  /* open, access, create: whether the request would change the file. */
  bool writes;
};

/* The operations that reply, as the request prologue knows them. */
enum cntrfs_op
{
  CNTRFS_OP_LOOKUP,
  CNTRFS_OP_GETATTR,
  CNTRFS_OP_SETATTR,
  CNTRFS_OP_READLINK,
  CNTRFS_OP_MKNOD,
  CNTRFS_OP_MKDIR,
  CNTRFS_OP_UNLINK,
  CNTRFS_OP_RMDIR,
  CNTRFS_OP_SYMLINK,
  CNTRFS_OP_RENAME,
  CNTRFS_OP_LINK,
  CNTRFS_OP_OPEN,
  CNTRFS_OP_READ,
  CNTRFS_OP_WRITE,
  CNTRFS_OP_FLUSH,
  CNTRFS_OP_FSYNC,
  CNTRFS_OP_OPENDIR,
  CNTRFS_OP_READDIR,
  CNTRFS_OP_FSYNCDIR,
  CNTRFS_OP_STATFS,
  CNTRFS_OP_SETXATTR,
  CNTRFS_OP_GETXATTR,
  CNTRFS_OP_LISTXATTR,
  CNTRFS_OP_REMOVEXATTR,
  CNTRFS_OP_ACCESS,
  CNTRFS_OP_CREATE,
  CNTRFS_OP_FLOCK,
  CNTRFS_OP_FALLOCATE,
  CNTRFS_OP_READDIRPLUS,
  CNTRFS_OP_COPY_FILE_RANGE,
  CNTRFS_OP_LSEEK,
  CNTRFS_OP_COUNT
};

/* The flags of an operation's policy. */
enum op_flag
{
  /* Only processes of the session's mount namespace are answered
     (cntrfs_restrict_to_mount_ns); others get EACCES. */
  OP_CHECK_CALLER = 1 << 0,
  /* ... unless the request is made through an open handle (r->fi), whose
     open was checked. */
  OP_HANDLE_TRUSTED = 1 << 1,
  /* A refused request names an entry the kernel may hold: ENOMEM rather
     than EACCES for those (refused_lookup_err in ops.c says why). */
  OP_HELD_NAMES = 1 << 2,
  /* A read-only layer answers EROFS, before anything else. */
  OP_MUTATES = 1 << 3,
  /* A read-only layer answers EROFS when r->writes, after the virtual
     entries answered for themselves. */
  OP_MAY_WRITE = 1 << 4,
};

struct op_policy
{
  unsigned flags;                  /* enum op_flag */
  const struct virtual_rule *virt; /* what virtual entries answer; NULL: nothing */
};

/* The policy of every operation (ops.c). */
extern const struct op_policy cntrfs_op_policy[CNTRFS_OP_COUNT];

/* The request prologue: applies op's policy to r.  True when that replied
   (the handler then returns at once), false when the handler serves the
   request from the real tree. */
bool cntrfs_prologue(fuse_req_t req, enum cntrfs_op op, struct cntrfs_request *r);

/* Whether an open with these flags may change the file. */
static inline bool
opens_for_write(int flags)
{
  return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* Whether the host policy seals inode (NULL: no). */
static inline bool
inode_sealed(const struct cntrfs *fs, const struct cntrfs_inode *inode)
{
  return fs->policy.enabled && inode != NULL && inode->has_marks && inode->marks.sealed;
}

/* The attributes of inode's own file (lstat): 0, or a negative errno. */
int stat_inode(struct cntrfs *fs, struct cntrfs_inode *inode, struct stat *st);

/* What the host policy says of opening inode for mask (R_OK, X_OK): 0 or
   a negative errno. */
int host_policy_open(struct cntrfs *fs, struct cntrfs_inode *inode, int mask);

/* How long the kernel may trust what it caches of an inode: long when the
   watcher reports its changes, or the server makes all of them. */
double entry_timeout_of(struct cntrfs *fs, struct cntrfs_inode *inode);

/* The timeouts of an entry the server does not know the watcher covers. */
void entry_init(struct fuse_entry_param *e);

/* Look name up in the real directory parent (".." of the root is the
   root): 0, or a negative errno.  On success the entry's lookup count was
   raised by one. */
int do_lookup(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
              struct fuse_entry_param *e);

/* Reply a LOOKUP of a name in parent whose result was res (0, or a
   negative errno; a missing name may become a negative entry). */
void reply_lookup(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *parent, int res,
                  struct fuse_entry_param *e);

/* Reply an entry whose lookup count was raised; undone if the kernel
   never receives it. */
void reply_entry(fuse_req_t req, struct cntrfs *fs, const struct fuse_entry_param *e);

/* Undo n lookups of ino (a forget, or an entry the kernel never
   received); virtual inodes are never counted. */
void unref_entry(struct cntrfs *fs, fuse_ino_t ino, uint64_t n);

/* The system calls that need a real open file, not an O_PATH fd: the
   inode reopened through /proc/self/fd with flags (O_NOATIME on read-only
   layers where allowed).  The new fd, or a negative errno. */
int reopen_inode(struct cntrfs *fs, struct cntrfs_inode *inode, int flags);

/* Look up name in the real directory parent, given an fd of it (O_PATH or
   open): as do_lookup.  A directory found gets a watch; a file found in a
   watched directory is watched through it (FAN_EVENT_ON_CHILD). */
int lookup_at(struct cntrfs *fs, struct cntrfs_inode *parent, int parent_fd, const char *name,
              struct fuse_entry_param *e);

/* The handlers outside ops.c, for its ops table: capability negotiation
   (cntrfs.c), open files (file.c), open directories (readdir.c) and
   extended attributes (xattr.c). */
void cntrfs_op_init(void *userdata, struct fuse_conn_info *conn);
void cntrfs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cntrfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
                       struct fuse_file_info *fi);
void cntrfs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
                           struct fuse_file_info *fi);
void cntrfs_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void cntrfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags);
void cntrfs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void cntrfs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void cntrfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);
void cntrfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cntrfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi);
void cntrfs_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in_buf, off_t off,
                         struct fuse_file_info *fi);
void cntrfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cntrfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void cntrfs_op_create(fuse_req_t req, fuse_ino_t parent_ino, const char *name, mode_t mode,
                      struct fuse_file_info *fi);
void cntrfs_op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op);
void cntrfs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                         struct fuse_file_info *fi);
void cntrfs_op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                               struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
                               struct fuse_file_info *fi_out, size_t len, int flags);
void cntrfs_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
                     struct fuse_file_info *fi);

#endif
