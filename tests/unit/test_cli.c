/* SPDX-License-Identifier: MIT */
/* Option parsing of the subcommands (cli.h): what they fill in, and the
   words of their mistakes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct capture
{
  char *out, *err;
  size_t out_len, err_len;
  struct cli_io io;
};

static int
setup(void **state)
{
  struct capture *c = calloc(1, sizeof *c);
  c->io.out = open_memstream(&c->out, &c->out_len);
  c->io.err = open_memstream(&c->err, &c->err_len);
  cntr_verbosity = 0;
  unsetenv("CNTR_BASE_DIR");
  *state = c;
  return 0;
}

static int
teardown(void **state)
{
  struct capture *c = *state;
  fclose(c->io.out);
  fclose(c->io.err);
  free(c->out);
  free(c->err);
  free(c);
  return 0;
}

static void
flush(struct capture *c)
{
  fflush(c->io.out);
  fflush(c->io.err);
}

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(fn, c, o, ...) fn(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), &(c)->io, o)

static void
attach_takes_options_then_the_target_then_the_command(void **state)
{
  struct capture *c = *state;
  struct attach_options o;
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "-t", "docker,podman", "--tools",
                         "/opt/t", "--verbose", "--verbose", "-v", "/srv/out:/out:ro", "web", "--",
                         "ps", "-e"),
                   CLI_RUN);
  assert_string_equal(o.types, "docker,podman");
  assert_int_equal(o.tools.kind, TOOLS_DIRECTORY);
  assert_string_equal(o.tools.arg, "/opt/t");
  assert_int_equal(cntr_verbosity, 2);
  assert_true(o.debug_fuse);
  assert_int_equal(o.nvolumes, 1);
  assert_int_equal(o.volumes[0].host_len, strlen("/srv/out"));
  assert_int_equal(strncmp(o.volumes[0].path, "/out", o.volumes[0].path_len), 0);
  assert_int_equal(o.volumes[0].path_len, strlen("/out"));
  assert_true(o.volumes[0].read_only);
  assert_string_equal(o.target, "web");
  assert_string_equal(o.command[0], "ps");
  assert_string_equal(o.command[1], "-e");
  assert_null(o.command[2]);
  assert_string_equal(o.base_dir, CNTR_DEFAULT_BASE_DIR);
}

static void
attach_env_is_repeatable(void **state)
{
  struct capture *c = *state;
  struct attach_options o;
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "-e", "FOO=1", "--env", "BAR", "42"),
                   CLI_RUN);
  assert_int_equal(o.nenv, 2);
  assert_string_equal(o.env[0], "FOO=1");
  assert_string_equal(o.env[1], "BAR");
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "-e", "=x", "42"), CLI_ERROR);
  flush(c);
  assert_string_equal(c->err, "cntr: attach: --env '=x': needs VAR=VALUE or VAR\n"
                              "Try 'cntr attach --help' for more information.\n");
}

static void
attach_options_end_at_the_target(void **state)
{
  struct capture *c = *state;
  struct attach_options o;
  /* The command's own options are its own, with or without "--". */
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "42", "ls", "-l"), CLI_RUN);
  assert_string_equal(o.target, "42");
  assert_string_equal(o.command[0], "ls");
  assert_string_equal(o.command[1], "-l");
  assert_string_equal(o.tools.arg, "/");
  assert_false(o.debug_fuse);
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "42"), CLI_RUN);
  assert_null(o.command);
}

static void
attach_base_dir_comes_from_the_environment(void **state)
{
  struct capture *c = *state;
  struct attach_options o;
  setenv("CNTR_BASE_DIR", "/opt/tools", 1);
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "42"), CLI_RUN);
  assert_string_equal(o.base_dir, "/opt/tools");
  setenv("CNTR_BASE_DIR", "", 1);
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "42"), CLI_RUN);
  assert_string_equal(o.base_dir, CNTR_DEFAULT_BASE_DIR);
}

