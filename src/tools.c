/* SPDX-License-Identifier: MIT */
/* Facts about a tools tree: paths resolved inside it, its library path
   (tools.h). */
#include "tools.h"

#include "cleanup.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* As the kernel's MAXSYMLINKS. */
#define TOOLS_MAX_SYMLINKS 40
/* Nested "include" lines of ld.so.conf (ldconfig has no limit). */
#define TOOLS_MAX_INCLUDE_DEPTH 16

/* A path relative to the tree's fd: the tools-absolute path without its
   leading '/', "." for the root. */
static const char *
relative(const char *tools_path)
{
  while (*tools_path == '/')
    tools_path++;
  return *tools_path ? tools_path : ".";
}

/* The walk keeps a symlink-free prefix (resolved) and the path still to go
   (rest); a symlink's target replaces the component in rest, an absolute one
   also resets the prefix to the tree's root.  Every readlinkat is given a
   prefix that the walk has already found free of symlinks, so the kernel
   never follows one on our behalf (unless the tree changes under us: the
   tools tree is the host's, trusted by whoever starts the session). */
char *
tools_resolve(int tools_fd, const char *path)
{
  if (!path)
    {
      errno = EINVAL;
      return NULL;
    }

  cleanup_free char *rest = strdup(path);
  cleanup_free char *resolved = malloc(PATH_MAX);
  if (!rest || !resolved)
    return NULL;
  size_t len = 0; /* resolved[0..len) is "" for the root, else "/a/b" */
  resolved[0] = '\0';
  char *cur = rest;
  int links = 0;

  for (;;)
    {
      while (*cur == '/')
        cur++;
      if (!*cur)
        break;
      char *end = strchrnul(cur, '/');
      size_t clen = (size_t)(end - cur);

      if (clen == 1 && cur[0] == '.')
        {
          cur = end;
          continue;
        }
      if (clen == 2 && cur[0] == '.' && cur[1] == '.')
        {
          /* Clamped at the root, as RESOLVE_IN_ROOT does. */
          while (len > 0 && resolved[--len] != '/')
            ;
          resolved[len] = '\0';
          cur = end;
          continue;
        }

      if (len + 1 + clen + 1 > PATH_MAX)
        {
          cntr_fail(ENAMETOOLONG, "resolve %s in the tools tree", path);
          return NULL;
        }
      resolved[len] = '/';
      memcpy(resolved + len + 1, cur, clen);
      resolved[len + 1 + clen] = '\0';

      char target[PATH_MAX];
      ssize_t n = readlinkat(tools_fd, resolved + 1, target, sizeof target);
      if (n < 0)
        {
          if (errno != EINVAL)
            {
              cntr_fail(errno, "resolve %s in the tools tree: %s", path, resolved);
              return NULL;
            }
          /* Not a symlink: part of the resolved prefix now.  Followed by
             '/', it must be a directory ("file/.." and "file/" are errors,
             as for the kernel). */
          len += 1 + clen;
          if (*end == '/')
            {
              struct stat st;
              if (fstatat(tools_fd, resolved + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
                {
                  cntr_fail(errno, "resolve %s in the tools tree: %s", path, resolved);
                  return NULL;
                }
              if (!S_ISDIR(st.st_mode))
                {
                  cntr_fail(ENOTDIR, "resolve %s in the tools tree: %s", path, resolved);
                  return NULL;
                }
            }
          cur = end;
          continue;
        }
      if ((size_t)n >= sizeof target)
        {
          cntr_fail(ENAMETOOLONG, "resolve %s in the tools tree: link %s", path, resolved);
          return NULL;
        }
      if (++links > TOOLS_MAX_SYMLINKS)
        {
          cntr_fail(ELOOP, "resolve %s in the tools tree", path);
          return NULL;
        }

      size_t tail = strlen(end);
      char *next_rest = malloc((size_t)n + tail + 1);
      if (!next_rest)
        return NULL;
      memcpy(next_rest, target, (size_t)n);
      memcpy(next_rest + n, end, tail + 1);
      free(rest);
      rest = next_rest;
      cur = rest;

      if (target[0] == '/')
        len = 0;
      resolved[len] = '\0';
    }

  if (len == 0)
    return strdup("/");
  return steal_pointer(&resolved);
}

/* The library directories found so far, resolved and unique. */
struct dir_list
{
  struct dir_entry
  {
    char *path;
    dev_t dev;
    ino_t ino;
  } * v;
  size_t n, cap;
};

static void
dir_list_release(struct dir_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i].path);
  free(l->v);
}

