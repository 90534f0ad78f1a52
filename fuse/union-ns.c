/* SPDX-License-Identifier: MIT */
/* The changes of names in a union (cntrfs-union.h): making entries
   (mknod, mkdir, symlink, create) in the upper directory, which is copied
   up first, in place of a whiteout (a directory made there is opaque);
   removing them (the upper entry goes, and a whiteout stays where a lower
   name was; a directory must look empty, merged); renaming (a lower file
   is copied up first; a directory with a lower part is EXDEV, as in
   overlayfs without redirect_dir, and mv copies instead); linking (of the
   copy).  Each runs under the ns lock, held for writing, and keeps the
   entries' places (union_node) in step. */
#include "cntrfs-union.h"
#include "cntrfs-caller.h"
#include "cntrfs-internal.h"
#include "cntrfs-ops.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The upper directory of a resolved name, made when there is none yet. */
static int
upper_dir_of(struct cntrfs *fs, struct cntrfs_inode *dir, struct union_name *n)
{
  if (n->upper_dir < 0)
    {
      n->upper_dir = union_ensure_upper_dir(fs, dir);
      if (n->upper_dir < 0)
        return n->upper_dir;
    }
  return 0;
}

/* Make name free in the upper directory for a new entry: the whiteout
   there (if any) goes. */
static int
clear_whiteout(const struct union_name *n, const char *name)
{
  if (n->upper_fd >= 0 && n->whiteout && unlinkat(n->upper_dir, name, 0) < 0)
    return neg_errno();
  return 0;
}

/* A new entry at a name: its upper directory made, a whiteout of it
   removed; -EEXIST where the session sees something. */
static int
prepare_new(struct cntrfs *fs, struct cntrfs_inode *dir, const char *name, struct union_name *n)
{
  int res = union_resolve(fs, dir, name, n);

  if (res == 0 && union_visible(n))
    res = -EEXIST;
  if (res == 0)
    res = upper_dir_of(fs, dir, n);
  if (res == 0)
    res = clear_whiteout(n, name);
  return res;
}

/* The attributes of what the session sees at a resolved, visible name. */
static const struct stat *
visible_stat(const struct union_name *n)
{
  return n->upper_fd >= 0 ? &n->ust : &n->lst;
}

int
union_make(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
           mode_t mode, dev_t rdev, const char *link, struct fuse_entry_param *e)
{
  struct union_name n = UNION_NAME_INIT;
  struct creds c;
  int res;

  /* The whiteout format is the union's own (as in overlayfs). */
  if (link == NULL && S_ISCHR(mode) && rdev == 0)
    return -EPERM;
  pthread_rwlock_wrlock(&fs->un->ns);
  res = prepare_new(fs, parent, name, &n);
  if (res == 0)
    {
      res = creds_enter(req, fs, &c);
      if (res == 0)
        {
          if (link != NULL)
            res = symlinkat(link, n.upper_dir, name);
          else if (S_ISDIR(mode))
            res = mkdirat(n.upper_dir, name, mode & 07777);
          else
            res = mknodat(n.upper_dir, name, mode, rdev);
          if (res < 0)
            res = neg_errno();
        }
      creds_leave(fs, &c);
    }
  /* A directory made where a lower name was hides what is below that. */
  if (res == 0 && S_ISDIR(mode) && link == NULL && n.lower_fd >= 0)
    {
      res = union_set_opaque(n.upper_dir, name);
      if (res < 0)
        unlinkat(n.upper_dir, name, AT_REMOVEDIR);
    }
  if (res == 0)
    res = union_lookup_locked(fs, parent, name, e);
  pthread_rwlock_unlock(&fs->un->ns);
  union_name_release(&n);
  return res;
}

int
union_create(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
             mode_t mode, int flags, int *fd, struct fuse_entry_param *e)
{
  struct union_name n = UNION_NAME_INIT;
  struct creds c;
  int res;

  *fd = -1;
  pthread_rwlock_wrlock(&fs->un->ns);
  res = prepare_new(fs, parent, name, &n);
  if (res == -EEXIST && !(flags & O_EXCL))
    {
      /* The kernel creates what it has not looked up (its negative entry
         was stale): an existing file opens (and is copied up, if for
         writing) as OPEN does; a symlink is not followed (O_NOFOLLOW). */
      mode_t type = visible_stat(&n)->st_mode & S_IFMT;
      res = type == S_IFDIR ? -EISDIR : type == S_IFLNK ? -ELOOP : 1;
    }
  if (res == 0)
    {
      res = creds_enter(req, fs, &c);
      if (res == 0)
        {
          *fd = openat(n.upper_dir, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       mode & 07777);
          if (*fd < 0)
            res = neg_errno();
        }
      creds_leave(fs, &c);
    }
  if (res == 0)
    res = union_lookup_locked(fs, parent, name, e);
  if (res < 0 && *fd >= 0)
    {
      close(*fd);
      *fd = -1;
    }
  pthread_rwlock_unlock(&fs->un->ns);
  union_name_release(&n);
  return res;
}

