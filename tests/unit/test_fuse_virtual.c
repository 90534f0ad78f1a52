/* SPDX-License-Identifier: MIT */
/* What the virtual entries answer (virtual.c), operation by operation and
   entry by entry - as the inode acted on, as the directory of a name, and
   as a name in the root - and the policy table of the request prologue
   (ops.c): which operations check the caller, which a read-only layer
   refuses, and when. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cntrfs-internal.h"
#include "cntrfs-ops.h"

#define SYNTH "cntr-shim"
#define LINKS "cntr-links"

static const char shim[] = "#!/bin/true\n";

static struct cntrfs *fs;
static struct cntrfs_inode *S, *D, *L, *root; /* synthetic, link dir, link, root */

static int
setup(void **state)
{
  struct cntrfs_config cfg;

  (void)state;
  memset(&cfg, 0, sizeof cfg);
  cfg.source_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cfg.synthetic.name = SYNTH;
  cfg.synthetic.data = shim;
  cfg.synthetic.size = sizeof shim - 1;
  cfg.synthetic.mode = 0555;
  cfg.link_dir_name = LINKS;
  cfg.link_dir_target = "/var/lib/cntr/lib64/ld.so";
  cfg.no_watch = true;
  fs = cntrfs_new(&cfg);
  close(cfg.source_fd);
  if (fs == NULL)
    return -1;
  S = &fs->virt.node[VIRTUAL_SYNTHETIC].inode;
  D = &fs->virt.node[VIRTUAL_LINK_DIR].inode;
  L = &fs->virt.node[VIRTUAL_LINK].inode;
  root = fs->root;
  return 0;
}

static int
teardown(void **state)
{
  (void)state;
  cntrfs_free(fs);
  return 0;
}

/* What rule answers for r: a negative errno, 0 (the real tree), or
   VIRTUAL_SERVES with the serving node's inode in *who. */
static int
answer(const struct virtual_rule *rule, struct cntrfs_request r, struct cntrfs_inode **who)
{
  const struct virtual_node *node = NULL;
  int res = rule->answer(fs, &r, &node);

  if (who != NULL)
    *who = node != NULL ? (struct cntrfs_inode *)&node->inode : NULL;
  return res;
}

static int
on_inode(const struct virtual_rule *rule, struct cntrfs_inode *inode)
{
  return answer(rule, (struct cntrfs_request){ .inode = inode }, NULL);
}

static int
in_dir(const struct virtual_rule *rule, struct cntrfs_inode *parent, const char *name)
{
  return answer(rule, (struct cntrfs_request){ .parent = parent, .name = name }, NULL);
}

static int
opening(const struct virtual_rule *rule, struct cntrfs_inode *inode, struct cntrfs_inode *parent,
        const char *name, int flags)
{
  struct fuse_file_info fi;

  memset(&fi, 0, sizeof fi);
  fi.flags = flags;
  return answer(
      rule, (struct cntrfs_request){ .inode = inode, .parent = parent, .name = name, .fi = &fi },
      NULL);
}

static void
test_finding(void **state)
{
  (void)state;
  assert_ptr_equal(&virtual_of(fs, S)->inode, S);
  assert_ptr_equal(&virtual_of(fs, L)->inode, L);
  assert_null(virtual_of(fs, root));
  assert_ptr_equal(&virtual_by_name(fs, root, SYNTH)->inode, S);
  assert_ptr_equal(&virtual_by_name(fs, root, LINKS)->inode, D);
  /* Only in the root, only by their names; the links have none there. */
  assert_null(virtual_by_name(fs, D, SYNTH));
  assert_null(virtual_by_name(fs, root, "etc"));
  assert_null(virtual_by_name(fs, root, NULL));
}

static void
test_lookup(void **state)
{
  struct cntrfs_inode *who;

  (void)state;
  assert_int_equal(in_dir(&virtual_lookup, S, "x"), -ENOTDIR);
  assert_int_equal(in_dir(&virtual_lookup, L, "x"), -ENOTDIR);
  assert_int_equal(
      answer(&virtual_lookup, (struct cntrfs_request){ .parent = D, .name = "ps" }, &who),
      VIRTUAL_SERVES);
  assert_ptr_equal(who, D);
  assert_int_equal(
      answer(&virtual_lookup, (struct cntrfs_request){ .parent = root, .name = SYNTH }, &who),
      VIRTUAL_SERVES);
  assert_ptr_equal(who, S);
  assert_int_equal(
      answer(&virtual_lookup, (struct cntrfs_request){ .parent = root, .name = LINKS }, &who),
      VIRTUAL_SERVES);
  assert_ptr_equal(who, D);
  assert_int_equal(in_dir(&virtual_lookup, root, "etc"), 0);

  /* Refused callers: ENOMEM where the kernel may hold the name. */
  assert_int_equal(virtual_refused_lookup(fs, S, "x"), -EACCES);
  assert_int_equal(virtual_refused_lookup(fs, L, "x"), -EACCES);
  assert_int_equal(virtual_refused_lookup(fs, D, "x"), -ENOMEM);
  assert_int_equal(virtual_refused_lookup(fs, root, SYNTH), -ENOMEM);
  assert_int_equal(virtual_refused_lookup(fs, root, LINKS), -ENOMEM);
  assert_int_equal(virtual_refused_lookup(fs, root, "etc"), 0);
}

