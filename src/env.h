/* SPDX-License-Identifier: MIT */
/* The environment of a session's command: the target's own, less the
   variables that make a loader, a shell or an interpreter run code of the
   target's choosing, with the tools' bin directories first on PATH, the
   data-path variables pointed into the tools tree, and what the user set
   with --env.
   Error convention: NULL with errno set. */
#ifndef CNTR_ENV_H
#define CNTR_ENV_H

#include <stdbool.h>
#include <stddef.h>

struct env_params
{
  char *const *target_env; /* from /proc/PID/environ */
  char *const *tool_paths; /* bin directories as seen in the session */
  /* "NAME=value" entries that replace or add to the target's (may be NULL). */
  char *const *overrides;
  /* --env: "NAME=value" replaces or adds NAME (even one of the filtered
     ones, and PATH); "NAME" alone removes it.  Applied last. */
  char *const *user_env;
  /* Keep the target's variables that env_is_filtered names (cntr exec: the
     target's own programs run, not the tools). */
  bool keep_all;
};

/* Whether the target's variable (a "NAME=value" entry) is one that the
   session drops: loader and interpreter injection (LD_*, BASH_ENV,
   PYTHONPATH, ...), and programs or startup files that tools run or read
   because a variable names them (EDITOR, PAGER, LESSOPEN, INPUTRC, ...).
   The list is in env.c and in cntr-attach(1).  Pure. */
bool env_is_filtered(const char *entry);

/* The PATH used when the target has none. */
#define ENV_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Build the environment.  Pure: unit-tested. */
char **env_build(const struct env_params *p);

/* The entries of an --env-file, in docker's format: one VAR=VALUE (the
   value as it is, spaces and quotes included) or VAR (cntr's own value of
   VAR) per line; blank lines and lines whose first non-blank character is
   '#' are skipped, leading blanks are not part of the name.  Appended to
   *entries (a NULL-terminated vector).  -1 with errno EINVAL and *bad_line
   set for a line whose name is empty or has blanks in it, ENOMEM otherwise.
   Pure. */
int env_file_parse(const char *text, size_t len, char ***entries, size_t *bad_line);

/* The value of NAME in env, or NULL. */
const char *env_get(char *const *env, const char *name);

#endif
