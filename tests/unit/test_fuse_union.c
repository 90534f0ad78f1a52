/* SPDX-License-Identifier: MIT */
/* The union's own pieces (cntrfs-union.h) that need no server: its xattr
   names hidden from listings, the whiteout format, and whether a merged
   directory looks empty (whiteouts hide lower names, and are nothing
   themselves). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cntrfs-union.h"

static void
test_xattr_filter(void **state)
{
  static const char list[] = "user.a\0trusted.cntr.origin\0security.x\0trusted.cntr.opaque";
  char buf[sizeof list];
  size_t n;

  (void)state;
  assert_true(union_xattr_hidden("trusted.cntr.origin"));
  assert_false(union_xattr_hidden("trusted.cntrx"));
  assert_false(union_xattr_hidden("user.cntr.origin"));
  memcpy(buf, list, sizeof list);
  n = union_xattr_filter(buf, sizeof list);
  assert_int_equal(n, sizeof "user.a" + sizeof "security.x");
  assert_memory_equal(buf, "user.a\0security.x", n);
  /* nothing but hidden names, and nothing at all */
  memcpy(buf, "trusted.cntr.a", sizeof "trusted.cntr.a");
  assert_int_equal(union_xattr_filter(buf, sizeof "trusted.cntr.a"), 0);
  assert_int_equal(union_xattr_filter(buf, 0), 0);
  /* a list without its last NUL keeps what it has */
  memcpy(buf, "user.b\0user.c", 13);
  assert_int_equal(union_xattr_filter(buf, 13), 13);
}

static void
test_whiteout_format(void **state)
{
  struct stat st = { .st_mode = S_IFCHR | 0600, .st_rdev = makedev(0, 0) };

  (void)state;
  assert_true(union_is_whiteout(&st));
  st.st_rdev = makedev(1, 3);
  assert_false(union_is_whiteout(&st));
  st.st_mode = S_IFBLK;
  st.st_rdev = 0;
  assert_false(union_is_whiteout(&st));
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)ftw;
  return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* An upper and a lower directory to merge, in a temporary directory. */
struct layers
{
  char base[64];
  int upper, lower;
};

static void
layers_setup(struct layers *l)
{
  int fd;

  strcpy(l->base, "/tmp/cntr-union-XXXXXX");
  assert_non_null(mkdtemp(l->base));
  fd = open(l->base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal(mkdirat(fd, "u", 0755), 0);
  assert_int_equal(mkdirat(fd, "l", 0755), 0);
  l->upper = openat(fd, "u", O_PATH | O_DIRECTORY | O_CLOEXEC);
  l->lower = openat(fd, "l", O_PATH | O_DIRECTORY | O_CLOEXEC);
  close(fd);
  if (union_whiteout(l->upper, "probe") < 0)
    {
      nftw(l->base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
      skip(); /* making a whiteout needs CAP_MKNOD */
    }
  unlinkat(l->upper, "probe", 0);
}

static void
layers_teardown(struct layers *l)
{
  close(l->upper);
  close(l->lower);
  nftw(l->base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
touch_at(int dir, const char *name)
{
  int fd = openat(dir, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  assert_true(fd >= 0);
  close(fd);
}

static void
test_dir_empty(void **state)
{
  struct layers l;

  (void)state;
  layers_setup(&l);
  assert_int_equal(union_dir_empty(l.upper, l.lower), 0);
  /* a lower name, then hidden by a whiteout */
  touch_at(l.lower, "a");
  assert_int_equal(union_dir_empty(l.upper, l.lower), -ENOTEMPTY);
  assert_int_equal(union_dir_empty(l.upper, -1), 0); /* opaque: no lower part */
  assert_int_equal(union_whiteout(l.upper, "a"), 0);
  assert_int_equal(union_dir_empty(l.upper, l.lower), 0);
  /* an upper name is something */
  touch_at(l.upper, "b");
  assert_int_equal(union_dir_empty(l.upper, l.lower), -ENOTEMPTY);
  assert_int_equal(union_dir_empty(-1, l.lower), -ENOTEMPTY);
  /* clearing the whiteouts of an upper directory that holds more */
  assert_int_equal(union_clear_whiteouts(l.upper, "."), -ENOTEMPTY);
  assert_int_equal(unlinkat(l.upper, "b", 0), 0);
  assert_int_equal(union_clear_whiteouts(l.upper, "."), 0);
  assert_int_equal(faccessat(l.upper, "a", F_OK, AT_SYMLINK_NOFOLLOW), -1);
  layers_teardown(&l);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_xattr_filter),
    cmocka_unit_test(test_whiteout_format),
    cmocka_unit_test(test_dir_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