static void
test_inode_ops(void **state)
{
  struct cntrfs_inode *all[] = { S, D, L };

  (void)state;
  for (size_t i = 0; i < 3; i++)
    {
      assert_int_equal(on_inode(&virtual_getattr, all[i]), VIRTUAL_SERVES);
      assert_int_equal(on_inode(&virtual_immutable, all[i]), -EROFS);
      assert_int_equal(on_inode(&virtual_getxattr, all[i]), -ENODATA);
      assert_int_equal(on_inode(&virtual_listxattr, all[i]), VIRTUAL_SERVES);
    }
  assert_int_equal(on_inode(&virtual_getattr, root), 0);
  assert_int_equal(on_inode(&virtual_immutable, root), 0);
  assert_int_equal(on_inode(&virtual_getxattr, root), 0);
  assert_int_equal(on_inode(&virtual_listxattr, root), 0);

  assert_int_equal(on_inode(&virtual_readlink, L), VIRTUAL_SERVES);
  assert_int_equal(on_inode(&virtual_readlink, S), -EINVAL);
  assert_int_equal(on_inode(&virtual_readlink, D), -EINVAL);
  assert_int_equal(on_inode(&virtual_readlink, root), 0);

  assert_int_equal(opening(&virtual_opendir, D, NULL, NULL, O_RDONLY), VIRTUAL_SERVES);
  assert_int_equal(opening(&virtual_opendir, S, NULL, NULL, O_RDONLY), -ENOTDIR);
  assert_int_equal(opening(&virtual_opendir, L, NULL, NULL, O_RDONLY), -ENOTDIR);
  assert_int_equal(opening(&virtual_opendir, root, NULL, NULL, O_RDONLY), 0);
}

static void
test_statfs(void **state)
{
  struct cntrfs_request r = { .inode = L };
  const struct virtual_node *node = NULL;

  (void)state;
  /* A virtual entry's file system is the root's: redirected, not answered. */
  assert_int_equal(virtual_statfs.answer(fs, &r, &node), 0);
  assert_ptr_equal(r.inode, root);
}

static void
test_open(void **state)
{
  (void)state;
  assert_int_equal(opening(&virtual_open, S, NULL, NULL, O_RDONLY), VIRTUAL_SERVES);
  assert_int_equal(opening(&virtual_open, S, NULL, NULL, O_RDONLY | CNTRFS_FMODE_EXEC),
                   VIRTUAL_SERVES);
  assert_int_equal(opening(&virtual_open, S, NULL, NULL, O_WRONLY), -EROFS);
  assert_int_equal(opening(&virtual_open, S, NULL, NULL, O_RDWR), -EROFS);
  assert_int_equal(opening(&virtual_open, S, NULL, NULL, O_RDONLY | O_TRUNC), -EROFS);
  /* The type speaks first, for writes too. */
  assert_int_equal(opening(&virtual_open, D, NULL, NULL, O_RDONLY), -EISDIR);
  assert_int_equal(opening(&virtual_open, D, NULL, NULL, O_WRONLY), -EISDIR);
  assert_int_equal(opening(&virtual_open, L, NULL, NULL, O_RDONLY), -ELOOP);
  assert_int_equal(opening(&virtual_open, root, NULL, NULL, O_WRONLY), 0);
}

static void
test_access(void **state)
{
  (void)state;
  assert_int_equal(
      answer(&virtual_access, (struct cntrfs_request){ .inode = S, .mask = W_OK }, NULL), -EROFS);
  assert_int_equal(
      answer(&virtual_access, (struct cntrfs_request){ .inode = S, .mask = X_OK }, NULL),
      VIRTUAL_SERVES);
  assert_int_equal(
      answer(&virtual_access, (struct cntrfs_request){ .inode = D, .mask = R_OK }, NULL),
      VIRTUAL_SERVES);
  assert_int_equal(
      answer(&virtual_access, (struct cntrfs_request){ .inode = L, .mask = R_OK | W_OK }, NULL),
      -EROFS);
  assert_int_equal(
      answer(&virtual_access, (struct cntrfs_request){ .inode = root, .mask = W_OK }, NULL), 0);
}

