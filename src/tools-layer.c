/* SPDX-License-Identifier: MIT */
/* Applying image layers onto a directory (tools-layer.h). */
#include "tools-layer.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

int
layer_entry_parse(const char *name, char **path, enum layer_entry_kind *kind)
{
  *path = NULL;
  if (!name || !*name || *name == '/')
    {
      errno = EINVAL;
      return -1;
    }
  cleanup_free char *out = malloc(strlen(name) + 1);
  if (!out)
    return -1;
  size_t n = 0;
  size_t last = 0; /* where the last component starts in out */
  for (const char *p = name; *p;)
    {
      const char *end = strchrnul(p, '/');
      size_t len = (size_t)(end - p);
      if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          errno = EINVAL;
          return -1;
        }
      /* "", "." and the separators around them add nothing. */
      if (len && !(len == 1 && *p == '.'))
        {
          if (n)
            out[n++] = '/';
          last = n;
          memcpy(out + n, p, len);
          n += len;
        }
      p = *end ? end + 1 : end;
    }
  out[n] = '\0';
  const char *base = out + last;
  *kind = LAYER_ENTRY_PATH;
  if (!n)
    *kind = LAYER_ENTRY_ROOT;
  else if (!strcmp(base, WHITEOUT_OPAQUE))
    {
      *kind = LAYER_ENTRY_OPAQUE;
      out[last ? last - 1 : 0] = '\0';
    }
  else if (!strncmp(base, WHITEOUT_META_PREFIX, strlen(WHITEOUT_META_PREFIX)))
    *kind = LAYER_ENTRY_IGNORED;
  else if (!strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
    {
      const char *gone = base + strlen(WHITEOUT_PREFIX);
      if (!*gone || !strcmp(gone, ".") || !strcmp(gone, ".."))
        {
          errno = EINVAL;
          return -1;
        }
      *kind = LAYER_ENTRY_WHITEOUT;
      memmove(out + last, gone, strlen(gone) + 1);
    }
  *path = steal_pointer(&out);
  return 0;
}

/* A directory's time, set once every layer has written into it. */
struct dir_time
{
  char *path;
  struct timespec mtime;
};

struct layer_tree
{
  int root_fd;
  void *written;   /* tsearch set of the paths the current layer wrote */
  void *dir_times; /* tsearch set of struct dir_time */
};

static int
compare_paths(const void *a, const void *b)
{
  return strcmp(a, b);
}

static int
compare_dir_times(const void *a, const void *b)
{
  return strcmp(((const struct dir_time *)a)->path, ((const struct dir_time *)b)->path);
}

static void
free_dir_time(void *p)
{
  struct dir_time *d = p;
  free(d->path);
  free(d);
}

struct layer_tree *
layer_tree_new(int root_fd)
{
  struct layer_tree *t = calloc(1, sizeof *t);
  if (!t)
    {
      cntr_fail(ENOMEM, "unpack the image");
      return NULL;
    }
  t->root_fd = root_fd;
  return t;
}

void
layer_tree_free(struct layer_tree *t)
{
  if (!t)
    return;
  tdestroy(t->written, free);
  tdestroy(t->dir_times, free_dir_time);
  free(t);
}

/* Remember that this layer wrote path, and so kept every directory above
   it: an opaque directory's marker may come after the entries of its own
   layer (the spec does not order them). */
static int
mark_written(struct layer_tree *t, const char *path)
{
  cleanup_free char *copy = strdup(path);
  if (!copy)
    return -1;
  for (;;)
    {
      if (tfind(copy, &t->written, compare_paths))
        return 0; /* and so are its parents */
      char *dup = strdup(copy);
      if (!dup || !tsearch(dup, &t->written, compare_paths))
        {
          free(dup);
          return -1;
        }
      char *slash = strrchr(copy, '/');
      if (!slash)
        return 0;
      *slash = '\0';
    }
}

static bool
was_written(const struct layer_tree *t, const char *path)
{
  return tfind(path, &t->written, compare_paths) != NULL;
}

/* The directory dir (relative to the root, "" for it) as an O_PATH fd,
   resolved inside the tree: its symlinks, absolute ones too, and ".."
   never lead out of it. */
