/* SPDX-License-Identifier: MIT */
/* Presenting symbolic links (cntrfs-link.h). */
#include "cntrfs-link.h"

#include <errno.h>
#include <string.h>

static int
put(char *out, size_t size, size_t *len, const char *s, size_t n)
{
  if (*len + n >= size)
    return -ENAMETOOLONG;
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = '\0';
  return 0;
}

/* A relative target with every ".." that would leave the root dropped. */
static int
clamp(const char *target, unsigned level, char *out, size_t size)
{
  size_t len = 0;
  out[0] = '\0';
  for (const char *c = target; *c;)
    {
      const char *end = strchr(c, '/');
      size_t n = end ? (size_t)(end - c) : strlen(c);
      bool dotdot = n == 2 && c[0] == '.' && c[1] == '.';
      bool keep = true;
      if (dotdot)
        {
          if (level == 0)
            keep = false;
          else
            level--;
        }
      else if (n > 0 && !(n == 1 && c[0] == '.'))
        level++;
      if (keep && n > 0)
        {
          if ((len > 0 && put(out, size, &len, "/", 1) < 0) || put(out, size, &len, c, n) < 0)
            return -ENAMETOOLONG;
        }
      c = end ? end + 1 : c + n;
    }
  /* All of it climbed out: the root itself, seen from where the link is. */
  if (len == 0 && put(out, size, &len, ".", 1) < 0)
    return -ENAMETOOLONG;
  if (target[0] && target[strlen(target) - 1] == '/' && put(out, size, &len, "/", 1) < 0)
    return -ENAMETOOLONG;
  return (int)len;
}

int
link_present(const char *target, const char *prefix, size_t prefix_len, bool confine,
             unsigned dir_depth, char *out, size_t size)
{
  size_t len = 0;
  out[0] = '\0';
  if (target[0] == '/')
    {
      if (prefix && (put(out, size, &len, prefix, prefix_len) < 0))
        return -ENAMETOOLONG;
      if (put(out, size, &len, target, strlen(target)) < 0)
        return -ENAMETOOLONG;
      return (int)len;
    }
  if (!confine)
    return put(out, size, &len, target, strlen(target)) < 0 ? -ENAMETOOLONG : (int)len;
  return clamp(target, dir_depth, out, size);
}
