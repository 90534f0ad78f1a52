/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "procfs.h"

#include <errno.h>
#include <string.h>

/* Captured from a Linux 6.x /proc/PID/status of a container process. */
static const char status_sample[] = "Name:\tnginx: worker\n"
                                    "Umask:\t0022\n"
                                    "State:\tS (sleeping)\n"
                                    "Tgid:\t4242\n"
                                    "Ngid:\t0\n"
                                    "Pid:\t4242\n"
                                    "PPid:\t4200\n"
                                    "TracerPid:\t0\n"
                                    "Uid:\t101\t102\t103\t104\n"
                                    "Gid:\t201\t202\t203\t204\n"
                                    "FDSize:\t64\n"
                                    "Groups:\t10 20 30 \n"
                                    "NSpid:\t4242\t7\n"
                                    "CapInh:\t0000000000000000\n"
                                    "CapPrm:\t00000000a80425fb\n"
                                    "CapEff:\t00000000a80425fb\n"
                                    "CapBnd:\t000001ffffffffff\n"
                                    "CapAmb:\t0000000000000400\n"
                                    "NoNewPrivs:\t1\n"
                                    "Seccomp:\t2\n";

static void
status_parses_ids_caps_and_flags(void **state)
{
  (void)state;
  struct proc_status st;
  assert_int_equal(proc_parse_status(status_sample, &st), 0);
  assert_string_equal(st.name, "nginx: worker");
  assert_int_equal(st.tgid, 4242);
  assert_int_equal(st.ppid, 4200);
  assert_int_equal(st.uid[0], 101);
  assert_int_equal(st.uid[1], 102);
  assert_int_equal(st.uid[3], 104);
  assert_int_equal(st.gid[1], 202);
  assert_int_equal(st.ngroups, 3);
  assert_int_equal(st.groups[2], 30);
  assert_true(st.cap_prm == 0xa80425fbULL);
  assert_true(st.cap_bnd == 0x1ffffffffffULL);
  assert_true(st.cap_amb == 0x400ULL);
  assert_true(st.cap_inh == 0);
  assert_true(st.no_new_privs);
  assert_int_equal(st.seccomp, 2);
}

static void
status_without_groups_is_fine(void **state)
{
  (void)state;
  struct proc_status st;
  assert_int_equal(
      proc_parse_status("Tgid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n", &st), 0);
  assert_int_equal(st.ngroups, 0);
  assert_false(st.no_new_privs);
}

static void
status_missing_uid_is_rejected(void **state)
{
  (void)state;
  struct proc_status st;
  assert_int_equal(proc_parse_status("Tgid:\t1\nGid:\t0\t0\t0\t0\n", &st), -1);
  assert_int_equal(errno, EINVAL);
}

static void
status_malformed_uid_is_rejected(void **state)
{
  (void)state;
  struct proc_status st;
  assert_int_equal(proc_parse_status("Tgid:\t1\nUid:\t0\tx\nGid:\t0\t0\t0\t0\n", &st), -1);
}

static void
stat_flags_after_tricky_comm(void **state)
{
  (void)state;
  unsigned long flags = 0;
  /* The name contains ") " and spaces: fields start after the last ')'. */
  const char *s = "1234 (evil) 1 2 (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0";
  assert_int_equal(proc_parse_stat_flags(s, &flags), 0);
  assert_int_equal(flags, 4194560);
  assert_false(flags & PROC_PF_KTHREAD);
}

static void
stat_flags_of_kernel_thread(void **state)
{
  (void)state;
  unsigned long flags = 0;
  assert_int_equal(proc_parse_stat_flags("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0", &flags), 0);
  assert_true(flags & PROC_PF_KTHREAD);
}

static void
stat_flags_truncated_is_rejected(void **state)
{
  (void)state;
  unsigned long flags;
  assert_int_equal(proc_parse_stat_flags("2 (kthreadd) S 0 0", &flags), -1);
  assert_int_equal(proc_parse_stat_flags("no parenthesis", &flags), -1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(status_parses_ids_caps_and_flags),
    cmocka_unit_test(status_without_groups_is_fine),
    cmocka_unit_test(status_missing_uid_is_rejected),
    cmocka_unit_test(status_malformed_uid_is_rejected),
    cmocka_unit_test(stat_flags_after_tricky_comm),
    cmocka_unit_test(stat_flags_of_kernel_thread),
    cmocka_unit_test(stat_flags_truncated_is_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
