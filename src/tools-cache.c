/* SPDX-License-Identifier: MIT */
/* The cache of unpacked tools images (tools-cache.h). */
#include "tools-cache.h"
#include "cleanup.h"
#include "log.h"
#include "tools-image.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_IMAGES "images"
#define CACHE_TMP_PREFIX ".tmp-"
#define CACHE_LOCK_SUFFIX ".lock"

const char *
tools_cache_dir(void)
{
  const char *dir = getenv("CNTR_CACHE_DIR");
  return dir && *dir ? dir : CNTR_DEFAULT_CACHE_DIR;
}

/* Whether name is "sha256-" and 64 hex digits: the only entries the cache
   makes, and so the only ones it removes. */
static bool
is_key(const char *name, size_t len)
{
  if (len != IMAGE_KEY_LEN || strncmp(name, "sha256-", 7))
    return false;
  for (size_t i = 7; i < len; i++)
    if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
      return false;
  return true;
}

/* mkdir -p, the last directory private. */
static int
make_dirs(const char *path)
{
  cleanup_free char *p = strdup(path);
  if (!p)
    return -1;
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
          return -1;
        *s = '/';
      }
  return mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* The cache's images directory into *images, made when create says so;
   1 (nothing recorded) when it is not there and not to be made. */
static int
open_images(bool create, int *images)
{
  const char *dir = tools_cache_dir();
  if (dir[0] != '/')
    {
      cntr_fail(0, "the cache directory '%s' (CNTR_CACHE_DIR): not an absolute path", dir);
      return -1;
    }
  if (create && make_dirs(dir) < 0)
    return cntr_fail(errno, "make the cache directory %s", dir);
  cleanup_close int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT && !create)
        return 1;
      return cntr_fail(errno, "the cache directory %s", dir);
    }
  /* Root writes there: a directory another user can change could have
     root's writes land elsewhere. */
  struct stat st;
  if (fstat(fd, &st) < 0)
    return cntr_fail(errno, "the cache directory %s", dir);
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
    {
      cntr_fail(0, "the cache directory %s: writable by another user than cntr's", dir);
      cntr_hint("chown root and chmod go-w it, or set CNTR_CACHE_DIR to a directory of root's");
      return -1;
    }
  if (create && mkdirat(fd, CACHE_IMAGES, 0700) < 0 && errno != EEXIST)
    return cntr_fail(errno, "make %s/%s", dir, CACHE_IMAGES);
  *images = openat(fd, CACHE_IMAGES, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (*images < 0 && errno == ENOENT && !create)
    return 1;
  if (*images < 0)
    return cntr_fail(errno, "%s/%s", dir, CACHE_IMAGES);
  return 0;
}

/* Lock key's lock file (op: LOCK_SH or LOCK_EX, | LOCK_NB); 1 when LOCK_NB
   and someone else holds it.  A lock file prune unlinked while we waited
   is not the key's any more: take the one now there. */
