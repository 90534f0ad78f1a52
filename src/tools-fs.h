/* SPDX-License-Identifier: MIT */
/* The FUSE server of a session's tools: the tools tree with its absolute
   symlinks relocated under the base dir, its scripts' "#!" lines made to
   name the tools' interpreters, and the interpreter shim with its link
   directory and the loader audit module.
   Error convention: NULL with the error recorded by cntr_fail(). */
#ifndef CNTR_TOOLS_FS_H
#define CNTR_TOOLS_FS_H

#include <stdbool.h>

/* The synthetic file in the tools' root that the rewritten PT_INTERP names. */
#define CNTR_SHIM_NAME ".cntr-ld"
/* The synthetic directory where every name is a symlink to the tools'
   loader (see struct shim_paths). */
#define CNTR_EXEC_DIR_NAME ".cntr-exec"
/* The loader audit module the shim names (src/shim/audit.c). */
#define CNTR_AUDIT_NAME ".cntr-audit.so"

struct cntrfs;

/* Where the session sees the tools a second time when the base dir is too
   long for the shim's path to fit in the PT_INTERP it replaces. */
#define CNTR_TOOLS_ALIAS "/.cntr"

/* What the tools' server is asked for. */
struct tools_fs_options
{
  int tools_fd;
  int scratch_fd; /* where the session's writes go (common/scratch.h); -1: none */
  const char *base_dir;
  bool writable;    /* --tools-rw: the session writes the tools tree itself */
  bool all_files;   /* --host-secrets: no host policy (cntrfs.h) */
  const char *home; /* the invoking user's home in the tools, or NULL */
  bool at_root;     /* --layout tools: mounted at the session's /, served as they are */
  bool debug;
};

/* The credential stores of a home that a session does not read (relative
   to the home; cntr-attach(1) lists them). */
extern const char *const tools_home_denied[];

/* The images the server serves from memory: the shim and the audit module,
   NULL when there are none; freed by the caller after the server. */
struct tools_fs_images
{
  void *shim;
  void *audit;
};

void tools_fs_images_free(struct tools_fs_images *images);

/* *alias: the session must show the tools at CNTR_TOOLS_ALIAS too. */
struct cntrfs *tools_fs_new(const struct tools_fs_options *o, struct tools_fs_images *images,
                            bool *alias);

#endif
