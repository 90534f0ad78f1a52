/* SPDX-License-Identifier: MIT */
/* The string helpers of the freestanding objects (the shim, the audit
   module), which have no libc to call. */
#ifndef CNTR_FREESTANDING_H
#define CNTR_FREESTANDING_H

static inline unsigned long
str_len(const char *s)
{
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

/* Copy src without its NUL; the end of the copy. */
static inline char *
str_put(char *dst, const char *src)
{
  while (*src)
    *dst++ = *src++;
  return dst;
}

static inline int
str_has_prefix(const char *s, const char *prefix)
{
  while (*prefix)
    if (*s++ != *prefix++)
      return 0;
  return 1;
}

#endif
