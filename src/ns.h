/* SPDX-License-Identifier: MIT */
/* The namespaces a session joins, in the order it joins them.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_NS_H
#define CNTR_NS_H

#include <stdbool.h>
#include <sys/types.h>

enum ns_kind
{
  /* The mount namespace is entered first and apart from the others: the
     session's own nested mount namespace is built on top of it while we still
     have the host's privileges. */
  NS_MNT,
  NS_UTS,
  NS_IPC,
  NS_NET,
  /* After the cgroup has been joined from the host's view (cgroup.c), so the
     target's cgroup path resolves in the host's cgroupfs. */
  NS_CGROUP,
  /* time: setns only needs a single-threaded caller; affects this process. */
  NS_TIME,
  /* pid: affects only children, so the session forks after joining. */
  NS_PID,
  /* user: last, because every mount and setns above needs the host's
     capabilities, which joining the user namespace gives up. */
  NS_USER,
  NS_COUNT
};

/* Where in a session each namespace is joined. */
enum ns_phase
{
  /* By the session child, first and apart (view.c): the session's own
     mount namespace is made on top of it. */
  NS_PHASE_VIEW,
  /* By the session child once the view is built, in table order, before it
     forks the command's process. */
  NS_PHASE_SESSION,
  /* By the command's process, last, just before it takes the target's
     identity. */
  NS_PHASE_COMMAND,
};

struct ns_info
{
  const char *name; /* file name in /proc/PID/ns */
  int clone_flag;
  enum ns_phase phase;
};

extern const struct ns_info ns_table[NS_COUNT];

/* Whether the process of proc_pid_fd (/proc/PID) is in our own namespace
   of that kind: 1 yes, 0 no, -1 with errno set (ENOENT: the kernel has no
   such namespace type, or the process is gone).  Namespaces are the same
   when their files have the same st_dev and st_ino. */
int ns_is_ours(int proc_pid_fd, enum ns_kind kind);

/* Open /proc/PID/ns/<name> for every kind into fds[]; a namespace that is the
   same as ours (or that the kernel lacks) gets -1: joining it would be a
   no-op, and for the user namespace an error (EINVAL). */
int ns_open_all(int proc_pid_fd, int fds[NS_COUNT]);
void ns_close_all(int fds[NS_COUNT]);
/* setns into fds[kind] unless it is -1. */
int ns_join(const int fds[NS_COUNT], enum ns_kind kind);
/* ns_join every namespace of the phase, in table order. */
int ns_join_phase(const int fds[NS_COUNT], enum ns_phase phase);

#endif
