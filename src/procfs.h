/* SPDX-License-Identifier: MIT */
/* Parsers for the /proc/PID files a session reads.  The parse_* functions are
   pure (text in, struct out) so they are unit-tested on captured samples.
   Error convention: -1 with errno set (EINVAL for malformed text). */
#ifndef CNTR_PROCFS_H
#define CNTR_PROCFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_MAX_GROUPS 256

/* The parts of /proc/PID/status a session needs.  Ids are as the reader of
   the file sees them (the host's, for cntr). */
struct proc_status
{
  char name[64];
  pid_t tgid;
  pid_t ppid;
  uid_t uid[4]; /* real, effective, saved, filesystem */
  gid_t gid[4];
  gid_t groups[PROC_MAX_GROUPS];
  size_t ngroups;
  uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
  bool no_new_privs;
  int seccomp; /* 0 none, 1 strict, 2 filter */
};

int proc_parse_status(const char *text, struct proc_status *st);

/* The parts of /proc/PID/stat cntr reads.  Fields are numbered as in
   proc(5) and counted from the ")" that ends the command name: the last one
   on the line, as the name may itself contain spaces and parentheses. */
struct proc_stat
{
  char state;                    /* 3: R, S, D, T, Z (zombie), X (dead), ... */
  pid_t ppid;                    /* 4 */
  unsigned long flags;           /* 9: PF_* (PROC_PF_KTHREAD) */
  unsigned long long start_time; /* 22: clock ticks after boot */
};

int proc_parse_stat(const char *text, struct proc_stat *st);

/* PF_KTHREAD from include/linux/sched.h: the process is a kernel thread. */
#define PROC_PF_KTHREAD 0x00200000UL

#endif