static int
open_in_root(int root_fd, const char *dir)
{
  struct open_how how = {
    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  return (int)syscall(SYS_openat2, root_fd, *dir ? dir : ".", &how, sizeof how);
}

/* Like open_in_root, making the directories that are missing (a layer
   need not list the directories of its files). */
static int
open_dir_creating(int root_fd, const char *dir)
{
  int fd = open_in_root(root_fd, dir);
  if (fd >= 0 || errno != ENOENT)
    return fd;
  cleanup_free char *prefix = strdup(dir);
  if (!prefix)
    return -1;
  for (char *p = prefix;; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      char saved = *p;
      *p = '\0';
      cleanup_close int there = open_in_root(root_fd, prefix);
      if (there < 0 && errno == ENOENT)
        {
          char *slash = strrchr(prefix, '/');
          const char *name = slash ? slash + 1 : prefix;
          if (slash)
            *slash = '\0';
          cleanup_close int parent = open_in_root(root_fd, slash ? prefix : "");
          if (slash)
            *slash = '/';
          if (parent < 0 || (mkdirat(parent, name, 0755) < 0 && errno != EEXIST))
            return -1;
          there = open_in_root(root_fd, prefix);
        }
      if (there < 0)
        return -1;
      *p = saved;
      if (!saved)
        return steal_fd(&there);
    }
}

/* path into its directory (opened) and last component (*base points into
   path). */
static int
open_parent(struct layer_tree *t, const char *path, bool create, const char **base)
{
  const char *slash = strrchr(path, '/');
  *base = slash ? slash + 1 : path;
  cleanup_free char *dir = strndup(path, slash ? (size_t)(slash - path) : 0);
  if (!dir)
    return -1;
  return create ? open_dir_creating(t->root_fd, dir) : open_in_root(t->root_fd, dir);
}

/* The modes a tools tree keeps: no setuid or setgid file (the tools are
   served nosuid, and the cache is on the host). */
static mode_t
safe_mode(mode_t perm, bool dir, struct layer_stats *stats)
{
  if (!dir && (perm & (S_ISUID | S_ISGID)))
    {
      stats->stripped++;
      perm &= ~(mode_t)(S_ISUID | S_ISGID);
    }
  return perm & 07777;
}

/* Make room for a new entry at parent/base: what a lower layer had there
   goes, but a directory stays for a directory (its contents merge). */
static int
clear_place(int parent, const char *base, bool new_is_dir, bool *exists_as_dir)
{
  struct stat st;
  *exists_as_dir = false;
  if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode) && new_is_dir)
    {
      *exists_as_dir = true;
      return 0;
    }
  return remove_tree_at(parent, base);
}

static int
write_data(struct archive *a, int fd, const char *what, const char *path, uint64_t *bytes)
{
  for (;;)
    {
      const void *buf;
      size_t size;
      la_int64_t off;
      int r = archive_read_data_block(a, &buf, &size, &off);
      if (r == ARCHIVE_EOF)
        return 0;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        {
          cntr_fail(0, "%s: %s: %s", what, path, archive_error_string(a));
          cntr_hint("the layer is corrupt or truncated: nothing of the image was kept");
          return -1;
        }
      if (lseek(fd, off, SEEK_SET) < 0 || write_all(fd, buf, size) < 0)
        return cntr_fail(errno, "%s: write %s", what, path);
      *bytes += size;
    }
}

static int
remember_dir_time(struct layer_tree *t, const char *path, const struct timespec *mtime)
{
  struct dir_time key = { .path = (char *)path };
  void *found = tfind(&key, &t->dir_times, compare_dir_times);
  if (found)
    {
      (*(struct dir_time **)found)->mtime = *mtime;
      return 0;
    }
  struct dir_time *d = calloc(1, sizeof *d);
  if (!d || !(d->path = strdup(path)))
    {
      free(d);
      return -1;
    }
  d->mtime = *mtime;
  if (!tsearch(d, &t->dir_times, compare_dir_times))
    {
      free_dir_time(d);
      return -1;
    }
  return 0;
}

/* Owner and mode of an opened new entry. */
static int
set_owner_mode(int fd, struct archive_entry *e, bool dir, struct layer_stats *stats)
{
  if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
    return -1;
  return fchmod(fd, safe_mode(archive_entry_perm(e), dir, stats));
}

