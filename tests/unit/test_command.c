/* SPDX-License-Identifier: MIT */
/* What a session runs and its environment (command.h), on a small tools
   tree made in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "command.h"
#include "env.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tree
{
  char dir[64];
  int fd;
};

static void
make(struct tree *t, const char *path)
{
  char full[256];
  snprintf(full, sizeof full, "%s/%s", t->dir, path);
  if (path[strlen(path) - 1] == '/')
    assert_int_equal(mkdir(full, 0755), 0);
  else
    {
      int fd = open(full, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
      assert_true(fd >= 0);
      close(fd);
    }
}

/* A merged-/usr tools tree: /bin -> usr/bin, bash and sh, terminfo, man
   pages, a home. */
static int
setup(void **state)
{
  struct tree *t = calloc(1, sizeof *t);
  snprintf(t->dir, sizeof t->dir, "/tmp/test-command.XXXXXX");
  assert_non_null(mkdtemp(t->dir));
  const char *paths[] = { "usr/",
                          "usr/bin/",
                          "usr/sbin/",
                          "usr/bin/bash",
                          "usr/bin/sh",
                          "usr/share/",
                          "usr/share/terminfo/",
                          "usr/share/man/",
                          "home/",
                          "home/ann/",
                          NULL };
  for (const char *const *p = paths; *p; p++)
    make(t, *p);
  char link[256];
  snprintf(link, sizeof link, "%s/bin", t->dir);
  assert_int_equal(symlink("usr/bin", link), 0);
  t->fd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true(t->fd >= 0);
  cntr_error_clear();
  *state = t;
  return 0;
}

static int
teardown(void **state)
{
  struct tree *t = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
  close(t->fd);
  assert_int_equal(system(cmd), 0);
  free(t);
  return 0;
}

static struct passwd ann = {
  .pw_name = "ann", .pw_dir = "/home/ann", .pw_shell = "/bin/bash", .pw_uid = 1000, .pw_gid = 1000
};

static void
assert_argv(char **argv, const char *const *want)
{
  size_t i = 0;
  for (; want[i]; i++)
    assert_string_equal(argv[i], want[i]);
  assert_null(argv[i]);
}

static void
no_command_is_the_users_shell_from_the_tools_without_the_targets_startup_files(void **state)
{
  struct tree *t = *state;
  char *target_env[] = { "PATH=/app", "ENV=/evil", NULL };
  struct command_inputs in = {
    .tools_fd = t->fd,
    .base_dir = "/var/lib/cntr",
    .pw = &ann,
    .target_env = target_env,
  };
  struct command_spec c;
  /* Scripted: no startup file at all. */
  assert_int_equal(command_build(&in, &c), 0);
  assert_string_equal(c.exec_path, "/var/lib/cntr/bin/bash");
  assert_argv(c.argv, (const char *const[]){ "bash", "--noprofile", "--norc", NULL });
  assert_string_equal(env_get(c.env, "SHELL"), "/var/lib/cntr/bin/bash");
  assert_null(env_get(c.env, "ENV"));
  command_spec_free(&c);

  /* With a terminal: POSIX mode reads only $ENV, cntr's startup file. */
  in.use_pty = true;
  assert_int_equal(command_build(&in, &c), 0);
  assert_argv(c.argv, (const char *const[]){ "bash", "--posix", "--noprofile", "-i", NULL });
  assert_string_equal(env_get(c.env, "ENV"), "/var/lib/cntr/.cntr-bashrc");
  assert_string_equal(env_get(c.env, "INPUTRC"), "/var/lib/cntr/.cntr-inputrc");
  command_spec_free(&c);

  /* A shell the tools do not have: the tools' /bin/sh, with its ENV. */
  struct passwd zed = ann;
  zed.pw_shell = "/usr/bin/zsh";
  in.pw = &zed;
  assert_int_equal(command_build(&in, &c), 0);
  assert_string_equal(c.exec_path, "/var/lib/cntr/bin/sh");
  assert_argv(c.argv, (const char *const[]){ "sh", "-i", NULL });
  assert_string_equal(env_get(c.env, "ENV"), "/var/lib/cntr/.cntr-shrc");
  command_spec_free(&c);

  /* One the tools have but whose system startup files cannot be left out:
     the tools' bash instead. */
  make(t, "usr/bin/zsh");
  assert_int_equal(command_build(&in, &c), 0);
  assert_string_equal(c.exec_path, "/var/lib/cntr/bin/bash");
  assert_string_equal(c.argv[0], "bash");
  command_spec_free(&c);
}

static void
a_command_is_run_as_given(void **state)
{
  struct tree *t = *state;
  char *argv[] = { "ps", "-e", NULL };
  struct command_inputs in = { .tools_fd = t->fd, .base_dir = "/b", .command = argv };
  struct command_spec c;
  assert_int_equal(command_build(&in, &c), 0);
  assert_null(c.exec_path);
  assert_string_equal(c.argv[0], "ps");
  assert_string_equal(c.argv[1], "-e");
  assert_null(c.argv[2]);
  assert_null(env_get(c.env, "SHELL"));
  command_spec_free(&c);
}

