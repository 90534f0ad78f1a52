/* SPDX-License-Identifier: MIT */
/* How a session's default shell starts: never with the target's startup
   files (/etc/profile, /etc/bash.bashrc, /etc/inputrc, $ENV), which are
   code and key bindings the target chose, but with cntr's own, served by
   the tools' FUSE server in the base dir, which source the user's
   dotfiles from the tools' HOME and set a prompt that says where one is.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_STARTUP_H
#define CNTR_STARTUP_H

#include <stdbool.h>
#include <stddef.h>

/* cntr's startup files, in the tools' root (tools-fs.c serves them). */
struct startup_file
{
  const char *name;
  const char *content;
};
#define STARTUP_FILES 3
/* The empty inputrc, for readline when neither the user nor the tools have
   one. */
#define STARTUP_INPUTRC ".cntr-inputrc"
extern const struct startup_file startup_files[STARTUP_FILES];

/* The argv (argv[0] included) and the extra environment entries of the
   default shell at path (the tools', as the session sees it), base the
   base dir; interactive when the session has a terminal.  bash and sh
   (dash, ash, busybox) have their own startup files switched off and
   cntr's given instead; any other shell is replaced by the tools' bash or
   sh, whose startup files can be (*replacement says which, malloc'd, NULL
   for none).  The vectors are malloc'd strv. */
int startup_shell(const char *path, const char *base, bool interactive, const char *bash,
                  const char *sh, char ***argv, char ***env, char **replacement);

#endif
