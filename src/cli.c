/* SPDX-License-Identifier: MIT */
/* The subcommands' options, their --help, and their parsers (cli.h). */
#include "cli.h"
#include "cntr-commit.h"
#include "log.h"
#include "creds.h"
#include "runtime.h"
#include "tools-cache.h"
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
  optopt = 0;
  int c = getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
  if (c == -1)
    return CLI_END;
  /* A short option may be one of a group ("-it"): name it, not the
     argument getopt last moved past. */
  char shortname[3] = { '-', (char)optopt, '\0' };
  const char *name = optopt > 0 && optopt < 256 ? shortname : argv[optind - 1];
  if (c == ':')
    return usage_error(p->cmd, p->io, "option '%s' needs an argument", name);
  if (c == '?' && optopt == 'i')
    return usage_error(p->cmd, p->io,
                       "unknown option '-i': cntr passes standard input on by itself, and "
                       "gives the command a terminal when yours is one (no -i or -t as in "
                       "docker exec; -t is --type here)");
  if (c == '?')
    return usage_error(p->cmd, p->io, "unknown option '%s'", name);
  if (c >= 256)
    return p->options[c - 256].id ? p->options[c - 256].id : c - 256;
  for (int i = 0; p->options[i].name; i++)
    if (p->options[i].letter == c)
      return p->options[i].id ? p->options[i].id : i;
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
/* cntr attach and cntr exec: one table of session options, exec taking
   those that do not concern the tools */

enum
{
  SESSION_ENV,
  SESSION_ENV_FILE,
  SESSION_USER,
  SESSION_WORKDIR,
  SESSION_CAP_ADD,
  SESSION_CAP_DROP,
  SESSION_PRIVILEGED,
  SESSION_READ_ONLY,
  SESSION_NO_CGROUP,
  SESSION_NO_SECCOMP,
  SESSION_APPARMOR,
  SESSION_SELINUX,
  SESSION_TYPE,
  SESSION_TOOLS,
  SESSION_TOOLS_IMAGE,
  SESSION_TOOLS_CONTAINER,
  SESSION_TOOLS_RW,
  SESSION_HOST_SECRETS,
  SESSION_LAYOUT,
  SESSION_VOLUME,
  SESSION_VERBOSE,
  SESSION_HELP,
  SESSION_VERSION,
  SESSION_OPTION_COUNT
};

/* Options of attach only (exec runs no tools). */
static bool
attach_only(int id)
{
  return id == SESSION_TOOLS || id == SESSION_TOOLS_IMAGE || id == SESSION_TOOLS_CONTAINER
         || id == SESSION_TOOLS_RW || id == SESSION_HOST_SECRETS || id == SESSION_LAYOUT
         || id == SESSION_VOLUME;
}

