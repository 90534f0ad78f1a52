/* SPDX-License-Identifier: MIT */
/* The command line: one function per subcommand, dispatched from a table;
   the only place that prints a recorded error and turns it into an exit
   status. */
#include "attach.h"
#include "cli.h"
#include "log.h"
#include "mount.h"
#include "ps.h"
#include "tools-cache.h"

#include <stdio.h>
#include <string.h>

/* What a subcommand's run returns (-1: failed, error recorded; else the
   exit status), as the process's exit status. */
static int
exit_status(int rc)
{
  if (rc >= 0)
    return rc;
  int code = cntr_error_code();
  cntr_error_print();
  return code;
}

static int
parse_result(enum cli_result r)
{
  return r == CLI_EXIT ? 0 : CNTR_EXIT_FAILURE;
}

static int
cmd_attach(int argc, char **argv, const struct cli_io *io)
{
  struct attach_options o;
  enum cli_result r = cli_parse_attach(argc, argv, io, &o);
  if (r != CLI_RUN)
    return parse_result(r);
  return exit_status(cntr_attach(&o));
}

static int
cmd_exec(int argc, char **argv, const struct cli_io *io)
{
  struct attach_options o;
  enum cli_result r = cli_parse_exec(argc, argv, io, &o);
  if (r != CLI_RUN)
    return parse_result(r);
  return exit_status(cntr_attach(&o));
}

static int
cmd_mount(int argc, char **argv, const struct cli_io *io)
{
  struct mount_options o;
  enum cli_result r = cli_parse_mount(argc, argv, io, &o);
  if (r != CLI_RUN)
    return parse_result(r);
  return exit_status(cntr_mount(&o));
}

static int
cmd_ps(int argc, char **argv, const struct cli_io *io)
{
  struct ps_options o;
  enum cli_result r = cli_parse_ps(argc, argv, io, &o);
  if (r != CLI_RUN)
    return parse_result(r);
  return exit_status(cntr_ps(&o));
}

static int
cmd_prune(int argc, char **argv, const struct cli_io *io)
{
  enum cli_result r = cli_parse_prune(argc, argv, io);
  if (r != CLI_RUN)
    return parse_result(r);
  return exit_status(cntr_prune());
}

static const struct command
{
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv, const struct cli_io *io);
} commands[] = {
  { "attach", "run a shell or command with your tools inside a container", cmd_attach },
  { "exec", "run a container's own command in it, as docker exec does", cmd_exec },
  { "mount", "serve a directory or a container's files on a host path", cmd_mount },
  { "ps", "list the containers cntr can attach to", cmd_ps },
  { "prune", "empty the cache of unpacked tools images", cmd_prune },
};

static void
usage(FILE *out)
{
  fprintf(out, "Usage: cntr COMMAND [OPTIONS] ...\n"
               "\n"
               "Attach your own tools to a running container.\n"
               "\n"
               "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "  %-10s %s\n", "help", "show this help, or a command's: cntr help COMMAND");
  fprintf(out, "  %-10s %s\n", "version", "show the version");
  fprintf(out, "  %-10s %s\n", "completion",
          "print a completion script: cntr completion bash|zsh|fish");
  fprintf(out, "\n"
               "Options:\n"
               "  -h, --help     show this help and exit\n"
               "  -V, --version  show the version and exit\n"
               "\n"
               "Run 'cntr COMMAND --help' for a command's options; see cntr(1).\n");
}

static const struct command *
find_command(const char *name)
{
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (!strcmp(name, commands[i].name))
      return &commands[i];
  return NULL;
}

static int
unknown_command(const char *name)
{
  fprintf(stderr, "cntr: unknown command '%s'\nTry 'cntr --help' for more information.\n", name);
  return CNTR_EXIT_FAILURE;
}

static int
completion(int argc, char **argv)
{
  struct cli_command_name names[sizeof commands / sizeof *commands];
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    names[i] = (struct cli_command_name){ commands[i].name, commands[i].summary };
  if (argc != 3 || cli_print_completion(stdout, argv[2], names, sizeof names / sizeof *names) < 0)
    {
      fprintf(stderr, "cntr: completion: needs one of bash, zsh, fish\n"
                      "Try 'cntr --help' for more information.\n");
      return CNTR_EXIT_FAILURE;
    }
  return 0;
}

int
main(int argc, char **argv)
{
  const struct cli_io io = { .out = stdout, .err = stderr };
  /* As docker and git do: the usage, which is no failure. */
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
    {
      usage(stdout);
      return 0;
    }
  if (!strcmp(argv[1], "help"))
    {
      if (argc < 3)
        {
          usage(stdout);
          return 0;
        }
      const struct command *c = find_command(argv[2]);
      if (!c)
        return unknown_command(argv[2]);
      char *help_argv[] = { argv[2], "--help", NULL };
      return c->run(2, help_argv, &io);
    }
  if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
    {
      cli_print_version(stdout);
      return 0;
    }
  if (!strcmp(argv[1], "completion"))
    return completion(argc, argv);
  const struct command *c = find_command(argv[1]);
  if (!c)
    return unknown_command(argv[1]);
  return c->run(argc - 1, argv + 1, &io);
}
