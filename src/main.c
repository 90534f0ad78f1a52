/* SPDX-License-Identifier: MIT */
/* The command line: one function per subcommand, dispatched from a table. */
#include "attach.h"
#include "mount.h"
#include "ps.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command
{
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
};

/* A command-line mistake: "cntr CMD: what" and where to read more; the
   status of a cntr failure. */
static int __attribute__((format(printf, 2, 3))) usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "cntr: %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'cntr %s --help' for more information.\n", cmd);
  return CNTR_EXIT_FAILURE;
}

/* What getopt_long (with a leading ':' and opterr = 0) returned for a bad
   option, worded as usage_error. */
static int
option_error(const char *cmd, int c, char **argv)
{
  if (c == ':')
    return usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
  return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

static void
attach_usage(FILE *out)
{
  fprintf(out,
          "Usage: cntr attach [OPTIONS] TARGET [-- COMMAND [ARG...]]\n"
          "\n"
          "Run COMMAND (default: your login shell from the tools) in all namespaces of\n"
          "the container TARGET.  The container's root filesystem is at /, with\n"
          "all its mounts; your tools (the host's / by default) are at the base dir,\n"
          "%s unless CNTR_BASE_DIR says otherwise, and their bin directories come\n"
          "first on PATH.  Nothing is written to the container and nothing is left\n"
          "behind when the command exits.\n"
          "\n",
          CNTR_DEFAULT_BASE_DIR);
  runtime_print_target_syntax(out);
  fprintf(out, "\n"
               "Options:\n"
               "  -t, --type LIST   look NAME up only in these runtimes (comma-separated)\n"
               "      --tools DIR   serve DIR as the tools instead of the host's /\n"
               "  -v, --verbose     explain what cntr does (twice: FUSE debug output)\n"
               "  -h, --help        show this help and exit\n"
               "      --version     show the version and exit\n"
               "\n"
               "Exit status: COMMAND's own; 128+N if it was killed by signal N; 125 if cntr\n"
               "failed; 126 if COMMAND cannot be executed; 127 if it was not found.\n");
}

static int
cmd_attach(int argc, char **argv)
{
  struct attach_options o = { .tools_dir = "/" };
  enum
  {
    OPT_VERSION = 256,
    OPT_TOOLS,
  };
  static const struct option longopts[] = {
    { "type", required_argument, NULL, 't' },      { "tools", required_argument, NULL, OPT_TOOLS },
    { "verbose", no_argument, NULL, 'v' },         { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION }, { NULL, 0, NULL, 0 },
  };
  int c;
  /* "+": options end at the target, so the command's own options are its own;
     ":": we word the messages about bad options ourselves. */
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+:t:vh", longopts, NULL)) != -1)
    {
      switch (c)
        {
        case 't':
          o.types = optarg;
          break;
        case OPT_TOOLS:
          o.tools_dir = optarg;
          break;
        case 'v':
          cntr_verbosity++;
          break;
        case 'h':
          attach_usage(stdout);
          return 0;
        case OPT_VERSION:
          printf("cntr %s\n", CNTR_VERSION);
          return 0;
        default:
          return option_error("attach", c, argv);
        }
    }
  if (optind >= argc)
    return usage_error("attach", "missing target (a PID or a container name)");
  o.target = argv[optind++];
  if (optind < argc && !strcmp(argv[optind], "--"))
    optind++;
  if (optind < argc)
    o.command = argv + optind;
  const char *base = getenv("CNTR_BASE_DIR");
  o.base_dir = base && *base ? base : CNTR_DEFAULT_BASE_DIR;
  o.debug_fuse = cntr_verbosity >= 2;
  return cntr_attach(&o);
}

static void
mount_usage(FILE *out)
{
  fprintf(out, "Usage: cntr mount [OPTIONS] SOURCE MOUNTPOINT\n"
               "\n"
               "Serve SOURCE on MOUNTPOINT through cntr's FUSE server.  SOURCE is a\n"
               "directory (write it with a '/', e.g. ./data) or a container (a PID, NAME,\n"
               "ID or SCHEME://NAME, as for attach), whose root filesystem is served with\n"
               "all its mounts, as the container sees them.\n"
               "cntr detaches once the mount exists and exits when it is unmounted\n"
               "(umount MOUNTPOINT or fusermount3 -u MOUNTPOINT).\n"
               "\n"
               "Options:\n"
               "  -r, --read-only   refuse every change (EROFS) and never update atimes\n"
               "  -f, --foreground  serve in the foreground; Ctrl-C or SIGTERM unmounts\n"
               "  -t, --type LIST   look a container NAME up only in these runtimes\n"
               "  -v, --verbose     explain what cntr does (twice, with -f: FUSE debug output)\n"
               "  -h, --help        show this help and exit\n");
}

static int
cmd_mount(int argc, char **argv)
{
  struct mount_options o = { 0 };
  static const struct option longopts[] = {
    { "read-only", no_argument, NULL, 'r' },  { "foreground", no_argument, NULL, 'f' },
    { "type", required_argument, NULL, 't' }, { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
  };
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":rfvht:", longopts, NULL)) != -1)
    {
      switch (c)
        {
        case 'r':
          o.read_only = true;
          break;
        case 't':
          o.types = optarg;
          break;
        case 'f':
          o.foreground = true;
          break;
        case 'v':
          cntr_verbosity++;
          break;
        case 'h':
          mount_usage(stdout);
          return 0;
        default:
          return option_error("mount", c, argv);
        }
    }
  if (argc - optind != 2)
    return usage_error("mount", "needs SOURCE and MOUNTPOINT");
  o.source = argv[optind];
  o.mountpoint = argv[optind + 1];
  o.debug = o.foreground && cntr_verbosity >= 2;
  return cntr_mount(&o);
}

