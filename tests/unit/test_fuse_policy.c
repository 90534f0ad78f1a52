/* SPDX-License-Identifier: MIT */
/* What a session may read of the host (cntrfs-policy.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cntrfs-policy.h"

#include <errno.h>
#include <linux/magic.h>
#include <unistd.h>

#define ROOTFS 0x801
#define EXT4 0xEF53

static struct stat
node(ino_t ino, mode_t mode, uid_t uid)
{
  struct stat st = { .st_dev = ROOTFS, .st_ino = ino, .st_mode = mode, .st_uid = uid };
  return st;
}

static const char *const denied[] = { ".ssh", ".docker/config.json", ".config/gcloud", NULL };

static void
unprivileged_reads_outside_the_home(void **state)
{
  (void)state;
  struct stat root = node(2, S_IFDIR | 0755, 0), home = node(10, S_IFDIR | 0700, 0);
  struct cntrfs_policy p;
  assert_int_equal(policy_init(&p, true, &home, denied), 0);
  struct policy_marks rm = policy_root_marks(&p, &root), m;

  struct stat etc = node(3, S_IFDIR | 0755, 0);
  assert_int_equal(policy_lookup(&p, &rm, &root, true, "etc", &etc, EXT4, &m), 0);
  struct stat shadow = node(4, S_IFREG | 0640, 0), passwd = node(5, S_IFREG | 0644, 0);
  struct policy_marks em = m;
  assert_int_equal(policy_lookup(&p, &em, &etc, false, "shadow", &shadow, EXT4, &m), 0);
  assert_int_equal(policy_open(&p, &m, &shadow, R_OK), -EACCES);
  assert_int_equal(policy_lookup(&p, &em, &etc, false, "passwd", &passwd, EXT4, &m), 0);
  assert_int_equal(policy_open(&p, &m, &passwd, R_OK), 0);
  /* Nothing below a directory others may not search. */
  struct stat priv = node(6, S_IFDIR | 0750, 0), inside = node(7, S_IFREG | 0644, 0);
  assert_int_equal(policy_lookup(&p, &em, &etc, false, "ssl-private", &priv, EXT4, &m), 0);
  struct policy_marks pm = m;
  assert_int_equal(policy_lookup(&p, &pm, &priv, false, "key", &inside, EXT4, &m), -EACCES);
  policy_free(&p);
}

static void
the_home_is_readable_but_not_its_credentials(void **state)
{
  (void)state;
  struct stat root = node(2, S_IFDIR | 0755, 0), home = node(10, S_IFDIR | 0700, 1000);
  struct stat homes = node(9, S_IFDIR | 0755, 0);
  struct cntrfs_policy p;
  assert_int_equal(policy_init(&p, true, &home, denied), 0);
  struct policy_marks rm = policy_root_marks(&p, &root), m, hm, dm;
  assert_int_equal(policy_lookup(&p, &rm, &root, true, "home", &homes, EXT4, &m), 0);
  struct policy_marks homes_m = m;
  assert_int_equal(policy_lookup(&p, &homes_m, &homes, false, "ann", &home, EXT4, &hm), 0);
  assert_true(hm.in_home);
  struct stat rc = node(11, S_IFREG | 0600, 1000), ssh = node(12, S_IFDIR | 0700, 1000);
  assert_int_equal(policy_lookup(&p, &hm, &home, false, ".bashrc", &rc, EXT4, &m), 0);
  assert_int_equal(policy_open(&p, &m, &rc, R_OK), 0);
  assert_int_equal(policy_lookup(&p, &hm, &home, false, ".ssh", &ssh, EXT4, &m), -EACCES);
  /* .docker is readable, .docker/config.json not. */
  struct stat docker = node(13, S_IFDIR | 0700, 1000), cfg = node(14, S_IFREG | 0600, 1000);
  struct stat other = node(15, S_IFREG | 0600, 1000);
  assert_int_equal(policy_lookup(&p, &hm, &home, false, ".docker", &docker, EXT4, &dm), 0);
  assert_int_equal(policy_lookup(&p, &dm, &docker, false, "config.json", &cfg, EXT4, &m), -EACCES);
  assert_int_equal(policy_lookup(&p, &dm, &docker, false, "buildx", &other, EXT4, &m), 0);
  /* Someone else's file in the home: the others' bits. */
  struct stat foreign = node(16, S_IFREG | 0600, 0);
  assert_int_equal(policy_lookup(&p, &hm, &home, false, "x", &foreign, EXT4, &m), 0);
  assert_int_equal(policy_open(&p, &m, &foreign, R_OK), -EACCES);
  policy_free(&p);
}