static void
test_access_no_x(void **state)
{
  struct cntrfs_config cfg;
  struct cntrfs *plain;
  struct cntrfs_request r;
  const struct virtual_node *node;

  (void)state;
  memset(&cfg, 0, sizeof cfg);
  cfg.source_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cfg.synthetic.name = SYNTH;
  cfg.synthetic.mode = 0444;
  cfg.no_watch = true;
  plain = cntrfs_new(&cfg);
  close(cfg.source_fd);
  assert_non_null(plain);
  r = (struct cntrfs_request){ .inode = &plain->virt.node[VIRTUAL_SYNTHETIC].inode, .mask = X_OK };
  assert_int_equal(virtual_access.answer(plain, &r, &node), -EACCES);
  /* No link directory configured: its name is nobody's. */
  assert_null(virtual_by_name(plain, plain->root, LINKS));
  cntrfs_free(plain);
}

static void
test_names(void **state)
{
  const struct virtual_rule *make = &virtual_make;

  (void)state;
  /* mknod, mkdir, symlink: a virtual directory refuses, a file has no
     names, a virtual name exists. */
  assert_int_equal(in_dir(make, D, "x"), -EROFS);
  assert_int_equal(in_dir(make, S, "x"), -ENOTDIR);
  assert_int_equal(in_dir(make, L, "x"), -ENOTDIR);
  assert_int_equal(in_dir(make, root, SYNTH), -EEXIST);
  assert_int_equal(in_dir(make, root, LINKS), -EEXIST);
  assert_int_equal(in_dir(make, root, "x"), 0);

  assert_int_equal(in_dir(&virtual_unlink, D, "x"), -EROFS);
  assert_int_equal(in_dir(&virtual_unlink, S, "x"), -ENOTDIR);
  assert_int_equal(in_dir(&virtual_unlink, root, SYNTH), -EROFS);
  assert_int_equal(in_dir(&virtual_unlink, root, LINKS), -EISDIR);
  assert_int_equal(in_dir(&virtual_unlink, root, "x"), 0);

  assert_int_equal(in_dir(&virtual_rmdir, D, "x"), -EROFS);
  assert_int_equal(in_dir(&virtual_rmdir, L, "x"), -ENOTDIR);
  assert_int_equal(in_dir(&virtual_rmdir, root, SYNTH), -ENOTDIR);
  assert_int_equal(in_dir(&virtual_rmdir, root, LINKS), -EROFS);
  assert_int_equal(in_dir(&virtual_rmdir, root, "x"), 0);

  /* link: the file to link first, then the new name's directory, then the
     name. */
  assert_int_equal(answer(&virtual_link,
                          (struct cntrfs_request){ .inode = S, .parent = root, .name = "x" }, NULL),
                   -EROFS);
  assert_int_equal(answer(&virtual_link,
                          (struct cntrfs_request){ .inode = root, .parent = D, .name = "x" }, NULL),
                   -EROFS);
  assert_int_equal(answer(&virtual_link,
                          (struct cntrfs_request){ .inode = root, .parent = S, .name = "x" }, NULL),
                   -ENOTDIR);
  assert_int_equal(answer(&virtual_link,
                          (struct cntrfs_request){ .inode = root, .parent = root, .name = SYNTH },
                          NULL),
                   -EEXIST);
  assert_int_equal(answer(&virtual_link,
                          (struct cntrfs_request){ .inode = root, .parent = root, .name = "x" },
                          NULL),
                   0);
}

static int
renaming(struct cntrfs_inode *from, const char *name, struct cntrfs_inode *to, const char *name2)
{
  return answer(
      &virtual_rename,
      (struct cntrfs_request){ .parent = from, .name = name, .parent2 = to, .name2 = name2 }, NULL);
}

static void
test_rename(void **state)
{
  (void)state;
  /* A virtual directory on either side refuses before a virtual file says
     it has no names. */
  assert_int_equal(renaming(S, "a", D, "b"), -EROFS);
  assert_int_equal(renaming(D, "a", L, "b"), -EROFS);
  assert_int_equal(renaming(S, "a", root, "b"), -ENOTDIR);
  assert_int_equal(renaming(root, "a", L, "b"), -ENOTDIR);
  assert_int_equal(renaming(root, SYNTH, root, "b"), -EROFS);
  assert_int_equal(renaming(root, "a", root, LINKS), -EROFS);
  assert_int_equal(renaming(root, "a", root, "b"), 0);
}

