/* SPDX-License-Identifier: MIT */
/* The union of a scratch layer and the served tree (cntrfs-union.h): its
   state, each inode's place in it (union_node: which layer its file is
   in, its parent and name), finding a directory's upper directory,
   resolving and looking names up (upper first; whiteouts hide, opaque
   directories stop the merge), what an inode presents (st_ino, a merged
   directory's attributes), the union's own xattrs and markers, and the
   switch of a file opened in the lower layer to its copy.  Copy-up is
   copyup.c's, changes of names union-ns.c's, merged listings
   union-dir.c's. */
#include "cntrfs-union.h"
#include "cntrfs-handle.h"
#include "cntrfs-internal.h"
#include "cntrfs-ops.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* "/proc/self/fd/N/NAME" */
#define NAME_PATH_SIZE (FD_PATH_SIZE + NAME_MAX + 2)

/* The name of a probe the scratch root gets for a moment at start. */
#define PROBE_NAME ".cntr-scratch-probe"

static int
dup_fd(int fd)
{
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);

  return d >= 0 ? d : neg_errno();
}

/* ---- nodes ------------------------------------------------------------- */

/* The table's release hook: a freed entry lets go of its parent. */
static void
release_node(void *arg, struct cntrfs_inode *inode, bool destroying)
{
  struct cntrfs *fs = arg;
  struct union_node *node = inode->un;

  if (node == NULL)
    return;
  inode->un = NULL;
  if (node->parent != NULL && !destroying)
    inode_table_unref(&fs->inodes, node->parent, 1);
  free(node->name);
  free(node);
}

/* The node of inode, made when it has none (with st_ino and origin; the
   node lock held).  NULL when out of memory. */
static struct union_node *
node_of_locked(struct cntrfs_inode *inode, ino_t st_ino, const struct union_origin *origin)
{
  struct union_node *node = inode->un;

  if (node == NULL)
    {
      node = calloc(1, sizeof *node);
      if (node == NULL)
        return NULL;
      node->st_ino = st_ino;
      if (origin != NULL)
        {
          node->origin_dev = (dev_t)origin->dev;
          node->origin_ino = (ino_t)origin->ino;
        }
      /* Readers of the flags take no lock: published whole. */
      __atomic_store_n(&inode->un, node, __ATOMIC_RELEASE);
    }
  return node;
}

/* Where inode is now, what was found of it (bits: enum union_flag, only
   ever added), and for a new node what it presents. */
static int
node_set(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_inode *parent,
         const char *name, unsigned bits, ino_t st_ino, const struct union_origin *origin)
{
  struct cntrfs_inode *old = NULL;
  struct union_node *node;
  char *copy = NULL;

  if (name != NULL)
    {
      copy = strdup(name);
      if (copy == NULL)
        return -ENOMEM;
    }
  pthread_mutex_lock(&fs->un->nodes);
  node = node_of_locked(inode, st_ino, origin);
  if (node == NULL)
    {
      pthread_mutex_unlock(&fs->un->nodes);
      free(copy);
      return -ENOMEM;
    }
  __atomic_or_fetch(&node->flags, bits, __ATOMIC_RELEASE);
  if (parent != NULL)
    {
      if (node->parent != parent)
        {
          inode_table_ref_existing(&fs->inodes, parent);
          old = node->parent;
          node->parent = parent;
        }
      free(node->name);
      node->name = copy;
      copy = NULL;
    }
  pthread_mutex_unlock(&fs->un->nodes);
  free(copy);
  /* Outside the lock: the last reference frees it, and its node. */
  if (old != NULL)
    inode_table_unref(&fs->inodes, old, 1);
  return 0;
}

int
union_node_place(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_inode *parent,
                 const char *name)
{
  return node_set(fs, inode, parent, name, 0, inode->ino, NULL);
}

