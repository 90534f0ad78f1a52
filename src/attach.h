/* SPDX-License-Identifier: MIT */
/* cntr attach: one session — a FUSE server for the tools, a nested mount
   namespace on top of the target's, and a command in all of the target's
   namespaces (the processes: session.h). */
#ifndef CNTR_ATTACH_H
#define CNTR_ATTACH_H

#include "tools-source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CNTR_DEFAULT_BASE_DIR "/var/lib/cntr"
#define ATTACH_MAX_ENV 128
#define ATTACH_MAX_ENV_FILES 16
#define ATTACH_MAX_VOLUMES 16

/* -v HOSTDIR:PATH[:ro|:rw]: the pieces of the option's argument. */
struct attach_volume
{
  const char *spec;
  size_t host_len; /* HOSTDIR is spec[0..host_len) */
  const char *path;
  size_t path_len;
  bool read_only;
};

struct attach_options
{
  const char *target;      /* PID, NAME, ID or SCHEME://NAME (runtime.h) */
  const char *types;       /* --type: runtimes to ask, comma-separated; NULL: all */
  struct tools_spec tools; /* default: the directory "/" */
  const char *base_dir;    /* default CNTR_DEFAULT_BASE_DIR */
  char **command;          /* NULL: the user's login shell from the tools */
  /* --env: "NAME=value", or "NAME" for cntr's own value of NAME (or none). */
  const char *env[ATTACH_MAX_ENV];
  size_t nenv;
  /* --env-file: read when the command is built, before the --env entries. */
  const char *env_files[ATTACH_MAX_ENV_FILES];
  size_t nenv_files;
  struct attach_volume volumes[ATTACH_MAX_VOLUMES];
  size_t nvolumes;
  bool no_seccomp;     /* --no-seccomp: the target's filter is not applied */
  bool tools_rw;       /* --tools-rw: the session may write the tools tree */
  bool host_secrets;   /* --host-secrets: the session may read all of the tools tree */
  bool layout_tools;   /* --layout tools: the tools at /, the target at the base dir */
  bool exec;           /* cntr exec: the target's own command, no tools */
  const char *user;    /* -u USER[:GROUP]; NULL: the target's */
  const char *workdir; /* -w DIR; NULL: the target's working directory */
  uint64_t cap_add, cap_drop;
  bool privileged;
  bool read_only; /* the target's files read-only, no atime, in the session */
  bool no_cgroup;
  bool apparmor_off, selinux_off;
  bool debug_fuse;
};

/* Run a session (attach, or with o->exec: cntr exec); returns the command's exit status (128+N when
   signal N killed it), or -1 when cntr failed, with the error recorded (cntr_error_code() is the
   exit status it stands for). */
int cntr_attach(const struct attach_options *o);

#endif
