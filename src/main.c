/* SPDX-License-Identifier: MIT */
/* The command line: one function per subcommand, dispatched from a table;
   the only place that prints a recorded error and turns it into an exit
   status. */
#include "attach.h"
#include "cli.h"
#include "log.h"
#include "mount.h"
#include "ps.h"

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

static const struct command
{
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv, const struct cli_io *io);
} commands[] = {
  { "attach", "run a shell or command with your tools inside a container", cmd_attach },
  { "mount", "serve a directory or a container's files on a host path", cmd_mount },
  { "ps", "list the containers cntr can attach to", cmd_ps },
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
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n"
               "Options:\n"
               "  -h, --help     show this help and exit\n"
               "      --version  show the version and exit\n"
               "\n"
               "Run 'cntr COMMAND --help' for a command's options; see cntr(1).\n");
}

int
main(int argc, char **argv)
{
  const struct cli_io io = { .out = stdout, .err = stderr };
  if (argc < 2)
    {
      usage(stderr);
      return CNTR_EXIT_FAILURE;
    }
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
    {
      usage(stdout);
      return 0;
    }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
    {
      printf("cntr %s\n", CNTR_VERSION);
      return 0;
    }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (!strcmp(argv[1], commands[i].name))
      return commands[i].run(argc - 1, argv + 1, &io);
  fprintf(stderr, "cntr: unknown command '%s'\nTry 'cntr --help' for more information.\n", argv[1]);
  return CNTR_EXIT_FAILURE;
}
