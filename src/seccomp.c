/* SPDX-License-Identifier: MIT */
/* Reading a target's seccomp filters and installing them again
   (seccomp.h). */
#include "seccomp.h"
#include "log.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

/* One filter; 0 and *count 0 past the last one. */
static int
get_filter(pid_t tid, unsigned long index, struct sock_fprog *prog)
{
  memset(prog, 0, sizeof *prog);
  long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)index, NULL);
  if (n < 0)
    return errno == ENOENT ? 0 : -1;
  if (n == 0 || n > BPF_MAXINSNS)
    {
      errno = EINVAL;
      return -1;
    }
  prog->filter = calloc((size_t)n, sizeof *prog->filter);
  if (!prog->filter)
    return -1;
  long m = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)index, prog->filter);
  if (m != n)
    {
      free(prog->filter);
      prog->filter = NULL;
      errno = m < 0 ? errno : EAGAIN;
      return -1;
    }
  prog->len = (unsigned short)n;
  return 0;
}

/* The filters of a stopped tracee: index 0 is the newest. */
static int
get_filters(pid_t tid, struct seccomp_filters *out)
{
  struct sock_fprog newest_first[SECCOMP_MAX_FILTERS];
  size_t n = 0;
  for (;;)
    {
      if (n == SECCOMP_MAX_FILTERS)
        {
          errno = E2BIG;
          break;
        }
      if (get_filter(tid, n, &newest_first[n]) < 0)
        break;
      if (!newest_first[n].filter)
        {
          for (size_t i = 0; i < n; i++)
            out->progs[i] = newest_first[n - 1 - i];
          out->n = n;
          return 0;
        }
      n++;
    }
  int err = errno;
  for (size_t i = 0; i < n; i++)
    free(newest_first[i].filter);
  errno = err;
  return -1;
}

int
seccomp_read_filters(pid_t tid, struct seccomp_filters *out)
{
  memset(out, 0, sizeof *out);
  if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0)
    {
      cntr_fail(errno, "read the seccomp filter of pid %d: attach", tid);
      cntr_hint("--no-seccomp runs the session without the target's filter");
      return -1;
    }
  int rc = -1, err = 0, status;
  if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0)
    err = errno;
  else
    {
      pid_t w;
      do
        w = waitpid(tid, &status, __WALL);
      while (w < 0 && errno == EINTR);
      if (w != tid)
        err = w < 0 ? errno : ECHILD;
      else if (!WIFSTOPPED(status))
        err = ESRCH;
      else if (get_filters(tid, out) < 0)
        err = errno;
      else
        rc = 0;
    }
  /* Detaching resumes it; so would our death. */
  ptrace(PTRACE_DETACH, tid, NULL, NULL);
  if (rc < 0)
    {
      cntr_fail(err, "read the seccomp filter of pid %d", tid);
      cntr_hint("--no-seccomp runs the session without the target's filter");
    }
  return rc;
}

int
seccomp_install(const struct seccomp_filters *f)
{
  for (size_t i = 0; i < f->n; i++)
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f->progs[i]) < 0)
      return cntr_fail(errno, "install the target's seccomp filter %zu of %zu", i + 1, f->n);
  return 0;
}

void
seccomp_filters_free(struct seccomp_filters *f)
{
  for (size_t i = 0; i < f->n; i++)
    free(f->progs[i].filter);
  f->n = 0;
}
