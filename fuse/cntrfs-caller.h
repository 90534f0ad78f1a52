/* SPDX-License-Identifier: MIT */
/* The caller of a request: whether it may be answered (the mount namespace
   check of cntrfs_restrict_to_mount_ns), and acting as it - its fsuid,
   fsgid, supplementary groups and umask - around the system calls that
   create files or check access (caller.c). */
#ifndef CNTR_FUSE_CALLER_H
#define CNTR_FUSE_CALLER_H

#include "cntrfs-lowlevel.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cntrfs;

/* Whether a request of process pid (as the kernel reports it) may be
   answered: always when unrestricted, otherwise only when the process is in
   the allowed mount namespace. */
bool cntrfs_caller_allowed(const struct cntrfs *fs, pid_t pid);

/* The same for the caller of req, logged when refused (debug): true when
   the caller is refused. */
bool caller_refused(fuse_req_t req);

/* Whether req's caller is in group gid (its own gid or a supplementary
   group, as the file system below sees them). */
bool caller_in_group(fuse_req_t req, struct cntrfs *fs, gid_t gid);

/* Whether req's caller has CAP_FSETID in its effective set (from its
   /proc status; false when it cannot be read). */
bool caller_has_fsetid(fuse_req_t req);

/* ---- credentials ------------------------------------------------------ */

struct cntrfs_id_range;

/* The host's groups in groups[0..n) as the user namespace of map (a
   gid_map, cntrfs_set_group_map) has them, in place, those it does not
   map left out; how many remain.  Pure. */
int caller_groups_into_namespace(const struct cntrfs_id_range *map, size_t nmap, gid_t *groups,
                                 int n);

/* Operations that create files act with the caller's fsuid/fsgid and
   supplementary groups, so that new files get the caller's ownership and the
   underlying file system checks the caller's rights.  All three are
   per-thread: the raw syscalls change only the calling thread (glibc's
   setgroups() would broadcast to every thread of the process).  Dropping
   fsuid from 0 also drops CAP_DAC_OVERRIDE & co. from the thread's effective
   set, and going back to 0 restores them. */
struct creds
{
  bool ids;
  bool groups;
  bool umask;
};

/* Act as the caller of req: 0, or a negative errno; creds_leave is due
   either way, and keeps errno. */
int creds_enter(fuse_req_t req, struct cntrfs *fs, struct creds *c);
void creds_leave(struct cntrfs *fs, const struct creds *c);

#endif
