/* SPDX-License-Identifier: MIT */
/* Scope-bound release of resources: every owner is initialised to NULL / -1
   and released when it goes out of scope; steal_* hands ownership on.
   The core (free, close, steal_*) lives with fuse/, the lower layer, which
   must not depend on src/; this adds what only src/ uses. */
#ifndef CNTR_CLEANUP_H
#define CNTR_CLEANUP_H

#include "cntrfs-cleanup.h"

#include <dirent.h>
#include <stdio.h>

static inline void
cleanup_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}

static inline void
cleanup_closedirp(DIR **d)
{
  if (*d)
    closedir(*d);
}

static inline void
cleanup_strvp(char ***v)
{
  if (*v)
    {
      for (char **p = *v; *p; p++)
        free(*p);
      free(*v);
    }
}

#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_closedir __attribute__((cleanup(cleanup_closedirp)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))

#endif
