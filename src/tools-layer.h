/* SPDX-License-Identifier: MIT */
/* Applying an image's layers, bottom first, onto a directory: each layer a
   tar read through libarchive, with the OCI's whiteouts (".wh.NAME" deletes
   NAME of the layers below, ".wh..wh..opq" hides everything a directory had
   below) honoured.

   The tree being built is the only place written: every path is resolved
   by the kernel inside it (openat2 RESOLVE_IN_ROOT, so an absolute symlink
   of the image or a ".." leads back into the tree, never out), the last
   component is never followed (a symlink is replaced, not written through),
   names with ".." or a leading "/" are refused, and so are hard links to
   such names.  What a tools tree must not carry is neutralised: setuid and
   setgid bits are dropped, device nodes and sockets are skipped, extended
   attributes (file capabilities among them) are not restored.  Owners,
   modes and modification times are (Python's caches check those).

   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_TOOLS_LAYER_H
#define CNTR_TOOLS_LAYER_H

#include <stdbool.h>
#include <stdint.h>

struct archive;

/* What one name of a layer's tar stands for. */
enum layer_entry_kind
{
  LAYER_ENTRY_PATH,     /* a file, directory, link... at path */
  LAYER_ENTRY_ROOT,     /* "." or "./": the tree's root itself */
  LAYER_ENTRY_WHITEOUT, /* path (the deleted entry) is gone from the layers below */
  LAYER_ENTRY_OPAQUE,   /* the directory path hides what the layers below had in it */
  LAYER_ENTRY_IGNORED,  /* another ".wh..wh." name: aufs's bookkeeping */
};

/* Normalise a tar name ("./usr//bin/" -> "usr/bin") and classify it; *path
   (malloc'd, "" for the root) is relative to the tree.  Fails (EINVAL,
   nothing recorded: the caller says which layer) on an empty name, an
   absolute one, a ".." component and a whiteout of nothing.  Pure. */
int layer_entry_parse(const char *name, char **path, enum layer_entry_kind *kind);

/* The tree being built, across its layers. */
struct layer_tree;

/* root_fd: the empty directory to unpack into (kept by the caller). */
struct layer_tree *layer_tree_new(int root_fd);

/* What was done, for -v. */
struct layer_stats
{
  uint64_t entries;  /* everything written, whiteouts included */
  uint64_t bytes;    /* of regular files */
  uint64_t skipped;  /* device nodes, sockets */
  uint64_t stripped; /* files whose setuid/setgid bits were dropped */
};

/* Apply the layer a is reading (archive_read_open done, a tar format
   enabled); what names it in messages ("layer 2/3 of tools.tar"). */
int layer_apply(struct layer_tree *t, struct archive *a, const char *what,
                struct layer_stats *stats);

/* After the last layer: the directories' modification times, which their
   children's creation changed. */
int layer_tree_finish(struct layer_tree *t);
void layer_tree_free(struct layer_tree *t);

#endif
