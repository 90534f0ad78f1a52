/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "env.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

static void
injection_variables_of_the_target_are_dropped(void **state)
{
  (void)state;
  char *target[] = { "LD_PRELOAD=/evil.so", "LD_LIBRARY_PATH=/evil", "BASH_ENV=/evil.sh",
                     "ENV=/evil.sh", "BASH_FUNC_ls%%=() { /evil; }", "PROMPT_COMMAND=/evil",
                     "PS1=$(/evil)", "PYTHONPATH=/evil", "PYTHONSTARTUP=/evil.py",
                     "PERL5OPT=-M/evil", "NODE_OPTIONS=--require /evil.js", "EDITOR=/evil",
                     "LESSOPEN=|/evil %s", "GIT_SSH_COMMAND=/evil",
                     "GLIBC_TUNABLES=glibc.malloc.x=1", "GCONV_PATH=/evil", "INPUTRC=/evil",
                     /* Kept: what the application needs, names that only
                        start like filtered ones. */
                     "DATABASE_URL=postgres://db", "LANG=C.UTF-8", "LDAP_URI=ldap://x",
                     "ENVIRONMENT=prod", "PSQL_HISTORY=/tmp/h", NULL };
  struct env_params p = { .target_env = target };
  char **env = env_build(&p);
  assert_non_null(env);
  for (size_t i = 0; i < 17; i++)
    {
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)(strchr(target[i], '=') - target[i]), target[i]);
      assert_null(env_get(env, name));
    }
  assert_string_equal(env_get(env, "DATABASE_URL"), "postgres://db");
  assert_string_equal(env_get(env, "LANG"), "C.UTF-8");
  assert_string_equal(env_get(env, "LDAP_URI"), "ldap://x");
  assert_string_equal(env_get(env, "ENVIRONMENT"), "prod");
  assert_string_equal(env_get(env, "PSQL_HISTORY"), "/tmp/h");
  strv_free(env);
}

static void
the_users_env_wins_and_can_remove(void **state)
{
  (void)state;
  char *target[] = { "LANG=C", "FOO=target", "SECRET=x", NULL };
  char *over[] = { "HOME=/var/lib/cntr/root", NULL };
  char *user[] = { "FOO=mine", "LD_PRELOAD=/mine.so", "SECRET", "HOME=/h", "PATH=/only", NULL };
  struct env_params p = { .target_env = target, .overrides = over, .user_env = user };
  char **env = env_build(&p);
  assert_non_null(env);
  assert_string_equal(env_get(env, "FOO"), "mine");
  assert_int_equal(count_name(env, "FOO"), 1);
  assert_string_equal(env_get(env, "LD_PRELOAD"), "/mine.so");
  assert_null(env_get(env, "SECRET"));
  assert_string_equal(env_get(env, "HOME"), "/h");
  assert_int_equal(count_name(env, "HOME"), 1);
  assert_string_equal(env_get(env, "PATH"), "/only");
  assert_int_equal(count_name(env, "PATH"), 1);
  assert_string_equal(env_get(env, "LANG"), "C");
  strv_free(env);
}

static void
env_file_lines(void **state)
{
  (void)state;
  const char text[] = "A=1\r\n\n   # comment\n\tB = two \nC\n D=x=y\nlast=no newline";
  char **v = calloc(1, sizeof(char *));
  size_t bad = 0;
  assert_int_equal(env_file_parse(text, sizeof text - 1, &v, &bad), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(bad, 4); /* "B " has a blank in its name */
  strv_free(v);

  const char good[] = "A=1\r\n\n   # comment\n\tB= two \nC\n D=x=y\nlast=no newline";
  v = calloc(1, sizeof(char *));
  assert_int_equal(env_file_parse(good, sizeof good - 1, &v, &bad), 0);
  assert_int_equal(strv_length(v), 5);
  assert_string_equal(v[0], "A=1");
  assert_string_equal(v[1], "B= two ");
  assert_string_equal(v[2], "C");
  assert_string_equal(v[3], "D=x=y");
  assert_string_equal(v[4], "last=no newline");
  strv_free(v);

  v = calloc(1, sizeof(char *));
  assert_int_equal(env_file_parse("=value\n", 7, &v, &bad), -1);
  assert_int_equal(bad, 1);
  strv_free(v);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(tools_come_first_then_the_targets_path),
    cmocka_unit_test(target_without_path_gets_the_default),
    cmocka_unit_test(empty_target_environment),
    cmocka_unit_test(env_get_matches_whole_names),
    cmocka_unit_test(injection_variables_of_the_target_are_dropped),
    cmocka_unit_test(the_users_env_wins_and_can_remove),
    cmocka_unit_test(env_file_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
