/* SPDX-License-Identifier: MIT */
/* Where a session's tools come from.  Each kind of source is one opener in
   a table (tools-source.c): a directory today (the host's / by default);
   an image archive and another container's root are the next ones.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_TOOLS_SOURCE_H
#define CNTR_TOOLS_SOURCE_H

enum tools_kind
{
  TOOLS_DIRECTORY, /* --tools DIR: a root filesystem tree */
  TOOLS_KIND_COUNT
};

struct tools_spec
{
  enum tools_kind kind;
  const char *arg; /* the option's argument */
};

/* Open the tools tree: an O_PATH fd of its root directory. */
int tools_source_open(const struct tools_spec *spec, int *tools_fd);

#endif
