/* SPDX-License-Identifier: MIT */
/* What a session runs and the environment it runs in, for attach and exec
   (command.h).  The
   variables that point into the tools tree are data: the tables below. */
#include "command.h"
#include "cleanup.h"
#include "env.h"
#include "io.h"
#include "log.h"
#include "startup.h"
#include "tools.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The tools' bin directories, in PATH order; each real directory once (on
   merged-/usr trees /bin is usr/bin). */
static const char *const tools_bin_dirs[] = {
  "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL,
};

/* Search paths of the tools' data: each variable is set to those of its
   paths that exist in the tools tree, as the session sees them, joined with
   ':' (left as the target has it when none exists). */
static const struct tools_path_var
{
  const char *name;
  const char *const paths[4];
} tools_path_vars[] = {
  { "TERMINFO_DIRS", { "/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", NULL } },
  { "MANPATH", { "/usr/local/share/man", "/usr/share/man", NULL } },
};

/* Whether the target has path (absolute, as it sees it), not leaving its
   root. */
static bool
target_has(int root_fd, const char *path)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
  cleanup_close int fd = (int)syscall(SYS_openat2, root_fd, path + 1, &how, sizeof how);
  return fd >= 0;
}

/* Where the session sees the tools: the base dir, or / (--layout tools,
   the empty prefix). */
static const char *
tools_prefix(const struct command_inputs *in)
{
  return in->tools_at_root ? "" : in->base_dir;
}

