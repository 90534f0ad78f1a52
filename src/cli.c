/* SPDX-License-Identifier: MIT */
/* The subcommands' options, their --help, and their parsers (cli.h). */
#include "cli.h"
#include "cntr-commit.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CLI_MAX_OPTIONS 32

/* ---------------------------------------------------------------------- */
/* The parser shared by every subcommand */

struct cli_parser
{
  const char *cmd;
  const struct cli_option *options;
  const struct cli_io *io;
  struct option longopts[CLI_MAX_OPTIONS + 1];
  char shortopts[2 + 2 * CLI_MAX_OPTIONS + 1];
};

enum
{
  CLI_END = -1, /* no more options */
  CLI_BAD = -2, /* a mistake, printed */
};

/* A command-line mistake: "cntr CMD: what" and where to read more. */
static int __attribute__((format(printf, 3, 4)))
usage_error(const char *cmd, const struct cli_io *io, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(io->err, "cntr: %s: ", cmd);
  vfprintf(io->err, fmt, ap);
  va_end(ap);
  fprintf(io->err, "\nTry 'cntr %s --help' for more information.\n", cmd);
  return CLI_BAD;
}

/* stop_at_operand: options end at the first operand (the target), so that
   the command's own options are its own. */
static void
parser_init(struct cli_parser *p, const char *cmd, const struct cli_option *options,
            bool stop_at_operand, const struct cli_io *io)
{
  memset(p, 0, sizeof *p);
  p->cmd = cmd;
  p->options = options;
  p->io = io;
  char *s = p->shortopts;
  if (stop_at_operand)
    *s++ = '+';
  /* We word the messages about bad options ourselves. */
  *s++ = ':';
  for (size_t i = 0; options[i].name && i < CLI_MAX_OPTIONS; i++)
    {
      p->longopts[i]
          = (struct option){ options[i].name, options[i].arg ? required_argument : no_argument,
                             NULL, options[i].letter ? options[i].letter : 256 + (int)i };
      if (options[i].letter)
        {
          *s++ = options[i].letter;
          if (options[i].arg)
            *s++ = ':';
        }
    }
  *s = '\0';
  opterr = 0;
  optind = 0; /* a fresh start, should anything have parsed before */
}

/* The index in the table of the next option, CLI_END or CLI_BAD. */
static int
parser_next(struct cli_parser *p, int argc, char **argv)
{
  int c = getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
  if (c == -1)
    return CLI_END;
  if (c == ':')
    return usage_error(p->cmd, p->io, "option '%s' needs an argument", argv[optind - 1]);
  if (c == '?')
    return usage_error(p->cmd, p->io, "unknown option '%s'", argv[optind - 1]);
  if (c >= 256)
    return c - 256;
  for (int i = 0; p->options[i].name; i++)
    if (p->options[i].letter == c)
      return i;
  return usage_error(p->cmd, p->io, "unknown option '%s'", argv[optind - 1]);
}

/* Where an option's help starts; a longer option gets a line of its own. */
#define CLI_HELP_COLUMN 20

void
cli_print_options(FILE *out, const struct cli_option *options)
{
  for (size_t i = 0; options[i].name; i++)
    {
      char flag[64];
      snprintf(flag, sizeof flag, "--%s%s%s", options[i].name, options[i].arg ? " " : "",
               options[i].arg ? options[i].arg : "");
      int n = options[i].letter ? fprintf(out, "  -%c, %s", options[i].letter, flag)
                                : fprintf(out, "      %s", flag);
      if (n >= CLI_HELP_COLUMN)
        fprintf(out, "\n%*s", CLI_HELP_COLUMN, "");
      else
        fprintf(out, "%*s", CLI_HELP_COLUMN - n, "");
      /* Each further line of the help indented as the first. */
      for (const char *h = options[i].help; *h;)
        {
          const char *nl = strchrnul(h, '\n');
          fprintf(out, "%.*s\n", (int)(nl - h), h);
          h = *nl ? nl + 1 : nl;
          if (*h)
            fprintf(out, "%*s", CLI_HELP_COLUMN, "");
        }
    }
}

void
cli_print_version(FILE *out)
{
  fprintf(out, "cntr %s (commit %s)\n", CNTR_VERSION, CNTR_COMMIT);
}

/* ---------------------------------------------------------------------- */
/* cntr attach */

enum
{
  ATTACH_ENV,
  ATTACH_TYPE,
  ATTACH_TOOLS,
  ATTACH_TOOLS_RW,
  ATTACH_VOLUME,
  ATTACH_NO_SECCOMP,
  ATTACH_VERBOSE,
  ATTACH_HELP,
  ATTACH_VERSION,
};

