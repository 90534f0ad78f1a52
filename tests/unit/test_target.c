/* SPDX-License-Identifier: MIT */
/* The PID-reuse check (target_belongs): a PID a runtime reported is only
   taken for its container when the process still is that container. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "runtime.h"
#include "target.h"

static const char docker_cgroups[] = "12:pids:/docker/0123456789abcdef0123456789abcdef\n"
                                     "1:name=systemd:/docker/0123456789abcdef0123456789abcdef\n"
                                     "0::/docker/0123456789abcdef0123456789abcdef\n";
static const char host_cgroups[] = "12:pids:/user.slice\n0::/user.slice/session-1.scope\n";

static void
a_container_in_its_cgroup_is_accepted(void **state)
{
  (void)state;
  struct runtime_target rt = {
    .pid = 42, .runtime = "docker", .name = "web", .cgroup_key = "0123456789abcdef0123456789abcdef"
  };
  struct target_facts f = { .pid = 42, .cgroups = docker_cgroups };
  assert_int_equal(target_belongs(&f, &rt), 0);
}

static void
a_reused_pid_in_another_cgroup_is_refused(void **state)
{
  (void)state;
  struct runtime_target rt = {
    .pid = 42, .runtime = "docker", .name = "web", .cgroup_key = "0123456789abcdef0123456789abcdef"
  };
  /* Even one that shares nothing with us: the cgroup decides. */
  struct target_facts f = { .pid = 42, .cgroups = host_cgroups };
  assert_int_equal(target_belongs(&f, &rt), -1);
  assert_string_equal(cntr_error_message(),
                      "docker container web: pid 42 is not in its cgroup "
                      "(no '0123456789abcdef0123456789abcdef' in /proc/42/cgroup)");
}

static void
a_start_time_that_differs_is_a_reused_pid(void **state)
{
  (void)state;
  struct runtime_target rt = { .pid = 7, .runtime = "runc", .name = "db", .start_time = 123456 };
  struct target_facts f = { .pid = 7, .cgroups = host_cgroups, .start_time = 999999 };
  assert_int_equal(target_belongs(&f, &rt), -1);
  assert_string_equal(cntr_error_message(), "runc container db: pid 7 is no longer its process");
  /* Gone since (start time 0) is the same. */
  f.start_time = 0;
  assert_int_equal(target_belongs(&f, &rt), -1);
  f.start_time = 123456;
  assert_int_equal(target_belongs(&f, &rt), 0);
}

static void
without_a_cgroup_key_a_process_of_our_mount_namespace_is_refused(void **state)
{
  (void)state;
  struct runtime_target rt = { .pid = 9, .runtime = "nspawn", .name = "box" };
  struct target_facts f = { .pid = 9, .cgroups = host_cgroups, .shares_our_mount_ns = true };
  assert_int_equal(target_belongs(&f, &rt), -1);
  assert_string_equal(cntr_error_message(),
                      "nspawn container box: pid 9 runs in the host's mount namespace");
  f.shares_our_mount_ns = false;
  assert_int_equal(target_belongs(&f, &rt), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_container_in_its_cgroup_is_accepted),
    cmocka_unit_test(a_reused_pid_in_another_cgroup_is_refused),
    cmocka_unit_test(a_start_time_that_differs_is_a_reused_pid),
    cmocka_unit_test(without_a_cgroup_key_a_process_of_our_mount_namespace_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