/* The key of the inode the session sees there: a merged directory is its
   lower one's. */
static const struct stat *
visible_key(const struct union_name *n)
{
  return n->upper_fd >= 0 && !union_lower_dir(n) ? &n->ust : &n->lst;
}

/* Whether the directory at a visible name looks empty, merged. */
static int
check_empty(const struct union_name *n)
{
  bool upper = n->upper_fd >= 0;
  bool lower = n->lower_fd >= 0 && S_ISDIR(n->lst.st_mode) && (!upper || !n->opaque);

  return union_dir_empty(upper ? n->upper_fd : -1, lower ? n->lower_fd : -1);
}

/* The entry the kernel holds for a name loses its place in the tree. */
static void
unplace(struct cntrfs *fs, const struct stat *key)
{
  struct cntrfs_inode *held = union_held(fs, key);

  if (held != NULL)
    {
      union_node_unplace(fs, held);
      inode_table_unref(&fs->inodes, held, 1);
    }
}

/* Take the upper entry of a visible name away (a directory, looking
   empty, with its whiteouts). */
static int
remove_upper(const struct union_name *n, const char *name)
{
  int res = 0;

  if (n->upper_fd < 0 || n->whiteout)
    return 0;
  if (S_ISDIR(n->ust.st_mode))
    res = union_clear_whiteouts(n->upper_dir, name);
  if (res == 0 && unlinkat(n->upper_dir, name, S_ISDIR(n->ust.st_mode) ? AT_REMOVEDIR : 0) < 0)
    res = neg_errno();
  return res;
}

int
union_remove(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name, bool dir)
{
  struct union_name n = UNION_NAME_INIT;
  struct stat key;
  int res;

  pthread_rwlock_wrlock(&fs->un->ns);
  res = union_resolve(fs, parent, name, &n);
  if (res == 0 && !union_visible(&n))
    res = -ENOENT;
  if (res == 0 && S_ISDIR(visible_stat(&n)->st_mode) != dir)
    res = dir ? -ENOTDIR : -EISDIR;
  if (res == 0 && dir)
    res = check_empty(&n);
  if (res == 0)
    {
      key = *visible_key(&n);
      res = remove_upper(&n, name);
    }
  /* A lower name stays hidden. */
  if (res == 0 && n.lower_fd >= 0)
    {
      res = upper_dir_of(fs, parent, &n);
      if (res == 0)
        res = union_whiteout(n.upper_dir, name);
    }
  if (res == 0)
    unplace(fs, &key);
  pthread_rwlock_unlock(&fs->un->ns);
  union_name_release(&n);
  return res;
}

/* Before a rename: a visible name with an upper entry - a lower file is
   copied up; a directory with a lower part cannot move (EXDEV). */
static int
prepare_move(struct cntrfs *fs, struct cntrfs_inode *dir, const char *name)
{
  struct fuse_entry_param e;
  struct cntrfs_inode *inode;
  int res = union_lookup(fs, dir, name, &e);

  if (res < 0)
    return res;
  inode = inode_of(fs, e.ino);
  if (S_ISDIR(e.attr.st_mode))
    res = union_is_upper(inode) ? 0 : -EXDEV;
  else
    res = union_copy_up(fs, inode, true);
  unref_entry(fs, e.ino, 1);
  return res;
}

/* The entry the kernel holds for a moved name takes its new place. */
static void
place(struct cntrfs *fs, const struct stat *key, struct cntrfs_inode *dir, const char *name)
{
  struct cntrfs_inode *held = union_held(fs, key);

  if (held != NULL)
    {
      (void)union_node_place(fs, held, dir, name);
      inode_table_unref(&fs->inodes, held, 1);
    }
}

/* The destination of a rename without RENAME_EXCHANGE: a name the moved
   entry may take (as rename(2) checks it), made free in the upper
   directory; *replaced set when an entry the session sees goes. */
