/* SPDX-License-Identifier: MIT */
/* Scope-bound release of resources, for every layer (common/, fuse/, src/):
   owners start as NULL / -1, are released when they go out of scope, and
   steal_* hands ownership on. */
#ifndef CNTR_COMMON_CLEANUP_H
#define CNTR_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
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
      *fd = -1;
    }
}

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

/* A NULL-terminated vector of malloc'd strings. */
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

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_closedir __attribute__((cleanup(cleanup_closedirp)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))

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