static const struct cli_option attach_options_table[] = {
  [ATTACH_ENV] = { "env", 'e', "VAR=VALUE",
                   "set VAR in the command's environment (VAR alone: cntr's own\n"
                   "value of VAR, or no VAR at all); repeatable" },
  [ATTACH_TYPE] = { "type", 't', "LIST", "look NAME up only in these runtimes (comma-separated)" },
  [ATTACH_TOOLS] = { "tools", 0, "DIR", "serve DIR as the tools instead of the host's /" },
  [ATTACH_TOOLS_RW] = { "tools-rw", 0, NULL,
                        "let the session write the tools tree (the host's / by default);\n"
                        "read-only otherwise" },
  [ATTACH_VOLUME] = { "volume", 'v', "HOSTDIR:PATH[:ro]",
                      "the host's directory (or file) HOSTDIR at PATH in the session,\n"
                      "read-write unless :ro, nosuid, nodev; repeatable" },
  [ATTACH_NO_SECCOMP]
  = { "no-seccomp", 0, NULL, "do not apply the target's seccomp filter to the command" },
  /* -v is docker's --volume. */
  [ATTACH_VERBOSE] = { "verbose", 0, NULL, "explain what cntr does (twice: FUSE debug output)" },
  [ATTACH_HELP] = { "help", 'h', NULL, "show this help and exit" },
  [ATTACH_VERSION] = { "version", 'V', NULL, "show the version and exit" },
  { NULL, 0, NULL, NULL },
};

/* -v HOSTDIR:PATH[:ro|:rw] into its pieces; a usage error otherwise. */
static int
parse_volume(const char *spec, const struct cli_io *io, struct attach_volume *v)
{
  const char *colon = strchr(spec, ':');
  if (!colon || colon == spec || colon[1] != '/')
    return usage_error("attach", io, "--volume '%s': needs HOSTDIR:PATH, PATH absolute", spec);
  *v = (struct attach_volume){ .spec = spec,
                               .host_len = (size_t)(colon - spec),
                               .path = colon + 1 };
  const char *mode = strchr(v->path, ':');
  v->path_len = mode ? (size_t)(mode - v->path) : strlen(v->path);
  if (mode && strcmp(mode, ":ro") && strcmp(mode, ":rw"))
    return usage_error("attach", io, "--volume '%s': '%s' is not :ro or :rw", spec, mode);
  v->read_only = mode && !strcmp(mode, ":ro");
  return 0;
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
               "Options:\n");
  cli_print_options(out, attach_options_table);
  fprintf(out, "\n"
               "Exit status: COMMAND's own; 128+N if it was killed by signal N; 125 if cntr\n"
               "failed; 126 if COMMAND cannot be executed; 127 if it was not found.\n");
}

enum cli_result
cli_parse_attach(int argc, char **argv, const struct cli_io *io, struct attach_options *o)
{
  *o = (struct attach_options){ .tools = { TOOLS_DIRECTORY, "/" } };
  struct cli_parser p;
  parser_init(&p, "attach", attach_options_table, true, io);
  int i;
  while ((i = parser_next(&p, argc, argv)) != CLI_END)
    {
      switch (i)
        {
        case ATTACH_ENV:
          if (!*optarg || *optarg == '=')
            {
              usage_error("attach", io, "--env '%s': needs VAR=VALUE or VAR", optarg);
              return CLI_ERROR;
            }
          if (o->nenv == ATTACH_MAX_ENV)
            {
              usage_error("attach", io, "--env: more than %d variables", ATTACH_MAX_ENV);
              return CLI_ERROR;
            }
          o->env[o->nenv++] = optarg;
          break;
        case ATTACH_TYPE:
          o->types = optarg;
          break;
        case ATTACH_TOOLS:
          o->tools = (struct tools_spec){ TOOLS_DIRECTORY, optarg };
          break;
        case ATTACH_TOOLS_RW:
          o->tools_rw = true;
          break;
        case ATTACH_VOLUME:
          if (o->nvolumes == ATTACH_MAX_VOLUMES)
            {
              usage_error("attach", io, "--volume: more than %d volumes", ATTACH_MAX_VOLUMES);
              return CLI_ERROR;
            }
          if (parse_volume(optarg, io, &o->volumes[o->nvolumes]) < 0)
            return CLI_ERROR;
          o->nvolumes++;
          break;
        case ATTACH_NO_SECCOMP:
          o->no_seccomp = true;
          break;
        case ATTACH_VERBOSE:
          cntr_verbosity++;
          break;
        case ATTACH_HELP:
          attach_usage(io->out);
          return CLI_EXIT;
        case ATTACH_VERSION:
          cli_print_version(io->out);
          return CLI_EXIT;
        default:
          return CLI_ERROR;
        }
    }
  if (optind >= argc)
    {
      usage_error("attach", io, "missing target (a PID or a container name)");
      return CLI_ERROR;
    }
  o->target = argv[optind++];
  if (optind < argc && !strcmp(argv[optind], "--"))
    optind++;
  if (optind < argc)
    o->command = argv + optind;
  const char *base = getenv("CNTR_BASE_DIR");
  o->base_dir = base && *base ? base : CNTR_DEFAULT_BASE_DIR;
  o->debug_fuse = cntr_verbosity >= 2;
  return CLI_RUN;
}