/* Add dir if it is a directory of the tree (with files, or a regular file)
   and not there yet.  Returns -1 only for errors that should end the
   computation (ENOMEM). */
static int
dir_list_add_kind(struct dir_list *l, int tools_fd, const char *dir, bool files)
{
  cleanup_free char *path = tools_resolve(tools_fd, dir);
  if (!path)
    {
      if (errno == ENOMEM)
        return -1;
      cntr_debug("library directory %s: %s", dir, strerror(errno));
      return 0;
    }
  /* ld.so splits its library path at these. */
  if (strpbrk(path, ":;"))
    {
      cntr_debug("library directory %s: ':' or ';' in its name, skipped", path);
      return 0;
    }

  struct stat st;
  if (fstatat(tools_fd, relative(path), &st, AT_SYMLINK_NOFOLLOW) < 0
      || !(S_ISDIR(st.st_mode) || (files && S_ISREG(st.st_mode))))
    return 0;

  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].path, path) == 0 || (l->v[i].dev == st.st_dev && l->v[i].ino == st.st_ino))
      return 0;

  if (l->n == l->cap)
    {
      size_t cap = l->cap ? 2 * l->cap : 16;
      struct dir_entry *v = reallocarray(l->v, cap, sizeof *v);
      if (!v)
        return -1;
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n++]
      = (struct dir_entry){ .path = steal_pointer(&path), .dev = st.st_dev, .ino = st.st_ino };
  return 0;
}

static int
dir_list_add(struct dir_list *l, int tools_fd, const char *dir)
{
  return dir_list_add_kind(l, tools_fd, dir, false);
}

/* A growable NULL-terminated array of strings. */
struct str_list
{
  char **v;
  size_t n, cap;
};

static int
str_list_push(struct str_list *l, char *s)
{
  if (!s)
    return -1;
  if (l->n + 2 > l->cap)
    {
      size_t cap = l->cap ? 2 * l->cap : 8;
      char **v = reallocarray(l->v, cap, sizeof *v);
      if (!v)
        {
          free(s);
          return -1;
        }
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n++] = s;
  l->v[l->n] = NULL;
  return 0;
}

static void
str_list_release(struct str_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}

static int
compare_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
path_join(const char *dir, const char *name, size_t name_len)
{
  char *s = NULL;
  if (asprintf(&s, "%s/%.*s", dir, (int)name_len, name) < 0)
    return NULL;
  return s;
}

/* glob(3) inside the tree: expand pattern (tools-absolute) component by
   component, listing directories of the tree with readdir and fnmatch, in
   sorted order as glob sorts.  Literal components are not checked: opening
   the result says whether it exists.  prefix is "" for the root. */
/* Whether the rest of a pattern may match below the entry de of the
   directory dirfd: false only for a real directory (not a link, which the
   tools' root must resolve) without the pattern's next name, when that is
   literal.  One fstatat rather than resolving every component of every
   entry: /usr/lib/<any>/perl5 looks at hundreds of them at each attach. */
static bool
may_match_below(int dirfd, const struct dirent *de, const char *rest)
{
  while (*rest == '/')
    rest++;
  if (!*rest || de->d_type != DT_DIR)
    return true;
  size_t clen = strcspn(rest, "/");
  char path[NAME_MAX + 1 + NAME_MAX + 1];
  if (memchr(rest, '*', clen) || memchr(rest, '?', clen) || memchr(rest, '[', clen)
      || memchr(rest, '\\', clen) || clen > NAME_MAX)
    return true;
  snprintf(path, sizeof path, "%s/%.*s", de->d_name, (int)clen, rest);
  struct stat st;
  return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0
         || (errno != ENOENT && errno != ENOTDIR);
}

