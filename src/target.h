/* SPDX-License-Identifier: MIT */
/* A target: the running process a session attaches to, resolved to one host
   PID, with every fd and fact the session needs read up front, before any
   namespace is entered.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_TARGET_H
#define CNTR_TARGET_H

#include "idmap.h"
#include "ns.h"
#include "procfs.h"

#include <sys/types.h>

struct target
{
  pid_t pid;
  int pidfd;   /* pins the identity: checked after everything is opened */
  int proc_fd; /* /proc/PID */
  int root_fd; /* /proc/PID/root, O_PATH */
  int ns_fds[NS_COUNT];
  struct proc_status status;
  struct idmap uid_map, gid_map;
  char **environ;
  char *cgroups;   /* contents of /proc/PID/cgroup */
  char *lsm_label; /* contents of /proc/PID/attr/current, NULL when no LSM */
};

/* Resolve a target argument and open it: a PID, a container NAME, ID or ID
   prefix, or SCHEME://NAME (see runtime.h for the syntax and the order
   runtimes are asked in).  TYPES (NULL: all) is --type's comma-separated
   list of runtimes. */
int target_open_as(const char *spec, const char *types, struct target *t);
/* Fails (recorded) when the target process has exited since target_open. */
int target_check_alive(const struct target *t);
void target_close(struct target *t);

#endif
