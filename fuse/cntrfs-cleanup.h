/* SPDX-License-Identifier: MIT */
/* Scope-bound release of resources for fuse/ (which must not depend on src/):
   owners start as NULL / -1, are released when they go out of scope, and
   steal_* hands ownership on.  Same contract as src/cleanup.h. */
#ifndef CNTR_FUSE_CLEANUP_H
#define CNTR_FUSE_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_freep(void *p)
{
  free(*(void **)p);
}

static inline void
cleanup_closep(int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close(*fd);
      errno = saved;
    }
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))

static inline void *
steal_pointer_impl(void *pp)
{
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) steal_pointer_impl(pp)

static inline int
steal_fd(int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

#endif