static int
glob_walk(int tools_fd, const char *prefix, const char *pattern, struct str_list *out)
{
  while (*pattern == '/')
    pattern++;
  if (!*pattern)
    return str_list_push(out, strdup(*prefix ? prefix : "/"));

  const char *end = strchrnul(pattern, '/');
  size_t clen = (size_t)(end - pattern);
  cleanup_free char *component = strndup(pattern, clen);
  if (!component)
    return -1;

  if (!strpbrk(component, "*?[\\"))
    {
      cleanup_free char *next = path_join(prefix, component, clen);
      if (!next)
        return -1;
      return glob_walk(tools_fd, next, end, out);
    }

  cleanup_free char *dir = tools_resolve(tools_fd, *prefix ? prefix : "/");
  if (!dir)
    return errno == ENOMEM ? -1 : 0;
  int fd = openat(tools_fd, relative(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  cleanup_closedir DIR *d = fdopendir(fd);
  if (!d)
    {
      close(fd);
      return errno == ENOMEM ? -1 : 0;
    }

  __attribute__((cleanup(str_list_release))) struct str_list names = { 0 };
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
        continue;
      if (fnmatch(component, de->d_name, FNM_PERIOD) == 0 && may_match_below(dirfd(d), de, end)
          && str_list_push(&names, strdup(de->d_name)) < 0)
        return -1;
    }
  if (names.n > 1)
    qsort(names.v, names.n, sizeof *names.v, compare_names);

  for (size_t i = 0; i < names.n; i++)
    {
      cleanup_free char *next = path_join(prefix, names.v[i], strlen(names.v[i]));
      if (!next || glob_walk(tools_fd, next, end, out) < 0)
        return -1;
    }
  return 0;
}

/* The files being parsed, innermost first: an include of one of them is a
   cycle (ldconfig would recurse until it runs out of stack). */
struct conf_frame
{
  const char *path; /* resolved */
  const struct conf_frame *up;
  int depth;
};

static int parse_conf(struct dir_list *dirs, int tools_fd, const char *conf,
                      const struct conf_frame *up);

static int
parse_include(struct dir_list *dirs, int tools_fd, const char *conf, const char *pattern,
              const struct conf_frame *frame)
{
  cleanup_free char *absolute = NULL;
  if (pattern[0] != '/')
    {
      /* Relative to the directory of the file that includes it, as ldconfig. */
      const char *slash = strrchr(conf, '/');
      size_t dir_len = slash ? (size_t)(slash - conf) : 0;
      if (asprintf(&absolute, "%.*s/%s", (int)dir_len, conf, pattern) < 0)
        return -1;
      pattern = absolute;
    }

  __attribute__((cleanup(str_list_release))) struct str_list files = { 0 };
  if (glob_walk(tools_fd, "", pattern, &files) < 0)
    return -1;
  for (size_t i = 0; i < files.n; i++)
    if (parse_conf(dirs, tools_fd, files.v[i], frame) < 0)
      return -1;
  return 0;
}

/* One ld.so.conf file as ldconfig reads it: '#' comments, "include PATTERN
   ...", "hwcap ..." (obsolete, ignored), otherwise a directory, optionally
   with the libc5-era "=TYPE" suffix.  A file that cannot be opened counts
   as empty, as for ldconfig. */
static int
parse_conf(struct dir_list *dirs, int tools_fd, const char *conf, const struct conf_frame *up)
{
  cleanup_free char *path = tools_resolve(tools_fd, conf);
  if (!path)
    return errno == ENOMEM ? -1 : 0;

  struct conf_frame frame = { .path = path, .up = up, .depth = up ? up->depth + 1 : 0 };
  if (frame.depth > TOOLS_MAX_INCLUDE_DEPTH)
    {
      cntr_debug("%s: includes nested too deep, skipped", conf);
      return 0;
    }
  for (const struct conf_frame *f = up; f; f = f->up)
    if (strcmp(f->path, path) == 0)
      {
        cntr_debug("%s: includes itself, skipped", conf);
        return 0;
      }
  int fd = openat(tools_fd, relative(path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0)
    {
      cntr_debug("open %s in the tools tree: %s", conf, strerror(errno));
      return 0;
    }
  cleanup_fclose FILE *f = fdopen(fd, "re");
  if (!f)
    {
      close(fd);
      return -1;
    }

  cleanup_free char *line = NULL;
  size_t line_cap = 0;
  ssize_t line_len;
  while ((line_len = getline(&line, &line_cap, f)) >= 0)
    {
      char *hash = strchr(line, '#');
      if (hash)
        *hash = '\0';
      char *s = line;
      while (isspace((unsigned char)*s))
        s++;
      char *e = s + strlen(s);
      while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
      if (!*s)
        continue;

      if (strncmp(s, "include", 7) == 0 && isblank((unsigned char)s[7]))
        {
          char *save = NULL;
          for (char *p = strtok_r(s + 7, " \t", &save); p; p = strtok_r(NULL, " \t", &save))
            if (parse_include(dirs, tools_fd, conf, p, &frame) < 0)
              return -1;
          continue;
        }
      if (strncasecmp(s, "hwcap", 5) == 0 && isblank((unsigned char)s[5]))
        continue;

      char *eq = strchr(s, '=');
      if (eq)
        *eq = '\0';
      e = s + strlen(s);
      while (e > s + 1 && (e[-1] == '/' || isspace((unsigned char)e[-1])))
        *--e = '\0';
      if (s[0] != '/')
        {
          cntr_debug("%s: relative library directory %s ignored", conf, s);
          continue;
        }
      if (dir_list_add(dirs, tools_fd, s) < 0)
        return -1;
    }
  return 0;
}

#if defined(__x86_64__)
#define TOOLS_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define TOOLS_MULTIARCH "aarch64-linux-gnu"
#elif defined(__i386__)
#define TOOLS_MULTIARCH "i386-linux-gnu"
#endif

/* The loader's built-in directories (Debian's multiarch ones first), searched
   after those of ld.so.cache.  --inhibit-cache leaves only these and the
   library path, so ld.so.conf's directories go first. */
static const char *const default_dirs[] = {
#ifdef TOOLS_MULTIARCH
  "/lib/" TOOLS_MULTIARCH,
  "/usr/lib/" TOOLS_MULTIARCH,
#endif
  "/lib64",
  "/usr/lib64",
  "/lib",
  "/usr/lib",
};

/* "base/dir1:base/dir2:..." of the list ("" for none). */
static char *
dir_list_join(const struct dir_list *dirs, const char *base, size_t base_len)
{
  size_t total = 1;
  for (size_t i = 0; i < dirs->n; i++)
    total += base_len + strlen(dirs->v[i].path) + 1;
  char *out = malloc(total);
  if (!out)
    return NULL;
  char *p = out;
  for (size_t i = 0; i < dirs->n; i++)
    {
      if (i > 0)
        *p++ = ':';
      memcpy(p, base, base_len);
      p += base_len;
      /* The tree's root itself: base alone, or "/" when there is no base. */
      if (strcmp(dirs->v[i].path, "/") != 0 || base_len == 0)
        p = stpcpy(p, dirs->v[i].path);
    }
  *p = '\0';
  return out;
}

char *
tools_library_path(int tools_fd, const char *base)
{
  if (!base)
    base = "";
  if (strpbrk(base, ":;"))
    {
      cntr_fail(EINVAL, "library path under %s: ':' or ';' in the base directory", base);
      return NULL;
    }
  size_t base_len = strlen(base);
  while (base_len > 0 && base[base_len - 1] == '/')
    base_len--;

  __attribute__((cleanup(dir_list_release))) struct dir_list dirs = { 0 };
  if (parse_conf(&dirs, tools_fd, "/etc/ld.so.conf", NULL) < 0)
    {
      cntr_fail(errno, "read the tools' /etc/ld.so.conf");
      return NULL;
    }
  for (size_t i = 0; i < sizeof default_dirs / sizeof default_dirs[0]; i++)
    if (dir_list_add(&dirs, tools_fd, default_dirs[i]) < 0)
      {
        cntr_fail(errno, "compute the tools' library path");
        return NULL;
      }

  return dir_list_join(&dirs, base, base_len);
}

char *
tools_data_path(int tools_fd, const char *const *patterns, const char *base, bool files)
{
  size_t base_len = strlen(base);
  while (base_len > 0 && base[base_len - 1] == '/')
    base_len--;
  __attribute__((cleanup(dir_list_release))) struct dir_list dirs = { 0 };
  for (const char *const *pat = patterns; *pat; pat++)
    {
      __attribute__((cleanup(str_list_release))) struct str_list found = { 0 };
      if (glob_walk(tools_fd, "", *pat, &found) < 0)
        return NULL;
      for (size_t i = 0; i < found.n; i++)
        if (dir_list_add_kind(&dirs, tools_fd, found.v[i], files) < 0)
          return NULL;
    }
  return dir_list_join(&dirs, base, base_len);
}
