/* SPDX-License-Identifier: MIT */
/* `cntr ps`: the running containers cntr can attach to, across every
   runtime found on this machine. */
#ifndef CNTR_PS_H
#define CNTR_PS_H

#include <stdbool.h>

struct ps_options
{
  bool json;         /* --format json */
  const char *types; /* --type: runtimes to ask; NULL: all */
};

/* Print the list; returns 0, or -1 with the error recorded. */
int cntr_ps(const struct ps_options *o);

#endif
