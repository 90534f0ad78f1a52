/* SPDX-License-Identifier: MIT */
/* The static interpreter shim (src/shim/shim.c): a freestanding program that
   the FUSE server presents as the ELF interpreter of the tools' dynamically
   linked executables; it re-executes the tools' own loader with the tools'
   library path.  This module produces the per-session image of it.

   Error convention: -1 with errno set, or NULL with errno set. */
#ifndef CNTR_SHIM_H
#define CNTR_SHIM_H

#include <stddef.h>

/* A malloc'd copy of the embedded shim with its configuration block filled:
   loader: absolute path of the tools' loader as seen in the session
           ("/var/lib/cntr/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
   library_path: ':'-separated library directories as seen in the session.
   Fails with ENAMETOOLONG if they do not fit the block. */
int shim_image_build(const char *loader, const char *library_path, void **image, size_t *size);

/* The same, and the shim executes the loader as exec_dir/<program's name>
   (exec_dir: a directory where every name is a symlink to the loader, so
   the process keeps its program's name); "" for none. */
int shim_image_build_with_exec_dir(const char *loader, const char *library_path,
                                   const char *exec_dir, void **image, size_t *size);

/* The PT_INTERP that the tools' executables of this architecture use
   ("/lib64/ld-linux-x86-64.so.2" on x86_64). */
const char *shim_default_interp(void);

#endif