static const struct cli_option session_options_table[SESSION_OPTION_COUNT + 1] = {
  [SESSION_ENV] = { "env", 'e', "VAR=VALUE",
                    "set VAR in the command's environment (VAR alone: cntr's\n"
                    "own value of VAR, or no VAR at all); repeatable" },
  [SESSION_ENV_FILE] = { "env-file", 0, "FILE",
                         "set the variables of FILE, one VAR=VALUE or VAR a\n"
                         "line, as docker does (--env wins); repeatable" },
  [SESSION_USER] = { "user", 'u', "USER[:GROUP]",
                     "run as USER (a name of the target's /etc/passwd, or a\n"
                     "UID) and GROUP (of its /etc/group, or a GID)" },
  [SESSION_WORKDIR]
  = { "workdir", 'w', "DIR", "start in DIR (default: the target's working\ndirectory)" },
  [SESSION_CAP_ADD] = { "cap-add", 0, "CAP",
                        "add capability CAP (SYS_PTRACE, NET_ADMIN, ..., ALL)\n"
                        "to the target's; repeatable" },
  [SESSION_CAP_DROP] = { "cap-drop", 0, "CAP", "drop capability CAP (or ALL); repeatable" },
  [SESSION_PRIVILEGED] = { "privileged", 0, NULL,
                           "every capability, no no_new_privs, no seccomp\n"
                           "filter, no LSM label" },
  [SESSION_READ_ONLY] = { "read-only", 0, NULL,
                          "the target's files read-only and without atime\n"
                          "updates in the session, every mount of it" },
  [SESSION_NO_CGROUP]
  = { "no-cgroup", 0, NULL, "stay out of the target's cgroups (one at its memory\nlimit)" },
  [SESSION_NO_SECCOMP]
  = { "no-seccomp", 0, NULL, "do not apply the target's seccomp filter to the\ncommand" },
  [SESSION_APPARMOR]
  = { "apparmor", 0, "MODE", "auto: the target's AppArmor profile (default); off:\nnone" },
  [SESSION_SELINUX]
  = { "selinux", 0, "MODE", "auto: the target's SELinux context (default); off:\nnone" },
  [SESSION_TYPE] = { "type", 't', "LIST", "look NAME up only in these runtimes (comma-separated)" },
  [SESSION_TOOLS] = { "tools", 0, "DIR", "serve DIR as the tools instead of the host's /" },
  [SESSION_TOOLS_IMAGE] = { "tools-image", 0, "IMAGE",
                            "serve an image as the tools: a docker or podman save\n"
                            "archive, an OCI layout (directory or tar), or\n"
                            "oci:PATH:NAME for one of several; unpacked once\n"
                            "into the cache (cntr prune empties it)" },
  [SESSION_TOOLS_CONTAINER] = { "tools-container", 0, "NAME",
                                "serve the root of another running container (named\n"
                                "as TARGET is) as the tools, with its mounts" },
  [SESSION_TOOLS_RW] = { "tools-rw", 0, NULL,
                         "let the session write the tools tree itself (the\n"
                         "host's / by default); otherwise its writes go to a\n"
                         "scratch that ends with it" },
  [SESSION_HOST_SECRETS] = { "host-secrets", 0, NULL,
                             "let the session read every file of the tools tree:\n"
                             "root's files and your credential stores too" },
  [SESSION_LAYOUT] = { "layout", 0, "LAYOUT",
                       "target: the target's root at / and the tools at the\n"
                       "base dir (default); tools: the tools at / and the\n"
                       "target's root at the base dir, its /proc, /dev, /sys\n"
                       "and /etc identity files over the tools' own" },
  [SESSION_VOLUME] = { "volume", 'v', "HOSTDIR:PATH[:ro]",
                       "the host's directory (or file) HOSTDIR at PATH in\n"
                       "the session, writable unless :ro; repeatable" },
  /* -v is docker's --volume. */
  [SESSION_VERBOSE] = { "verbose", 0, NULL, "explain what cntr does (twice: FUSE debug output)" },
  [SESSION_HELP] = { "help", 'h', NULL, "show this help and exit" },
  [SESSION_VERSION] = { "version", 'V', NULL, "show the version and exit" },
  { NULL, 0, NULL, NULL },
};

/* The table of exec: the session options less attach's own; each entry's
   id is its index in session_options_table. */
static void
exec_table(struct cli_option *out)
{
  size_t n = 0;
  for (int i = 0; i < SESSION_OPTION_COUNT; i++)
    if (!attach_only(i))
      {
        out[n] = session_options_table[i];
        out[n].id = i;
        n++;
      }
  out[n] = (struct cli_option){ NULL, 0, NULL, NULL };
}

/* -v HOSTDIR:PATH[:ro|:rw] into its pieces; a usage error otherwise. */
static int
parse_volume(const char *cmd, const char *spec, const struct cli_io *io, struct attach_volume *v)
{
  const char *colon = strchr(spec, ':');
  if (!colon || colon == spec || colon[1] != '/')
    return usage_error(cmd, io, "--volume '%s': needs HOSTDIR:PATH, PATH absolute", spec);
  *v = (struct attach_volume){ .spec = spec,
                               .host_len = (size_t)(colon - spec),
                               .path = colon + 1 };
  const char *mode = strchr(v->path, ':');
  v->path_len = mode ? (size_t)(mode - v->path) : strlen(v->path);
  if (mode && strcmp(mode, ":ro") && strcmp(mode, ":rw"))
    return usage_error(cmd, io, "--volume '%s': '%s' is not :ro or :rw", spec, mode);
  v->read_only = mode && !strcmp(mode, ":ro");
  return 0;
}

/* --cap-add/--cap-drop CAP into the mask. */
static int
parse_cap(const char *cmd, const char *opt, const char *name, const struct cli_io *io,
          uint64_t *mask)
{
  uint64_t m;
  if (creds_cap_mask(name, &m) < 0)
    {
      cntr_error_clear();
      return usage_error(cmd, io, "%s '%s': no such capability (see capabilities(7))", opt, name);
    }
  *mask |= m;
  return 0;
}