static void
ps_usage(FILE *out)
{
  char names[RUNTIME_NAMES_MAX];
  fprintf(out, "Usage: cntr ps [OPTIONS]\n"
               "\n");
  fprint_wrapped(out, 0,
                 "List the running containers cntr can attach to, across every runtime found "
                 "here (%s): runtime, name, short ID, host PID, whether its root filesystem is "
                 "read-only and whether it runs in a user namespace.  Runtimes whose CLI or "
                 "daemon socket is absent are skipped without waiting.",
                 runtime_names(names, sizeof names));
  fprintf(out, "\n"
               "Options:\n"
               "      --format FMT  table (default) or json\n"
               "  -t, --type LIST   ask only these runtimes (comma-separated)\n"
               "  -v, --verbose     explain what cntr does\n"
               "  -h, --help        show this help and exit\n");
}

static int
cmd_ps(int argc, char **argv)
{
  struct ps_options o = { 0 };
  enum
  {
    OPT_FORMAT = 256,
  };
  static const struct option longopts[] = {
    { "format", required_argument, NULL, OPT_FORMAT },
    { "type", required_argument, NULL, 't' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":t:vh", longopts, NULL)) != -1)
    {
      switch (c)
        {
        case OPT_FORMAT:
          if (!strcmp(optarg, "json"))
            o.json = true;
          else if (strcmp(optarg, "table"))
            return usage_error("ps", "--format '%s': not 'table' or 'json'", optarg);
          break;
        case 't':
          o.types = optarg;
          break;
        case 'v':
          cntr_verbosity++;
          break;
        case 'h':
          ps_usage(stdout);
          return 0;
        default:
          return option_error("ps", c, argv);
        }
    }
  if (optind < argc)
    return usage_error("ps", "unexpected argument '%s'", argv[optind]);
  int rc = cntr_ps(&o);
  if (rc == CNTR_EXIT_FAILURE)
    cntr_error_print();
  return rc;
}

static const struct command commands[] = {
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
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "cntr: unknown command '%s'\nTry 'cntr --help' for more information.\n", argv[1]);
  return CNTR_EXIT_FAILURE;
}