/* ---------------------------------------------------------------------- */
/* cntr mount */

enum
{
  MOUNT_READ_ONLY,
  MOUNT_FOREGROUND,
  MOUNT_TYPE,
  MOUNT_VERBOSE,
  MOUNT_HELP,
  MOUNT_VERSION,
};

static const struct cli_option mount_options_table[] = {
  [MOUNT_READ_ONLY]
  = { "read-only", 'r', NULL, "refuse every change (EROFS) and never update atimes" },
  [MOUNT_FOREGROUND]
  = { "foreground", 'f', NULL, "serve in the foreground; Ctrl-C or SIGTERM unmounts" },
  [MOUNT_TYPE] = { "type", 't', "LIST", "look a container NAME up only in these runtimes" },
  [MOUNT_VERBOSE]
  = { "verbose", 'v', NULL, "explain what cntr does (twice, with -f: FUSE debug output)" },
  [MOUNT_HELP] = { "help", 'h', NULL, "show this help and exit" },
  [MOUNT_VERSION] = { "version", 'V', NULL, "show the version and exit" },
  { NULL, 0, NULL, NULL },
};

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
               "Options:\n");
  cli_print_options(out, mount_options_table);
}

enum cli_result
cli_parse_mount(int argc, char **argv, const struct cli_io *io, struct mount_options *o)
{
  *o = (struct mount_options){ 0 };
  struct cli_parser p;
  parser_init(&p, "mount", mount_options_table, false, io);
  int i;
  while ((i = parser_next(&p, argc, argv)) != CLI_END)
    {
      switch (i)
        {
        case MOUNT_READ_ONLY:
          o->read_only = true;
          break;
        case MOUNT_FOREGROUND:
          o->foreground = true;
          break;
        case MOUNT_TYPE:
          o->types = optarg;
          break;
        case MOUNT_VERBOSE:
          cntr_verbosity++;
          break;
        case MOUNT_HELP:
          mount_usage(io->out);
          return CLI_EXIT;
        case MOUNT_VERSION:
          cli_print_version(io->out);
          return CLI_EXIT;
        default:
          return CLI_ERROR;
        }
    }
  if (argc - optind != 2)
    {
      usage_error("mount", io, "needs SOURCE and MOUNTPOINT");
      return CLI_ERROR;
    }
  o->source = argv[optind];
  o->mountpoint = argv[optind + 1];
  o->debug = o->foreground && cntr_verbosity >= 2;
  return CLI_RUN;
}

/* ---------------------------------------------------------------------- */
/* cntr ps */

enum
{
  PS_FORMAT,
  PS_TYPE,
  PS_VERBOSE,
  PS_HELP,
  PS_VERSION,
};

static const struct cli_option ps_options_table[] = {
  [PS_FORMAT] = { "format", 0, "FMT", "table (default) or json" },
  [PS_TYPE] = { "type", 't', "LIST", "ask only these runtimes (comma-separated)" },
  [PS_VERBOSE] = { "verbose", 'v', NULL, "explain what cntr does" },
  [PS_HELP] = { "help", 'h', NULL, "show this help and exit" },
  [PS_VERSION] = { "version", 'V', NULL, "show the version and exit" },
  { NULL, 0, NULL, NULL },
};

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
               "Options:\n");
  cli_print_options(out, ps_options_table);
}

enum cli_result
cli_parse_ps(int argc, char **argv, const struct cli_io *io, struct ps_options *o)
{
  *o = (struct ps_options){ 0 };
  struct cli_parser p;
  parser_init(&p, "ps", ps_options_table, false, io);
  int i;
  while ((i = parser_next(&p, argc, argv)) != CLI_END)
    {
      switch (i)
        {
        case PS_FORMAT:
          if (!strcmp(optarg, "json"))
            o->json = true;
          else if (strcmp(optarg, "table"))
            {
              usage_error("ps", io, "--format '%s': not 'table' or 'json'", optarg);
              return CLI_ERROR;
            }
          break;
        case PS_TYPE:
          o->types = optarg;
          break;
        case PS_VERBOSE:
          cntr_verbosity++;
          break;
        case PS_HELP:
          ps_usage(io->out);
          return CLI_EXIT;
        case PS_VERSION:
          cli_print_version(io->out);
          return CLI_EXIT;
        default:
          return CLI_ERROR;
        }
    }
  if (optind < argc)
    {
      usage_error("ps", io, "unexpected argument '%s'", argv[optind]);
      return CLI_ERROR;
    }
  return CLI_RUN;
}
