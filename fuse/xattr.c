/* SPDX-License-Identifier: MIT */
/* Extended attributes: setxattr, getxattr, listxattr, removexattr.

   There are no *at variants that take an O_PATH fd (before Linux 6.13),
   and f*xattr refuse O_PATH fds.  The path /proc/self/fd/N, followed,
   leads to the inode itself - for a symlink the link, not its target - so
   the following (non-l) calls are the right ones: lsetxattr would act on
   the /proc magic link. */
#include "cntrfs-ops.h"
#include "cntrfs-internal.h"
#include "cntrfs-killpriv.h"
#include "cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/limits.h>
#include <sys/xattr.h>

/* The path that reaches r's inode, its O_PATH fd borrowed into *b, and
   when buf is given and the reply may hold r->size bytes, a buffer for
   them (NULL when the kernel asks for the size only).  False when that
   failed, which was replied. */
static bool
prepare(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r, struct inode_fd *b,
        char path[FD_PATH_SIZE], char **buf)
{
  /* In a union: where its attributes are (a merged directory's upper
     one). */
  int res = fs->un != NULL ? union_meta_fd(fs, r->inode, b)
                           : (inode_fd_get(&fs->inodes, r->inode, b) < 0 ? neg_errno() : 0);

  if (res < 0)
    {
      reply_err(req, res);
      return false;
    }
  fd_path(path, b->fd);
  if (buf != NULL && r->size > 0)
    {
      *buf = malloc(r->size);
      if (*buf == NULL)
        {
          fuse_reply_err(req, ENOMEM);
          return false;
        }
    }
  return true;
}

/* What getxattr(2) or listxattr(2) returned into buf, or with buf NULL
   the size the value or list has. */
static void
reply_value(fuse_req_t req, const char *buf, ssize_t n)
{
  if (n < 0)
    reply_errno(req);
  else if (buf == NULL)
    fuse_reply_xattr(req, (size_t)n);
  else
    fuse_reply_buf(req, buf, (size_t)n);
}

/* SETXATTR (value given) and REMOVEXATTR. */
static void
change(fuse_req_t req, enum cntrfs_op op, fuse_ino_t ino, const char *name, const char *value,
       size_t size, int flags)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_request r = { .inode = inode_of(fs, ino) };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[FD_PATH_SIZE];
  int res;

  if (cntrfs_prologue(req, op, &r))
    return;
  if (fs->un != NULL)
    {
      /* A change of the copy, made first; the union's own are not the
         session's to change. */
      res = union_xattr_hidden(name) ? -EPERM : union_copy_up(fs, r.inode, true);
      if (res < 0)
        {
          reply_err(req, res);
          return;
        }
    }
  if (!prepare(req, fs, &r, &b, path, NULL))
    return;
  if (op == CNTRFS_OP_SETXATTR)
    res = setxattr(path, name, value, size, flags);
  else
    res = removexattr(path, name);
  res = res < 0 ? neg_errno() : 0;
  /* We set it as root, for whom the file system below keeps setgid. */
  if (res == 0 && op == CNTRFS_OP_SETXATTR && strcmp(name, "system.posix_acl_access") == 0)
    res = killpriv_after_acl(req, fs, b.fd);
  reply_status(req, res);
}

/* GETXATTR and LISTXATTR in a union: the union's own xattrs are not
   there.  A list is read whole and filtered, so that its size without
   them is what a size query answers. */
static void
read_union_values(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
                  const char *name)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  cleanup_free char *buf = NULL;
  struct cntrfs_request whole = *r;
  char path[FD_PATH_SIZE];
  ssize_t n;

  if (name != NULL && union_xattr_hidden(name))
    {
      fuse_reply_err(req, ENODATA);
      return;
    }
  if (name != NULL)
    {
      if (prepare(req, fs, r, &b, path, &buf))
        reply_value(req, buf, getxattr(path, name, buf, r->size));
      return;
    }
  whole.size = XATTR_LIST_MAX;
  if (!prepare(req, fs, &whole, &b, path, &buf))
    return;
  n = listxattr(path, buf, XATTR_LIST_MAX);
  if (n < 0)
    {
      reply_errno(req);
      return;
    }
  n = (ssize_t)union_xattr_filter(buf, (size_t)n);
  if (r->size == 0)
    fuse_reply_xattr(req, (size_t)n);
  else if ((size_t)n > r->size)
    fuse_reply_err(req, ERANGE);
  else
    fuse_reply_buf(req, buf, (size_t)n);
}

/* GETXATTR (of name) and LISTXATTR (name NULL): with size 0 the kernel
   asks how long the answer is. */
static void
read_values(fuse_req_t req, enum cntrfs_op op, fuse_ino_t ino, const char *name, size_t size)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_request r = { .inode = inode_of(fs, ino), .size = size };
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  cleanup_free char *buf = NULL;
  char path[FD_PATH_SIZE];

  if (cntrfs_prologue(req, op, &r))
    return;
  if (fs->un != NULL)
    {
      read_union_values(req, fs, &r, name);
      return;
    }
  if (!prepare(req, fs, &r, &b, path, &buf))
    return;
  reply_value(req, buf,
              name != NULL ? getxattr(path, name, buf, size) : listxattr(path, buf, size));
}

void
cntrfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
                   int flags)
{
  change(req, CNTRFS_OP_SETXATTR, ino, name, value, size, flags);
}

void
cntrfs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
  read_values(req, CNTRFS_OP_GETXATTR, ino, name, size);
}

void
cntrfs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
  read_values(req, CNTRFS_OP_LISTXATTR, ino, NULL, size);
}

void
cntrfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
  change(req, CNTRFS_OP_REMOVEXATTR, ino, name, NULL, 0, 0);
}
