/* SPDX-License-Identifier: MIT */
/* Rewriting the "#!" line of a script for execve(2): the rewrite itself,
   pure logic on the first bytes of the file so that unit tests can drive
   it with buffers, and the open/read of a file that presents it.  Error
   convention: a negative errno. */
#ifndef CNTR_FUSE_SCRIPT_H
#define CNTR_FUSE_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel reads this many bytes of a file to be executed
   (BINPRM_BUF_SIZE) and finds the whole "#!" line in them, its newline
   included, or takes what fits.  A rewritten line must fit with its
   newline: at most SCRIPT_HEAD_MAX - 1 bytes before it. */
#define SCRIPT_HEAD_MAX 256

/* buf holds the first len bytes of a file (len may exceed
   SCRIPT_HEAD_MAX; only that many are looked at).  When the file starts
   with "#!", optional spaces and tabs, and an absolute interpreter path not
   already under prefix, and both the original first line and the rewritten
   one end with a newline within SCRIPT_HEAD_MAX bytes: writes
   "#!" prefix "/interp rest-of-line\n" to out and returns its length, and
   sets *orig_len to the length of the original line (its newline
   included).  Returns 0 otherwise (serve the file as it is).
   prefix has no trailing slash and is not empty; a first line holding a
   NUL byte is left alone (the kernel would end the line there). */
size_t script_rewrite_head(const char *buf, size_t len, const char *prefix, size_t prefix_len,
                           char out[SCRIPT_HEAD_MAX], size_t *orig_len);

/* An open file whose "#!" line is rewritten: it reads as head (head_len
   bytes) followed by the original from byte orig_len on. */
struct script_head
{
  char *head; /* malloc'd */
  size_t head_len;
  size_t orig_len; /* the original line, its newline included */
};

/* fd is a regular file opened by execve(2).  When its first line is
   rewritten (script_rewrite_head), fills *s and returns 1; returns 0
   otherwise, also on any failure: the file is then served as it is. */
int script_head_open(int fd, const char *prefix, size_t prefix_len, struct script_head *s);

/* Free what script_head_open allocated. */
void script_head_close(struct script_head *s);

/* Whether a read at off starts in the rewritten line; later reads are of
   the file's own bytes at script_head_file_offset (off). */
bool script_head_covers(const struct script_head *s, uint64_t off);
uint64_t script_head_file_offset(const struct script_head *s, uint64_t off);

/* Read up to size bytes at off < head_len into buf: the rest of the line,
   then the file from orig_len on.  How many, or a negative errno. */
ssize_t script_head_read(const struct script_head *s, int fd, void *buf, size_t size, uint64_t off);

/* The size the file presents, for a file_size of its own. */
off_t script_head_size(const struct script_head *s, off_t file_size);

#endif
