/* SPDX-License-Identifier: MIT */
/* Taking the target's identity: ids, groups, capabilities, no_new_privs, LSM
   label (creds.h). */
#include "creds.h"
#include "cleanup.h"
#include "log.h"
#include "passwd.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The label's kind, from how creds_lsm_exec_attr wrote it. */
static enum lsm_kind
lsm_kind_of(const char *exec_attr)
{
  if (!exec_attr[0])
    return LSM_NONE;
  return !strncmp(exec_attr, "exec ", 5) ? LSM_APPARMOR : LSM_SELINUX;
}

void
creds_lsm_exec_attr(const char *current, char *out, size_t size)
{
  out[0] = '\0';
  if (!current)
    return;
  size_t len = strcspn(current, "\n");
  while (len > 0 && (current[len - 1] == '\0' || current[len - 1] == ' '))
    len--;
  if (len == 0)
    return;
  char label[512];
  if (len >= sizeof label)
    return;
  memcpy(label, current, len);
  label[len] = '\0';
  if (!strcmp(label, "unconfined") || !strcmp(label, "kernel"))
    return;
  /* AppArmor prints "profile (enforce)"; SELinux prints user:role:type:level. */
  char *mode = strstr(label, " (");
  if (mode)
    {
      *mode = '\0';
      snprintf(out, size, "exec %s", label);
      return;
    }
  if (strchr(label, ':'))
    snprintf(out, size, "%s", label);
}

int
creds_from_target(const struct proc_status *st, const struct idmap *uid_map,
                  const struct idmap *gid_map, const char *lsm_label, struct session_creds *c)
{
  memset(c, 0, sizeof *c);
  int64_t uid = idmap_to_inside(uid_map, st->uid[1]);
  int64_t gid = idmap_to_inside(gid_map, st->gid[1]);
  if (uid < 0 || gid < 0)
    return cntr_fail(0, "the target's uid %u/gid %u is not mapped in its user namespace",
                     st->uid[1], st->gid[1]);
  c->uid = uid;
  c->gid = gid;
  for (size_t i = 0; i < st->ngroups; i++)
    {
      int64_t g = idmap_to_inside(gid_map, st->groups[i]);
      if (g >= 0)
        c->groups[c->ngroups++] = g;
    }
  c->cap_inh = st->cap_inh;
  c->cap_prm = st->cap_prm;
  c->cap_eff = st->cap_eff;
  c->cap_bnd = st->cap_bnd;
  c->cap_amb = st->cap_amb;
  c->no_new_privs = st->no_new_privs;
  creds_lsm_exec_attr(lsm_label, c->lsm_exec, sizeof c->lsm_exec);
  c->lsm = lsm_kind_of(c->lsm_exec);
  return 0;
}

int
creds_cap_mask(const char *name, uint64_t *mask)
{
  if (!strcasecmp(name, "ALL"))
    {
      *mask = CREDS_ALL_CAPS;
      return 0;
    }
  char lower[64];
  int n = snprintf(lower, sizeof lower, "%s%s", strncasecmp(name, "cap_", 4) ? "cap_" : "", name);
  if (n < 0 || (size_t)n >= sizeof lower)
    return cntr_fail(0, "capability '%s': unknown", name);
  for (char *p = lower; *p; p++)
    *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  cap_value_t v;
  if (cap_from_name(lower, &v) < 0 || v < 0 || v > CAP_LAST_CAP)
    {
      cntr_fail(0, "capability '%s': unknown", name);
      cntr_hint("a name of capabilities(7), with or without CAP_, or ALL");
      return -1;
    }
  *mask = 1ULL << v;
  return 0;
}

