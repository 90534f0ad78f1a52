/* SPDX-License-Identifier: MIT */
/* Small helpers: whole-file reads, string vectors, EINTR-safe I/O.
   Error convention: -1 (or NULL) with errno set; nothing is logged here. */
#ifndef CNTR_UTIL_H
#define CNTR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Read the whole file at dirfd/path into a NUL-terminated malloc'd buffer.
 *len (may be NULL) gets the length without the terminator. */
int read_file_at(int dirfd, const char *path, char **content, size_t *len);
/* Write all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/* Open dirfd/path and write the string to it (for /proc and cgroupfs files). */
int write_file_at(int dirfd, const char *path, const char *content);

/* NULL-terminated vectors of malloc'd strings. */
size_t strv_length(char *const *v);
/* Append a copy of s; returns 0 or -1 (ENOMEM); *v may start as NULL. */
int strv_push(char ***v, const char *s);
/* Append s itself (takes ownership, frees it on failure). */
int strv_push_take(char ***v, char *s);
void strv_free(char **v);
/* Split a buffer of NUL-separated strings (as /proc/PID/environ). */
char **strv_from_nul_separated(const char *buf, size_t len);

/* asprintf that returns the string or NULL. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse a decimal pid/number strictly (no sign, no junk). */
int parse_ulong(const char *s, unsigned long *out);

#endif