void
union_node_unplace(struct cntrfs *fs, struct cntrfs_inode *inode)
{
  struct cntrfs_inode *old = NULL;

  pthread_mutex_lock(&fs->un->nodes);
  if (inode->un != NULL)
    {
      old = inode->un->parent;
      inode->un->parent = NULL;
      free(inode->un->name);
      inode->un->name = NULL;
    }
  pthread_mutex_unlock(&fs->un->nodes);
  if (old != NULL)
    inode_table_unref(&fs->inodes, old, 1);
}

int
union_node_where(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_inode **parent,
                 char **name)
{
  int res = 0;

  *parent = NULL;
  *name = NULL;
  pthread_mutex_lock(&fs->un->nodes);
  if (inode->un == NULL || inode->un->parent == NULL)
    res = -ENOENT;
  else if ((*name = strdup(inode->un->name)) == NULL)
    res = -ENOMEM;
  else
    {
      *parent = inode->un->parent;
      inode_table_ref_existing(&fs->inodes, *parent);
    }
  pthread_mutex_unlock(&fs->un->nodes);
  return res;
}

struct cntrfs_inode *
union_held(struct cntrfs *fs, const struct stat *st)
{
  return inode_table_find_ref(&fs->inodes, st);
}

/* ---- markers ----------------------------------------------------------- */

static void
name_path(char buf[NAME_PATH_SIZE], int dirfd, const char *name)
{
  snprintf(buf, NAME_PATH_SIZE, "/proc/self/fd/%d/%s", dirfd, name);
}

int
union_whiteout(int dirfd, const char *name)
{
  return mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) < 0 ? neg_errno() : 0;
}

int
union_set_opaque(int dirfd, const char *name)
{
  char path[NAME_PATH_SIZE];

  name_path(path, dirfd, name);
  return lsetxattr(path, UNION_OPAQUE_XATTR, "y", 1, 0) < 0 ? neg_errno() : 0;
}

/* Whether the directory behind the O_PATH fd is opaque (the magic link
   leads to it, so the following call is the right one). */
static bool
is_opaque(int fd)
{
  char path[FD_PATH_SIZE], v;

  fd_path(path, fd);
  return getxattr(path, UNION_OPAQUE_XATTR, &v, 1) == 1 && v == 'y';
}

/* The origin of the upper file behind the O_PATH fd: true with *o. */
static bool
read_origin(int fd, struct union_origin *o)
{
  char path[FD_PATH_SIZE];

  fd_path(path, fd);
  return getxattr(path, UNION_ORIGIN_XATTR, o, sizeof *o) == (ssize_t)sizeof *o;
}

bool
union_xattr_hidden(const char *name)
{
  return strncmp(name, UNION_XATTR_PREFIX, sizeof UNION_XATTR_PREFIX - 1) == 0;
}

size_t
union_xattr_filter(char *buf, size_t n)
{
  size_t out = 0;

  for (size_t i = 0; i < n;)
    {
      size_t len = strnlen(buf + i, n - i);
      size_t size = len < n - i ? len + 1 : len; /* its NUL too */

      /* Only a whole name can be one of the union's. */
      if (len == size || !union_xattr_hidden(buf + i))
        {
          memmove(buf + out, buf + i, size);
          out += size;
        }
      i += size;
    }
  return out;
}

