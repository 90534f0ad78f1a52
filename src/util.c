/* SPDX-License-Identifier: MIT */
#include "util.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
read_file_at(int dirfd, const char *path, char **content, size_t *len)
{
  cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return -1;
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = malloc(cap);
  if (!buf)
    return -1;
  for (;;)
    {
      if (cap - used < 2)
        {
          char *bigger = realloc(buf, cap * 2);
          if (!bigger)
            return -1;
          buf = bigger;
          cap *= 2;
        }
      ssize_t n = read(fd, buf + used, cap - used - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      used += n;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *content = steal_pointer(&buf);
  return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write(fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      p += n;
      len -= n;
    }
  return 0;
}

int
write_file_at(int dirfd, const char *path, const char *content)
{
  cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return -1;
  if (write_all(fd, content, strlen(content)) < 0)
    return -1;
  return 0;
}

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
