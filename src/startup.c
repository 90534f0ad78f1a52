/* SPDX-License-Identifier: MIT */
/* The default shell's start and cntr's startup files (startup.h). */
#include "startup.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BASHRC ".cntr-bashrc"
#define SHRC ".cntr-shrc"
#define INPUTRC STARTUP_INPUTRC

/* What a login would have read of the user's own, in its order; none of
   the system's.  The prompt first, so the user's dotfiles may set theirs. */
const struct startup_file startup_files[STARTUP_FILES] = {
  { BASHRC, "# cntr: the startup file of this session's bash.  It stands in for the\n"
            "# target's /etc/profile and /etc/bash.bashrc, which are the target's code\n"
            "# and never read in a session (see SECURITY in cntr-attach(1)): bash was\n"
            "# started in POSIX mode, which reads only $ENV, this file.\n"
            "set +o posix\n"
            "unset BASH_ENV ENV\n"
            "PS1='(cntr) \\u@\\h:\\w\\$ '\n"
            "if [ -r \"$HOME/.bash_profile\" ]; then . \"$HOME/.bash_profile\"\n"
            "elif [ -r \"$HOME/.bash_login\" ]; then . \"$HOME/.bash_login\"\n"
            "elif [ -r \"$HOME/.profile\" ]; then . \"$HOME/.profile\"\n"
            "elif [ -r \"$HOME/.bashrc\" ]; then . \"$HOME/.bashrc\"\n"
            "fi\n" },
  { SHRC, "# cntr: the startup file of this session's sh (its ENV), in place of the\n"
          "# target's /etc/profile (see SECURITY in cntr-attach(1)).\n"
          "unset ENV\n"
          "PS1=\"(cntr) $(uname -n 2>/dev/null):\\$ \"\n"
          "if [ -r \"$HOME/.profile\" ]; then . \"$HOME/.profile\"; fi\n" },
  /* readline's, when neither the user nor the tools have one: the
     target's /etc/inputrc would be read otherwise. */
  { INPUTRC, "" },
};

static const char *
basename_of(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static bool
is_sh(const char *name)
{
  return !strcmp(name, "sh") || !strcmp(name, "dash") || !strcmp(name, "ash");
}

static int
push(char ***v, char *s)
{
  if (strv_push_take(v, s) < 0)
    return cntr_fail(ENOMEM, "build the shell's command");
  return 0;
}

int
startup_shell(const char *path, const char *base, bool interactive, const char *bash,
              const char *sh, char ***argv, char ***env, char **replacement)
{
  *argv = NULL;
  *env = NULL;
  *replacement = NULL;
  const char *name = basename_of(path);
  if (strcmp(name, "bash") && !is_sh(name))
    {
      /* zsh always reads /etc/zsh/zshenv, fish its system config: the
         target's, in a session. */
      const char *use = bash ? bash : sh;
      if (!use)
        return cntr_fail(0,
                         "%s: reads the target's startup files, and the tools have no bash "
                         "or sh to run instead",
                         path);
      *replacement = strdup(use);
      if (!*replacement)
        return cntr_fail(ENOMEM, "build the shell's command");
      name = basename_of(use);
    }
  if (!strcmp(name, "bash"))
    {
      /* An interactive bash reads /etc/bash.bashrc even with --rcfile;
         in POSIX mode it reads $ENV only, and the file leaves that mode. */
      if (push(argv, strdup("bash")) < 0)
        return -1;
      if (interactive)
        {
          if (push(argv, strdup("--posix")) < 0 || push(argv, strdup("--noprofile")) < 0
              || push(argv, strdup("-i")) < 0
              || push(env, xasprintf("ENV=%s/%s", base, BASHRC)) < 0)
            return -1;
        }
      else if (push(argv, strdup("--noprofile")) < 0 || push(argv, strdup("--norc")) < 0)
        return -1;
    }
  else
    {
      if (push(argv, strdup(name)) < 0)
        return -1;
      if (interactive
          && (push(argv, strdup("-i")) < 0 || push(env, xasprintf("ENV=%s/%s", base, SHRC)) < 0))
        return -1;
    }
  return 0;
}
