/* SPDX-License-Identifier: MIT */
/* The cache of unpacked tools images: one directory per image, named after
   its config digest, under $CNTR_CACHE_DIR (default /var/cache/cntr):

     images/sha256-HEX          an unpacked image, complete by construction
     images/sha256-HEX.lock     flock(2): shared while a session uses the
                                entry, exclusive while it is made or removed
     images/.tmp-sha256-HEX-*   an entry being made (or left by a crash)

   An entry is made in a temporary directory and renamed into place only
   once it is complete and synced, so a crash, a full disk or a corrupt
   archive never leaves a half-written entry under the image's name; the
   exclusive lock makes a concurrent attach of the same image wait for it
   rather than unpack it twice.  The cache belongs to root: a cache
   directory that others may write is refused.

   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_TOOLS_CACHE_H
#define CNTR_TOOLS_CACHE_H

#include <stdbool.h>
#include <stdio.h>

#define CNTR_DEFAULT_CACHE_DIR "/var/cache/cntr"

/* $CNTR_CACHE_DIR, else CNTR_DEFAULT_CACHE_DIR. */
const char *tools_cache_dir(void);

/* Fills the empty directory root_fd (O_PATH) with the entry's tree. */
typedef int (*tools_cache_fill)(void *arg, int root_fd);

/* The entry of key ("sha256-HEX"), made with fill if it is not there:
   *root_fd an O_PATH fd of its tree, *hold_fd the shared lock that keeps
   tools_cache_prune from removing it (close it when done).  *made says
   whether fill ran. */
int tools_cache_open(const char *key, tools_cache_fill fill, void *arg, int *root_fd, int *hold_fd,
                     bool *made);

/* cntr prune: remove every entry no session uses, and what crashed
   unpacks left; one line of what was done to out each. */
int tools_cache_prune(FILE *out);

/* The subcommand: tools_cache_prune to stdout, as root; 0 or -1. */
int cntr_prune(void);

#endif
