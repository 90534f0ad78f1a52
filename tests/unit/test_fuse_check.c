/* SPDX-License-Identifier: MIT */
/* The mount namespace check of requests: this process and its threads are
   allowed, pid 0, a gone pid and a process in another mount namespace are
   not; without a restriction everyone is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cntrfs-internal.h"

static struct cntrfs *
new_fs(void)
{
  struct cntrfs_config cfg;
  struct cntrfs *fs;

  memset(&cfg, 0, sizeof cfg);
  cfg.source_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true(cfg.source_fd >= 0);
  fs = cntrfs_new(&cfg);
  close(cfg.source_fd);
  assert_non_null(fs);
  return fs;
}

static void
test_unrestricted(void **state)
{
  struct cntrfs *fs = new_fs();

  (void)state;
  assert_true(cntrfs_caller_allowed(fs, getpid()));
  assert_true(cntrfs_caller_allowed(fs, 0));
  cntrfs_free(fs);
}

static void
test_restricted(void **state)
{
  struct cntrfs *fs = new_fs();
  struct stat ns;
  int status;
  pid_t gone;

  (void)state;
  assert_int_equal(stat("/proc/self/ns/mnt", &ns), 0);
  assert_int_equal(cntrfs_restrict_to_mount_ns(fs, ns.st_dev, ns.st_ino), 0);
  assert_true(cntrfs_caller_allowed(fs, getpid()));
  assert_true(cntrfs_caller_allowed(fs, gettid()));
  assert_false(cntrfs_caller_allowed(fs, 0));
  assert_false(cntrfs_caller_allowed(fs, -1));

  gone = fork();
  if (gone == 0)
    _exit(0);
  assert_int_equal(waitpid(gone, &status, 0), gone);
  assert_false(cntrfs_caller_allowed(fs, gone));

  /* another mount namespace allowed: we are not */
  assert_int_equal(cntrfs_restrict_to_mount_ns(fs, ns.st_dev, ns.st_ino + 1), 0);
  assert_false(cntrfs_caller_allowed(fs, getpid()));
  cntrfs_free(fs);
}

static void
test_other_namespace(void **state)
{
  struct cntrfs *fs = new_fs();
  struct stat ns;
  int p[2], status;
  pid_t child;
  char c;

  (void)state;
  assert_int_equal(stat("/proc/self/ns/mnt", &ns), 0);
  assert_int_equal(cntrfs_restrict_to_mount_ns(fs, ns.st_dev, ns.st_ino), 0);
  assert_int_equal(pipe(p), 0);
  child = fork();
  if (child == 0)
    {
      c = unshare(CLONE_NEWNS) == 0 ? 'y' : 'n';
      if (write(p[1], &c, 1) != 1)
        _exit(1);
      pause();
      _exit(0);
    }
  close(p[1]);
  assert_int_equal(read(p[0], &c, 1), 1);
  close(p[0]);
  if (c == 'y')
    assert_false(cntrfs_caller_allowed(fs, child));
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  cntrfs_free(fs);
  if (c != 'y')
    skip(); /* unshare needs CAP_SYS_ADMIN */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_unrestricted),
    cmocka_unit_test(test_restricted),
    cmocka_unit_test(test_other_namespace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
