/* SPDX-License-Identifier: MIT */
/* What the request handlers share: reaching the server and an inode from a
   request, replying a helper's result, and the entry bookkeeping
   (ops.c). */
#ifndef CNTR_FUSE_OPS_H
#define CNTR_FUSE_OPS_H

#include "cntrfs-internal.h"

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

/* Undo n lookups of ino (a forget, or an entry the kernel never
   received); virtual inodes are never counted. */
void unref_entry(struct cntrfs *fs, fuse_ino_t ino, uint64_t n);

#endif
