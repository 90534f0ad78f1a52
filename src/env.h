/* SPDX-License-Identifier: MIT */
/* The environment of a session's command: the target's own, with the tools'
   bin directories first on PATH and the data-path variables pointed into
   the tools tree.
   Error convention: NULL with errno set. */
#ifndef CNTR_ENV_H
#define CNTR_ENV_H

struct env_params
{
  char *const *target_env; /* from /proc/PID/environ */
  char *const *tool_paths; /* bin directories as seen in the session */
  /* "NAME=value" entries that replace or add to the target's (may be NULL). */
  char *const *overrides;
};

/* The PATH used when the target has none. */
#define ENV_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Build the environment.  Pure: unit-tested. */
char **env_build(const struct env_params *p);

/* The value of NAME in env, or NULL. */
const char *env_get(char *const *env, const char *name);

#endif
