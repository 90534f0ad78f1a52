/* SPDX-License-Identifier: MIT */
/* Messages and the error convention.

   Functions that can fail return an int < 0 (or NULL) after recording what
   went wrong with cntr_fail(): "what was being done: why".  Callers higher up
   add context with cntr_fail_context() ("outer: inner"); they never replace
   the inner message.  A caller that copes with a failure says so with
   cntr_error_handled(), which clears the record.  A subcommand returns -1
   when it failed with an error recorded, else the exit status; only main()
   prints the recorded error, as one line "cntr: <what>: <why>" followed by
   an optional hint line, and exits with the status the record stands for
   (CNTR_EXIT_FAILURE unless cntr_error_set_code said otherwise).  The record is per thread; a child
   process carries it to its parent as a struct cntr_error_record (cntr_error_save / _restore). */
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

/* The recorded error as data, for carrying it across fork. */
struct cntr_error_record
{
  int code; /* the exit status the failure stands for (CNTR_EXIT_*) */
  char message[1024];
  char hint[512];
};

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
/* The exit status the recorded error stands for: CNTR_EXIT_FAILURE after
   cntr_fail(), or what was set since. */
int cntr_error_code(void);
void cntr_error_set_code(int code);
/* A failure the caller copes with: shown with -v, then cleared. */
void cntr_error_handled(void);
/* Print the recorded error as "cntr: ...\n" (plus hint) to stderr, and
   clear it. */
void cntr_error_print(void);
/* Copy the recorded error out, and record a copied one again, in another
   process. */
void cntr_error_save(struct cntr_error_record *r);
void cntr_error_restore(const struct cntr_error_record *r);

/* The one wording of a failure for want of root: "WHAT: needs root", with
   the hint "run it with sudo, or as root" and, when or is not NULL, ", or
   " and it.  Returns -1. */
int cntr_fail_needs_root(const char *what, const char * or);

/* Diagnostics to stderr: "cntr: warning: ..." (always) and, with -v,
   "cntr: debug: ...", so that neither reads as the error line. */
void cntr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cntr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
