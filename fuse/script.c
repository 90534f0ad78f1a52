/* SPDX-License-Identifier: MIT */
/* The "#!" rewrite (cntrfs-script.h): the rewrite of the first line, and
   the open/read of a file that presents it. */
#include "cntrfs-script.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

size_t
script_rewrite_head(const char *buf, size_t len, const char *prefix, size_t prefix_len,
                    char out[SCRIPT_HEAD_MAX], size_t *orig_len)
{
  const char *nl, *interp;
  size_t line_len, tail_len, new_len;

  if (len > SCRIPT_HEAD_MAX)
    len = SCRIPT_HEAD_MAX;
  if (prefix_len == 0 || len < 3 || buf[0] != '#' || buf[1] != '!')
    return 0;
  nl = memchr(buf, '\n', len);
  if (nl == NULL)
    return 0;
  line_len = (size_t)(nl - buf) + 1;
  if (memchr(buf, '\0', line_len) != NULL)
    return 0;

  /* As binfmt_script: blanks, then the interpreter up to the next blank. */
  interp = buf + 2;
  while (*interp == ' ' || *interp == '\t')
    interp++;
  if (*interp != '/')
    return 0;
  /* Already inside the layer: "<prefix>/..." (or the prefix itself). */
  if ((size_t)(nl - interp) >= prefix_len && memcmp(interp, prefix, prefix_len) == 0
      && (interp[prefix_len] == '/' || interp[prefix_len] == ' ' || interp[prefix_len] == '\t'
          || interp[prefix_len] == '\n'))
    return 0;

  tail_len = (size_t)(nl - interp); /* interpreter and arguments */
  new_len = 2 + prefix_len + tail_len + 1;
  if (new_len > SCRIPT_HEAD_MAX)
    return 0;
  memcpy(out, "#!", 2);
  memcpy(out + 2, prefix, prefix_len);
  memcpy(out + 2 + prefix_len, interp, tail_len);
  out[new_len - 1] = '\n';
  *orig_len = line_len;
  return new_len;
}

int
script_head_open(int fd, const char *prefix, size_t prefix_len, struct script_head *s)
{
  char buf[SCRIPT_HEAD_MAX], out[SCRIPT_HEAD_MAX];
  struct stat st;
  size_t len, orig_len = 0;
  ssize_t n;

  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
    return 0;
  n = pread_full(fd, buf, sizeof buf, 0);
  if (n <= 0)
    return 0;
  len = script_rewrite_head(buf, (size_t)n, prefix, prefix_len, out, &orig_len);
  if (len == 0)
    return 0;
  s->head = malloc(len);
  if (s->head == NULL)
    return 0;
  memcpy(s->head, out, len);
  s->head_len = len;
  s->orig_len = orig_len;
  return 1;
}

void
script_head_close(struct script_head *s)
{
  free(s->head);
  s->head = NULL;
}

bool
script_head_covers(const struct script_head *s, uint64_t off)
{
  return off < s->head_len;
}

uint64_t
script_head_file_offset(const struct script_head *s, uint64_t off)
{
  return off - s->head_len + s->orig_len;
}

ssize_t
script_head_read(const struct script_head *s, int fd, void *buf, size_t size, uint64_t off)
{
  char *out = buf;
  size_t got = s->head_len - (size_t)off;
  ssize_t n;

  if (got > size)
    got = size;
  memcpy(out, s->head + off, got);
  n = pread_full(fd, out + got, size - got, (off_t)s->orig_len);
  if (n < 0)
    return errno > 0 ? -errno : -EIO;
  return (ssize_t)(got + (size_t)n);
}

off_t
script_head_size(const struct script_head *s, off_t file_size)
{
  return file_size + (off_t)s->head_len - (off_t)s->orig_len;
}
