/* SPDX-License-Identifier: MIT */
/* Where a session's tools come from.  Each kind of source is one opener in
   a table (tools-source.c): a directory (the host's / by default), an image
   archive unpacked into the cache (tools-image.h, tools-cache.h), or another
   running container's root with all its mounts.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_TOOLS_SOURCE_H
#define CNTR_TOOLS_SOURCE_H

enum tools_kind
{
  TOOLS_DIRECTORY, /* --tools DIR: a root filesystem tree */
  TOOLS_IMAGE,     /* --tools-image IMAGE: an image archive or OCI layout */
  TOOLS_CONTAINER, /* --tools-container NAME: another container's root */
  TOOLS_KIND_COUNT
};

struct tools_spec
{
  enum tools_kind kind;
  const char *arg; /* the option's argument */
};

/* An opened tools tree. */
struct tools_tree
{
  int root_fd; /* O_PATH fd of its root directory */
  int hold_fd; /* what keeps it while the session runs (an image's cache
                  lock), or -1 */
};

/* The option that names a kind ("--tools-image"), for messages. */
const char *tools_option_name(enum tools_kind kind);

/* Open the tools tree. */
int tools_source_open(const struct tools_spec *spec, struct tools_tree *tree);
void tools_tree_close(struct tools_tree *tree);

#endif