void
creds_adjust(struct session_creds *c, const struct identity_request *r)
{
  if (r->user)
    {
      c->uid = r->user->uid;
      c->gid = r->user->gid;
      c->ngroups = r->user->ngroups;
      memcpy(c->groups, r->user->groups, r->user->ngroups * sizeof *c->groups);
      uint64_t fresh = c->uid == 0 ? c->cap_bnd : 0;
      c->cap_prm = c->cap_eff = fresh;
      c->cap_inh = c->cap_amb = 0;
    }
  uint64_t add = r->cap_add & r->available;
  if (r->privileged)
    {
      c->cap_bnd = c->cap_prm = c->cap_eff = c->cap_inh = r->available;
      c->cap_amb = c->uid == 0 ? 0 : r->available;
      c->no_new_privs = false;
      c->lsm_exec[0] = '\0';
      c->lsm = LSM_NONE;
    }
  c->cap_bnd |= add;
  c->cap_prm |= add;
  c->cap_eff |= add;
  c->cap_inh |= add;
  if (c->uid != 0)
    c->cap_amb |= add;
  c->cap_bnd &= ~r->cap_drop;
  c->cap_prm &= ~r->cap_drop;
  c->cap_eff &= ~r->cap_drop;
  c->cap_inh &= ~r->cap_drop;
  c->cap_amb &= ~r->cap_drop;
  /* Ambient ones must be permitted and inheritable, or the kernel refuses. */
  c->cap_amb &= c->cap_prm & c->cap_inh;
  if ((r->apparmor_off && c->lsm == LSM_APPARMOR) || (r->selinux_off && c->lsm == LSM_SELINUX))
    {
      c->lsm_exec[0] = '\0';
      c->lsm = LSM_NONE;
    }
}

static int
set_caps(const struct session_creds *c)
{
  cap_t caps = cap_init();
  if (!caps)
    return cntr_fail(errno, "set capabilities");
  int last = cap_max_bits();
  for (cap_value_t v = 0; v < last && v < 64; v++)
    {
      if (c->cap_prm & (1ULL << v))
        cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
      if (c->cap_eff & (1ULL << v))
        cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
      if (c->cap_inh & (1ULL << v))
        cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
  int rc = cap_set_proc(caps);
  int saved = errno;
  cap_free(caps);
  if (rc < 0)
    return cntr_fail(saved, "set the target's capabilities");
  for (cap_value_t v = 0; v < last && v < 64; v++)
    if ((c->cap_amb & (1ULL << v)) && cap_set_ambient(v, CAP_SET) < 0)
      return cntr_fail(errno, "raise ambient capability %d", v);
  return 0;
}

int
creds_set_exec_label(const struct session_creds *c, int host_proc_fd)
{
  if (c->lsm_exec[0] && write_file_at(host_proc_fd, "self/attr/exec", c->lsm_exec) < 0)
    return cntr_fail(errno, "set LSM label '%s'", c->lsm_exec);
  return 0;
}

int
creds_apply(const struct session_creds *c, const struct seccomp_filters *filters)
{
  /* The bounding set needs CAP_SETPCAP, which goes away with setuid. */
  int last = cap_max_bits();
  for (cap_value_t v = 0; v < last && v < 64; v++)
    if (!(c->cap_bnd & (1ULL << v)) && cap_drop_bound(v) < 0 && errno != EINVAL)
      return cntr_fail(errno, "drop capability %d from the bounding set", v);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return cntr_fail(errno, "keep capabilities");
  /* Without no_new_privs, installing a filter takes CAP_SYS_ADMIN, which the
     target's identity may not have: before it, as runc does (what follows
     must be allowed by the filter, as it was for the target's runtime). */
  if (filters && !c->no_new_privs && seccomp_install(filters) < 0)
    return -1;
  /* A user namespace whose setgroups is "deny" refuses this; the groups are
     then the ones the namespace already gave us. */
  if (setgroups(c->ngroups, c->groups) < 0 && errno != EPERM)
    return cntr_fail(errno, "set groups");
  if (setresgid(c->gid, c->gid, c->gid) < 0)
    return cntr_fail(errno, "set gid %u", c->gid);
  if (setresuid(c->uid, c->uid, c->uid) < 0)
    return cntr_fail(errno, "set uid %u", c->uid);
  if (set_caps(c) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return cntr_fail(errno, "reset keep-capabilities");
  if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return cntr_fail(errno, "set no_new_privs");
  if (filters && c->no_new_privs && seccomp_install(filters) < 0)
    return -1;
  return 0;
}
