/* SPDX-License-Identifier: MIT */
/* cntr mount: a directory, or a target's root filesystem with all its mounts,
   served on a host path by the FUSE server — forensic browsing with host
   tools, and the harness conformance suites run against. */
#ifndef CNTR_MOUNT_H
#define CNTR_MOUNT_H

#include <stdbool.h>

struct mount_options
{
  const char *source;       /* a directory (has a '/'), or a target */
  const char *types;        /* --type: runtimes to ask for a target; NULL: all */
  const char *mountpoint;   /* an existing directory */
  bool read_only;           /* EROFS for every change, no atime updates; wins over scratch */
  bool scratch;             /* changes go to a private tmpfs (a union), never to source */
  const char *scratch_size; /* its size= option; NULL: tmpfs's default */
  bool foreground;          /* serve in this process instead of a daemon */
  bool debug;               /* libfuse debug output (foreground only) */
};

/* Returns 0 once unmounted (foreground) or once mounted (background); -1
   with the error recorded. */
int cntr_mount(const struct mount_options *o);

#endif
