/* SPDX-License-Identifier: MIT */
/* The inode table: deduplication on (dev, ino), lookup counting, pinning,
   fds closed when the count reaches zero, growth; with file handles, idle
   fds closed beyond the limit and reopened by handle when borrowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
  assert_int_equal(inode_table_init(&t, 0), 0);
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
  assert_int_equal(inode_table_init(&t, 0), 0);
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
  assert_int_equal(inode_table_init(&t, 0), 0);
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
  assert_int_equal(inode_table_init(&t, 0), 0);
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
  assert_int_equal(inode_table_init(&t, 0), 0);
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
  assert_int_equal(inode_table_init(&t, 0), 0);
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

/* A directory of real files for the handle tests. */
struct tree
{
  char dir[64];
  int dir_fd;
  struct inode_table t;
  struct cntrfs_inode *root;
};

enum
{
  NFILES = 12,
  MAX_IDLE = 3
};

static void
file_name(char *buf, size_t size, int i)
{
  snprintf(buf, size, "f%02d", i);
}

static void tree_teardown(struct tree *tr);

/* Skips the test when this process cannot open by handle (not root, or a
   file system without handles). */
static void
tree_setup(struct tree *tr)
{
  struct stat st;
  int root_fd;

  strcpy(tr->dir, "/tmp/cntr-inode-XXXXXX");
  assert_non_null(mkdtemp(tr->dir));
  tr->dir_fd = open(tr->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true(tr->dir_fd >= 0);
  for (int i = 0; i < NFILES; i++)
    {
      char name[8];
      int fd;

      file_name(name, sizeof name, i);
      fd = openat(tr->dir_fd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      assert_true(fd >= 0);
      close(fd);
    }
  assert_int_equal(inode_table_init(&tr->t, MAX_IDLE), 0);
  root_fd = fcntl(tr->dir_fd, F_DUPFD_CLOEXEC, 0);
  assert_int_equal(fstat(root_fd, &st), 0);
  tr->root = inode_table_insert_pinned(&tr->t, &root_fd, &st);
  assert_non_null(tr->root);
  if (!tr->t.handles)
    {
      tree_teardown(tr);
      skip();
    }
}

static void
tree_teardown(struct tree *tr)
{
  inode_table_destroy(&tr->t);
  for (int i = 0; i < NFILES; i++)
    {
      char name[8];

      file_name(name, sizeof name, i);
      unlinkat(tr->dir_fd, name, 0);
    }
  close(tr->dir_fd);
  rmdir(tr->dir);
}

/* A lookup of file i, as the server does it. */
static struct cntrfs_inode *
tree_lookup(struct tree *tr, int i, struct stat *st)
{
  char name[8];
  int fd;
  struct cntrfs_inode *in;

  file_name(name, sizeof name, i);
  fd = openat(tr->dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(fstat(fd, st), 0);
  in = inode_table_ref(&tr->t, &fd, st);
  assert_non_null(in);
  if (fd >= 0)
    close(fd);
  return in;
}

/* Lookups of every file, oldest first. */
static void
tree_lookup_all(struct tree *tr, struct cntrfs_inode **in, struct stat *st)
{
  for (int i = 0; i < NFILES; i++)
    in[i] = tree_lookup(tr, i, &st[i]);
}

static void
assert_borrow_is(struct tree *tr, struct cntrfs_inode *in, const struct stat *want)
{
  struct stat st;
  int fd = inode_fd_borrow(&tr->t, in);

  assert_true(fd >= 0);
  assert_int_equal(fstat(fd, &st), 0);
  assert_int_equal(st.st_ino, want->st_ino);
  assert_int_equal(st.st_dev, want->st_dev);
  inode_fd_return(&tr->t, in);
}

static void
test_handles_bound_open_fds(void **state)
{
  struct tree tr;
  struct cntrfs_inode *in[NFILES];
  struct stat st[NFILES];

  (void)state;
  tree_setup(&tr);
  tree_lookup_all(&tr, in, st);
  assert_int_equal(inode_table_count(&tr.t), NFILES + 1);
  /* The root's fd, and at most MAX_IDLE idle ones. */
  assert_int_equal(inode_table_open_fds(&tr.t), 1 + MAX_IDLE);
  /* The oldest were closed: borrowing reopens the very file. */
  assert_int_equal(in[0]->fd, -1);
  for (int i = 0; i < NFILES; i++)
    assert_borrow_is(&tr, in[i], &st[i]);
  assert_int_equal(inode_table_open_fds(&tr.t), 1 + MAX_IDLE);
  /* A lookup of a closed entry hands its fresh fd over. */
  assert_int_equal(in[0]->fd, -1);
  assert_ptr_equal(tree_lookup(&tr, 0, &st[0]), in[0]);
  assert_true(in[0]->fd >= 0);
  assert_int_equal(in[0]->nlookup, 2);
  tree_teardown(&tr);
}

static void
test_handles_borrowed_stay_open(void **state)
{
  struct tree tr;
  struct cntrfs_inode *in[NFILES];
  struct stat st[NFILES];
  int held;

  (void)state;
  tree_setup(&tr);
  in[0] = tree_lookup(&tr, 0, &st[0]);
  held = inode_fd_borrow(&tr.t, in[0]);
  assert_true(held >= 0);
  /* Many more entries: none of them may close the borrowed fd. */
  for (int i = 1; i < NFILES; i++)
    in[i] = tree_lookup(&tr, i, &st[i]);
  assert_true(fcntl(held, F_GETFD) >= 0);
  assert_int_equal(in[0]->fd, held);
  assert_int_equal(inode_table_open_fds(&tr.t), 1 + 1 + MAX_IDLE);
  /* Returned, it is the newest idle fd and the excess goes. */
  inode_fd_return(&tr.t, in[0]);
  assert_int_equal(inode_table_open_fds(&tr.t), 1 + MAX_IDLE);
  assert_int_equal(in[0]->fd, held);

  /* Forgotten while borrowed: the fd stays usable until returned. */
  held = inode_fd_borrow(&tr.t, in[0]);
  inode_table_unref(&tr.t, in[0], 1);
  assert_int_equal(inode_table_count(&tr.t), NFILES);
  assert_true(fcntl(held, F_GETFD) >= 0);
  inode_fd_return(&tr.t, in[0]);
  assert_true(fcntl(held, F_GETFD) < 0);
  tree_teardown(&tr);
}

/* A file gone from the disk while its entry had no fd: ESTALE, as an NFS
   client would see it, not some other file. */
static void
test_handles_stale(void **state)
{
  struct tree tr;
  struct cntrfs_inode *in[NFILES];
  struct stat st[NFILES];

  (void)state;
  tree_setup(&tr);
  tree_lookup_all(&tr, in, st);
  assert_int_equal(in[0]->fd, -1);
  assert_int_equal(unlinkat(tr.dir_fd, "f00", 0), 0);
  errno = 0;
  assert_int_equal(inode_fd_borrow(&tr.t, in[0]), -1);
  assert_int_equal(errno, ESTALE);
  tree_teardown(&tr);
}

static int unmarked_fd = -1;
static int unmark_calls;

static void
record_unmark(void *arg, int fd)
{
  (void)arg;
  unmark_calls++;
  unmarked_fd = fcntl(fd, F_GETFD) >= 0 ? fd : -2;
}

/* Marked entries (watched directories) keep their fd, are bounded by
   max_idle, and hand their open fd to the unmark hook when forgotten. */
static void
test_marks(void **state)
{
  struct tree tr;
  struct cntrfs_inode *in[NFILES];
  struct stat st[NFILES];
  int held;

  (void)state;
  tree_setup(&tr);
  tr.t.unmark = record_unmark;
  tree_lookup_all(&tr, in, st);
  /* The newest entries still have fds; mark them up to the limit. */
  for (int i = 0; i < MAX_IDLE; i++)
    assert_true(inode_table_claim_mark(&tr.t, in[NFILES - 1 - i]));
  assert_false(inode_table_claim_mark(&tr.t, in[0]));          /* over the limit */
  assert_false(inode_table_claim_mark(&tr.t, in[NFILES - 1])); /* already */
  assert_true(inode_table_is_marked(&tr.t, in[NFILES - 1]));
  /* Borrowing every other entry evicts idle fds, never a marked one. */
  for (int i = 0; i < NFILES - MAX_IDLE; i++)
    assert_borrow_is(&tr, in[i], &st[i]);
  for (int i = 0; i < MAX_IDLE; i++)
    assert_true(in[NFILES - 1 - i]->fd >= 0);
  /* A failed mark gives its place back. */
  inode_table_unclaim_mark(&tr.t, in[NFILES - 1]);
  assert_true(inode_table_claim_mark(&tr.t, in[0]));
  /* As the watcher does: borrow the fd to mark with; marked, it stays. */
  assert_borrow_is(&tr, in[0], &st[0]);
  for (int i = 1; i < NFILES - MAX_IDLE; i++)
    assert_borrow_is(&tr, in[i], &st[i]);
  assert_true(in[0]->fd >= 0);
  /* Forgetting a marked entry hands its (open) fd to the hook. */
  held = in[0]->fd;
  inode_table_unref(&tr.t, in[0], 1);
  assert_int_equal(unmark_calls, 1);
  assert_int_equal(unmarked_fd, held);
  assert_true(fcntl(held, F_GETFD) < 0); /* then closed */
  tree_teardown(&tr);
}

static int released, released_destroying;

static void
record_release(void *arg, struct cntrfs_inode *in, bool destroying)
{
  (void)arg;
  (void)in;
  if (destroying)
    released_destroying++;
  else
    released++;
}

/* A rekey (copy-up): the entry stands for the new file from then on, by
   its key and by its handle; the old fd stays usable while borrowed. */
static void
test_rekey_handles(void **state)
{
  struct tree tr;
  struct cntrfs_inode *a, *b;
  struct stat st, cst;
  int held, fd;

  (void)state;
  tree_setup(&tr);
  inode_table_reserve_handles(&tr.t, MAX_HANDLE_SZ);
  a = tree_lookup(&tr, 0, &st);
  assert_true(a->handle_cap >= a->handle_bytes);
  held = inode_fd_borrow(&tr.t, a);
  assert_true(held >= 0);
  fd = openat(tr.dir_fd, "copy", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  assert_true(fd >= 0);
  close(fd);
  fd = openat(tr.dir_fd, "copy", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  assert_int_equal(fstat(fd, &cst), 0);
  assert_int_equal(inode_table_rekey(&tr.t, a, &fd, &cst), 0);
  assert_int_equal(fd, -1);
  assert_int_equal(a->ino, cst.st_ino);
  /* the borrower's fd is kept until it is returned */
  assert_true(fd_is_open(held));
  inode_fd_return(&tr.t, a);
  assert_false(fd_is_open(held));
  /* found by the new key; the old one is a new entry */
  fd = -1;
  assert_ptr_equal(inode_table_ref(&tr.t, &fd, &cst), a);
  b = tree_lookup(&tr, 0, &st);
  assert_ptr_not_equal(a, b);
  /* and reopened by the new handle once its fd was closed */
  assert_borrow_is(&tr, a, &cst);
  for (int i = 1; i < NFILES; i++)
    (void)tree_lookup(&tr, i, &st);
  assert_int_equal(a->fd, -1);
  assert_borrow_is(&tr, a, &cst);
  /* a key that has an entry is refused */
  fd = openat(tr.dir_fd, "f01", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  assert_int_equal(fstat(fd, &st), 0);
  assert_int_equal(inode_table_rekey(&tr.t, b, &fd, &st), -1);
  assert_int_equal(errno, EEXIST);
  close(fd);
  unlinkat(tr.dir_fd, "copy", 0);
  tree_teardown(&tr);
}

/* Without handles an entry keeps its fds for life, the replaced one too;
   the release hook sees every entry go. */
static void
test_rekey_without_handles(void **state)
{
  struct inode_table t;
  struct stat st = fake_stat(1, 10), nst = fake_stat(2, 20);
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int old = fd, dummy = -1;
  struct cntrfs_inode *a;

  (void)state;
  released = released_destroying = 0;
  assert_int_equal(inode_table_init(&t, 0), 0);
  t.release = record_release;
  a = inode_table_ref(&t, &fd, &st);
  assert_non_null(a);
  assert_int_equal(inode_table_rekey(&t, a, &nfd, &nst), 0);
  assert_true(fd_is_open(old));
  assert_ptr_equal(inode_table_find(&t, &nst), a);
  assert_null(inode_table_find(&t, &st));
  assert_ptr_equal(inode_table_ref(&t, &dummy, &nst), a);
  inode_table_unref(&t, a, 2);
  assert_false(fd_is_open(old));
  assert_int_equal(released, 1);
  a = inode_table_ref(&t, &dummy, &st);
  inode_table_destroy(&t);
  assert_int_equal(released_destroying, 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_dedup_and_count),
    cmocka_unit_test(test_distinct_dev),
    cmocka_unit_test(test_pinned),
    cmocka_unit_test(test_overforget_clamps),
    cmocka_unit_test(test_growth),
    cmocka_unit_test(test_known),
    cmocka_unit_test(test_handles_bound_open_fds),
    cmocka_unit_test(test_handles_borrowed_stay_open),
    cmocka_unit_test(test_handles_stale),
    cmocka_unit_test(test_marks),
    cmocka_unit_test(test_rekey_handles),
    cmocka_unit_test(test_rekey_without_handles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