static int
lock_key(int images, const char *key, int op, int *fd)
{
  char name[IMAGE_KEY_LEN + sizeof CACHE_LOCK_SUFFIX];
  snprintf(name, sizeof name, "%s%s", key, CACHE_LOCK_SUFFIX);
  for (;;)
    {
      cleanup_close int l
          = openat(images, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
      if (l < 0)
        return cntr_fail(errno, "the cache's lock of %s", key);
      int r;
      do
        r = flock(l, op);
      while (r < 0 && errno == EINTR);
      if (r < 0 && errno == EWOULDBLOCK)
        return 1;
      if (r < 0)
        return cntr_fail(errno, "lock the cache's %s", key);
      struct stat held, now;
      if (fstat(l, &held) < 0)
        return cntr_fail(errno, "the cache's lock of %s", key);
      if (fstatat(images, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_ino == held.st_ino
          && now.st_dev == held.st_dev)
        {
          *fd = steal_fd(&l);
          return 0;
        }
    }
}

/* Change a lock we hold (flock converts it). */
static int
relock(int fd, int op, const char *key)
{
  int r;
  do
    r = flock(fd, op);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EWOULDBLOCK)
    return 1;
  return r < 0 ? cntr_fail(errno, "lock the cache's %s", key) : 0;
}

/* The names in the images directory. */
static char **
list_images(int images)
{
  int fd = openat(images, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (!d)
    {
      if (fd >= 0)
        close(fd);
      return NULL;
    }
  char **names = calloc(1, sizeof *names);
  struct dirent *de;
  while (names && (errno = 0, de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strv_push(&names, de->d_name) < 0)
      {
        strv_free(names);
        names = NULL;
      }
  if (names && errno)
    {
      strv_free(names);
      names = NULL;
    }
  closedir(d);
  return names;
}

/* What a crashed unpack of key left (we hold key's exclusive lock). */
static int
remove_partial(int images, const char *key)
{
  cleanup_strv char **names = list_images(images);
  if (!names)
    return cntr_fail(errno, "read the cache directory");
  size_t plen = strlen(CACHE_TMP_PREFIX);
  for (char **n = names; *n; n++)
    if (!strncmp(*n, CACHE_TMP_PREFIX, plen) && !strncmp(*n + plen, key, IMAGE_KEY_LEN)
        && (*n)[plen + IMAGE_KEY_LEN] == '-')
      {
        cntr_debug("the cache: removing %s, left by an unpack that did not finish", *n);
        if (remove_tree_at(images, *n) < 0 && errno != ENOENT)
          return cntr_fail(errno, "the cache: remove %s", *n);
      }
  return 0;
}

/* Make key's entry with fill (we hold its exclusive lock). */
static int
make_entry(int images, const char *key, tools_cache_fill fill, void *arg)
{
  if (remove_partial(images, key) < 0)
    return -1;
  uint32_t rnd = 0;
  if (getrandom(&rnd, sizeof rnd, 0) < 0)
    rnd = (uint32_t)getpid();
  char tmp[64 + IMAGE_KEY_LEN];
  snprintf(tmp, sizeof tmp, "%s%s-%d-%08x", CACHE_TMP_PREFIX, key, (int)getpid(), rnd);
  if (mkdirat(images, tmp, 0700) < 0)
    return cntr_fail(errno, "the cache: make %s", tmp);
  int rc = -1;
  cleanup_close int root = openat(images, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0)
    cntr_fail(errno, "the cache: %s", tmp);
  else if (fill(arg, root) == 0)
    {
      /* Synced before it gets its name: after a power cut an entry has
         all its data or does not exist. */
      if (fchmod(root, 0755) < 0 || syncfs(root) < 0)
        cntr_fail(errno, "the cache: finish %s", tmp);
      else if (renameat2(images, tmp, images, key, RENAME_NOREPLACE) < 0)
        cntr_fail(errno, "the cache: name %s", key);
      else
        rc = 0;
    }
  if (rc < 0 && remove_tree_at(images, tmp) < 0 && errno != ENOENT)
    cntr_warn("the cache: could not remove %s: %s", tmp, strerror(errno));
  return rc;
}

int
tools_cache_open(const char *key, tools_cache_fill fill, void *arg, int *root_fd, int *hold_fd,
                 bool *made)
{
  *root_fd = *hold_fd = -1;
  *made = false;
  if (!is_key(key, strlen(key)))
    return cntr_fail(EINVAL, "the cache: key '%s'", key);
  cleanup_close int images = -1;
  if (open_images(true, &images) < 0)
    return -1;
  cleanup_close int lock = -1;
  if (lock_key(images, key, LOCK_SH, &lock) != 0)
    return -1;
  int root = openat(images, key, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0 && errno != ENOENT)
    return cntr_fail(errno, "the cache: %s", key);
  if (root < 0)
    {
      int r = relock(lock, LOCK_EX | LOCK_NB, key);
      if (r == 1)
        {
          cntr_debug("the cache: another cntr is unpacking %s; waiting for it", key);
          r = relock(lock, LOCK_EX, key);
        }
      if (r < 0)
        return -1;
      root = openat(images, key, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (root < 0 && errno != ENOENT)
        return cntr_fail(errno, "the cache: %s", key);
      if (root < 0)
        {
          if (make_entry(images, key, fill, arg) < 0)
            return -1;
          *made = true;
          root = openat(images, key, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (root < 0)
            return cntr_fail(errno, "the cache: %s", key);
        }
      if (relock(lock, LOCK_SH, key) < 0)
        {
          close(root);
          return -1;
        }
    }
  *root_fd = root;
  *hold_fd = steal_fd(&lock);
  return 0;
}

/* Remove an entry (we hold its exclusive lock): renamed out of its name
   first, so that one half removed is never taken for the image. */
static int
prune_entry(int images, const char *key)
{
  char tmp[64 + IMAGE_KEY_LEN];
  snprintf(tmp, sizeof tmp, "%s%s-prune-%d", CACHE_TMP_PREFIX, key, (int)getpid());
  if (renameat2(images, key, images, tmp, RENAME_NOREPLACE) < 0)
    return cntr_fail(errno, "the cache: remove %s", key);
  if (remove_tree_at(images, tmp) < 0)
    return cntr_fail(errno, "the cache: remove %s", key);
  return 0;
}

/* One name of the images directory: removed when it is the cache's and
   no session holds it; what was done to out. */
static int
prune_name(int images, const char *name, FILE *out, size_t *removed, size_t *kept)
{
  size_t len = strlen(name), plen = strlen(CACHE_TMP_PREFIX), slen = strlen(CACHE_LOCK_SUFFIX);
  bool tmp = !strncmp(name, CACHE_TMP_PREFIX, plen) && len > plen + IMAGE_KEY_LEN
             && is_key(name + plen, IMAGE_KEY_LEN);
  bool lockfile = len == IMAGE_KEY_LEN + slen && is_key(name, IMAGE_KEY_LEN)
                  && !strcmp(name + IMAGE_KEY_LEN, CACHE_LOCK_SUFFIX);
  bool entry = is_key(name, len);
  if (!tmp && !lockfile && !entry)
    return 0; /* not the cache's */
  char key[IMAGE_KEY_LEN + 1];
  snprintf(key, sizeof key, "%.*s", IMAGE_KEY_LEN, tmp ? name + plen : name);
  cleanup_close int lock = -1;
  int r = lock_key(images, key, LOCK_EX | LOCK_NB, &lock);
  if (r < 0)
    return -1;
  if (r == 1)
    {
      if (entry)
        {
          fprintf(out, "kept %s: in use\n", key);
          (*kept)++;
        }
      return 0;
    }
  if (tmp)
    {
      if (remove_tree_at(images, name) < 0 && errno != ENOENT)
        return cntr_fail(errno, "the cache: remove %s", name);
      fprintf(out, "removed %s: an unpack that did not finish\n", name);
    }
  else if (entry)
    {
      if (prune_entry(images, key) < 0)
        return -1;
      fprintf(out, "removed %s\n", key);
      (*removed)++;
    }
  if (faccessat(images, key, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  /* No entry left to lock: the lock goes too.  Whoever waits on it now
     takes the one made next (lock_key). */
  char lname[IMAGE_KEY_LEN + sizeof CACHE_LOCK_SUFFIX];
  snprintf(lname, sizeof lname, "%s%s", key, CACHE_LOCK_SUFFIX);
  if (unlinkat(images, lname, 0) < 0 && errno != ENOENT)
    return cntr_fail(errno, "the cache: remove %s", lname);
  return 0;
}

int
tools_cache_prune(FILE *out)
{
  cleanup_close int images = -1;
  int r = open_images(false, &images);
  if (r < 0)
    return -1;
  if (r == 1)
    {
      fprintf(out, "the cache %s is empty\n", tools_cache_dir());
      return 0;
    }
  cleanup_strv char **names = list_images(images);
  if (!names)
    return cntr_fail(errno, "read the cache directory %s", tools_cache_dir());
  size_t removed = 0, kept = 0;
  for (char **n = names; *n; n++)
    if (prune_name(images, *n, out, &removed, &kept) < 0)
      return -1;
  fprintf(out, "%zu image%s removed, %zu in use kept (%s)\n", removed, removed == 1 ? "" : "s",
          kept, tools_cache_dir());
  return 0;
}

int
cntr_prune(void)
{
  if (geteuid() != 0)
    return cntr_fail_needs_root("prune", NULL);
  return tools_cache_prune(stdout);
}
