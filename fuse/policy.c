/* SPDX-License-Identifier: MIT */
/* What a session may read of the host through a layer (cntrfs-policy.h). */
#include "cntrfs-policy.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The root's directories that belong to the running host, not to its
   software: devices, processes, kernel objects, runtime state (sockets,
   pid files, other containers' state). */
static const char *const sealed_in_root[] = { "dev", "proc", "sys", "run", NULL };

/* Kernel pseudo file systems; the magic numbers of linux/magic.h, and
   those it lacks in Debian 12's headers. */
static const unsigned long pseudo_fs[] = {
  PROC_SUPER_MAGIC, SYSFS_MAGIC,      CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC,
  TRACEFS_MAGIC,    SECURITYFS_MAGIC, BPF_FS_MAGIC,       DEVPTS_SUPER_MAGIC,  EFIVARFS_MAGIC,
  0x62656570, /* configfs */
  0x65735543, /* fusectl */
  0x6165676c, /* pstore */
  0x19800202, /* mqueue */
  0x958458f6, /* hugetlbfs */
  0x42494e4d, /* binfmt_misc */
  0xf97cff8c, /* selinuxfs */
  0x43415d53, /* smackfs */
  0x6e736673, /* nsfs */
  0x0187,     /* autofs */
};

bool
policy_is_pseudo_fs(unsigned long f_type)
{
  for (size_t i = 0; i < sizeof pseudo_fs / sizeof *pseudo_fs; i++)
    if (f_type == pseudo_fs[i])
      return true;
  return false;
}

static void
node_free(struct policy_node *n)
{
  for (size_t i = 0; i < n->nchildren; i++)
    node_free(&n->children[i]);
  free(n->children);
  free(n->name);
  n->children = NULL;
  n->nchildren = 0;
  n->name = NULL;
}

static struct policy_node *
child_named(const struct policy_node *n, const char *name, size_t len)
{
  for (size_t i = 0; i < n->nchildren; i++)
    if (strlen(n->children[i].name) == len && !strncmp(n->children[i].name, name, len))
      return &n->children[i];
  return NULL;
}

/* Add the path a/b/c below n. */
static int
node_add(struct policy_node *n, const char *path)
{
  while (*path == '/')
    path++;
  if (!*path)
    {
      n->denied = true;
      return 0;
    }
  size_t len = strcspn(path, "/");
  struct policy_node *c = child_named(n, path, len);
  if (!c)
    {
      struct policy_node *v = realloc(n->children, (n->nchildren + 1) * sizeof *v);
      if (!v)
        return -ENOMEM;
      n->children = v;
      c = &v[n->nchildren];
      memset(c, 0, sizeof *c);
      c->name = strndup(path, len);
      if (!c->name)
        return -ENOMEM;
      n->nchildren++;
    }
  return node_add(c, path + len);
}

int
policy_init(struct cntrfs_policy *p, bool enabled, const struct stat *home,
            const char *const *denied)
{
  memset(p, 0, sizeof *p);
  p->enabled = enabled;
  if (home)
    {
      p->have_home = true;
      p->home_dev = home->st_dev;
      p->home_ino = home->st_ino;
      p->home_uid = home->st_uid;
    }
  for (const char *const *d = denied; d && *d; d++)
    {
      int r = node_add(&p->denied, *d);
      if (r < 0)
        {
          policy_free(p);
          return r;
        }
    }
  return 0;
}

void
policy_free(struct cntrfs_policy *p)
{
  node_free(&p->denied);
}

static bool
is_home(const struct cntrfs_policy *p, const struct stat *st)
{
  return p->have_home && st->st_dev == p->home_dev && st->st_ino == p->home_ino;
}

struct policy_marks
policy_root_marks(const struct cntrfs_policy *p, const struct stat *root)
{
  struct policy_marks m = { 0 };
  if (is_home(p, root))
    {
      m.in_home = true;
      m.node = &p->denied;
    }
  return m;
}

/* The permission bits that apply to the session: the owner's for the
   home's owner's files in the home, the others' everywhere else. */
static bool
permits(const struct cntrfs_policy *p, const struct policy_marks *m, const struct stat *st,
        int mask)
{
  mode_t bits = m->in_home && st->st_uid == p->home_uid ? (st->st_mode >> 6) & 7 : st->st_mode & 7;
  return ((mask & R_OK) == 0 || (bits & 4)) && ((mask & W_OK) == 0 || (bits & 2))
         && ((mask & X_OK) == 0 || (bits & 1));
}

int
policy_lookup(const struct cntrfs_policy *p, const struct policy_marks *pm, const struct stat *pst,
              bool root, const char *name, const struct stat *cst, unsigned long cst_fs_type,
              struct policy_marks *child)
{
  memset(child, 0, sizeof *child);
  if (!p->enabled)
    return 0;
  if (pm->sealed)
    return -ENOENT;
  if (!permits(p, pm, pst, X_OK))
    return -EACCES;
  child->in_home = pm->in_home;
  if (pm->node)
    {
      child->node = child_named(pm->node, name, strlen(name));
      if (child->node && child->node->denied)
        return -EACCES;
    }
  if (is_home(p, cst))
    {
      child->in_home = true;
      child->node = &p->denied;
    }
  if (S_ISDIR(cst->st_mode))
    {
      bool mount_root = cst->st_dev != pst->st_dev;
      if (mount_root && policy_is_pseudo_fs(cst_fs_type))
        child->sealed = true;
      for (const char *const *s = sealed_in_root; root && *s; s++)
        child->sealed |= !strcmp(name, *s);
    }
  return 0;
}

int
policy_open(const struct cntrfs_policy *p, const struct policy_marks *m, const struct stat *st,
            int mask)
{
  if (!p->enabled)
    return 0;
  /* A sealed directory opens, and lists nothing (the server's part). */
  if (m->sealed)
    return (mask & W_OK) ? -EACCES : 0;
  return permits(p, m, st, mask) ? 0 : -EACCES;
}
