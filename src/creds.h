/* SPDX-License-Identifier: MIT */
/* The identity a session's command runs with: the target's uid, gid, groups,
   capabilities, no_new_privs and LSM label.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_CREDS_H
#define CNTR_CREDS_H

#include "procfs.h"
#include "seccomp.h"
#include "target.h"

#include <stdbool.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/types.h>

struct session_creds
{
  /* Ids as seen inside the target's user namespace. */
  uid_t uid;
  gid_t gid;
  gid_t groups[PROC_MAX_GROUPS];
  size_t ngroups;
  uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
  bool no_new_privs;
  /* What to write to /proc/self/attr/exec, or "" for nothing, and whose
     label it is. */
  char lsm_exec[512];
  enum lsm_kind
  {
    LSM_NONE,
    LSM_APPARMOR,
    LSM_SELINUX,
  } lsm;
};

struct user_spec;

/* What the command line asks of the session's identity beyond the
   target's. */
struct identity_request
{
  const struct user_spec *user; /* -u: NULL for the target's own */
  uint64_t cap_add, cap_drop;   /* --cap-add, --cap-drop (bits of CAP_*) */
  bool privileged;              /* every capability, no no_new_privs, no LSM */
  bool apparmor_off, selinux_off;
  /* What cntr itself may give: its own permitted set (a host may withhold
     some from root, as CAP_SYS_RESOURCE on some CI machines). */
  uint64_t available;
};

/* Every capability this build knows of, as a mask. */
#define CREDS_ALL_CAPS ((1ULL << (CAP_LAST_CAP + 1)) - 1)

/* The capability NAME ("SYS_PTRACE", "cap_sys_ptrace", "ALL") as a mask;
   -1 (recorded) for an unknown one. */
int creds_cap_mask(const char *name, uint64_t *mask);

/* Apply r to c, which creds_from_target filled.  Another user gets what
   an exec of a process of that uid would: root the bounding set's
   capabilities, any other uid none.  Added capabilities go into every set
   (ambient too, so that a non-root command keeps them across its exec);
   dropped ones out of every set.  Pure: unit-tested. */
void creds_adjust(struct session_creds *c, const struct identity_request *r);

/* Derive the session's identity from the target.  Pure given the target's
   parsed files: ids are translated through its user namespace maps. */
int creds_from_target(const struct proc_status *st, const struct idmap *uid_map,
                      const struct idmap *gid_map, const char *lsm_label, struct session_creds *c);

/* The value for /proc/self/attr/exec that makes the next exec run with the
   label in attr/current: "exec <profile>" for AppArmor ("profile (mode)"),
   the context itself for SELinux, "" for unconfined/no LSM.  Pure. */
void creds_lsm_exec_attr(const char *current, char *out, size_t size);

/* Label the next exec with the target's LSM label (c->lsm_exec; nothing
   when empty).  host_proc_fd: the host's /proc, since the target may have
   none.  In the command's process, which must write its own attr/exec. */
int creds_set_exec_label(const struct session_creds *c, int host_proc_fd);

/* Become the target's identity, its seccomp filters (NULL: none) included.
   Called in the session's last process just before exec, after joining the
   target's user namespace. */
int creds_apply(const struct session_creds *c, const struct seccomp_filters *filters);

#endif
