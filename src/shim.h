/* SPDX-License-Identifier: MIT */
/* The static interpreter shim (src/shim/shim.c): a freestanding program that
   the FUSE server presents as the ELF interpreter of the tools' dynamically
   linked executables; it re-executes the tools' own loader with the tools'
   library path and the loader audit module (src/shim/audit.c), which keeps
   the loader out of the target's library directories.  This module produces
   the per-session images of both.

   Error convention: -1 with errno set, or NULL with errno set. */
#ifndef CNTR_SHIM_H
#define CNTR_SHIM_H

#include <stddef.h>

/* What the shim runs, as the session sees the paths:
   loader: the tools' loader
           ("/var/lib/cntr/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
   library_path: ':'-separated library directories;
   exec_dir: a directory where every name is a symlink to the loader, which
             the shim executes as exec_dir/<program's name> so that the
             process keeps its program's name; NULL for none;
   audit: the loader audit module, passed to the loader with --audit; NULL
          for none. */
struct shim_paths
{
  const char *loader;
  const char *library_path;
  const char *exec_dir;
  const char *audit;
};

/* A malloc'd copy of the embedded shim with its configuration block filled.
   Fails with ENAMETOOLONG if the paths do not fit the block. */
int shim_image_build(const struct shim_paths *paths, void **image, size_t *size);

/* A malloc'd copy of the embedded loader audit module (src/shim/audit.c)
   configured to answer, for a library the loader looks for in its default
   directories, the first of that name in search (the tools' library path
   as the session sees it, ':'-separated); for another library path in one
   of dirs (absolute, as the tools have them: "/usr/lib"), the same path
   under base ("/var/lib/cntr"); paths under base or alias ("" for none) are
   left alone, candidates of an ld.so.cache refused. */
int shim_audit_image_build(const char *base, const char *alias, const char *search,
                           const char *const *dirs, void **image, size_t *size);

/* The PT_INTERP that the tools' executables of this architecture use
   ("/lib64/ld-linux-x86-64.so.2" on x86_64). */
const char *shim_default_interp(void);

#endif
