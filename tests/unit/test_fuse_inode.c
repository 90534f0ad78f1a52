/* SPDX-License-Identifier: MIT */
/* The inode table: deduplication on (dev, ino), lookup counting, pinning,
   fds closed when the count reaches zero, growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cntrfs-inode.h"

static bool
fd_is_open(int fd)
{
  return fcntl(fd, F_GETFD) >= 0;
}

static struct stat
fake_stat(dev_t dev, ino_t ino)
{
  struct stat st;

  memset(&st, 0, sizeof st);
  st.st_dev = dev;
  st.st_ino = ino;
  return st;
}

static void
test_dedup_and_count(void **state)
{
  struct inode_table t;
  struct stat st = fake_stat(1, 100);
  int fd1 = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int fd2 = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int keep1 = fd1, keep2 = fd2;
  struct cntrfs_inode *a, *b;

  (void)state;
  assert_int_equal(inode_table_init(&t), 0);
  a = inode_table_ref(&t, &fd1, &st);
  assert_non_null(a);
  assert_int_equal(fd1, -1); /* taken over */
  assert_int_equal(a->fd, keep1);
  assert_int_equal(a->nlookup, 1);

  b = inode_table_ref(&t, &fd2, &st);
  assert_ptr_equal(a, b);
  assert_int_equal(fd2, keep2); /* not taken: the caller closes it */
  assert_int_equal(a->nlookup, 2);
  close(fd2);
  assert_int_equal(inode_table_count(&t), 1);

  inode_table_ref_existing(&t, a);
  assert_int_equal(a->nlookup, 3);
  inode_table_unref(&t, a, 2);
  assert_int_equal(inode_table_count(&t), 1);
  assert_true(fd_is_open(keep1));
  inode_table_unref(&t, a, 1);
  assert_int_equal(inode_table_count(&t), 0);
  assert_false(fd_is_open(keep1));
  inode_table_destroy(&t);
}

static void
test_distinct_dev(void **state)
{
  struct inode_table t;
  struct stat s1 = fake_stat(1, 7), s2 = fake_stat(2, 7);
  int fd = -1;
  struct cntrfs_inode *a, *b;

  (void)state;
  assert_int_equal(inode_table_init(&t), 0);
  a = inode_table_ref(&t, &fd, &s1);
  fd = -1;
  b = inode_table_ref(&t, &fd, &s2);
  assert_non_null(a);
  assert_non_null(b);
  assert_ptr_not_equal(a, b);
  assert_int_equal(inode_table_count(&t), 2);
  inode_table_destroy(&t);
}

static void
test_pinned(void **state)
{
  struct inode_table t;
  struct stat st = fake_stat(3, 2);
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int keep = fd, dummy = -1;
  struct cntrfs_inode *root, *again;

  (void)state;
  assert_int_equal(inode_table_init(&t), 0);
  root = inode_table_insert_pinned(&t, &fd, &st);
  assert_non_null(root);
  assert_int_equal(root->nlookup, 0);
  /* A lookup that reaches the root finds the pinned entry... */
  again = inode_table_ref(&t, &dummy, &st);
  assert_ptr_equal(again, root);
  /* ...and forgetting it (even too often) never frees it. */
  inode_table_unref(&t, root, 5);
  assert_int_equal(inode_table_count(&t), 1);
  assert_true(fd_is_open(keep));
  inode_table_destroy(&t);
  assert_false(fd_is_open(keep));
}

static void
test_overforget_clamps(void **state)
{
  struct inode_table t;
  struct stat st = fake_stat(1, 1);
  int fd = -1;
  struct cntrfs_inode *a;

  (void)state;
  assert_int_equal(inode_table_init(&t), 0);
  a = inode_table_ref(&t, &fd, &st);
  assert_non_null(a);
  inode_table_unref(&t, a, 10);
  assert_int_equal(inode_table_count(&t), 0);
  inode_table_destroy(&t);
}

/* "Known" means the kernel holds the entry: a positive lookup count. */
static void
test_known(void **state)
{
  struct inode_table t;
  struct stat st = fake_stat(3, 300), other = fake_stat(3, 301);
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), pfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  struct stat pst = fake_stat(3, 1);
  struct cntrfs_inode *a;

  (void)state;
  assert_int_equal(inode_table_init(&t), 0);
  assert_false(inode_table_known(&t, &st));
  a = inode_table_ref(&t, &fd, &st);
  assert_non_null(a);
  assert_true(inode_table_known(&t, &st));
  assert_false(inode_table_known(&t, &other));
  inode_table_unref(&t, a, 1);
  assert_false(inode_table_known(&t, &st));
  /* pinned, never looked up (the root) */
  assert_non_null(inode_table_insert_pinned(&t, &pfd, &pst));
  assert_false(inode_table_known(&t, &pst));
  inode_table_destroy(&t);
}

static void
test_growth(void **state)
{
  enum
  {
    N = 50000
  };
  struct inode_table t;
  struct cntrfs_inode **v = calloc(N, sizeof *v);

  (void)state;
  assert_non_null(v);
  assert_int_equal(inode_table_init(&t), 0);
  for (size_t i = 0; i < N; i++)
    {
      struct stat st = fake_stat((dev_t)(i % 3), (ino_t)i);
      int fd = -1;
      v[i] = inode_table_ref(&t, &fd, &st);
      assert_non_null(v[i]);
    }
  assert_int_equal(inode_table_count(&t), N);
  assert_true(t.nbuckets >= N);
  /* every entry is still found after rehashing */
  for (size_t i = 0; i < N; i++)
    {
      struct stat st = fake_stat((dev_t)(i % 3), (ino_t)i);
      int fd = -1;
      assert_ptr_equal(inode_table_ref(&t, &fd, &st), v[i]);
      assert_int_equal(v[i]->nlookup, 2);
    }
  for (size_t i = 0; i < N; i += 2)
    inode_table_unref(&t, v[i], 2);
  assert_int_equal(inode_table_count(&t), N / 2);
  inode_table_destroy(&t);
  free(v);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_dedup_and_count), cmocka_unit_test(test_distinct_dev),
    cmocka_unit_test(test_pinned),          cmocka_unit_test(test_overforget_clamps),
    cmocka_unit_test(test_growth),          cmocka_unit_test(test_known),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
