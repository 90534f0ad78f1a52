/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cntr_verbosity;

static _Thread_local char error_message[1024];
static _Thread_local char error_hint[512];

int
cntr_fail(int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(error_message, sizeof error_message, fmt, ap);
  va_end(ap);
  if (errnum && n >= 0 && (size_t)n < sizeof error_message)
    snprintf(error_message + n, sizeof error_message - n, ": %s", strerror(errnum));
  error_hint[0] = '\0';
  errno = errnum;
  return -1;
}

void
cntr_hint(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error_hint, sizeof error_hint, fmt, ap);
  va_end(ap);
}

int
cntr_fail_context(const char *fmt, ...)
{
  int saved = errno;
  char prefix[512];
  char old[sizeof error_message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, error_message, sizeof old);
  /* Truncation keeps the start of the message, which says the most. */
  size_t len = 0;
  const char *parts[] = { prefix, ": ", old };
  for (size_t i = 0; i < 3; i++)
    {
      size_t n = strnlen(parts[i], sizeof error_message - 1 - len);
      memcpy(error_message + len, parts[i], n);
      len += n;
    }
  error_message[len] = '\0';
  errno = saved;
  return -1;
}

const char *
cntr_error_message(void)
{
  return error_message;
}

const char *
cntr_error_hint(void)
{
  return error_hint;
}

void
cntr_error_clear(void)
{
  error_message[0] = '\0';
  error_hint[0] = '\0';
}

void
cntr_error_print(void)
{
  fprintf(stderr, "cntr: %s\n", error_message[0] ? error_message : "unknown error");
  if (error_hint[0])
    fprintf(stderr, "hint: %s\n", error_hint);
}

static void
vlog(const char *fmt, va_list ap)
{
  fputs("cntr: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void
cntr_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(fmt, ap);
  va_end(ap);
}

void
cntr_debug(const char *fmt, ...)
{
  if (cntr_verbosity < 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  vlog(fmt, ap);
  va_end(ap);
}
