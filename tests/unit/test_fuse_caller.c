/* SPDX-License-Identifier: MIT */
/* The caller's supplementary groups, translated into the user namespace
   the FUSE mount was made in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cntrfs-caller.h"
#include "cntrfs.h"

static void
groups_are_translated_and_the_unmapped_dropped(void **state)
{
  (void)state;
  /* Root and 1..65535 of the namespace are the host's 100000..165535;
     its 70000 is the host's 1000 (a second extent). */
  const struct cntrfs_id_range map[] = { { 0, 100000, 65536 }, { 70000, 1000, 1 } };
  gid_t groups[] = { 100000, 0, 101000, 1000, 165535, 165536, 999 };
  int n = caller_groups_into_namespace(map, 2, groups, 7);
  assert_int_equal(n, 4);
  assert_int_equal(groups[0], 0);
  assert_int_equal(groups[1], 1000);
  assert_int_equal(groups[2], 70000);
  assert_int_equal(groups[3], 65535);
}

static void
no_map_maps_nothing(void **state)
{
  (void)state;
  gid_t groups[] = { 0, 1 };
  assert_int_equal(caller_groups_into_namespace(NULL, 0, groups, 2), 0);
  assert_int_equal(caller_groups_into_namespace(NULL, 0, groups, 0), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(groups_are_translated_and_the_unmapped_dropped),
    cmocka_unit_test(no_map_maps_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