/* --apparmor/--selinux MODE. */
static int
parse_lsm_mode(const char *cmd, const char *opt, const char *mode, const struct cli_io *io,
               bool *off)
{
  if (!strcmp(mode, "auto"))
    *off = false;
  else if (!strcmp(mode, "off"))
    *off = true;
  else
    return usage_error(cmd, io, "%s '%s': not 'auto' or 'off'", opt, mode);
  return 0;
}

static void
session_usage(FILE *out, bool exec, const struct cli_option *options)
{
  if (exec)
    fprintf(out, "Usage: cntr exec [OPTIONS] TARGET [-- COMMAND [ARG...]]\n"
                 "\n"
                 "Run the container TARGET's own COMMAND (default: its shell) in all its\n"
                 "namespaces, root, working directory, environment and identity, as\n"
                 "docker exec does, for every runtime and without it; no tools, no FUSE.\n"
                 "Nothing is left behind when the command exits.\n"
                 "\n");
  else
    fprintf(out,
            "Usage: cntr attach [OPTIONS] TARGET [-- COMMAND [ARG...]]\n"
            "\n"
            "Run COMMAND (default: your shell from the tools) in all namespaces of the\n"
            "container TARGET.  The container's root filesystem is at /, with all its\n"
            "mounts; your tools (the host's / by default) are at the base dir, %s\n"
            "unless CNTR_BASE_DIR says otherwise, and their bin directories come first\n"
            "on PATH.  What the session writes in the tools stays in a scratch of its\n"
            "own.  Nothing is written to the container or the host, and nothing is left\n"
            "behind when the command exits.\n"
            "\n",
            CNTR_DEFAULT_BASE_DIR);
  runtime_print_target_syntax(out);
  fprintf(out, "\n"
               "Options:\n");
  cli_print_options(out, options);
  fprintf(out, "\n"
               "Exit status: COMMAND's own; 128+N if it was killed by signal N; 125 if cntr\n"
               "failed; 126 if COMMAND cannot be executed; 127 if it was not found.\n");
}

