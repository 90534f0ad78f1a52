/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "idmap.h"

#include <errno.h>

static void
identity_map_of_the_initial_namespace(void **state)
{
  (void)state;
  struct idmap m;
  assert_int_equal(idmap_parse("         0          0 4294967295\n", &m), 0);
  assert_true(idmap_is_identity(&m));
  assert_int_equal(idmap_to_inside(&m, 1000), 1000);
}

static void
rootless_map_translates_and_rejects_unmapped(void **state)
{
  (void)state;
  struct idmap m;
  assert_int_equal(idmap_parse("0 1000 1\n1 100000 65536\n", &m), 0);
  assert_false(idmap_is_identity(&m));
  assert_int_equal(m.n, 2);
  assert_int_equal(idmap_to_inside(&m, 1000), 0);
  assert_int_equal(idmap_to_inside(&m, 100000), 1);
  assert_int_equal(idmap_to_inside(&m, 165535), 65536);
  assert_int_equal(idmap_to_inside(&m, 165536), -1);
  assert_int_equal(errno, ERANGE);
  assert_int_equal(idmap_to_inside(&m, 0), -1);
}

static void
empty_map_maps_nothing(void **state)
{
  (void)state;
  struct idmap m;
  assert_int_equal(idmap_parse("", &m), 0);
  assert_int_equal(m.n, 0);
  assert_int_equal(idmap_to_inside(&m, 0), -1);
}

static void
garbage_is_rejected(void **state)
{
  (void)state;
  struct idmap m;
  assert_int_equal(idmap_parse("0 0\n", &m), -1);
  assert_int_equal(idmap_parse("0 0 0\n", &m), -1); /* zero count */
  assert_int_equal(idmap_parse("a b c\n", &m), -1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(identity_map_of_the_initial_namespace),
    cmocka_unit_test(rootless_map_translates_and_rejects_unmapped),
    cmocka_unit_test(empty_map_maps_nothing),
    cmocka_unit_test(garbage_is_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
