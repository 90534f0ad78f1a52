/* SPDX-License-Identifier: MIT */
/* Whole-buffer and whole-file I/O that retries on EINTR and short counts.
   Error convention: -1 with errno set; nothing is logged here. */
#ifndef CNTR_COMMON_IO_H
#define CNTR_COMMON_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Read the whole file at dirfd/path into a NUL-terminated malloc'd buffer.
 *len (may be NULL) gets the length without the terminator. */
int read_file_at(int dirfd, const char *path, char **content, size_t *len);
/* Write all of buf to fd. */
int write_all(int fd, const void *buf, size_t len);
/* Open dirfd/path for writing and write the string to it (for /proc and
   cgroupfs files). */
int write_file_at(int dirfd, const char *path, const char *content);
/* pread until size bytes or end of file; the number read. */
ssize_t pread_full(int fd, void *buf, size_t size, off_t off);

/* Close every fd from 3 up but those in keep[0..n) (negative entries are
   ignored): closed, not just marked close-on-exec, so that nothing else is
   open in the process even before it execs. */
int close_fds_except(const int *keep, size_t n);

#endif