static int
make_entry(struct layer_tree *t, struct archive *a, struct archive_entry *e, const char *path,
           const char *what, struct layer_stats *stats)
{
  mode_t type = archive_entry_filetype(e);
  const char *hardlink = archive_entry_hardlink(e);
  if (!hardlink && (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK))
    {
      cntr_debug("%s: %s: a device node or socket, skipped", what, path);
      stats->skipped++;
      return 0;
    }
  if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO)
    return cntr_fail(0, "%s: %s: unknown file type %#o", what, path, (unsigned)type);
  bool dir = !hardlink && type == AE_IFDIR;
  const char *base;
  cleanup_close int parent = open_parent(t, path, true, &base);
  if (parent < 0)
    {
      int err = errno;
      cntr_fail(err, "%s: %s: its directory", what, path);
      if (err == ENOENT || err == ENOTDIR)
        cntr_hint("the image's symlinks lead only inside it: one that leads out of it "
                  "leads nowhere");
      return -1;
    }
  bool merge;
  if (clear_place(parent, base, dir, &merge) < 0)
    return cntr_fail(errno, "%s: replace %s", what, path);
  struct timespec times[2] = { { archive_entry_mtime(e), archive_entry_mtime_nsec(e) } };
  times[1] = times[0];

  if (hardlink)
    {
      cleanup_free char *target = NULL;
      enum layer_entry_kind kind;
      if (layer_entry_parse(hardlink, &target, &kind) < 0 || kind != LAYER_ENTRY_PATH)
        return cntr_fail(0, "%s: %s: a hard link to '%s', outside the image", what, path, hardlink);
      const char *target_base;
      cleanup_close int target_parent = open_parent(t, target, false, &target_base);
      /* No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink. */
      if (target_parent < 0 || linkat(target_parent, target_base, parent, base, 0) < 0)
        return cntr_fail(errno, "%s: %s: hard link to %s", what, path, target);
      return 0;
    }
  switch (type)
    {
    case AE_IFDIR:
      {
        if (!merge && mkdirat(parent, base, 0700) < 0)
          return cntr_fail(errno, "%s: mkdir %s", what, path);
        cleanup_close int fd
            = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || set_owner_mode(fd, e, true, stats) < 0)
          return cntr_fail(errno, "%s: %s", what, path);
        if (remember_dir_time(t, path, &times[0]) < 0)
          return cntr_fail(ENOMEM, "%s", what);
        return 0;
      }
    case AE_IFREG:
      {
        cleanup_close int fd
            = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
          return cntr_fail(errno, "%s: create %s", what, path);
        if (write_data(a, fd, what, path, &stats->bytes) < 0)
          return -1;
        /* A sparse file's hole at its end is no data block. */
        if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
          return cntr_fail(errno, "%s: %s", what, path);
        if (set_owner_mode(fd, e, false, stats) < 0 || futimens(fd, times) < 0)
          return cntr_fail(errno, "%s: %s", what, path);
        return 0;
      }
    case AE_IFLNK:
      {
        const char *to = archive_entry_symlink(e);
        /* Kept as it is: the server presents absolute ones inside the
           tools, and nothing here follows it. */
        if (!to || symlinkat(to, parent, base) < 0)
          return cntr_fail(to ? errno : EINVAL, "%s: symlink %s", what, path);
        if (fchownat(parent, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                     AT_SYMLINK_NOFOLLOW)
                < 0
            || utimensat(parent, base, times, AT_SYMLINK_NOFOLLOW) < 0)
          return cntr_fail(errno, "%s: %s", what, path);
        return 0;
      }
    case AE_IFIFO:
      {
        if (mknodat(parent, base, S_IFIFO | 0600, 0) < 0)
          return cntr_fail(errno, "%s: mkfifo %s", what, path);
        if (fchownat(parent, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                     AT_SYMLINK_NOFOLLOW)
                < 0
            || fchmodat(parent, base, safe_mode(archive_entry_perm(e), false, stats), 0) < 0)
          return cntr_fail(errno, "%s: %s", what, path);
        return 0;
      }
    default:
      return cntr_fail(0, "%s: %s: unknown file type %#o", what, path, (unsigned)type);
    }
}

