/* SPDX-License-Identifier: MIT */
/* What a session may read of the host through a layer that is the host's
   own tree (the tools):
   - what an unprivileged host user could read: the "other" permission bits
     of every file opened and of every directory looked into;
   - and the invoking user's home, with the owner's bits where the user
     owns the file, without the credential stores in it (paths relative to
     the home, cntrfs.h: home_denied);
   - but nothing below the mount of a kernel pseudo file system (proc,
     sysfs, devpts, cgroup, debugfs, tracefs, bpf, securityfs, ...) nor
     below the root's dev, proc, sys and run (the host's /run): those
     directories are "sealed", they look empty.
   The server keeps a policy_marks with every inode, made at lookup from its
   parent's.  Pure given names and stat results: unit-tested.
   Error convention: negative errno. */
#ifndef CNTR_FUSE_POLICY_H
#define CNTR_FUSE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* A path of home_denied, as a tree of names. */
struct policy_node
{
  char *name;
  struct policy_node *children;
  size_t nchildren;
  bool denied; /* the path ends here: it and what is below it */
};

struct cntrfs_policy
{
  bool enabled;
  bool have_home;
  dev_t home_dev;
  ino_t home_ino;
  uid_t home_uid;
  struct policy_node denied; /* the home's own node */
};

/* What an inode carries. */
struct policy_marks
{
  bool in_home;                   /* the home or below it */
  bool sealed;                    /* looks empty */
  const struct policy_node *node; /* where it is in the denied tree, if on a path of it */
};

/* home: its stat (NULL: no home), uid its owner's; denied: NULL-terminated
   paths relative to it.  enabled false: everything allowed (what the user
   asks for with --host-secrets). */
int policy_init(struct cntrfs_policy *p, bool enabled, const struct stat *home,
                const char *const *denied);
void policy_free(struct cntrfs_policy *p);

/* The marks of the root. */
struct policy_marks policy_root_marks(const struct cntrfs_policy *p, const struct stat *root);

/* Whether the pseudo file system statfs reported (f_type) is one a layer
   does not cross into. */
bool policy_is_pseudo_fs(unsigned long f_type);

/* Looking up name in parent (marks pm, stat pst; root: the layer's root)
   found child (stat cst, on a file system of type cst_fs_type): 0 with the
   child's marks, -EACCES when the session may not search the parent or
   the name is a credential store, -ENOENT in a sealed directory. */
int policy_lookup(const struct cntrfs_policy *p, const struct policy_marks *pm,
                  const struct stat *pst, bool root, const char *name, const struct stat *cst,
                  unsigned long cst_fs_type, struct policy_marks *child);

/* Whether the session may open the file (mask: R_OK, W_OK, X_OK as
   access(2)); 0 or -EACCES. */
int policy_open(const struct cntrfs_policy *p, const struct policy_marks *m, const struct stat *st,
                int mask);

#endif
