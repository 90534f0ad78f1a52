/* SPDX-License-Identifier: MIT */
/* Extended attributes: setxattr, getxattr, listxattr, removexattr.

   There are no *at variants that take an O_PATH fd (before Linux 6.13),
   and f*xattr refuse O_PATH fds.  The path /proc/self/fd/N, followed,
   leads to the inode itself - for a symlink the link, not its target - so
   the following (non-l) calls are the right ones: lsetxattr would act on
   the /proc magic link. */
#include "cntrfs-ops.h"
#include "cntrfs-internal.h"
#include "cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/xattr.h>

void
cntrfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
                   int flags)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[FD_PATH_SIZE];

  if (cntrfs_prologue(req, CNTRFS_OP_SETXATTR, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  fd_path(path, b.fd);
  if (setxattr(path, name, value, size, flags) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

void
cntrfs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode };
  cleanup_free char *buf = NULL;
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[FD_PATH_SIZE];
  ssize_t n;

  if (cntrfs_prologue(req, CNTRFS_OP_GETXATTR, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  fd_path(path, b.fd);
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

void
cntrfs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode, .size = size };
  cleanup_free char *buf = NULL;
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[FD_PATH_SIZE];
  ssize_t n;

  if (cntrfs_prologue(req, CNTRFS_OP_LISTXATTR, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  fd_path(path, b.fd);
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

void
cntrfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r = { .inode = inode };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[FD_PATH_SIZE];

  if (cntrfs_prologue(req, CNTRFS_OP_REMOVEXATTR, &r))
    return;
  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    {
      reply_errno(req);
      return;
    }
  fd_path(path, b.fd);
  if (removexattr(path, name) < 0)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}