int
union_each_entry(int at, const char *name, int (*f)(int dfd, struct dirent *de, void *arg),
                 void *arg)
{
  cleanup_closedir DIR *dp = NULL;
  struct dirent *de;
  int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);

  if (fd < 0)
    return neg_errno();
  dp = fdopendir(fd);
  if (dp == NULL)
    {
      int res = neg_errno();
      close(fd);
      return res;
    }
  for (;;)
    {
      errno = 0;
      de = readdir(dp);
      if (de == NULL)
        return errno ? -errno : 0;
      if (de->d_name[0] == '.'
          && (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
        continue;
      int res = f(dirfd(dp), de, arg);
      if (res != 0)
        return res;
    }
}

bool
union_entry_is_whiteout(int dfd, const struct dirent *de)
{
  struct stat st;

  if (de->d_type != DT_CHR && de->d_type != DT_UNKNOWN)
    return false;
  return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && union_is_whiteout(&st);
}

static int
remove_whiteout(int dfd, struct dirent *de, void *arg)
{
  (void)arg;
  if (!union_entry_is_whiteout(dfd, de))
    return -ENOTEMPTY;
  return unlinkat(dfd, de->d_name, 0) < 0 ? neg_errno() : 0;
}

int
union_clear_whiteouts(int dirfd, const char *name)
{
  return union_each_entry(dirfd, name, remove_whiteout, NULL);
}

struct empty_check
{
  int upper; /* the upper directory, or -1 */
};

static int
upper_entry_visible(int dfd, struct dirent *de, void *arg)
{
  (void)arg;
  return union_entry_is_whiteout(dfd, de) ? 0 : -ENOTEMPTY;
}

/* A lower entry is hidden by an upper entry of its name: a whiteout, or
   anything else (which upper_entry_visible already found). */
static int
lower_entry_visible(int dfd, struct dirent *de, void *arg)
{
  const struct empty_check *c = arg;
  struct stat st;

  (void)dfd;
  if (c->upper >= 0 && fstatat(c->upper, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  return -ENOTEMPTY;
}

int
union_dir_empty(int upper, int lower)
{
  struct empty_check c = { .upper = upper };
  int res = 0;

  if (upper >= 0)
    res = union_each_entry(upper, ".", upper_entry_visible, NULL);
  if (res == 0 && lower >= 0)
    res = union_each_entry(lower, ".", lower_entry_visible, &c);
  return res;
}

/* ---- the layers of a directory ----------------------------------------- */

int
union_parent_upper_dir(struct cntrfs *fs, struct cntrfs_inode *inode, bool make, char **name)
{
  struct cntrfs_inode *parent;
  int res = union_node_where(fs, inode, &parent, name);

  if (res < 0)
    return res;
  res = make ? union_ensure_upper_dir(fs, parent) : union_upper_dir(fs, parent);
  inode_table_unref(&fs->inodes, parent, 1);
  if (res < 0)
    {
      free(*name);
      *name = NULL;
    }
  return res;
}

int
union_upper_dir(struct cntrfs *fs, struct cntrfs_inode *dir)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  cleanup_free char *name = NULL;
  unsigned flags = union_flags(dir);
  int pfd, res;

  if (dir == fs->root)
    return dup_fd(fs->un->upper_root);
  if (flags & UNION_UPPER)
    {
      if (inode_fd_get(&fs->inodes, dir, &b) < 0)
        return neg_errno();
      return dup_fd(b.fd);
    }
  if (!(flags & UNION_HAS_UPPER))
    return -ENOENT;
  /* Merged: at its path, which does not change. */
  pfd = union_parent_upper_dir(fs, dir, false, &name);
  if (pfd < 0)
    return pfd;
  res = openat(pfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (res < 0)
    res = neg_errno();
  close(pfd);
  return res;
}

void
union_name_release(struct union_name *n)
{
  cleanup_closep(&n->upper_dir);
  cleanup_closep(&n->upper_fd);
  cleanup_closep(&n->lower_fd);
}

/* The entry name in dirfd: an O_PATH fd and its attributes, -1 when there
   is none, or a negative errno. */
static int
open_entry(int dirfd, const char *name, struct stat *st)
{
  int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return errno == ENOENT ? -1 : neg_errno();
  if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    {
      int res = neg_errno();
      close(fd);
      return res;
    }
  return fd;
}

/* The upper half of union_resolve. */
static int
resolve_upper(struct cntrfs *fs, struct cntrfs_inode *dir, const char *name, struct union_name *n)
{
  int res = union_upper_dir(fs, dir);

  if (res < 0 && res != -ENOENT)
    return res;
  n->upper_dir = res;
  if (n->upper_dir >= 0)
    {
      n->upper_fd = open_entry(n->upper_dir, name, &n->ust);
      if (n->upper_fd < -1)
        return n->upper_fd;
      n->whiteout = n->upper_fd >= 0 && union_is_whiteout(&n->ust);
      n->opaque = n->upper_fd >= 0 && S_ISDIR(n->ust.st_mode) && is_opaque(n->upper_fd);
    }
  return 0;
}

/* The lower half: in dir's lower directory, when it has one. */
static int
resolve_lower(struct cntrfs *fs, struct cntrfs_inode *dir, const char *name, struct union_name *n)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;

  if (union_flags(dir) & UNION_UPPER)
    return 0;
  if (inode_fd_get(&fs->inodes, dir, &b) < 0)
    return neg_errno();
  n->lower_fd = open_entry(b.fd, name, &n->lst);
  return n->lower_fd < -1 ? n->lower_fd : 0;
}

int
union_resolve(struct cntrfs *fs, struct cntrfs_inode *dir, const char *name, struct union_name *n)
{
  int res = resolve_upper(fs, dir, name, n);

  return res < 0 ? res : resolve_lower(fs, dir, name, n);
}

/* ---- lookup ------------------------------------------------------------ */

/* What an entry presents (its node made at lookup). */
static void
present(const struct cntrfs_inode *inode, struct stat *st)
{
  unsigned flags = union_flags(inode);

  struct union_node *node = __atomic_load_n(&inode->un, __ATOMIC_ACQUIRE);
  ino_t ino = node != NULL ? __atomic_load_n(&node->st_ino, __ATOMIC_RELAXED) : 0;

  if (ino != 0)
    st->st_ino = ino;
  if ((flags & UNION_HAS_UPPER) && !(flags & UNION_UPPER))
    st->st_nlink = 1;
}

/* The entry of an upper file that is no merged directory. */
static int
entry_upper(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name, struct union_name *n,
            struct fuse_entry_param *e)
{
  struct union_origin o;
  bool origin = !S_ISDIR(n->ust.st_mode) && read_origin(n->upper_fd, &o);
  ino_t ino = origin && o.one_link ? (ino_t)o.ino : n->ust.st_ino | UNION_UPPER_INO;
  struct cntrfs_inode *inode = inode_table_ref(&fs->inodes, &n->upper_fd, &n->ust);
  int res;

  if (inode == NULL)
    return -ENOMEM;
  e->ino = (fuse_ino_t)(uintptr_t)inode;
  res = node_set(fs, inode, parent, name, UNION_UPPER, ino, origin ? &o : NULL);
  if (res < 0)
    return res; /* the caller undoes the lookup */
  inode->depth = parent->depth + 1;
  e->attr = n->ust;
  present(inode, &e->attr);
  e->attr_timeout = e->entry_timeout = entry_timeout_of(fs, inode);
  return 0;
}

/* "." and "..", which the kernel resolves itself (these come only from
   the server's own uses): the directory, or its parent - never above the
   layer's root, as do_lookup. */
static int
lookup_dots(struct cntrfs *fs, struct cntrfs_inode *dir, const char *name,
            struct fuse_entry_param *e)
{
  cleanup_free char *unused = NULL;
  struct cntrfs_inode *target = dir;
  int res;

  if (strcmp(name, "..") == 0 && dir != fs->root)
    {
      res = union_node_where(fs, dir, &target, &unused);
      if (res < 0)
        return res;
    }
  else
    inode_table_ref_existing(&fs->inodes, target);
  e->ino = (fuse_ino_t)(uintptr_t)target;
  res = union_stat(fs, target, &e->attr);
  if (res < 0)
    {
      unref_entry(fs, e->ino, 1);
      e->ino = 0;
    }
  return res;
}

/* The entry of a lower file, or of a merged directory (merged: n->ust its
   upper directory's attributes), looked up in parent's lower directory. */
static int
entry_lower(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
            const struct union_name *n, bool merged, struct fuse_entry_param *e)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  struct cntrfs_inode *inode;
  int res;

  if (inode_fd_get(&fs->inodes, parent, &b) < 0)
    return neg_errno();
  res = lookup_at(fs, parent, b.fd, name, e);
  if (res < 0)
    return res;
  inode = inode_of(fs, e->ino);
  res = node_set(fs, inode, parent, name, merged ? UNION_HAS_UPPER : 0, inode->ino, NULL);
  if (res < 0)
    return res; /* the caller undoes the lookup */
  if (merged)
    {
      e->attr = n->ust;
      e->attr.st_ino = inode->ino;
    }
  present(inode, &e->attr);
  return 0;
}

int
union_lookup_locked(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
                    struct fuse_entry_param *e)
{
  struct union_name n = UNION_NAME_INIT;
  bool merged = false;
  int res;

  entry_init(e);
  if (inode_sealed(fs, parent))
    return -ENOENT;
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return lookup_dots(fs, parent, name, e);
  /* The lower entry is looked at only where an upper directory may merge
     with it; where there is no upper entry, lookup_at finds it. */
  res = resolve_upper(fs, parent, name, &n);
  if (res == 0 && n.upper_fd >= 0 && S_ISDIR(n.ust.st_mode) && !n.opaque)
    {
      res = resolve_lower(fs, parent, name, &n);
      merged = res == 0 && union_lower_dir(&n);
    }
  if (res < 0)
    ;
  else if (n.upper_fd >= 0 && n.whiteout)
    res = -ENOENT;
  else if (n.upper_fd >= 0 && !merged)
    res = entry_upper(fs, parent, name, &n, e);
  else if (!union_is_upper(parent))
    res = entry_lower(fs, parent, name, &n, merged, e);
  else
    res = -ENOENT;
  if (res < 0 && e->ino != 0)
    {
      unref_entry(fs, e->ino, 1);
      e->ino = 0;
    }
  union_name_release(&n);
  return res;
}

int
union_lookup(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
             struct fuse_entry_param *e)
{
  int res;

  pthread_rwlock_rdlock(&fs->un->ns);
  res = union_lookup_locked(fs, parent, name, e);
  pthread_rwlock_unlock(&fs->un->ns);
  return res;
}

bool
union_name_known(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name)
{
  struct union_name n = UNION_NAME_INIT;
  bool known = false;

  pthread_rwlock_rdlock(&fs->un->ns);
  if (union_resolve(fs, parent, name, &n) == 0 && union_visible(&n))
    known
        = inode_table_known(&fs->inodes, n.upper_fd >= 0 && !union_lower_dir(&n) ? &n.ust : &n.lst);
  pthread_rwlock_unlock(&fs->un->ns);
  union_name_release(&n);
  return known;
}

/* ---- attributes -------------------------------------------------------- */

int
union_meta_fd(struct cntrfs *fs, struct cntrfs_inode *inode, struct inode_fd *b)
{
  unsigned flags = union_flags(inode);

  if ((flags & UNION_HAS_UPPER) && !(flags & UNION_UPPER))
    {
      int fd = union_upper_dir(fs, inode);
      if (fd < 0)
        return fd;
      inode_fd_own(b, fd);
      return 0;
    }
  return inode_fd_get(&fs->inodes, inode, b) < 0 ? neg_errno() : 0;
}

int
union_stat(struct cntrfs *fs, struct cntrfs_inode *inode, struct stat *st)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  int res = union_meta_fd(fs, inode, &b);

  if (res < 0)
    return res;
  if (fstatat(b.fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return neg_errno();
  present(inode, st);
  return 0;
}

/* ---- open files -------------------------------------------------------- */

int
union_read_fd(struct cntrfs *fs, struct cntrfs_file *fh)
{
  struct cntrfs_inode *inode = fh->inode_fd.inode;
  int fd = __atomic_load_n(&fh->upper_fd, __ATOMIC_ACQUIRE);
  int expected = -1;

  if (fd >= 0)
    return fd;
  if (!fh->lower || inode == NULL || !union_is_upper(inode))
    return fh->fd;
  fd = reopen_inode(fs, inode, fh->open_flags & ~(O_TRUNC | O_CREAT | O_EXCL));
  if (fd < 0)
    return fh->fd; /* keep serving what it opened */
  /* Concurrent reads of the handle: the first copy stays, until release. */
  if (!__atomic_compare_exchange_n(&fh->upper_fd, &expected, fd, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    {
      close(fd);
      return expected;
    }
  return fd;
}

/* ---- setting up -------------------------------------------------------- */

/* That the scratch directory takes what the union keeps in it: a whiteout,
   a trusted.* xattr on a directory, an O_TMPFILE. */
static int
probe_upper(int fd)
{
  int res = union_whiteout(fd, PROBE_NAME), tmp;

  if (res < 0)
    return res;
  unlinkat(fd, PROBE_NAME, 0);
  if (mkdirat(fd, PROBE_NAME, 0700) < 0)
    return neg_errno();
  res = union_set_opaque(fd, PROBE_NAME);
  unlinkat(fd, PROBE_NAME, AT_REMOVEDIR);
  if (res < 0)
    return res;
  tmp = openat(fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (tmp < 0)
    return neg_errno();
  close(tmp);
  return 0;
}

/* The scratch root stands for the served root: it takes its owner, mode
   and times (its upper directory's attributes are what the root
   presents). */
static int
copy_root_attributes(int fd, const struct stat *root)
{
  char path[FD_PATH_SIZE];
  struct timespec t[2] = { root->st_atim, root->st_mtim };

  fd_path(path, fd);
  if (fchownat(fd, "", root->st_uid, root->st_gid, AT_EMPTY_PATH) < 0
      || chmod(path, root->st_mode & 07777) < 0 || utimensat(fd, "", t, AT_EMPTY_PATH) < 0)
    return neg_errno();
  return 0;
}

int
union_init(struct cntrfs *fs, int scratch_fd, const struct stat *root_st)
{
  struct cntrfs_union *u;
  union inode_handle_buf hb;
  struct stat st;
  int mount_id, res;

  u = calloc(1, sizeof *u);
  if (u == NULL)
    return -ENOMEM;
  u->upper_root = openat(scratch_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (u->upper_root < 0 || fstat(u->upper_root, &st) < 0)
    {
      res = neg_errno();
      goto fail;
    }
  u->upper_dev = st.st_dev;
  res = probe_upper(u->upper_root);
  if (res == 0)
    res = copy_root_attributes(u->upper_root, root_st);
  if (res < 0)
    goto fail;
  /* Copies get the handles of upper files: room for them, and the upper
     mount known (its first file may be a symlink, which cannot stand for
     it). */
  if (fs->inodes.handles)
    {
      hb.fh.handle_bytes = MAX_HANDLE_SZ;
      if (name_to_handle_at(u->upper_root, "", &hb.fh, &mount_id, AT_EMPTY_PATH) < 0
          || inode_table_pin_mount(&fs->inodes, u->upper_root, st.st_mode) < 0)
        {
          res = -EOPNOTSUPP;
          goto fail;
        }
      inode_table_reserve_handles(&fs->inodes, hb.fh.handle_bytes);
    }
  pthread_mutex_init(&u->copy, NULL);
  pthread_mutex_init(&u->nodes, NULL);
  /* Lookups hold it for reading all the time: a change must not starve
     (nobody takes it twice for reading, which this would deadlock). */
  pthread_rwlockattr_t ra;
  pthread_rwlockattr_init(&ra);
  pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&u->ns, &ra);
  pthread_rwlockattr_destroy(&ra);
  fs->un = u;
  fs->inodes.release = release_node;
  fs->inodes.release_arg = fs;
  res = node_set(fs, fs->root, NULL, NULL, UNION_HAS_UPPER, fs->root->ino, NULL);
  if (res < 0)
    {
      union_free(fs);
      return res;
    }
  return 0;

fail:
  if (u->upper_root >= 0)
    close(u->upper_root);
  free(u);
  return res;
}

void
union_free(struct cntrfs *fs)
{
  struct cntrfs_union *u = fs->un;

  if (u == NULL)
    return;
  close(u->upper_root);
  pthread_mutex_destroy(&u->copy);
  pthread_mutex_destroy(&u->nodes);
  pthread_rwlock_destroy(&u->ns);
  free(u);
  fs->un = NULL;
}