static enum cli_result
parse_session(int argc, char **argv, const struct cli_io *io, bool exec, struct attach_options *o)
{
  const char *cmd = exec ? "exec" : "attach";
  *o = (struct attach_options){ .tools = { TOOLS_DIRECTORY, "/" }, .exec = exec };
  struct cli_option exec_options[SESSION_OPTION_COUNT + 1];
  const struct cli_option *options = session_options_table;
  if (exec)
    {
      exec_table(exec_options);
      options = exec_options;
    }
  struct cli_parser p;
  parser_init(&p, cmd, options, true, io);
  bool tools_given = false;
  int i;
  while ((i = parser_next(&p, argc, argv)) != CLI_END)
    {
      switch (i)
        {
        case SESSION_ENV:
          if (!*optarg || *optarg == '=')
            {
              usage_error(cmd, io, "--env '%s': needs VAR=VALUE or VAR", optarg);
              return CLI_ERROR;
            }
          if (o->nenv == ATTACH_MAX_ENV)
            {
              usage_error(cmd, io, "--env: more than %d variables", ATTACH_MAX_ENV);
              return CLI_ERROR;
            }
          o->env[o->nenv++] = optarg;
          break;
        case SESSION_ENV_FILE:
          if (o->nenv_files == ATTACH_MAX_ENV_FILES)
            {
              usage_error(cmd, io, "--env-file: more than %d files", ATTACH_MAX_ENV_FILES);
              return CLI_ERROR;
            }
          o->env_files[o->nenv_files++] = optarg;
          break;
        case SESSION_USER:
          o->user = optarg;
          break;
        case SESSION_WORKDIR:
          if (optarg[0] != '/')
            {
              usage_error(cmd, io, "--workdir '%s': must be an absolute path", optarg);
              return CLI_ERROR;
            }
          o->workdir = optarg;
          break;
        case SESSION_CAP_ADD:
          if (parse_cap(cmd, "--cap-add", optarg, io, &o->cap_add) < 0)
            return CLI_ERROR;
          break;
        case SESSION_CAP_DROP:
          if (parse_cap(cmd, "--cap-drop", optarg, io, &o->cap_drop) < 0)
            return CLI_ERROR;
          break;
        case SESSION_PRIVILEGED:
          o->privileged = true;
          break;
        case SESSION_READ_ONLY:
          o->read_only = true;
          break;
        case SESSION_NO_CGROUP:
          o->no_cgroup = true;
          break;
        case SESSION_NO_SECCOMP:
          o->no_seccomp = true;
          break;
        case SESSION_APPARMOR:
          if (parse_lsm_mode(cmd, "--apparmor", optarg, io, &o->apparmor_off) < 0)
            return CLI_ERROR;
          break;
        case SESSION_SELINUX:
          if (parse_lsm_mode(cmd, "--selinux", optarg, io, &o->selinux_off) < 0)
            return CLI_ERROR;
          break;
        case SESSION_TYPE:
          o->types = optarg;
          break;
        case SESSION_TOOLS:
        case SESSION_TOOLS_IMAGE:
        case SESSION_TOOLS_CONTAINER:
          {
            enum tools_kind kind = i == SESSION_TOOLS         ? TOOLS_DIRECTORY
                                   : i == SESSION_TOOLS_IMAGE ? TOOLS_IMAGE
                                                              : TOOLS_CONTAINER;
            if (tools_given)
              {
                usage_error(cmd, io, "%s and %s: one source of tools only",
                            tools_option_name(o->tools.kind), tools_option_name(kind));
                return CLI_ERROR;
              }
            tools_given = true;
            o->tools = (struct tools_spec){ kind, optarg };
            break;
          }
        case SESSION_TOOLS_RW:
          o->tools_rw = true;
          break;
        case SESSION_LAYOUT:
          if (!strcmp(optarg, "target") || !strcmp(optarg, "tools"))
            o->layout_tools = !strcmp(optarg, "tools");
          else
            {
              usage_error(cmd, io, "--layout '%s': not 'target' or 'tools'", optarg);
              return CLI_ERROR;
            }
          break;
        case SESSION_HOST_SECRETS:
          o->host_secrets = true;
          break;
        case SESSION_VOLUME:
          if (o->nvolumes == ATTACH_MAX_VOLUMES)
            {
              usage_error(cmd, io, "--volume: more than %d volumes", ATTACH_MAX_VOLUMES);
              return CLI_ERROR;
            }
          if (parse_volume(cmd, optarg, io, &o->volumes[o->nvolumes]) < 0)
            return CLI_ERROR;
          o->nvolumes++;
          break;
        case SESSION_VERBOSE:
          cntr_verbosity++;
          break;
        case SESSION_HELP:
          session_usage(io->out, exec, options);
          return CLI_EXIT;
        case SESSION_VERSION:
          cli_print_version(io->out);
          return CLI_EXIT;
        default:
          return CLI_ERROR;
        }
    }
  if (o->tools_rw && o->tools.kind == TOOLS_IMAGE)
    {
      usage_error(cmd, io, "--tools-rw: an image's tools are the cache's, shared by sessions");
      return CLI_ERROR;
    }
  if (optind >= argc)
    {
      usage_error(cmd, io, "missing target (a PID or a container name)");
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

enum cli_result
cli_parse_attach(int argc, char **argv, const struct cli_io *io, struct attach_options *o)
{
  return parse_session(argc, argv, io, false, o);
}

enum cli_result
cli_parse_exec(int argc, char **argv, const struct cli_io *io, struct attach_options *o)
{
  return parse_session(argc, argv, io, true, o);
}

/* ---------------------------------------------------------------------- */
/* cntr mount */

enum
{
  MOUNT_READ_ONLY,
  MOUNT_SCRATCH,
  MOUNT_SCRATCH_SIZE,
  MOUNT_FOREGROUND,
  MOUNT_TYPE,
  MOUNT_VERBOSE,
  MOUNT_HELP,
  MOUNT_VERSION,
};

static const struct cli_option mount_options_table[] = {
  [MOUNT_READ_ONLY]
  = { "read-only", 'r', NULL, "refuse every change (EROFS) and never update atimes" },
  [MOUNT_SCRATCH] = { "scratch", 's', NULL, "changes go to a private tmpfs, gone at unmount" },
  [MOUNT_SCRATCH_SIZE]
  = { "scratch-size", 0, "SIZE", "the size of that tmpfs (tmpfs size=, e.g. 512m or 10%)" },
  [MOUNT_FOREGROUND]
  = { "foreground", 'f', NULL, "serve in the foreground; Ctrl-C or SIGTERM unmounts" },
  [MOUNT_TYPE] = { "type", 't', "LIST", "look a container NAME up only in these runtimes" },
  [MOUNT_VERBOSE] = { "verbose", 'v', NULL,
                      "explain what cntr does, such as whether the kernel\npasses file data "
                      "through (twice, with -f: FUSE\ndebug output)" },
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
               "With --scratch, SOURCE is never written: what is changed through the\n"
               "mount goes to a tmpfs that no path leads to, and is gone at unmount.\n"
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
        case MOUNT_SCRATCH:
          o->scratch = true;
          break;
        case MOUNT_SCRATCH_SIZE:
          o->scratch = true;
          o->scratch_size = optarg;
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

/* ---------------------------------------------------------------------- */
/* cntr prune */

enum
{
  PRUNE_VERBOSE,
  PRUNE_HELP,
  PRUNE_VERSION,
};

static const struct cli_option prune_options_table[] = {
  [PRUNE_VERBOSE] = { "verbose", 'v', NULL, "explain what cntr does" },
  [PRUNE_HELP] = { "help", 'h', NULL, "show this help and exit" },
  [PRUNE_VERSION] = { "version", 'V', NULL, "show the version and exit" },
  { NULL, 0, NULL, NULL },
};

static void
prune_usage(FILE *out)
{
  fprintf(out, "Usage: cntr prune [OPTIONS]\n"
               "\n");
  fprint_wrapped(out, 0,
                 "Empty the cache of unpacked tools images (--tools-image), %s unless "
                 "CNTR_CACHE_DIR says otherwise: every image no running session uses, and what "
                 "an interrupted unpack left.  The next attach of an image unpacks it again.",
                 CNTR_DEFAULT_CACHE_DIR);
  fprintf(out, "\n"
               "Options:\n");
  cli_print_options(out, prune_options_table);
}

enum cli_result
cli_parse_prune(int argc, char **argv, const struct cli_io *io)
{
  struct cli_parser p;
  parser_init(&p, "prune", prune_options_table, false, io);
  int i;
  while ((i = parser_next(&p, argc, argv)) != CLI_END)
    {
      switch (i)
        {
        case PRUNE_VERBOSE:
          cntr_verbosity++;
          break;
        case PRUNE_HELP:
          prune_usage(io->out);
          return CLI_EXIT;
        case PRUNE_VERSION:
          cli_print_version(io->out);
          return CLI_EXIT;
        default:
          return CLI_ERROR;
        }
    }
  if (optind < argc)
    {
      usage_error("prune", io, "unexpected argument '%s'", argv[optind]);
      return CLI_ERROR;
    }
  return CLI_RUN;
}

/* ---------------------------------------------------------------------- */
/* Shell completions, from the same tables */

static const struct cli_option *
options_of(const char *command, struct cli_option *exec_buf)
{
  if (!strcmp(command, "attach"))
    return session_options_table;
  if (!strcmp(command, "exec"))
    {
      exec_table(exec_buf);
      return exec_buf;
    }
  if (!strcmp(command, "mount"))
    return mount_options_table;
  if (!strcmp(command, "ps"))
    return ps_options_table;
  if (!strcmp(command, "prune"))
    return prune_options_table;
  return NULL;
}

/* The first line of an option's help, with single quotes made safe for
   the shells' single-quoted strings. */
static void
print_summary(FILE *out, const char *help)
{
  for (const char *h = help; *h && *h != '\n'; h++)
    if (*h == '\'')
      fputs("'\\''", out);
    else
      fputc(*h, out);
}

static void
bash_completion(FILE *out, const struct cli_command_name *commands, size_t n)
{
  fprintf(out, "# bash completion for cntr, made by 'cntr completion bash'\n"
               "_cntr() {\n"
               "  local cur=${COMP_WORDS[COMP_CWORD]} opts=\n"
               "  if ((COMP_CWORD == 1)); then\n"
               "    COMPREPLY=($(compgen -W '");
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%s ", commands[i].name);
  fprintf(out, "help version completion' -- \"$cur\"))\n"
               "    return\n"
               "  fi\n"
               "  case ${COMP_WORDS[1]} in\n");
  for (size_t i = 0; i < n; i++)
    {
      struct cli_option exec_buf[SESSION_OPTION_COUNT + 1];
      const struct cli_option *o = options_of(commands[i].name, exec_buf);
      if (!o)
        continue;
      fprintf(out, "    %s) opts='", commands[i].name);
      for (; o->name; o++)
        {
          fprintf(out, "--%s ", o->name);
          if (o->letter)
            fprintf(out, "-%c ", o->letter);
        }
      fprintf(out, "' ;;\n");
    }
  fprintf(out, "    help) COMPREPLY=($(compgen -W '");
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%s ", commands[i].name);
  fprintf(out, "' -- \"$cur\")); return ;;\n"
               "    completion) COMPREPLY=($(compgen -W 'bash zsh fish' -- \"$cur\")); return ;;\n"
               "  esac\n"
               "  if [[ $cur == -* ]]; then\n"
               "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
               "  else\n"
               "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
               "  fi\n"
               "}\n"
               "complete -F _cntr cntr\n");
}

static void
zsh_completion(FILE *out, const struct cli_command_name *commands, size_t n)
{
  fprintf(out, "#compdef cntr\n"
               "# zsh completion for cntr, made by 'cntr completion zsh'\n"
               "_cntr() {\n"
               "  local -a commands\n"
               "  commands=(\n");
  for (size_t i = 0; i < n; i++)
    {
      fprintf(out, "    '%s:", commands[i].name);
      print_summary(out, commands[i].summary);
      fprintf(out, "'\n");
    }
  fprintf(out, "    'help:show the usage, or a command'\\''s'\n"
               "    'version:show the version'\n"
               "    'completion:print a shell completion script'\n"
               "  )\n"
               "  if (( CURRENT == 2 )); then\n"
               "    _describe command commands\n"
               "    return\n"
               "  fi\n"
               "  local cmd=$words[2]\n"
               "  shift words; (( CURRENT-- ))\n"
               "  case $cmd in\n");
  for (size_t i = 0; i < n; i++)
    {
      struct cli_option exec_buf[SESSION_OPTION_COUNT + 1];
      const struct cli_option *o = options_of(commands[i].name, exec_buf);
      if (!o)
        continue;
      fprintf(out, "    %s) _arguments -s \\\n", commands[i].name);
      for (; o->name; o++)
        {
          const char *arg = o->arg ? ":arg:_files" : "";
          if (o->letter)
            fprintf(out, "        '(-%c --%s)'{-%c,--%s}'%s[", o->letter, o->name, o->letter,
                    o->name, o->arg ? "=" : "");
          else
            fprintf(out, "        '--%s%s[", o->name, o->arg ? "=" : "");
          print_summary(out, o->help);
          fprintf(out, "]%s' \\\n", arg);
        }
      fprintf(out, "        '*::argument:_files' ;;\n");
    }
  fprintf(out, "  esac\n"
               "}\n"
               "_cntr \"$@\"\n");
}

static void
fish_completion(FILE *out, const struct cli_command_name *commands, size_t n)
{
  fprintf(out, "# fish completion for cntr, made by 'cntr completion fish'\n"
               "complete -c cntr -f\n");
  for (size_t i = 0; i < n; i++)
    {
      fprintf(out, "complete -c cntr -n __fish_use_subcommand -a %s -d '", commands[i].name);
      print_summary(out, commands[i].summary);
      fprintf(out, "'\n");
    }
  fprintf(out, "complete -c cntr -n __fish_use_subcommand -a help -d 'show the usage'\n"
               "complete -c cntr -n __fish_use_subcommand -a version -d 'show the version'\n"
               "complete -c cntr -n __fish_use_subcommand -a completion "
               "-d 'print a shell completion script'\n");
  for (size_t i = 0; i < n; i++)
    {
      struct cli_option exec_buf[SESSION_OPTION_COUNT + 1];
      const struct cli_option *o = options_of(commands[i].name, exec_buf);
      for (; o && o->name; o++)
        {
          fprintf(out, "complete -c cntr -n '__fish_seen_subcommand_from %s' -l %s",
                  commands[i].name, o->name);
          if (o->letter)
            fprintf(out, " -s %c", o->letter);
          fprintf(out, "%s -d '", o->arg ? " -r -F" : "");
          print_summary(out, o->help);
          fprintf(out, "'\n");
        }
    }
}

int
cli_print_completion(FILE *out, const char *shell, const struct cli_command_name *commands,
                     size_t n)
{
  if (!strcmp(shell, "bash"))
    bash_completion(out, commands, n);
  else if (!strcmp(shell, "zsh"))
    zsh_completion(out, commands, n);
  else if (!strcmp(shell, "fish"))
    fish_completion(out, commands, n);
  else
    return -1;
  return 0;
}
