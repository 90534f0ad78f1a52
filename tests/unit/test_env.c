/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "env.h"
#include "util.h"

#include <string.h>

static size_t
count_name(char **env, const char *name)
{
  size_t n = 0, len = strlen(name);
  for (size_t i = 0; env[i]; i++)
    n += !strncmp(env[i], name, len) && env[i][len] == '=';
  return n;
}

static void
tools_come_first_then_the_targets_path(void **state)
{
  (void)state;
  char *target[] = { "PATH=/app/bin:/bin", "LANG=C.UTF-8", "HOME=/nonexistent", NULL };
  char *tools[] = { "/var/lib/cntr/usr/bin", "/var/lib/cntr/usr/sbin", NULL };
  char *over[] = { "HOME=/var/lib/cntr/root", "CNTR_BASE_DIR=/var/lib/cntr", NULL };
  struct env_params p = { target, tools, over };
  char **env = env_build(&p);
  assert_non_null(env);
  assert_string_equal(env_get(env, "PATH"),
                      "/var/lib/cntr/usr/bin:/var/lib/cntr/usr/sbin:/app/bin:/bin");
  assert_string_equal(env_get(env, "LANG"), "C.UTF-8");
  assert_string_equal(env_get(env, "HOME"), "/var/lib/cntr/root");
  assert_int_equal(count_name(env, "HOME"), 1);
  assert_int_equal(count_name(env, "PATH"), 1);
  assert_string_equal(env_get(env, "CNTR_BASE_DIR"), "/var/lib/cntr");
  strv_free(env);
}

static void
target_without_path_gets_the_default(void **state)
{
  (void)state;
  char *target[] = { "FOO=bar", "garbage-without-equals", NULL };
  struct env_params p = { target, NULL, NULL };
  char **env = env_build(&p);
  assert_non_null(env);
  assert_string_equal(env_get(env, "PATH"), ENV_DEFAULT_PATH);
  assert_string_equal(env_get(env, "FOO"), "bar");
  assert_int_equal(strv_length(env), 2);
  strv_free(env);
}

static void
empty_target_environment(void **state)
{
  (void)state;
  char *tools[] = { "/t/bin", NULL };
  struct env_params p = { NULL, tools, NULL };
  char **env = env_build(&p);
  assert_non_null(env);
  assert_string_equal(env_get(env, "PATH"), "/t/bin:" ENV_DEFAULT_PATH);
  strv_free(env);
}

static void
env_get_matches_whole_names(void **state)
{
  (void)state;
  char *env[] = { "PATHX=1", "PATH=2", NULL };
  assert_string_equal(env_get(env, "PATH"), "2");
  assert_null(env_get(env, "PAT"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(tools_come_first_then_the_targets_path),
    cmocka_unit_test(target_without_path_gets_the_default),
    cmocka_unit_test(empty_target_environment),
    cmocka_unit_test(env_get_matches_whole_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
