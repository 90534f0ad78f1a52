/* SPDX-License-Identifier: MIT */
/* Building the environment of a session's command from the target's (env.h). */
#include "env.h"
#include "cleanup.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *
env_get(char *const *env, const char *name)
{
  size_t len = strlen(name);
  for (size_t i = 0; env && env[i]; i++)
    if (!strncmp(env[i], name, len) && env[i][len] == '=')
      return env[i] + len + 1;
  return NULL;
}

/* The target's variables the session drops.  A name ending in '*' is a
   prefix.  Kept in step with ENVIRONMENT in man/cntr-attach.1. */
static const char *const filtered_names[] = {
  /* The dynamic loader and libc: code to load, where to find it. */
  "LD_*",
  "GCONV_PATH",
  "GLIBC_TUNABLES",
  "MALLOC_*",
  "LOCPATH",
  "NLSPATH",
  "HOSTALIASES",
  "RES_OPTIONS",
  /* Shells: files they source, code they evaluate, how they parse. */
  "BASH_ENV",
  "ENV",
  "BASH_FUNC_*",
  "SHELLOPTS",
  "BASHOPTS",
  "PROMPT_COMMAND",
  "PS0",
  "PS1",
  "PS2",
  "PS3",
  "PS4",
  "IFS",
  "CDPATH",
  "GLOBIGNORE",
  "HISTFILE",
  "INPUTRC",
  "ZDOTDIR",
  "FPATH",
  "XDG_CONFIG_HOME",
  "XDG_CONFIG_DIRS",
  "XDG_DATA_HOME",
  "XDG_DATA_DIRS",
  /* Interpreters: modules and code run at start. */
  "PYTHON*",
  "PERL5*",
  "PERLLIB",
  "PERL_*",
  "RUBYOPT",
  "RUBYLIB",
  "NODE_OPTIONS",
  "NODE_PATH",
  "JAVA_TOOL_OPTIONS",
  "_JAVA_OPTIONS",
  "JDK_JAVA_OPTIONS",
  "CLASSPATH",
  "LUA_PATH*",
  "LUA_CPATH*",
  "LUA_INIT*",
  "TCLLIBPATH",
  "PHPRC",
  "PHP_INI_SCAN_DIR",
  /* Programs that tools run because a variable names them. */
  "EDITOR",
  "VISUAL",
  "PAGER",
  "MANPAGER",
  "MANOPT",
  "BROWSER",
  "LESSOPEN",
  "LESSCLOSE",
  "LESSKEYIN",
  "LESSKEY",
  "GIT_*",
  "SSH_ASKPASS",
  "SUDO_ASKPASS",
  "VIMINIT",
  "EXINIT",
  "MYVIMRC",
  "VIMRUNTIME",
  "TERMINFO",
  "TERMCAP",
  "MAGIC",
  NULL,
};

static size_t
name_length(const char *entry)
{
  const char *eq = strchr(entry, '=');
  return eq ? (size_t)(eq - entry) : strlen(entry);
}

bool
env_is_filtered(const char *entry)
{
  size_t len = name_length(entry);
  for (const char *const *f = filtered_names; *f; f++)
    {
      size_t flen = strlen(*f);
      if ((*f)[flen - 1] == '*' ? len >= flen - 1 && !strncmp(entry, *f, flen - 1)
                                : len == flen && !strncmp(entry, *f, len))
        return true;
    }
  return false;
}

int
env_file_parse(const char *text, size_t len, char ***entries, size_t *bad_line)
{
  const char *end = text + len;
  size_t line_no = 0;
  for (const char *line = text; line < end;)
    {
      const char *eol = memchr(line, '\n', (size_t)(end - line));
      if (!eol)
        eol = end;
      line_no++;
      while (line < eol && (*line == ' ' || *line == '\t'))
        line++;
      size_t n = (size_t)(eol - line);
      if (n > 0 && line[n - 1] == '\r')
        n--;
      if (n > 0 && *line != '#')
        {
          const char *eq = memchr(line, '=', n);
          size_t name_len = eq ? (size_t)(eq - line) : n;
          if (name_len == 0 || memchr(line, ' ', name_len) || memchr(line, '\t', name_len))
            {
              *bad_line = line_no;
              errno = EINVAL;
              return -1;
            }
          if (strv_push_take(entries, strndup(line, n)) < 0)
            {
              errno = ENOMEM;
              return -1;
            }
        }
      line = eol + 1;
    }
  return 0;
}

static bool
overridden(char *const *overrides, const char *entry)
{
  size_t len = name_length(entry);
  for (size_t i = 0; overrides && overrides[i]; i++)
    if (name_length(overrides[i]) == len && !strncmp(overrides[i], entry, len))
      return true;
  return false;
}

char **
env_build(const struct env_params *p)
{
  cleanup_strv char **env = calloc(1, sizeof(char *));
  if (!env)
    return NULL;

  /* PATH: the tools first, so their versions win; then the target's own. */
  const char *target_path = env_get(p->target_env, "PATH");
  size_t cap = strlen("PATH=") + strlen(target_path ? target_path : ENV_DEFAULT_PATH) + 1;
  for (size_t i = 0; p->tool_paths && p->tool_paths[i]; i++)
    cap += strlen(p->tool_paths[i]) + 1;
  cleanup_free char *path = malloc(cap);
  if (!path)
    return NULL;
  strcpy(path, "PATH=");
  for (size_t i = 0; p->tool_paths && p->tool_paths[i]; i++)
    {
      strcat(path, p->tool_paths[i]);
      strcat(path, ":");
    }
  strcat(path, target_path && *target_path ? target_path : ENV_DEFAULT_PATH);
  if (strv_push_take(&env, steal_pointer(&path)) < 0)
    return NULL;

  for (size_t i = 0; p->target_env && p->target_env[i]; i++)
    {
      const char *e = p->target_env[i];
      if (!strchr(e, '=') || !strncmp(e, "PATH=", 5) || (!p->keep_all && env_is_filtered(e))
          || overridden(p->overrides, e) || overridden(p->user_env, e))
        continue;
      if (strv_push(&env, e) < 0)
        return NULL;
    }
  for (size_t i = 0; p->overrides && p->overrides[i]; i++)
    if (!overridden(p->user_env, p->overrides[i]) && strv_push(&env, p->overrides[i]) < 0)
      return NULL;
  for (size_t i = 0; p->user_env && p->user_env[i]; i++)
    {
      const char *u = p->user_env[i];
      if (!strchr(u, '='))
        continue; /* "NAME": removed, by not being added above */
      /* The user's PATH replaces the one made above. */
      if (!strncmp(u, "PATH=", 5))
        {
          char *copy = strdup(u);
          if (!copy)
            return NULL;
          free(env[0]);
          env[0] = copy;
        }
      else if (strv_push(&env, u) < 0)
        return NULL;
    }
  return steal_pointer(&env);
}
