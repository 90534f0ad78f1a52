/* SPDX-License-Identifier: MIT */
/* What readlink presents (cntrfs-link.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cntrfs-link.h"

#include <errno.h>
#include <string.h>

static const char *
present(const char *target, const char *prefix, bool confine, unsigned depth)
{
  static char out[256];
  int n
      = link_present(target, prefix, prefix ? strlen(prefix) : 0, confine, depth, out, sizeof out);
  assert_true(n >= 0);
  assert_int_equal((size_t)n, strlen(out));
  return out;
}

static void
absolute_targets_are_relocated(void **state)
{
  (void)state;
  assert_string_equal(present("/etc/shadow", "/mnt/evidence", true, 1), "/mnt/evidence/etc/shadow");
  assert_string_equal(present("/etc/shadow", NULL, false, 1), "/etc/shadow");
  assert_string_equal(present("/", "/var/lib/cntr", false, 0), "/var/lib/cntr/");
}

static void
relative_targets_are_clamped_at_the_root(void **state)
{
  (void)state;
  /* /etc/x -> ../../../../etc/shadow: at most one level up from /etc. */
  assert_string_equal(present("../../../../etc/shadow", "/m", true, 1), "../etc/shadow");
  /* Down, then up: the level follows. */
  assert_string_equal(present("a/b/../../../../x", "/m", true, 0), "a/b/../../x");
  assert_string_equal(present("../../..", "/m", true, 2), "../..");
  assert_string_equal(present("../..", "/m", true, 0), ".");
  assert_string_equal(present("./../x/", "/m", true, 0), "./x/");
  /* Not confined: as it is. */
  assert_string_equal(present("../../../../etc/shadow", "/m", false, 1), "../../../../etc/shadow");
  assert_string_equal(present("sibling", "/m", true, 3), "sibling");
}

static void
too_long_is_an_error(void **state)
{
  (void)state;
  char out[8];
  assert_int_equal(link_present("/abcdefgh", "/p", 2, true, 0, out, sizeof out), -ENAMETOOLONG);
  assert_int_equal(link_present("abcdefgh", NULL, 0, true, 0, out, sizeof out), -ENAMETOOLONG);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(absolute_targets_are_relocated),
    cmocka_unit_test(relative_targets_are_clamped_at_the_root),
    cmocka_unit_test(too_long_is_an_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
