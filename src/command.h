/* SPDX-License-Identifier: MIT */
/* What a session runs: the argv, the path to execute and the environment,
   derived from the user's command line, the tools tree (as the session
   sees it at the base dir), the invoking user's password entry and the
   target's environment.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_COMMAND_H
#define CNTR_COMMAND_H

#include "passwd.h"

#include <pwd.h>
#include <stdbool.h>

/* What the user set: --env-file FILE (read by cntr, a line each) and
   --env entries, "NAME=value", or "NAME" for this process's value of NAME
   (none: NAME is removed). */
struct user_env
{
  const char *const *files;
  size_t nfiles;
  const char *const *entries;
  size_t nentries;
};

struct command_inputs
{
  int tools_fd;            /* the tools tree */
  const char *base_dir;    /* where the session sees it (CNTR_BASE_DIR) */
  bool tools_at_root;      /* --layout tools: at / instead (base_dir is the target's) */
  int target_root_fd;      /* the target's root, for what it has; -1: unknown */
  char **command;          /* the user's command; NULL: their login shell */
  const struct passwd *pw; /* the invoking user; NULL when unknown */
  char *const *target_env; /* the target's /proc/PID/environ */
  const char *home;        /* $HOME cntr was started with (may be NULL) */
  const char *term;        /* $TERM cntr was started with (may be NULL) */
  bool use_pty;            /* the command gets a terminal */
  struct user_env user_env;
};

struct command_spec
{
  char **argv;
  char *exec_path; /* NULL: search PATH for argv[0] */
  char **env;
};

int command_build(const struct command_inputs *in, struct command_spec *out);

/* cntr exec: the target's own command, no tools. */
struct exec_inputs
{
  int root_fd;                   /* the target's root, for what it has */
  char **command;                /* NULL: the target's shell */
  char *const *target_env;       /* kept whole: the target's own programs run */
  const struct passwd_entry *pw; /* the user's entry in the target; NULL if none */
  bool user_env_from_pw;         /* HOME, USER, LOGNAME from pw (-u) */
  const char *term;
  bool use_pty;
  struct user_env user_env;
};

/* The command, or the user's shell in the target, else /bin/sh; a target
   without a shell is an error whose code is CNTR_EXIT_NOT_FOUND. */
int command_build_exec(const struct exec_inputs *in, struct command_spec *out);
void command_spec_free(struct command_spec *c);

#endif
