/* SPDX-License-Identifier: MIT */
/* String vectors, number parsing, help text and tree removal (util.h). */
#include "util.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t
strv_length(char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

int
strv_push_take(char ***v, char *s)
{
  if (!s)
    return -1;
  size_t n = strv_length(*v);
  char **bigger = realloc(*v, (n + 2) * sizeof(char *));
  if (!bigger)
    {
      free(s);
      return -1;
    }
  bigger[n] = s;
  bigger[n + 1] = NULL;
  *v = bigger;
  return 0;
}

int
strv_push(char ***v, const char *s)
{
  return strv_push_take(v, strdup(s));
}

void
strv_free(char **v)
{
  cleanup_strvp(&v);
}

bool
strv_contains(char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (!strcmp(v[i], s))
      return true;
  return false;
}

char **
strv_from_nul_separated(const char *buf, size_t len)
{
  cleanup_strv char **v = calloc(1, sizeof(char *));
  if (!v)
    return NULL;
  size_t i = 0;
  while (i < len)
    {
      size_t n = strnlen(buf + i, len - i);
      if (n > 0 && strv_push_take(&v, strndup(buf + i, n)) < 0)
        return NULL;
      i += n + 1;
    }
  return steal_pointer(&v);
}

char *
xasprintf(const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  return n < 0 ? NULL : s;
}

int
parse_ulong(const char *s, unsigned long *out)
{
  if (!s || *s < '0' || *s > '9')
    {
      errno = EINVAL;
      return -1;
    }
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end)
    {
      errno = errno ? errno : EINVAL;
      return -1;
    }
  *out = v;
  return 0;
}

void
fprint_wrapped(FILE *out, size_t indent, const char *fmt, ...)
{
  cleanup_free char *text = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&text, fmt, ap);
  va_end(ap);
  if (n < 0)
    {
      /* Out of memory: the text unwrapped is better than none. */
      text = NULL;
      va_start(ap, fmt);
      vfprintf(out, fmt, ap);
      va_end(ap);
      fputc('\n', out);
      return;
    }
  size_t col = 0;
  bool words = false; /* on this line */
  for (const char *p = text;;)
    {
      size_t spaces = strspn(p, " ");
      const char *word = p + spaces;
      size_t len = strcspn(word, " ");
      if (!len)
        break;
      if (words && col + spaces + len > WRAP_COLUMNS)
        {
          fprintf(out, "\n%*s", (int)indent, "");
          col = indent;
        }
      else
        {
          fprintf(out, "%*s", (int)spaces, "");
          col += spaces;
        }
      fprintf(out, "%.*s", (int)len, word);
      col += len;
      words = true;
      p = word + len;
    }
  fputc('\n', out);
}

int
remove_tree_at(int at, const char *name)
{
  if (unlinkat(at, name, 0) == 0)
    return 0;
  /* Linux says EISDIR for a directory (POSIX allows EPERM). */
  if (errno != EISDIR && errno != EPERM)
    return -1;
  struct stat top;
  if (fstatat(at, name, &top, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  if (!S_ISDIR(top.st_mode))
    {
      errno = EPERM;
      return -1;
    }
  int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  /* ".." of a mount's root is in the file system it is mounted on. */
  struct stat st, parent;
  if (fstat(fd, &st) < 0 || fstatat(fd, "..", &parent, 0) < 0 || st.st_dev != parent.st_dev)
    {
      /* Something is mounted there: not ours to empty. */
      close(fd);
      errno = EXDEV;
      return -1;
    }
  DIR *d = fdopendir(fd);
  if (!d)
    {
      close(fd);
      return -1;
    }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (errno = 0, de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      rc = remove_tree_at(dirfd(d), de->d_name);
  if (rc == 0 && errno)
    rc = -1;
  int saved = errno;
  closedir(d);
  errno = saved;
  if (rc < 0)
    return -1;
  return unlinkat(at, name, AT_REMOVEDIR);
}
