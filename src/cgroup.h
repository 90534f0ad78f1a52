/* SPDX-License-Identifier: MIT */
/* Joining the target's cgroups: every v1 hierarchy and the v2 tree the
   target belongs to, as listed in /proc/PID/cgroup, resolved against the
   host's cgroup mounts (pure v1, hybrid and pure v2 alike).
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_CGROUP_H
#define CNTR_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

struct cgroup_mount
{
  const char *target;  /* where it is mounted, e.g. /sys/fs/cgroup/cpu,cpuacct */
  const char *root;    /* the mount's root within the hierarchy, usually "/" */
  const char *options; /* super-block options: "rw,cpu,cpuacct", "rw,name=systemd" */
  bool v2;
};

/* The host directories of the cgroups in proc_cgroup (the text of
   /proc/PID/cgroup), one per line that a mount in mounts[] reaches, as a
   NULL-terminated malloc'd vector.  Pure: unit-tested. */
char **cgroup_directories(const char *proc_cgroup, const struct cgroup_mount *mounts,
                          size_t n_mounts);

/* Move the calling process into every cgroup of proc_cgroup it can reach
   through the host's mounts.  Returns the number joined, -1 if none could
   be joined although some were listed. */
int cgroup_join(const char *proc_cgroup);

#endif
