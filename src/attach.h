/* SPDX-License-Identifier: MIT */
/* cntr attach: one session — a FUSE server for the tools, a nested mount
   namespace on top of the target's, and a command in all of the target's
   namespaces. */
#ifndef CNTR_ATTACH_H
#define CNTR_ATTACH_H

#include <stdbool.h>

#define CNTR_DEFAULT_BASE_DIR "/var/lib/cntr"
/* The synthetic file in the tools' root that the rewritten PT_INTERP names. */
#define CNTR_SHIM_NAME ".cntr-ld"
/* The synthetic directory where every name is a symlink to the tools'
   loader (see shim_image_build_with_exec_dir). */
#define CNTR_EXEC_DIR_NAME ".cntr-exec"

struct attach_options
{
  const char *target;    /* PID, NAME, ID or SCHEME://NAME (runtime.h) */
  const char *types;     /* --type: runtimes to ask, comma-separated; NULL: all */
  const char *tools_dir; /* default "/" */
  const char *base_dir;  /* default CNTR_DEFAULT_BASE_DIR */
  char **command;        /* NULL: the user's login shell from the tools */
  bool debug_fuse;
};

/* Run a session; returns cntr's exit status (the command's, or 125 with the
   error recorded by cntr_fail() and already printed). */
int cntr_attach(const struct attach_options *o);

#endif