static void
the_environment_points_into_the_tools(void **state)
{
  struct tree *t = *state;
  char *target_env[] = { "PATH=/app/bin", "LANG=C.UTF-8", "HOME=/root", "TERM=dumb", NULL };
  struct command_inputs in = {
    .tools_fd = t->fd,
    .base_dir = "/var/lib/cntr",
    .pw = &ann,
    .target_env = target_env,
    .home = "/home/ann",
    .term = "screen",
    .use_pty = true,
  };
  struct command_spec c;
  assert_int_equal(command_build(&in, &c), 0);
  /* /bin is usr/bin: listed once, under the first name. */
  assert_string_equal(env_get(c.env, "PATH"),
                      "/var/lib/cntr/usr/sbin:/var/lib/cntr/usr/bin:/app/bin");
  assert_string_equal(env_get(c.env, "HOME"), "/var/lib/cntr/home/ann");
  assert_string_equal(env_get(c.env, "TERM"), "screen");
  assert_string_equal(env_get(c.env, "TERMINFO_DIRS"), "/var/lib/cntr/usr/share/terminfo");
  assert_string_equal(env_get(c.env, "MANPATH"), "/var/lib/cntr/usr/share/man");
  assert_string_equal(env_get(c.env, "USER"), "ann");
  assert_string_equal(env_get(c.env, "LOGNAME"), "ann");
  assert_string_equal(env_get(c.env, "CNTR_BASE_DIR"), "/var/lib/cntr");
  assert_string_equal(env_get(c.env, "LANG"), "C.UTF-8");
  command_spec_free(&c);
}

static void
without_a_terminal_term_is_the_targets_and_home_falls_back(void **state)
{
  struct tree *t = *state;
  char *target_env[] = { "TERM=dumb", NULL };
  /* $HOME not in the tools, no password entry: "/". */
  struct command_inputs in = {
    .tools_fd = t->fd,
    .base_dir = "/b",
    .target_env = target_env,
    .home = "/nowhere",
  };
  struct command_spec c;
  assert_int_equal(command_build(&in, &c), 0);
  assert_string_equal(env_get(c.env, "TERM"), "dumb");
  assert_string_equal(env_get(c.env, "HOME"), "/");
  assert_null(env_get(c.env, "USER"));
  command_spec_free(&c);
  /* $HOME unusable, the password entry's home is there. */
  in.home = "/";
  in.pw = &ann;
  assert_int_equal(command_build(&in, &c), 0);
  assert_string_equal(env_get(c.env, "HOME"), "/b/home/ann");
  command_spec_free(&c);
}

static void
env_without_a_value_takes_ours(void **state)
{
  struct tree *t = *state;
  char *target_env[] = { "KEEP=1", "DROP=2", NULL };
  const char *user_env[] = { "MINE", "DROP", "SET=3" };
  setenv("MINE", "from-cntr", 1);
  unsetenv("DROP");
  struct command_inputs in = { .tools_fd = t->fd,
                               .base_dir = "/b",
                               .target_env = target_env,
                               .user_env = { .entries = user_env, .nentries = 3 } };
  struct command_spec c;
  assert_int_equal(command_build(&in, &c), 0);
  assert_string_equal(env_get(c.env, "MINE"), "from-cntr");
  assert_null(env_get(c.env, "DROP"));
  assert_string_equal(env_get(c.env, "SET"), "3");
  assert_string_equal(env_get(c.env, "KEEP"), "1");
  command_spec_free(&c);
}

/* --env-file: its lines, then --env, a later one of a name winning. */
static void
env_file_then_env(void **state)
{
  struct tree *t = *state;
  char path[] = "/tmp/cntr-test-env-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char text[] = "# settings\nA=file\nB=file\n  C=with spaces \"q\"\nA=again\nMINE\n";
  assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
  close(fd);
  setenv("MINE", "from-cntr", 1);
  char *target_env[] = { "B=target", "D=target", NULL };
  const char *files[] = { path };
  const char *entries[] = { "B=flag" };
  struct command_inputs in = { .tools_fd = t->fd,
                               .base_dir = "/b",
                               .target_env = target_env,
                               .user_env = { files, 1, entries, 1 } };
  struct command_spec c;
  assert_int_equal(command_build(&in, &c), 0);
  assert_string_equal(env_get(c.env, "A"), "again");
  assert_string_equal(env_get(c.env, "B"), "flag");
  assert_string_equal(env_get(c.env, "C"), "with spaces \"q\"");
  assert_string_equal(env_get(c.env, "D"), "target");
  assert_string_equal(env_get(c.env, "MINE"), "from-cntr");
  size_t n = 0;
  for (char **e = c.env; *e; e++)
    n += !strncmp(*e, "A=", 2) + !strncmp(*e, "B=", 2);
  assert_int_equal(n, 2);
  command_spec_free(&c);

  /* A line that is no variable, and a file that is not there. */
  fd = open(path, O_WRONLY | O_TRUNC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "A=1\nBAD NAME=2\n", 15), 15);
  close(fd);
  assert_int_equal(command_build(&in, &c), -1);
  assert_non_null(strstr(cntr_error_message(), "line 2"));
  cntr_error_clear();
  unlink(path);
  assert_int_equal(command_build(&in, &c), -1);
  assert_non_null(strstr(cntr_error_message(), strerror(ENOENT)));
  cntr_error_clear();
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(
        no_command_is_the_users_shell_from_the_tools_without_the_targets_startup_files, setup,
        teardown),
    cmocka_unit_test_setup_teardown(a_command_is_run_as_given, setup, teardown),
    cmocka_unit_test_setup_teardown(the_environment_points_into_the_tools, setup, teardown),
    cmocka_unit_test_setup_teardown(without_a_terminal_term_is_the_targets_and_home_falls_back,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(env_file_then_env, setup, teardown),
    cmocka_unit_test_setup_teardown(env_without_a_value_takes_ours, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
