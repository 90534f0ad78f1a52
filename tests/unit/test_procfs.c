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

/* Captured from a Linux 6.x /proc/PID/stat (52 fields). */
static const char stat_sample[]
    = "4242 (nginx: worker) S 4200 4242 4242 0 -1 4194624 2466 0 0 0 3 5 0 0 20 0 1 0 123456 "
      "11116544 1234 18446744073709551615 1 1 0 0 0 0 0 16781312 134235136 0 0 0 17 1 0 0 0 0 0 "
      "0 0 0 0 0 0 0 0\n";

static void
stat_parses_state_ppid_flags_start_time(void **state)
{
  (void)state;
  struct proc_stat st;
  assert_int_equal(proc_parse_stat(stat_sample, &st), 0);
  assert_int_equal(st.state, 'S');
  assert_int_equal(st.ppid, 4200);
  assert_int_equal(st.flags, 4194624);
  assert_false(st.flags & PROC_PF_KTHREAD);
  assert_true(st.start_time == 123456ULL);
}

static void
stat_after_tricky_comm(void **state)
{
  (void)state;
  struct proc_stat st;
  /* The name contains ") (", spaces and a field-like "R 1": the fields start
     after the last ')'. */
  const char *s = "1234 (a) (b R 1 2) Z 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 777";
  assert_int_equal(proc_parse_stat(s, &st), 0);
  assert_int_equal(st.state, 'Z');
  assert_int_equal(st.ppid, 1);
  assert_int_equal(st.flags, 4194560);
  assert_true(st.start_time == 777ULL);
}

static void
stat_of_kernel_thread(void **state)
{
  (void)state;
  struct proc_stat st;
  assert_int_equal(
      proc_parse_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 9 0 0", &st), 0);
  assert_true(st.flags & PROC_PF_KTHREAD);
  assert_int_equal(st.ppid, 0);
  assert_true(st.start_time == 9ULL);
}

static void
stat_zombie_and_dead(void **state)
{
  (void)state;
  struct proc_stat st;
  assert_int_equal(
      proc_parse_stat("9 (sh) Z 1 9 9 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 50\n", &st), 0);
  assert_int_equal(st.state, 'Z');
  assert_int_equal(
      proc_parse_stat("9 (sh) X 1 9 9 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 50\n", &st), 0);
  assert_int_equal(st.state, 'X');
}

static void
stat_malformed_is_rejected(void **state)
{
  (void)state;
  struct proc_stat st;
  const char *bad[] = {
    "",
    "no parenthesis",
    "1 no open paren) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
    "2 (kthreadd)",
    "2 (kthreadd) S 0 0",                                            /* truncated */
    "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0",    /* no start time */
    "2 (kthreadd)S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 9",   /* no space */
    "2 (kthreadd) SS 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 9", /* state of two */
    "2 (kthreadd) S x 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 9",  /* ppid */
    "2 (kthreadd) S -1 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 9", /* ppid */
    "2 (kthreadd) S 0 0 0 0 -1 21x9984 0 0 0 0 0 3 0 0 20 0 1 0 9",  /* flags */
    "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 -9", /* start time */
    "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 99999999999999999999999",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      errno = 0;
      assert_int_equal(proc_parse_stat(bad[i], &st), -1);
      assert_int_equal(errno, EINVAL);
    }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(status_parses_ids_caps_and_flags),
    cmocka_unit_test(status_without_groups_is_fine),
    cmocka_unit_test(status_missing_uid_is_rejected),
    cmocka_unit_test(status_malformed_uid_is_rejected),
    cmocka_unit_test(stat_parses_state_ppid_flags_start_time),
    cmocka_unit_test(stat_after_tricky_comm),
    cmocka_unit_test(stat_of_kernel_thread),
    cmocka_unit_test(stat_zombie_and_dead),
    cmocka_unit_test(stat_malformed_is_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
