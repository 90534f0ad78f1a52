/* SPDX-License-Identifier: MIT */
/* Facts about a tools tree (the host's / or a directory) that a session needs,
   computed once per session from the host side.

   Error convention: NULL with errno set. */
#ifndef CNTR_TOOLS_H
#define CNTR_TOOLS_H

#include <stdbool.h>

/* Resolve path (absolute, as seen inside the tools tree) inside the tree
   rooted at tools_fd, following symlinks without ever leaving the tree
   (absolute links restart at the tree's root, ".." stops at it).  Returns a
   malloc'd absolute path relative to the tree's root, without symlinks. */
char *tools_resolve(int tools_fd, const char *path);

/* The library search path of the tools tree, as the session sees it: the
   directories of its /etc/ld.so.conf (following "include" globs) followed by
   the loader's default directories, only those that exist, each prefixed with
   base ("/var/lib/cntr/lib/x86_64-linux-gnu:/var/lib/cntr/usr/lib/...").
   Duplicates (also through symlinked directories) appear once. */
char *tools_library_path(int tools_fd, const char *base);

/* The directories of the tree that match patterns (glob(3) patterns,
   tools-absolute, NULL-terminated), in their order, as the session sees
   them (prefixed with base) and joined with ':'; "" when none exists.
   files: regular files match too. */
char *tools_data_path(int tools_fd, const char *const *patterns, const char *base, bool files);

#endif
