/* SPDX-License-Identifier: MIT */
/* Messages and the error convention.

   Functions that can fail return an int < 0 (or NULL) after recording what
   went wrong with cntr_fail(): "what was being done: why".  Callers higher up
   may add context with cntr_fail_context().  Only main() (or a child between
   fork and exec) prints the recorded error, as one line
   "cntr: <what>: <why>" followed by an optional hint line.  The record is
   per thread. */
#ifndef CNTR_LOG_H
#define CNTR_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* Exit codes of cntr itself (docker/chroot/env conventions); otherwise cntr
   exits with the status of the command it ran. */
enum
{
  CNTR_EXIT_FAILURE = 125,
  CNTR_EXIT_CANNOT_EXECUTE = 126,
  CNTR_EXIT_NOT_FOUND = 127,
};

/* 0 quiet, 1 -v, 2 -vv. The only mutable global besides probe caches. */
extern int cntr_verbosity;

/* Record an error; errnum 0 means no strerror part. Always returns -1. */
int cntr_fail(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record an error hint (printed after the error line, prefixed "hint: "). */
void cntr_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the recorded error with more context ("attach to pid 42"). Returns -1. */
int cntr_fail_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The recorded message and hint ("" when none). */
const char *cntr_error_message(void);
const char *cntr_error_hint(void);
void cntr_error_clear(void);
/* Print the recorded error as "cntr: ...\n" (plus hint) to stderr. */
void cntr_error_print(void);

/* Diagnostics to stderr, prefixed "cntr: ". */
void cntr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cntr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
