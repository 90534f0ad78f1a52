/* SPDX-License-Identifier: MIT */
/* The order a session joins the target's namespaces in (ns.h): setns is
   wrapped and records what it is asked to join. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "ns.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

static int joined[NS_COUNT];
static size_t njoined;
static int fail_flag; /* setns fails with EPERM for this clone flag */

int __wrap_setns(int fd, int nstype);
int
__wrap_setns(int fd, int nstype)
{
  (void)fd;
  if (nstype == fail_flag)
    {
      errno = EPERM;
      return -1;
    }
  if (njoined < NS_COUNT)
    joined[njoined++] = nstype;
  return 0;
}

static int
setup(void **state)
{
  (void)state;
  njoined = 0;
  fail_flag = 0;
  cntr_error_clear();
  return 0;
}

static void
all_open(int fds[NS_COUNT])
{
  for (int i = 0; i < NS_COUNT; i++)
    fds[i] = 100 + i; /* never used as fds: setns is the fake */
}

static void
the_session_joins_uts_ipc_net_cgroup_time_then_pid(void **state)
{
  (void)state;
  int fds[NS_COUNT];
  all_open(fds);
  assert_int_equal(ns_join_phase(fds, NS_PHASE_SESSION), 0);
  const int want[]
      = { CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWCGROUP, 0x00000080 /* CLONE_NEWTIME */,
          CLONE_NEWPID };
  assert_int_equal(njoined, sizeof want / sizeof *want);
  for (size_t i = 0; i < njoined; i++)
    assert_int_equal(joined[i], want[i]);
}

static void
the_command_joins_only_the_user_namespace(void **state)
{
  (void)state;
  int fds[NS_COUNT];
  all_open(fds);
  assert_int_equal(ns_join_phase(fds, NS_PHASE_COMMAND), 0);
  assert_int_equal(njoined, 1);
  assert_int_equal(joined[0], CLONE_NEWUSER);
}

static void
the_mount_namespace_is_left_to_the_view(void **state)
{
  (void)state;
  /* view_enter joins it itself, then unshares; ns_join_phase of the view
     phase would join it alone. */
  for (int k = 0; k < NS_COUNT; k++)
    assert_int_equal(ns_table[k].phase == NS_PHASE_VIEW, k == NS_MNT);
}

static void
the_user_namespace_is_joined_after_every_other(void **state)
{
  (void)state;
  /* Every setns and mount before it needs the host's capabilities. */
  assert_int_equal(ns_table[NS_USER].phase, NS_PHASE_COMMAND);
  for (int k = 0; k < NS_COUNT; k++)
    if (k != NS_USER)
      assert_true(ns_table[k].phase < NS_PHASE_COMMAND);
  /* pid affects only children: the session forks after joining it, so it
     is the last of its phase. */
  for (int k = NS_PID + 1; k < NS_COUNT; k++)
    assert_int_not_equal(ns_table[k].phase, NS_PHASE_SESSION);
}

static void
namespaces_the_target_shares_with_us_are_skipped(void **state)
{
  (void)state;
  int fds[NS_COUNT];
  all_open(fds);
  fds[NS_NET] = -1;
  fds[NS_TIME] = -1;
  assert_int_equal(ns_join_phase(fds, NS_PHASE_SESSION), 0);
  assert_int_equal(njoined, 4);
  for (size_t i = 0; i < njoined; i++)
    assert_true(joined[i] != CLONE_NEWNET && joined[i] != (int)0x00000080);
}

static void
a_failing_join_stops_the_phase_and_says_which(void **state)
{
  (void)state;
  int fds[NS_COUNT];
  all_open(fds);
  fail_flag = CLONE_NEWNET;
  assert_int_equal(ns_join_phase(fds, NS_PHASE_SESSION), -1);
  assert_int_equal(njoined, 2); /* uts, ipc */
  assert_string_equal(cntr_error_message(), "setns into net namespace: Operation not permitted");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(the_session_joins_uts_ipc_net_cgroup_time_then_pid, setup),
    cmocka_unit_test_setup(the_command_joins_only_the_user_namespace, setup),
    cmocka_unit_test_setup(the_mount_namespace_is_left_to_the_view, setup),
    cmocka_unit_test_setup(the_user_namespace_is_joined_after_every_other, setup),
    cmocka_unit_test_setup(namespaces_the_target_shares_with_us_are_skipped, setup),
    cmocka_unit_test_setup(a_failing_join_stops_the_phase_and_says_which, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
