/* SPDX-License-Identifier: MIT */
/* The error record (log.h): the words a user finally sees, context added
   in front, and the record carried across fork. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
setup(void **state)
{
  (void)state;
  cntr_error_clear();
  return 0;
}

static void
a_failure_says_what_and_why(void **state)
{
  (void)state;
  errno = 0;
  assert_int_equal(cntr_fail(EACCES, "open %s", "/dev/fuse"), -1);
  assert_int_equal(errno, EACCES);
  assert_string_equal(cntr_error_message(), "open /dev/fuse: Permission denied");
  assert_int_equal(cntr_error_code(), CNTR_EXIT_FAILURE);
  cntr_fail(0, "pid 42: no such process");
  assert_string_equal(cntr_error_message(), "pid 42: no such process");
}

static void
context_goes_in_front_and_keeps_the_hint_and_code(void **state)
{
  (void)state;
  cntr_fail(EPERM, "setns into net namespace");
  cntr_hint("run as root");
  cntr_error_set_code(CNTR_EXIT_NOT_FOUND);
  errno = EPERM;
  assert_int_equal(cntr_fail_context("attach to pid %d", 42), -1);
  assert_int_equal(errno, EPERM);
  assert_string_equal(cntr_error_message(),
                      "attach to pid 42: setns into net namespace: Operation not permitted");
  assert_string_equal(cntr_error_hint(), "run as root");
  assert_int_equal(cntr_error_code(), CNTR_EXIT_NOT_FOUND);
  /* A new failure starts afresh. */
  cntr_fail(0, "other");
  assert_string_equal(cntr_error_hint(), "");
  assert_int_equal(cntr_error_code(), CNTR_EXIT_FAILURE);
}

static void
a_long_message_keeps_its_start(void **state)
{
  (void)state;
  char big[3000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  cntr_fail(0, "%s", big);
  cntr_fail_context("outer");
  assert_int_equal(strncmp(cntr_error_message(), "outer: xxx", 10), 0);
  assert_true(strlen(cntr_error_message()) < sizeof big);
}

static void
the_record_crosses_fork_whole(void **state)
{
  (void)state;
  cntr_fail(ENOENT, "ls: command not found");
  cntr_hint("check PATH");
  cntr_error_set_code(CNTR_EXIT_NOT_FOUND);
  struct cntr_error_record r;
  cntr_error_save(&r);
  cntr_error_clear();
  assert_string_equal(cntr_error_message(), "");
  cntr_error_restore(&r);
  assert_string_equal(cntr_error_message(), "ls: command not found: No such file or directory");
  assert_string_equal(cntr_error_hint(), "check PATH");
  assert_int_equal(cntr_error_code(), CNTR_EXIT_NOT_FOUND);

  /* A record from a broken child: terminated, never empty. */
  memset(&r, 'A', sizeof r);
  r.code = CNTR_EXIT_FAILURE;
  cntr_error_restore(&r);
  assert_true(strlen(cntr_error_message()) < sizeof r.message);
  memset(&r, 0, sizeof r);
  cntr_error_restore(&r);
  assert_string_equal(cntr_error_message(), "unknown error");
}

static void
printing_is_one_line_and_a_hint_then_clears(void **state)
{
  (void)state;
  char path[] = "/tmp/test-log.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  cntr_fail(0, "target 'web': no such container");
  cntr_hint("'cntr ps' lists the containers");
  cntr_error_print();
  cntr_fail(0, "second");
  cntr_error_handled(); /* quiet without -v */
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char buf[512] = "";
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  close(fd);
  unlink(path);
  assert_true(n > 0);
  assert_string_equal(buf, "cntr: target 'web': no such container\n"
                           "hint: 'cntr ps' lists the containers\n");
  assert_string_equal(cntr_error_message(), "");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(a_failure_says_what_and_why, setup),
    cmocka_unit_test_setup(context_goes_in_front_and_keeps_the_hint_and_code, setup),
    cmocka_unit_test_setup(a_long_message_keeps_its_start, setup),
    cmocka_unit_test_setup(the_record_crosses_fork_whole, setup),
    cmocka_unit_test_setup(printing_is_one_line_and_a_hint_then_clears, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
