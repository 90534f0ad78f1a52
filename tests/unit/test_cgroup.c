/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cgroup.h"
#include "util.h"

/* This machine's kind: hybrid v1 + v2 at /sys/fs/cgroup/unified. */
static const struct cgroup_mount hybrid[] = {
  { "/sys/fs/cgroup/cpu", "/", "rw,cpu", false },
  { "/sys/fs/cgroup/cpuacct", "/", "rw,cpuacct", false },
  { "/sys/fs/cgroup/memory", "/", "rw,memory", false },
  { "/sys/fs/cgroup/systemd", "/", "rw,name=systemd", false },
  { "/sys/fs/cgroup/unified", "/", "rw", true },
};

static void
hybrid_hierarchies_resolve(void **state)
{
  (void)state;
  const char *proc = "12:memory:/docker/abc\n"
                     "3:cpu:/docker/abc\n"
                     "2:cpuacct:/docker/abc\n"
                     "1:name=systemd:/docker/abc\n"
                     "0::/docker/abc\n"
                     "7:pids:/docker/abc\n"; /* no pids mount: skipped */
  char **dirs = cgroup_directories(proc, hybrid, 5);
  assert_non_null(dirs);
  assert_int_equal(strv_length(dirs), 5);
  assert_string_equal(dirs[0], "/sys/fs/cgroup/memory/docker/abc");
  assert_string_equal(dirs[1], "/sys/fs/cgroup/cpu/docker/abc");
  assert_string_equal(dirs[2], "/sys/fs/cgroup/cpuacct/docker/abc");
  assert_string_equal(dirs[3], "/sys/fs/cgroup/systemd/docker/abc");
  assert_string_equal(dirs[4], "/sys/fs/cgroup/unified/docker/abc");
  strv_free(dirs);
}

static void
comounted_controllers_match_their_mount(void **state)
{
  (void)state;
  const struct cgroup_mount m[] = {
    { "/sys/fs/cgroup/cpu", "/", "rw,cpu", false },
    { "/sys/fs/cgroup/cpu,cpuacct", "/", "rw,cpu,cpuacct", false },
  };
  char **dirs = cgroup_directories("4:cpu,cpuacct:/lxc/c1\n", m, 2);
  assert_non_null(dirs);
  assert_int_equal(strv_length(dirs), 1);
  assert_string_equal(dirs[0], "/sys/fs/cgroup/cpu,cpuacct/lxc/c1");
  strv_free(dirs);
}

static void
pure_v2_root_cgroup(void **state)
{
  (void)state;
  const struct cgroup_mount m[] = { { "/sys/fs/cgroup", "/", "rw,nsdelegate", true } };
  char **dirs = cgroup_directories("0::/\n", m, 1);
  assert_non_null(dirs);
  assert_string_equal(dirs[0], "/sys/fs/cgroup/");
  strv_free(dirs);
}

static void
mount_with_subtree_root(void **state)
{
  (void)state;
  /* cgroupfs mounted from a sub-cgroup: only paths below it are reachable. */
  const struct cgroup_mount m[] = { { "/mnt/cg", "/machine", "rw", true } };
  char **dirs = cgroup_directories("0::/machine/vm1\n0::/user/x\n", m, 1);
  assert_non_null(dirs);
  assert_int_equal(strv_length(dirs), 1);
  assert_string_equal(dirs[0], "/mnt/cg/vm1");
  strv_free(dirs);
  dirs = cgroup_directories("0::/machinery\n", m, 1);
  assert_int_equal(strv_length(dirs), 0);
  strv_free(dirs);
}

static void
malformed_lines_are_ignored(void **state)
{
  (void)state;
  char **dirs = cgroup_directories("garbage\n\n5\n", hybrid, 5);
  assert_non_null(dirs);
  assert_int_equal(strv_length(dirs), 0);
  strv_free(dirs);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(hybrid_hierarchies_resolve),
    cmocka_unit_test(comounted_controllers_match_their_mount),
    cmocka_unit_test(pure_v2_root_cgroup),
    cmocka_unit_test(mount_with_subtree_root),
    cmocka_unit_test(malformed_lines_are_ignored),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
