/* SPDX-License-Identifier: MIT */
/* Open directories: opendir, the listing (readdir, and readdirplus with
   its lookup accounting: every entry it returns with attributes counts as
   a lookup, and one that did not fit in the reply is undone), releasedir
   and fsyncdir.  A virtual directory's listing is its entry's. */
#include "cntrfs-ops.h"
#include "cntrfs-handle.h"
#include "cntrfs-internal.h"
#include "cntrfs-virtual.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
cntrfs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  cleanup_free struct cntrfs_dir *d = NULL;
  struct cntrfs_request r = { .inode = inode, .fi = fi };
  int fd;

  if (cntrfs_prologue(req, CNTRFS_OP_OPENDIR, &r))
    return;
  int res = host_policy_open(fs, inode, R_OK);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  d = dir_new();
  if (d == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  d->sealed = inode_sealed(fs, inode);
  /* A union directory with an upper part: listed from both layers at the
     first READDIR. */
  if (fs->un != NULL && union_listed(inode))
    {
      d->merged = true;
      fi->keep_cache = 1;
      fi->cache_readdir = 1;
      reply_open_handle(req, fs, fi, &d->h, NULL);
      d = NULL;
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
      res = neg_errno();
      close(fd);
      reply_err(req, res);
      return;
    }
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

/* Add one entry (d_ino ino, type a DT_*, the next at offset next) to a
   listing's reply at buf (room bytes left): its size, which is more than
   room when it did not fit (then nothing was counted).  For readdirplus
   the name is looked up in dir (in the open directory dir_fd, but in a
   union, where each entry has its place). */
static size_t
add_dirent(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *dir, int dir_fd, char *buf,
           size_t room, const char *name, ino_t ino, unsigned type, off_t next, bool plus)
{
  struct fuse_entry_param e;
  size_t entsize;
  int res;

  if (!plus)
    {
      struct stat st = { .st_ino = ino, .st_mode = (mode_t)DTTOIF(type) };
      return fuse_add_direntry(req, buf, room, name, &st, next);
    }
  if (is_dot_or_dotdot(name))
    res = -ENOENT;
  else
    res = fs->un != NULL ? union_lookup(fs, dir, name, &e) : lookup_at(fs, dir, dir_fd, name, &e);
  if (res < 0)
    {
      /* Dot entries, and entries gone since readdir: a name without
         attributes (nodeid 0 makes the kernel skip the entry's dentry,
         not the name). */
      memset(&e, 0, sizeof e);
      e.attr.st_ino = ino;
      e.attr.st_mode = (mode_t)DTTOIF(type);
    }
  entsize = fuse_add_direntry_plus(req, buf, room, name, &e, next);
  if (entsize > room)
    unref_entry(fs, e.ino, 1); /* the kernel will not learn of this lookup */
  return entsize;
}

/* A union directory's listing, made afresh from offset 0. */
static void
readdir_merged(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *dir, struct cntrfs_dir *d,
               char *buf, size_t size, off_t offset, bool plus)
{
  struct union_listing *l = &d->listing;
  size_t used = 0;

  if (offset == 0 || l->e == NULL)
    {
      int res = union_listing_make(fs, dir, l);
      if (res < 0)
        {
          reply_err(req, res);
          return;
        }
    }
  for (size_t i = offset < 0 ? 0 : (size_t)offset; i < l->n; i++)
    {
      size_t entsize
          = add_dirent(req, fs, dir, -1, buf + used, size - used, union_dirent_name(l, i),
                       l->e[i].ino, l->e[i].type, (off_t)(i + 1), plus);
      if (entsize > size - used)
        break;
      used += entsize;
    }
  fuse_reply_buf(req, buf, used);
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
  if (d->sealed)
    {
      fuse_reply_buf(req, NULL, 0);
      return;
    }
  buf = malloc(size ? size : 1);
  if (buf == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  /* A union directory listed from its lower layer alone gained an upper
     one since it was opened (something was made or removed in it): from
     the start of the listing on, both layers. */
  if (fs->un != NULL && !d->merged && offset == 0 && union_listed(dir_inode))
    d->merged = true;
  if (d->merged)
    {
      readdir_merged(req, fs, dir_inode, d, buf, size, offset, plus);
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
      if (virtual_by_name(fs, dir_inode, name) != NULL)
        {
          d->entry = NULL;
          d->offset = next;
          continue;
        }
      /* The open directory is the parent: no fd to borrow. */
      entsize = add_dirent(req, fs, dir_inode, dirfd(d->dp), buf + used, size - used, name,
                           d->entry->d_ino, d->entry->d_type, next, plus);
      if (entsize > size - used)
        break;
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

void
cntrfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
                  struct fuse_file_info *fi)
{
  do_readdir(req, ino, size, offset, fi, false);
}

void
cntrfs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
                      struct fuse_file_info *fi)
{
  do_readdir(req, ino, size, offset, fi, true);
}

void
cntrfs_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_dir *d = dir_of(fi);

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FSYNCDIR, &r))
    return;
  reply_sync(req, d->dp != NULL ? dirfd(d->dp) : -1, datasync);
}
