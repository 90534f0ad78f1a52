/* SPDX-License-Identifier: MIT */
/* The error record and the diagnostics (log.h). */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cntr_verbosity;

static _Thread_local struct cntr_error_record error;

int
cntr_fail(int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(error.message, sizeof error.message, fmt, ap);
  va_end(ap);
  if (errnum && n >= 0 && (size_t)n < sizeof error.message)
    snprintf(error.message + n, sizeof error.message - n, ": %s", strerror(errnum));
  error.hint[0] = '\0';
  error.code = CNTR_EXIT_FAILURE;
  errno = errnum;
  return -1;
}

void
cntr_hint(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error.hint, sizeof error.hint, fmt, ap);
  va_end(ap);
}

int
cntr_fail_context(const char *fmt, ...)
{
  int saved = errno;
  char prefix[512];
  char old[sizeof error.message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, error.message, sizeof old);
  /* Truncation keeps the start of the message, which says the most. */
  size_t len = 0;
  const char *parts[] = { prefix, ": ", old };
  for (size_t i = 0; i < 3; i++)
    {
      size_t n = strnlen(parts[i], sizeof error.message - 1 - len);
      memcpy(error.message + len, parts[i], n);
      len += n;
    }
  error.message[len] = '\0';
  errno = saved;
  return -1;
}

const char *
cntr_error_message(void)
{
  return error.message;
}

const char *
cntr_error_hint(void)
{
  return error.hint;
}

void
cntr_error_clear(void)
{
  error.message[0] = '\0';
  error.hint[0] = '\0';
  error.code = 0;
}

int
cntr_error_code(void)
{
  return error.code ? error.code : CNTR_EXIT_FAILURE;
}

void
cntr_error_set_code(int code)
{
  error.code = code;
}

void
cntr_error_handled(void)
{
  if (error.message[0])
    cntr_debug("%s", error.message);
  cntr_error_clear();
}

void
cntr_error_print(void)
{
  fprintf(stderr, "cntr: %s\n", error.message[0] ? error.message : "unknown error");
  if (error.hint[0])
    fprintf(stderr, "hint: %s\n", error.hint);
  cntr_error_clear();
}

void
cntr_error_save(struct cntr_error_record *r)
{
  *r = error;
  r->code = cntr_error_code();
}

void
cntr_error_restore(const struct cntr_error_record *r)
{
  error = *r;
  error.message[sizeof error.message - 1] = '\0';
  error.hint[sizeof error.hint - 1] = '\0';
  if (!error.message[0])
    snprintf(error.message, sizeof error.message, "unknown error");
}

int
cntr_fail_needs_root(const char *what, const char * or)
{
  cntr_fail(0, "%s: needs root", what);
  if (or)
    cntr_hint("run it with sudo, or as root, or %s", or);
  else
    cntr_hint("run it with sudo, or as root");
  return -1;
}

static void
vlog(const char *kind, const char *fmt, va_list ap)
{
  fprintf(stderr, "cntr: %s: ", kind);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void
cntr_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog("warning", fmt, ap);
  va_end(ap);
}

void
cntr_debug(const char *fmt, ...)
{
  if (cntr_verbosity < 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  vlog("debug", fmt, ap);
  va_end(ap);
}