static void
the_hosts_pseudo_file_systems_and_run_are_sealed(void **state)
{
  (void)state;
  struct stat root = node(2, S_IFDIR | 0755, 0);
  struct cntrfs_policy p;
  assert_int_equal(policy_init(&p, true, NULL, NULL), 0);
  struct policy_marks rm = policy_root_marks(&p, &root), m;
  struct stat proc = node(1, S_IFDIR | 0555, 0);
  proc.st_dev = 0x4;
  assert_int_equal(policy_lookup(&p, &rm, &root, true, "proc", &proc, PROC_SUPER_MAGIC, &m), 0);
  assert_true(m.sealed);
  struct policy_marks sm = m;
  struct stat self = node(3, S_IFDIR | 0555, 0);
  assert_int_equal(policy_lookup(&p, &sm, &proc, false, "self", &self, PROC_SUPER_MAGIC, &m),
                   -ENOENT);
  struct stat run = node(5, S_IFDIR | 0755, 0);
  run.st_dev = 0x19;
  assert_int_equal(policy_lookup(&p, &rm, &root, true, "run", &run, 0x01021994, &m), 0);
  assert_true(m.sealed);
  /* A pseudo mount deeper down too, but not the same name below the root. */
  struct stat usr = node(6, S_IFDIR | 0755, 0), cg = node(1, S_IFDIR | 0555, 0);
  cg.st_dev = 0x30;
  assert_int_equal(policy_lookup(&p, &rm, &root, true, "usr", &usr, EXT4, &m), 0);
  struct policy_marks um = m;
  assert_int_equal(policy_lookup(&p, &um, &usr, false, "cg", &cg, CGROUP2_SUPER_MAGIC, &m), 0);
  assert_true(m.sealed);
  struct stat lib_run = node(7, S_IFDIR | 0755, 0);
  assert_int_equal(policy_lookup(&p, &um, &usr, false, "run", &lib_run, EXT4, &m), 0);
  assert_false(m.sealed);
  policy_free(&p);
}

static void
disabled_allows_everything(void **state)
{
  (void)state;
  struct stat root = node(2, S_IFDIR | 0700, 0), home = node(10, S_IFDIR | 0700, 0);
  struct cntrfs_policy p;
  assert_int_equal(policy_init(&p, false, &home, denied), 0);
  struct policy_marks rm = policy_root_marks(&p, &root), m;
  struct stat shadow = node(4, S_IFREG | 0600, 0);
  assert_int_equal(policy_lookup(&p, &rm, &root, true, "shadow", &shadow, EXT4, &m), 0);
  assert_int_equal(policy_open(&p, &m, &shadow, R_OK), 0);
  struct stat proc = node(1, S_IFDIR | 0555, 0);
  proc.st_dev = 4;
  assert_int_equal(policy_lookup(&p, &rm, &root, true, "proc", &proc, PROC_SUPER_MAGIC, &m), 0);
  assert_false(m.sealed);
  policy_free(&p);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(unprivileged_reads_outside_the_home),
    cmocka_unit_test(the_home_is_readable_but_not_its_credentials),
    cmocka_unit_test(the_hosts_pseudo_file_systems_and_run_are_sealed),
    cmocka_unit_test(disabled_allows_everything),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
