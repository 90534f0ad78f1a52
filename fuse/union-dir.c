/* SPDX-License-Identifier: MIT */
/* Listings of union directories (cntrfs-union.h: union_listing): a
   snapshot of the merged view - the upper directory's entries but its
   whiteouts, then the lower directory's that no upper name hides - with
   the inode numbers lookups present.  A snapshot, so that offsets into it
   (telldir, seekdir, a listing read in several calls) stay valid whatever
   the two directories do meanwhile; the kernel asks for offset 0 again at
   rewinddir, which makes a fresh one. */
#include "cntrfs-union.h"
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
#include <sys/xattr.h>
#include <unistd.h>

#define LISTING_FIRST_CAP 64
#define NAMES_FIRST_CAP 4096

/* "/proc/self/fd/N/NAME" */
#define ENTRY_PATH_SIZE (FD_PATH_SIZE + NAME_MAX + 2)

void
union_listing_free(struct union_listing *l)
{
  free(l->e);
  free(l->names);
  memset(l, 0, sizeof *l);
}

static int
add(struct union_listing *l, const char *name, ino_t ino, unsigned type)
{
  size_t len = strlen(name) + 1;

  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : LISTING_FIRST_CAP;
      struct union_dirent *e = realloc(l->e, cap * sizeof *e);

      if (e == NULL)
        return -ENOMEM;
      l->e = e;
      l->cap = cap;
    }
  if (l->names_len + len > l->names_cap)
    {
      size_t cap = l->names_cap ? l->names_cap : NAMES_FIRST_CAP;
      char *names;

      while (cap < l->names_len + len)
        cap *= 2;
      names = realloc(l->names, cap);
      if (names == NULL)
        return -ENOMEM;
      l->names = names;
      l->names_cap = cap;
    }
  memcpy(l->names + l->names_len, name, len);
  l->e[l->n++] = (struct union_dirent){ .name = l->names_len, .ino = ino, .type = type };
  l->names_len += len;
  return 0;
}

/* The upper names (hidden ones too), sorted, to find what they hide. */
struct hiding
{
  char **names;
  size_t n, cap;
};

static void
hiding_free(struct hiding *h)
{
  for (size_t i = 0; i < h->n; i++)
    free(h->names[i]);
  free(h->names);
}

static int
hiding_add(struct hiding *h, const char *name)
{
  if (h->n == h->cap)
    {
      size_t cap = h->cap ? h->cap * 2 : LISTING_FIRST_CAP;
      char **v = realloc(h->names, cap * sizeof *v);

      if (v == NULL)
        return -ENOMEM;
      h->names = v;
      h->cap = cap;
    }
  h->names[h->n] = strdup(name);
  if (h->names[h->n] == NULL)
    return -ENOMEM;
  h->n++;
  return 0;
}

static int
compare_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
hides(const struct hiding *h, const char *name)
{
  return h->n > 0 && bsearch(&name, h->names, h->n, sizeof *h->names, compare_names) != NULL;
}

/* The inode number a lookup presents for an upper entry de of the upper
   directory ufd, whose directory's lower directory is lfd (or -1). */
static ino_t
upper_ino(int ufd, int lfd, const struct dirent *de)
{
  char path[ENTRY_PATH_SIZE];
  struct union_origin o;
  struct stat lst;
  char v;

  snprintf(path, sizeof path, "/proc/self/fd/%d/%s", ufd, de->d_name);
  if (de->d_type == DT_DIR)
    {
      /* Merged: the lower directory's. */
      if (lfd >= 0 && !(lgetxattr(path, UNION_OPAQUE_XATTR, &v, 1) == 1 && v == 'y')
          && fstatat(lfd, de->d_name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(lst.st_mode))
        return lst.st_ino;
    }
  else if (lgetxattr(path, UNION_ORIGIN_XATTR, &o, sizeof o) == (ssize_t)sizeof o && o.one_link)
    return (ino_t)o.ino;
  return de->d_ino | UNION_UPPER_INO;
}

/* What list_upper and list_lower work on. */
struct listing_pass
{
  struct cntrfs *fs;
  struct cntrfs_inode *dir;
  struct union_listing *l;
  struct hiding *h;
  int lower; /* the lower directory, -1 for none */
};

/* An upper entry: every name hides, whiteouts are not listed. */
static int
list_upper(int dfd, struct dirent *de, void *arg)
{
  struct listing_pass *p = arg;
  int res = p->lower >= 0 ? hiding_add(p->h, de->d_name) : 0;

  if (res == 0 && !union_entry_is_whiteout(dfd, de)
      && virtual_by_name(p->fs, p->dir, de->d_name) == NULL)
    res = add(p->l, de->d_name, upper_ino(dfd, p->lower, de), de->d_type);
  return res;
}

/* A lower entry, unless an upper name hides it. */
static int
list_lower(int dfd, struct dirent *de, void *arg)
{
  struct listing_pass *p = arg;

  (void)dfd;
  if (hides(p->h, de->d_name) || virtual_by_name(p->fs, p->dir, de->d_name) != NULL)
    return 0;
  return add(p->l, de->d_name, de->d_ino, de->d_type);
}

/* The st_ino of the directory and of its parent, for the dots. */
static void
dots_ino(struct cntrfs *fs, struct cntrfs_inode *dir, ino_t *self, ino_t *up)
{
  cleanup_free char *name = NULL;
  struct cntrfs_inode *parent = NULL;
  struct stat st;

  *self = *up = 0;
  if (union_stat(fs, dir, &st) == 0)
    *self = *up = st.st_ino;
  if (dir != fs->root && union_node_where(fs, dir, &parent, &name) == 0)
    {
      if (union_stat(fs, parent, &st) == 0)
        *up = st.st_ino;
      inode_table_unref(&fs->inodes, parent, 1);
    }
}

int
union_listing_make(struct cntrfs *fs, struct cntrfs_inode *dir, struct union_listing *l)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  struct hiding h = { 0 };
  ino_t self, up;
  int ufd, lfd = -1, res;

  l->n = 0;
  l->names_len = 0;
  dots_ino(fs, dir, &self, &up);
  res = add(l, ".", self, DT_DIR);
  if (res == 0)
    res = add(l, "..", up, DT_DIR);
  if (res < 0)
    return res;
  pthread_rwlock_rdlock(&fs->un->ns);
  ufd = union_upper_dir(fs, dir);
  /* Merged: its own file is the lower directory. */
  if (ufd >= 0 && !union_is_upper(dir))
    {
      if (inode_fd_get(&fs->inodes, dir, &b) < 0)
        res = neg_errno();
      else
        lfd = b.fd;
    }
  if (ufd < 0)
    res = ufd;
  struct listing_pass pass = { .fs = fs, .dir = dir, .l = l, .h = &h, .lower = lfd };
  if (res == 0)
    res = union_each_entry(ufd, ".", list_upper, &pass);
  if (res == 0 && lfd >= 0)
    {
      if (h.n > 0)
        qsort(h.names, h.n, sizeof *h.names, compare_names);
      res = union_each_entry(lfd, ".", list_lower, &pass);
    }
  pthread_rwlock_unlock(&fs->un->ns);
  if (ufd >= 0)
    close(ufd);
  hiding_free(&h);
  return res;
}
