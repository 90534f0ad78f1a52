/* SPDX-License-Identifier: MIT */
/* Users and groups of a target, as its own /etc/passwd and /etc/group name
   them, for -u/--user.  The files are the target's, so hostile: the
   parsers take lines of "name:x:id:..." at face value and nothing else,
   and the files are read through the target's root without following its
   symlinks out of it.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_PASSWD_H
#define CNTR_PASSWD_H

#include "procfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct passwd_entry
{
  char name[64];
  uid_t uid;
  gid_t gid;
  char home[256];
  char shell[256];
};

/* The entry of NAME, or of the user whose uid is the number NAME; 1 found,
   0 not.  Pure: text is the file's contents. */
int passwd_find(const char *text, const char *name, struct passwd_entry *out);
/* The gid of group NAME (or the number NAME) in /etc/group text; 1 found,
   0 not. */
int group_find(const char *text, const char *name, gid_t *gid);
/* The gids of the groups that list user as a member, at most max. */
size_t group_memberships(const char *text, const char *user, gid_t *gids, size_t max);

/* What -u USER|UID[:GROUP|GID] resolves to in the target. */
struct user_spec
{
  uid_t uid;
  gid_t gid;
  gid_t groups[PROC_MAX_GROUPS];
  size_t ngroups;
  bool known;             /* USER has an entry in the target's /etc/passwd */
  struct passwd_entry pw; /* when known */
};

/* Resolve spec against the target's files (root_fd: its root).  A numeric
   USER not in /etc/passwd is fine (gid 0, as docker); a name that is not
   there, or a GROUP that is not, is an error. */
int user_resolve(int root_fd, const char *spec, struct user_spec *out);

/* The target's file path (relative to its root) read without leaving the
   root (openat2 RESOLVE_IN_ROOT), at most 4 MiB; NULL with errno set. */
char *target_read_file(int root_fd, const char *path);

#endif
