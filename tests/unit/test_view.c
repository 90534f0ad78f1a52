/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"
#include "view.h"

#include <errno.h>

static void
components_of_clean_and_messy_paths(void **state)
{
  (void)state;
  char **c = view_path_components("/var/lib/cntr");
  assert_non_null(c);
  assert_int_equal(strv_length(c), 3);
  assert_string_equal(c[0], "var");
  assert_string_equal(c[2], "cntr");
  strv_free(c);
  c = view_path_components("//opt///tools/");
  assert_non_null(c);
  assert_int_equal(strv_length(c), 2);
  assert_string_equal(c[1], "tools");
  strv_free(c);
  c = view_path_components("/");
  assert_non_null(c);
  assert_int_equal(strv_length(c), 0);
  strv_free(c);
}

static void
relative_and_dot_paths_are_rejected(void **state)
{
  (void)state;
  assert_null(view_path_components("var/lib"));
  assert_int_equal(errno, EINVAL);
  assert_null(view_path_components("/var/../etc"));
  assert_null(view_path_components("/var/./lib"));
  assert_null(view_path_components(""));
  assert_null(view_path_components(NULL));
  char **c = view_path_components("/var/..x/.y");
  assert_non_null(c);
  assert_int_equal(strv_length(c), 3);
  strv_free(c);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(components_of_clean_and_messy_paths),
    cmocka_unit_test(relative_and_dot_paths_are_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
