/* SPDX-License-Identifier: MIT */
/* Rewriting the "#!" line of a script for execve(2): pure logic on the
   first bytes of the file, so that unit tests can drive it with buffers. */
#ifndef CNTR_FUSE_SCRIPT_H
#define CNTR_FUSE_SCRIPT_H

#include <stddef.h>

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

#endif
