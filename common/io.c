/* SPDX-License-Identifier: MIT */
/* Whole-buffer and whole-file I/O (io.h). */
#include "io.h"
#include "cleanup.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
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

int
close_fds_except(const int *keep, size_t n)
{
  /* The fds to keep, sorted; then close the gaps between them. */
  int sorted[64];
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (keep[i] < 3)
        continue;
      if (m == sizeof sorted / sizeof *sorted)
        {
          errno = E2BIG;
          return -1;
        }
      size_t j = m++;
      while (j > 0 && sorted[j - 1] > keep[i])
        {
          sorted[j] = sorted[j - 1];
          j--;
        }
      sorted[j] = keep[i];
    }
  unsigned first = 3;
  for (size_t i = 0; i <= m; i++)
    {
      unsigned last = i < m ? (unsigned)sorted[i] - 1 : ~0U;
      if (first <= last && sys_close_range(first, last, 0) < 0)
        return -1;
      if (i < m)
        first = (unsigned)sorted[i] + 1;
    }
  return 0;
}

ssize_t
pread_full(int fd, void *buf, size_t size, off_t off)
{
  char *p = buf;
  size_t got = 0;
  while (got < size)
    {
      ssize_t n = pread(fd, p + got, size - got, off + (off_t)got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      got += (size_t)n;
    }
  return (ssize_t)got;
}