static int
prepare_target(struct cntrfs *fs, struct cntrfs_inode *dir, const char *name, struct union_name *d,
               const struct union_name *s, unsigned flags, bool *replaced)
{
  bool src_dir = S_ISDIR(s->ust.st_mode);
  int res;

  *replaced = union_visible(d);
  if (*replaced)
    {
      bool dst_dir = S_ISDIR(visible_stat(d)->st_mode);

      if (flags & RENAME_NOREPLACE)
        return -EEXIST;
      if (src_dir != dst_dir)
        return src_dir ? -ENOTDIR : -EISDIR;
      if (dst_dir)
        {
          res = check_empty(d);
          if (res < 0)
            return res;
        }
    }
  res = upper_dir_of(fs, dir, d);
  if (res == 0)
    res = clear_whiteout(d, name);
  if (res == 0 && *replaced && d->upper_fd >= 0 && S_ISDIR(d->ust.st_mode))
    res = union_clear_whiteouts(d->upper_dir, name);
  return res;
}

int
union_rename(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
             struct cntrfs_inode *newparent, const char *newname, unsigned flags)
{
  struct union_name s = UNION_NAME_INIT, d = UNION_NAME_INIT;
  bool exchange = (flags & RENAME_EXCHANGE) != 0, replaced = false;
  struct stat skey, dkey;
  int res;

  if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
    return -EINVAL;
  res = prepare_move(fs, parent, name);
  if (res == 0 && exchange)
    res = prepare_move(fs, newparent, newname);
  if (res < 0)
    return res;

  pthread_rwlock_wrlock(&fs->un->ns);
  res = union_resolve(fs, parent, name, &s);
  if (res == 0)
    res = union_resolve(fs, newparent, newname, &d);
  /* Both prepared: upper entries (unless something moved meanwhile). */
  if (res == 0 && (!union_visible(&s) || (exchange && !union_visible(&d))))
    res = -ENOENT;
  if (res == 0
      && (s.upper_fd < 0 || union_lower_dir(&s)
          || (exchange && (d.upper_fd < 0 || union_lower_dir(&d)))))
    res = -EXDEV;
  if (res == 0 && exchange)
    res = upper_dir_of(fs, newparent, &d);
  else if (res == 0)
    res = prepare_target(fs, newparent, newname, &d, &s, flags, &replaced);
  if (res == 0)
    {
      skey = s.ust;
      dkey = *visible_key(&d);
      if (renameat2(s.upper_dir, name, d.upper_dir, newname, exchange ? RENAME_EXCHANGE : 0) < 0)
        res = neg_errno();
    }
  /* The old name hides its lower entry; a directory now where a lower
     name is must not merge with it. */
  if (res == 0 && !exchange && s.lower_fd >= 0)
    res = union_whiteout(s.upper_dir, name);
  if (res == 0 && S_ISDIR(s.ust.st_mode) && d.lower_fd >= 0)
    res = union_set_opaque(d.upper_dir, newname);
  if (res == 0 && exchange && S_ISDIR(d.ust.st_mode) && s.lower_fd >= 0)
    res = union_set_opaque(s.upper_dir, name);
  if (res == 0)
    {
      if (replaced)
        unplace(fs, &dkey);
      place(fs, &skey, newparent, newname);
      if (exchange)
        place(fs, &dkey, parent, name);
    }
  pthread_rwlock_unlock(&fs->un->ns);
  union_name_release(&s);
  union_name_release(&d);
  return res;
}

int
union_link(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_inode *newparent,
           const char *newname, struct fuse_entry_param *e)
{
  struct union_name n = UNION_NAME_INIT;
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  char path[FD_PATH_SIZE];
  int res = union_copy_up(fs, inode, true);

  if (res < 0)
    return res;
  entry_init(e);
  pthread_rwlock_wrlock(&fs->un->ns);
  res = prepare_new(fs, newparent, newname, &n);
  if (res == 0 && (!union_is_upper(inode) || inode_fd_get(&fs->inodes, inode, &b) < 0))
    res = union_is_upper(inode) ? neg_errno() : -EXDEV;
  if (res == 0)
    {
      /* The /proc link leads to the inode itself, symlinks included. */
      fd_path(path, b.fd);
      if (linkat(AT_FDCWD, path, n.upper_dir, newname, AT_SYMLINK_FOLLOW) < 0)
        res = neg_errno();
    }
  if (res == 0)
    res = union_stat(fs, inode, &e->attr);
  if (res == 0)
    {
      inode_table_ref_existing(&fs->inodes, inode);
      e->ino = (fuse_ino_t)(uintptr_t)inode;
      e->attr_timeout = e->entry_timeout = entry_timeout_of(fs, inode);
    }
  pthread_rwlock_unlock(&fs->un->ns);
  union_name_release(&n);
  return res;
}
