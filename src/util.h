/* SPDX-License-Identifier: MIT */
/* Small helpers: string vectors, number parsing, help-text wrapping and
   removing a file tree (whole-file I/O is common/io.h, included from here).
   Error convention: -1 (or NULL) with errno set; nothing is logged here. */
#ifndef CNTR_UTIL_H
#define CNTR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "io.h"

/* NULL-terminated vectors of malloc'd strings. */
size_t strv_length(char *const *v);
/* Append a copy of s; returns 0 or -1 (ENOMEM); *v may start as NULL. */
int strv_push(char ***v, const char *s);
/* Append s itself (takes ownership, frees it on failure). */
int strv_push_take(char ***v, char *s);
void strv_free(char **v);
/* Whether v (NULL-terminated, may be NULL) holds s. */
bool strv_contains(char *const *v, const char *s);
/* Split a buffer of NUL-separated strings (as /proc/PID/environ). */
char **strv_from_nul_separated(const char *buf, size_t len);

/* asprintf that returns the string or NULL. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse a decimal pid/number strictly (no sign, no junk). */
int parse_ulong(const char *s, unsigned long *out);

/* Remove dirfd/name and, when it is a directory, everything below it,
   never following a symlink (one is removed, not its target) nor leaving
   the file system of dirfd.  -1 with errno set (ENOENT: there was nothing). */
int remove_tree_at(int dirfd, const char *name);

/* Print the formatted text as a paragraph of lines of at most WRAP_COLUMNS
   (help texts fit 80-column terminals): words that would pass it start a
   new line, indented by INDENT spaces; spaces between words on a line,
   and before the first, are kept as they are.  Ends with a newline. */
#define WRAP_COLUMNS 78
void fprint_wrapped(FILE *out, size_t indent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