/* A path of the tools tree as the session sees it, or NULL if absent. */
static char *
session_path_if_exists(const struct command_inputs *in, const char *tools_path)
{
  if (faccessat(in->tools_fd, tools_path + 1, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return NULL;
  return xasprintf("%s%s", tools_prefix(in), tools_path);
}

static int
push_override(char ***v, const char *name, const char *value)
{
  if (!value)
    return 0;
  char *e = xasprintf("%s=%s", name, value);
  if (!e || strv_push_take(v, e) < 0)
    return cntr_fail(ENOMEM, "build the environment");
  return 0;
}

/* "NAME=a:b" from those of the tools' paths that exist, or nothing. */
static int
push_path_override(const struct command_inputs *in, char ***v, const char *name,
                   const char *const *paths)
{
  cleanup_free char *value = NULL;
  for (const char *const *p = paths; *p; p++)
    {
      cleanup_free char *sp = session_path_if_exists(in, *p);
      if (!sp)
        continue;
      char *joined = value ? xasprintf("%s:%s", value, sp) : strdup(sp);
      if (!joined)
        return cntr_fail(ENOMEM, "build the environment");
      free(value);
      value = joined;
    }
  return push_override(v, name, value);
}

/* Data that programs of the tools look for at paths compiled into them,
   which in a session name the target's files: the tools' are given in a
   variable, but only where the target has none of its own (its programs
   inherit the variable, and would read the tools' files instead of
   theirs).  The patterns are the tools' directories (glob(3)). */
static const struct tools_data_var
{
  const char *name;
  const char *target_has[4];   /* any of these: the target has its own */
  const char *const tools[16]; /* the directories, in the order of use */
  bool files;                  /* files, not directories */
} tools_data_vars[] = {
  /* file(1)'s compiled magic (libmagic reads MAGIC). */
  { "MAGIC",
    { "/usr/share/misc/magic.mgc", "/usr/share/misc/magic", "/usr/lib/file/magic.mgc", NULL },
    { "/usr/lib/file/magic.mgc", "/usr/share/misc/magic.mgc", "/usr/share/file/magic.mgc", NULL },
    true },
  /* glibc's locales: a target's LANG=C.UTF-8 needs them. */
  { "LOCPATH", { "/usr/lib/locale", NULL }, { "/usr/lib/locale", NULL } },
  /* perl's @INC as Debian and Fedora build it. */
  { "PERL5LIB",
    { "/usr/share/perl5", "/usr/share/perl", "/usr/lib64/perl5", NULL },
    { "/etc/perl", "/usr/local/lib/*/perl/*", "/usr/local/share/perl/*", "/usr/lib/*/perl5/*",
      "/usr/share/perl5", "/usr/lib/*/perl-base", "/usr/lib/*/perl/*", "/usr/share/perl/*",
      "/usr/local/lib64/perl5", "/usr/local/share/perl5", "/usr/lib64/perl5/vendor_perl",
      "/usr/share/perl5/vendor_perl", "/usr/lib64/perl5", NULL } },
};

/* NAME=the tools' directories of the variable, or nothing. */
static int
push_data_override(const struct command_inputs *in, char ***v, const struct tools_data_var *d)
{
  if (in->target_root_fd < 0)
    return 0;
  for (const char *const *t = d->target_has; *t; t++)
    if (target_has(in->target_root_fd, *t))
      return 0;
  cleanup_free char *value = tools_data_path(in->tools_fd, d->tools, tools_prefix(in), d->files);
  if (!value)
    return cntr_fail(ENOMEM, "build the environment");
  return *value ? push_override(v, d->name, value) : 0;
}

static int
build_argv(const struct command_inputs *in, struct command_spec *out, char ***shell_env)
{
  if (in->command && in->command[0])
    {
      for (char **a = in->command; *a; a++)
        if (strv_push(&out->argv, *a) < 0)
          return cntr_fail(ENOMEM, "build the command");
      return 0;
    }
  /* The user's own shell, from the tools; /bin/sh of the tools or of the
     target when the tools have none; started with cntr's startup files
     (startup.h). */
  const struct passwd *pw = in->pw;
  const char *shell = pw && pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh";
  char *path = session_path_if_exists(in, shell);
  if (!path)
    path = session_path_if_exists(in, "/bin/sh");
  if (!path)
    path = strdup("/bin/sh");
  if (!path)
    return cntr_fail(ENOMEM, "build the command");
  out->exec_path = path;
  if (in->tools_at_root)
    {
      /* With the tools at /, the system startup files are the tools' own:
         a login shell, when it is interactive. */
      const char *name = strrchr(path, '/') + 1;
      if (strv_push_take(&out->argv, in->use_pty ? xasprintf("-%s", name) : strdup(name)) < 0)
        return cntr_fail(ENOMEM, "build the command");
      return 0;
    }
  cleanup_free char *bash = session_path_if_exists(in, "/bin/bash");
  cleanup_free char *sh = session_path_if_exists(in, "/bin/sh");
  char *replacement = NULL;
  if (startup_shell(path, in->base_dir, in->use_pty, bash, sh, &out->argv, shell_env, &replacement)
      < 0)
    return -1;
  if (replacement)
    {
      cntr_debug("%s reads the target's startup files: the session runs %s", path, replacement);
      free(out->exec_path);
      out->exec_path = replacement;
    }
  return 0;
}

/* The tools' bin directories as the session sees them. */
static char **
tools_path_dirs(const struct command_inputs *in)
{
  cleanup_strv char **dirs = calloc(1, sizeof(char *));
  cleanup_strv char **resolved = calloc(1, sizeof(char *));
  if (!dirs || !resolved)
    return NULL;
  for (const char *const *d = tools_bin_dirs; *d; d++)
    {
      cleanup_free char *real = tools_resolve(in->tools_fd, *d);
      if (!real)
        continue;
      bool seen = false;
      for (char **r = resolved; *r; r++)
        seen |= !strcmp(*r, real);
      struct stat st;
      if (seen || fstatat(in->tools_fd, real + 1, &st, 0) < 0 || !S_ISDIR(st.st_mode))
        continue;
      if (strv_push(&resolved, real) < 0
          || strv_push_take(&dirs, xasprintf("%s%s", tools_prefix(in), *d)) < 0)
        return NULL;
    }
  return steal_pointer(&dirs);
}

/* entry's variable is already in v: replace it there. */
static bool
replace_same_name(char **v, char *entry)
{
  size_t len = strcspn(entry, "=");
  for (size_t i = 0; v[i]; i++)
    if (strcspn(v[i], "=") == len && !strncmp(v[i], entry, len))
      {
        free(v[i]);
        v[i] = entry;
        return true;
      }
  return false;
}

static int
add_user_entry(char ***v, const char *e)
{
  const char *value = strchr(e, '=') ? NULL : getenv(e);
  char *entry = value ? xasprintf("%s=%s", e, value) : strdup(e);
  if (!entry)
    return cntr_fail(ENOMEM, "build the environment");
  if (!replace_same_name(*v, entry) && strv_push_take(v, entry) < 0)
    return cntr_fail(ENOMEM, "build the environment");
  return 0;
}

/* The user's variables: the --env-file lines, then the --env entries, a
   later one replacing an earlier one of the same name (as docker does),
   bare names with cntr's own values filled in. */
static char **
resolve_user_env(const struct user_env *u)
{
  cleanup_strv char **user_env = calloc(1, sizeof(char *));
  if (!user_env)
    {
      cntr_fail(ENOMEM, "build the environment");
      return NULL;
    }
  for (size_t f = 0; f < u->nfiles; f++)
    {
      cleanup_free char *text = NULL;
      size_t len = 0;
      if (read_file_at(AT_FDCWD, u->files[f], &text, &len) < 0)
        {
          cntr_fail(errno, "--env-file %s", u->files[f]);
          return NULL;
        }
      cleanup_strv char **lines = calloc(1, sizeof(char *));
      size_t bad_line = 0;
      if (!lines || env_file_parse(text, len, &lines, &bad_line) < 0)
        {
          if (lines && errno == EINVAL)
            cntr_fail(0, "--env-file %s: line %zu: not VAR=VALUE or VAR (a name without blanks)",
                      u->files[f], bad_line);
          else
            cntr_fail(ENOMEM, "--env-file %s", u->files[f]);
          return NULL;
        }
      for (size_t i = 0; lines[i]; i++)
        if (add_user_entry(&user_env, lines[i]) < 0)
          return NULL;
    }
  for (size_t i = 0; i < u->nentries; i++)
    if (add_user_entry(&user_env, u->entries[i]) < 0)
      return NULL;
  return steal_pointer(&user_env);
}

static int
build_environment(const struct command_inputs *in, struct command_spec *out, char *const *shell_env)
{
  const struct passwd *pw = in->pw;
  cleanup_strv char **tool_paths = tools_path_dirs(in);
  cleanup_strv char **overrides = calloc(1, sizeof(char *));
  if (!tool_paths || !overrides)
    return cntr_fail(ENOMEM, "build the environment");
  /* Your dotfiles: $HOME as cntr was started (sudo sets it to the target
     user's), else the password entry's home, when the tools have it. */
  cleanup_free char *home = NULL;
  const char *home_dir = NULL; /* as the tools tree has it */
  if (in->home && in->home[0] == '/' && strcmp(in->home, "/"))
    home = session_path_if_exists(in, home_dir = in->home);
  if (!home && pw && pw->pw_dir && pw->pw_dir[0] == '/')
    home = session_path_if_exists(in, home_dir = pw->pw_dir);
  if (!home)
    home_dir = NULL;
  /* readline's key bindings: the user's, the tools', or none; never the
     target's /etc/inputrc. */
  cleanup_free char *inputrc = NULL;
  if (home_dir)
    {
      cleanup_free char *mine = xasprintf("%s/.inputrc", home_dir);
      inputrc = mine ? session_path_if_exists(in, mine) : NULL;
    }
  if (!inputrc)
    inputrc = session_path_if_exists(in, "/etc/inputrc");
  if (!inputrc && !in->tools_at_root)
    inputrc = xasprintf("%s/%s", in->base_dir, STARTUP_INPUTRC);
  if (push_override(&overrides, "HOME", home ? home : "/") < 0
      || push_override(&overrides, "SHELL", out->exec_path) < 0
      || push_override(&overrides, "INPUTRC", inputrc) < 0
      || push_override(&overrides, "CNTR_BASE_DIR", in->base_dir) < 0
      || (in->use_pty && push_override(&overrides, "TERM", in->term ? in->term : "xterm") < 0))
    return -1;
  for (size_t i = 0; i < sizeof tools_path_vars / sizeof *tools_path_vars; i++)
    if (push_path_override(in, &overrides, tools_path_vars[i].name, tools_path_vars[i].paths) < 0)
      return -1;
  for (size_t i = 0; !in->tools_at_root && i < sizeof tools_data_vars / sizeof *tools_data_vars;
       i++)
    if (push_data_override(in, &overrides, &tools_data_vars[i]) < 0)
      return -1;
  for (size_t i = 0; shell_env && shell_env[i]; i++)
    if (strv_push(&overrides, shell_env[i]) < 0)
      return cntr_fail(ENOMEM, "build the environment");
  if (pw
      && (push_override(&overrides, "USER", pw->pw_name) < 0
          || push_override(&overrides, "LOGNAME", pw->pw_name) < 0))
    return -1;

  cleanup_strv char **user_env = resolve_user_env(&in->user_env);
  if (!user_env)
    return -1;
  struct env_params params = {
    .target_env = in->target_env,
    .tool_paths = tool_paths,
    .overrides = overrides,
    .user_env = user_env,
  };
  out->env = env_build(&params);
  if (!out->env)
    return cntr_fail(errno, "build the environment");
  return 0;
}

int
command_build(const struct command_inputs *in, struct command_spec *out)
{
  memset(out, 0, sizeof *out);
  cleanup_strv char **shell_env = NULL;
  if (build_argv(in, out, &shell_env) < 0 || build_environment(in, out, shell_env) < 0)
    {
      command_spec_free(out);
      return -1;
    }
  return 0;
}

int
command_build_exec(const struct exec_inputs *in, struct command_spec *out)
{
  memset(out, 0, sizeof *out);
  const struct passwd_entry *pw = in->pw;
  cleanup_strv char **overrides = NULL;
  cleanup_strv char **user_env = NULL;
  if (in->command && in->command[0])
    {
      for (char **a = in->command; *a; a++)
        if (strv_push(&out->argv, *a) < 0)
          goto nomem;
    }
  else
    {
      /* The target's own shell: its user's, else /bin/sh. */
      const char *shell
          = pw && pw->shell[0] == '/' && target_has(in->root_fd, pw->shell) ? pw->shell : "/bin/sh";
      if (!target_has(in->root_fd, shell))
        {
          cntr_fail(0, "the target has no shell (no %s)", shell);
          cntr_hint("cntr attach brings your tools' shell into it");
          cntr_error_set_code(CNTR_EXIT_NOT_FOUND);
          return -1;
        }
      out->exec_path = strdup(shell);
      if (!out->exec_path || strv_push(&out->argv, strrchr(shell, '/') + 1) < 0)
        goto nomem;
    }
  overrides = calloc(1, sizeof(char *));
  if (!overrides)
    goto nomem;
  user_env = resolve_user_env(&in->user_env);
  if (!user_env)
    {
      command_spec_free(out);
      return -1;
    }
  if ((pw && in->user_env_from_pw
       && (push_override(&overrides, "HOME", pw->home[0] ? pw->home : "/") < 0
           || push_override(&overrides, "USER", pw->name) < 0
           || push_override(&overrides, "LOGNAME", pw->name) < 0))
      || (in->use_pty && push_override(&overrides, "TERM", in->term ? in->term : "xterm") < 0))
    {
      command_spec_free(out);
      return -1;
    }
  /* The target's own programs, with the target's own environment. */
  struct env_params params = {
    .target_env = in->target_env,
    .overrides = overrides,
    .user_env = user_env,
    .keep_all = true,
  };
  out->env = env_build(&params);
  if (!out->env)
    goto nomem;
  return 0;
nomem:
  command_spec_free(out);
  return cntr_fail(ENOMEM, "build the command");
}

void
command_spec_free(struct command_spec *c)
{
  strv_free(c->argv);
  strv_free(c->env);
  free(c->exec_path);
  c->argv = c->env = NULL;
  c->exec_path = NULL;
}