static void
test_create(void **state)
{
  const struct virtual_rule *c = &virtual_create;

  (void)state;
  assert_int_equal(opening(c, NULL, S, "x", O_CREAT | O_WRONLY), -ENOTDIR);
  assert_int_equal(opening(c, NULL, L, "x", O_CREAT | O_EXCL | O_WRONLY), -ENOTDIR);
  /* Every name exists in the link directory. */
  assert_int_equal(opening(c, NULL, D, "x", O_CREAT | O_EXCL | O_WRONLY), -EEXIST);
  assert_int_equal(opening(c, NULL, D, "x", O_CREAT | O_WRONLY), -EROFS);
  assert_int_equal(opening(c, NULL, root, LINKS, O_CREAT | O_EXCL | O_RDONLY), -EEXIST);
  assert_int_equal(opening(c, NULL, root, LINKS, O_CREAT | O_RDONLY), -EISDIR);
  /* The synthetic file is opened, as it exists - read-only. */
  assert_int_equal(opening(c, NULL, root, SYNTH, O_CREAT | O_EXCL | O_RDONLY), -EEXIST);
  assert_int_equal(opening(c, NULL, root, SYNTH, O_CREAT | O_RDONLY), VIRTUAL_SERVES);
  assert_int_equal(opening(c, NULL, root, SYNTH, O_CREAT | O_WRONLY), -EROFS);
  assert_int_equal(opening(c, NULL, root, "x", O_CREAT | O_WRONLY), 0);
}

/* The policy of every operation as the handlers applied it before there
   was a table, and as cntrfs.h describes it. */
static void
test_policy(void **state)
{
  static const enum cntrfs_op checked[] = {
    CNTRFS_OP_LOOKUP,   CNTRFS_OP_GETATTR,   CNTRFS_OP_SETATTR,     CNTRFS_OP_READLINK,
    CNTRFS_OP_MKNOD,    CNTRFS_OP_MKDIR,     CNTRFS_OP_UNLINK,      CNTRFS_OP_RMDIR,
    CNTRFS_OP_SYMLINK,  CNTRFS_OP_RENAME,    CNTRFS_OP_LINK,        CNTRFS_OP_OPEN,
    CNTRFS_OP_OPENDIR,  CNTRFS_OP_CREATE,    CNTRFS_OP_STATFS,      CNTRFS_OP_SETXATTR,
    CNTRFS_OP_GETXATTR, CNTRFS_OP_LISTXATTR, CNTRFS_OP_REMOVEXATTR, CNTRFS_OP_ACCESS,
  };
  static const enum cntrfs_op mutates[] = {
    CNTRFS_OP_SETATTR,         CNTRFS_OP_MKNOD,    CNTRFS_OP_MKDIR,       CNTRFS_OP_UNLINK,
    CNTRFS_OP_RMDIR,           CNTRFS_OP_SYMLINK,  CNTRFS_OP_RENAME,      CNTRFS_OP_LINK,
    CNTRFS_OP_WRITE,           CNTRFS_OP_SETXATTR, CNTRFS_OP_REMOVEXATTR, CNTRFS_OP_FALLOCATE,
    CNTRFS_OP_COPY_FILE_RANGE,
  };
  static const enum cntrfs_op may_write[] = {
    CNTRFS_OP_OPEN,
    CNTRFS_OP_ACCESS,
    CNTRFS_OP_CREATE,
  };
  unsigned want[CNTRFS_OP_COUNT] = { 0 };

  (void)state;
  for (size_t i = 0; i < sizeof checked / sizeof *checked; i++)
    want[checked[i]] |= OP_CHECK_CALLER;
  want[CNTRFS_OP_GETATTR] |= OP_HANDLE_TRUSTED;
  want[CNTRFS_OP_SETATTR] |= OP_HANDLE_TRUSTED;
  want[CNTRFS_OP_LOOKUP] |= OP_HELD_NAMES;
  for (size_t i = 0; i < sizeof mutates / sizeof *mutates; i++)
    want[mutates[i]] |= OP_MUTATES;
  for (size_t i = 0; i < sizeof may_write / sizeof *may_write; i++)
    want[may_write[i]] |= OP_MAY_WRITE;
  for (size_t op = 0; op < CNTRFS_OP_COUNT; op++)
    {
      assert_int_equal(cntrfs_op_policy[op].flags, want[op]);
      /* Virtual entries concern exactly the checked requests, which are
         the ones that name or open a file. */
      assert_int_equal(cntrfs_op_policy[op].virt != NULL, (want[op] & OP_CHECK_CALLER) != 0);
    }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_finding),     cmocka_unit_test(test_lookup),
    cmocka_unit_test(test_inode_ops),   cmocka_unit_test(test_statfs),
    cmocka_unit_test(test_open),        cmocka_unit_test(test_access),
    cmocka_unit_test(test_access_no_x), cmocka_unit_test(test_names),
    cmocka_unit_test(test_rename),      cmocka_unit_test(test_create),
    cmocka_unit_test(test_policy),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