static void
mistakes_are_one_line_and_a_pointer_to_help(void **state)
{
  struct capture *c = *state;
  struct attach_options o;
  struct mount_options m;
  struct ps_options p;
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "-x", "42"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "--tools"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "--verbose"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "-v", "/a:b", "42"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "-v", "/a:/b:rx", "42"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_mount, c, &m, "mount", "-r", "/a"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_ps, c, &p, "ps", "--format", "xml"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_ps, c, &p, "ps", "extra"), CLI_ERROR);
  flush(c);
  assert_string_equal(c->err, "cntr: attach: unknown option '-x'\n"
                              "Try 'cntr attach --help' for more information.\n"
                              "cntr: attach: option '--tools' needs an argument\n"
                              "Try 'cntr attach --help' for more information.\n"
                              "cntr: attach: missing target (a PID or a container name)\n"
                              "Try 'cntr attach --help' for more information.\n"
                              "cntr: attach: --volume '/a:b': needs HOSTDIR:PATH, PATH absolute\n"
                              "Try 'cntr attach --help' for more information.\n"
                              "cntr: attach: --volume '/a:/b:rx': ':rx' is not :ro or :rw\n"
                              "Try 'cntr attach --help' for more information.\n"
                              "cntr: mount: needs SOURCE and MOUNTPOINT\n"
                              "Try 'cntr mount --help' for more information.\n"
                              "cntr: ps: --format 'xml': not 'table' or 'json'\n"
                              "Try 'cntr ps --help' for more information.\n"
                              "cntr: ps: unexpected argument 'extra'\n"
                              "Try 'cntr ps --help' for more information.\n");
  assert_int_equal(c->out_len, 0);
}

/* In a group of short options the one at fault is named; docker's -i
   and -t are explained. */
static void
grouped_short_options_are_named(void **state)
{
  struct capture *c = *state;
  struct attach_options o;
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "-Vx", "42"), CLI_EXIT);
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "-ex", "42"), CLI_RUN);
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "-ux", "42"), CLI_RUN);
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "-wz", "42"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "-hq"), CLI_EXIT);
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "-it", "web", "sh"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "-uq", "-zu", "42"), CLI_ERROR);
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "42", "-u"), CLI_RUN);
  assert_int_equal(PARSE(cli_parse_exec, c, &o, "exec", "-u"), CLI_ERROR);
  flush(c);
  assert_non_null(strstr(c->err, "cntr: exec: unknown option '-i': cntr passes standard input"));
  assert_non_null(strstr(c->err, "-t is --type here"));
  assert_non_null(strstr(c->err, "cntr: exec: unknown option '-z'\n"));
  assert_non_null(strstr(c->err, "cntr: exec: option '-u' needs an argument\n"));
}

static void
help_lists_every_option_of_the_table(void **state)
{
  struct capture *c = *state;
  struct attach_options o;
  assert_int_equal(PARSE(cli_parse_attach, c, &o, "attach", "--help"), CLI_EXIT);
  flush(c);
  assert_non_null(strstr(c->out, "Usage: cntr attach [OPTIONS] TARGET [-- COMMAND [ARG...]]\n"));
  assert_non_null(strstr(c->out, "\n  -t, --type LIST   look NAME up only in these runtimes"));
  assert_non_null(strstr(c->out, "\n      --tools DIR   serve DIR as the tools"));
  assert_non_null(strstr(c->out, "\n  -V, --version     show the version and exit\n"));
  assert_int_equal(c->err_len, 0);
}

static void
mount_and_ps_fill_their_options(void **state)
{
  struct capture *c = *state;
  struct mount_options m;
  assert_int_equal(PARSE(cli_parse_mount, c, &m, "mount", "-rf", "-t", "lxc", "web", "/mnt"),
                   CLI_RUN);
  assert_true(m.read_only);
  assert_true(m.foreground);
  assert_string_equal(m.types, "lxc");
  assert_string_equal(m.source, "web");
  assert_string_equal(m.mountpoint, "/mnt");
  struct ps_options p;
  assert_int_equal(PARSE(cli_parse_ps, c, &p, "ps", "--format", "json", "-t", "docker"), CLI_RUN);
  assert_true(p.json);
  assert_string_equal(p.types, "docker");
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(attach_takes_options_then_the_target_then_the_command),
    T(attach_env_is_repeatable),
    T(attach_options_end_at_the_target),
    T(attach_base_dir_comes_from_the_environment),
    T(mistakes_are_one_line_and_a_pointer_to_help),
    T(grouped_short_options_are_named),
    T(help_lists_every_option_of_the_table),
    T(mount_and_ps_fill_their_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
