/* SPDX-License-Identifier: MIT */
/* Running a helper program (a runtime's CLI) and capturing what it prints:
   fork/exec without a shell, stdin from /dev/null, a deadline after which
   the program (and its process group) is killed, so that a hung daemon
   cannot hang cntr.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_PROC_EXEC_H
#define CNTR_PROC_EXEC_H

#include <stdbool.h>
#include <stddef.h>

struct exec_result
{
  char *out; /* stdout, NUL-terminated (NULL until run) */
  size_t out_len;
  char *err;  /* stderr, NUL-terminated, cut to a few KiB */
  int status; /* exit status, or 128+signal */
  bool timed_out;
};

/* Run argv[0] (an absolute path, or a name looked up in PATH) with argv.
   Returns 0 when it ran (whatever its exit status: see r->status), -1 when
   it could not be started or timed out. */
int exec_capture(char *const argv[], int timeout_ms, struct exec_result *r);
void exec_result_free(struct exec_result *r);

/* The full path of an executable NAME found in PATH, or NULL (errno set). */
char *exec_find_in_path(const char *name);

#endif
