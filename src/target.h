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

#include <stdbool.h>
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
/* Only the root of such a target: an O_PATH fd of /proc/PID/root, which
   walks the container's own mount table, so its volumes and bind-mounted
   files appear as it sees them (cntr mount, --tools-container). */
int target_open_root(const char *spec, const char *types, int *root_fd);
/* What says whether an opened process is the container a runtime named
   (not a process that got its PID since). */
struct target_facts
{
  pid_t pid;
  unsigned long long start_time; /* from /proc/PID/stat, when rt has one */
  const char *cgroups;           /* /proc/PID/cgroup */
  bool shares_our_mount_ns;      /* when rt has no cgroup key */
};

struct runtime_target;

/* The PID-reuse check.  Where the runtime names the container's cgroup
   after it (docker, podman, containerd, CRI, nerdctl, LXC/LXD/Incus), the
   cgroup path must contain that name: that holds for cgroup v1, v2,
   cgroupfs and systemd drivers alike, and a reused PID is in another
   cgroup.  Where it does not (runc run by hand, nspawn with --keep-unit
   share the caller's cgroup), the start time the runtime recorded must
   match where it has one, and the process must at least not share our
   mount namespace, as every container has its own.  Pure: unit-tested. */
int target_belongs(const struct target_facts *f, const struct runtime_target *rt);

/* Fails (recorded) when the target process has exited since it was opened. */
int target_check_alive(const struct target *t);
void target_close(struct target *t);

#endif
