/* SPDX-License-Identifier: MIT */
/* The target's seccomp filters, for the session's command: read from the
   target's process with ptrace(PTRACE_SECCOMP_GET_FILTER) — which stops it
   for the few microseconds that takes — and installed again, in the same
   order, in the command, so that the session may make no system call the
   target may not.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_SECCOMP_H
#define CNTR_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>
#include <sys/types.h>

/* The kernel's limit is on instructions (MAX_INSNS_PER_PATH), not filters;
   runtimes install one or two. */
#define SECCOMP_MAX_FILTERS 32

struct seccomp_filters
{
  size_t n;
  /* Oldest first, the order to install them in. */
  struct sock_fprog progs[SECCOMP_MAX_FILTERS];
};

/* Read the filters of thread tid (the target's main thread).  Fails when
   the process cannot be traced (already traced, Yama, no
   CONFIG_CHECKPOINT_RESTORE), with a hint at --no-seccomp. */
int seccomp_read_filters(pid_t tid, struct seccomp_filters *out);
/* Install them in the calling thread (which needs no_new_privs or
   CAP_SYS_ADMIN in its user namespace). */
int seccomp_install(const struct seccomp_filters *f);
void seccomp_filters_free(struct seccomp_filters *f);

#endif