static int
apply_whiteout(struct layer_tree *t, const char *path, const char *what)
{
  /* A name this very layer wrote is not the lower layers' to hide. */
  if (was_written(t, path))
    return 0;
  const char *base;
  cleanup_close int parent = open_parent(t, path, false, &base);
  if (parent < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0
                                               : cntr_fail(errno, "%s: whiteout %s", what, path);
  if (remove_tree_at(parent, base) < 0 && errno != ENOENT)
    return cntr_fail(errno, "%s: whiteout %s", what, path);
  return 0;
}

/* The directory path keeps only what this layer wrote in it. */
static int
apply_opaque(struct layer_tree *t, const char *path, const char *what)
{
  cleanup_close int fd = open_dir_creating(t->root_fd, path);
  if (fd < 0)
    return cntr_fail(errno, "%s: opaque directory %s", what, path);
  int rd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = rd < 0 ? NULL : fdopendir(rd);
  if (!d)
    {
      if (rd >= 0)
        close(rd);
      return cntr_fail(errno, "%s: opaque directory %s", what, path);
    }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (errno = 0, de = readdir(d)))
    {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
        continue;
      cleanup_free char *child = *path ? xasprintf("%s/%s", path, de->d_name) : strdup(de->d_name);
      if (!child)
        rc = cntr_fail(ENOMEM, "%s", what);
      else if (!was_written(t, child) && remove_tree_at(dirfd(d), de->d_name) < 0)
        rc = cntr_fail(errno, "%s: opaque directory %s: remove %s", what, path, de->d_name);
    }
  if (rc == 0 && errno)
    rc = cntr_fail(errno, "%s: read %s", what, path);
  closedir(d);
  return rc;
}

int
layer_apply(struct layer_tree *t, struct archive *a, const char *what, struct layer_stats *stats)
{
  tdestroy(t->written, free);
  t->written = NULL;
  for (;;)
    {
      struct archive_entry *e;
      int r = archive_read_next_header(a, &e);
      if (r == ARCHIVE_EOF)
        return 0;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        {
          cntr_fail(0, "%s: %s", what, archive_error_string(a));
          cntr_hint("the layer is corrupt or not a tar: nothing of the image was kept");
          return -1;
        }
      const char *name = archive_entry_pathname(e);
      cleanup_free char *path = NULL;
      enum layer_entry_kind kind;
      if (layer_entry_parse(name, &path, &kind) < 0)
        {
          cntr_fail(0, "%s: entry '%s': leads outside the image (absolute, or ..)", what,
                    name ? name : "");
          cntr_hint("the archive is hostile or broken: nothing of the image was kept");
          return -1;
        }
      stats->entries++;
      int rc = 0;
      switch (kind)
        {
        case LAYER_ENTRY_ROOT:
        case LAYER_ENTRY_IGNORED:
          break;
        case LAYER_ENTRY_WHITEOUT:
          rc = apply_whiteout(t, path, what);
          break;
        case LAYER_ENTRY_OPAQUE:
          rc = apply_opaque(t, path, what);
          if (rc == 0 && mark_written(t, path) < 0)
            rc = cntr_fail(ENOMEM, "%s", what);
          break;
        case LAYER_ENTRY_PATH:
          rc = make_entry(t, a, e, path, what, stats);
          if (rc == 0 && mark_written(t, path) < 0)
            rc = cntr_fail(ENOMEM, "%s", what);
          break;
        }
      if (rc < 0)
        return -1;
    }
}

struct finish_walk
{
  int root_fd;
  int err;
};

static void
set_dir_time(const void *node, VISIT which, void *arg)
{
  if (which != postorder && which != leaf)
    return;
  const struct dir_time *d = *(const struct dir_time *const *)node;
  struct finish_walk *w = arg;
  struct open_how how = {
    .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  cleanup_close int fd = (int)syscall(SYS_openat2, w->root_fd, d->path, &how, sizeof how);
  /* Gone, or no longer a directory: a later layer said so. */
  if (fd < 0)
    return;
  struct timespec times[2] = { d->mtime, d->mtime };
  if (futimens(fd, times) < 0 && !w->err)
    w->err = errno;
}

int
layer_tree_finish(struct layer_tree *t)
{
  struct finish_walk w = { .root_fd = t->root_fd };
  twalk_r(t->dir_times, set_dir_time, &w);
  if (w.err)
    return cntr_fail(w.err, "unpack the image: set the directories' times");
  return 0;
}
