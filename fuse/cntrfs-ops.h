/* SPDX-License-Identifier: MIT */
/* What the request handlers share: reaching the server and an inode from a
   request, replying a helper's result, and the entry bookkeeping
   (ops.c). */
#ifndef CNTR_FUSE_OPS_H
#define CNTR_FUSE_OPS_H

#include "cntrfs-internal.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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

static inline void
fd_name(char *buf, size_t size, int fd)
{
  snprintf(buf, size, "%d", fd);
}

static inline void
fd_path(char *buf, size_t size, int fd)
{
  snprintf(buf, size, "/proc/self/fd/%d", fd);
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
};

/* Whether an open with these flags may change the file. */
static inline bool
opens_for_write(int flags)
{
  return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

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

#endif
