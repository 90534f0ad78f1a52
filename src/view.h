/* SPDX-License-Identifier: MIT */
/* The session's view: a private mount namespace nested in the target's,
   where the target's root and all its submounts stay native at "/" and the
   tools appear at the base dir (layout "target"), or the tools are the root
   and the target is at the base dir (layout "tools", session.c).
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_VIEW_H
#define CNTR_VIEW_H

#include <stdbool.h>
#include <stddef.h>

/* Enter the target's mount namespace and unshare a private copy of it whose
   mount events do not propagate back (slave), so nothing we mount is ever
   seen by the target. */
int view_enter(int target_mntns_fd);

/* A place in the view where the session mounts something: the base dir or
   a volume. */
struct view_mountpoint
{
  const char *path; /* absolute */
  bool is_file;     /* a regular file is mounted there (else a directory) */
  const char *what; /* for messages: "base dir /var/lib/cntr" */
  const char *hint; /* when a directory of the target is in the way; or NULL */
};

#define VIEW_MAX_MOUNTPOINTS 48

/* Make every mount point an empty directory (or file) in the view without
   writing one byte to the target: a tmpfs stacked on "/" becomes the
   process's root (switch_root style), every directory on the way to a
   mount point is a stand-in in it into which the target's entries of that
   directory are re-bound, and the mount points are its own.  The target
   cannot rename or replace any of them: the paths lead to what the session
   mounts there.  Mount points may not be inside one another. */
int view_make_mountpoints(const struct view_mountpoint *points, size_t n);

/* A devpts instance of the session's own at /dev/pts, and its ptmx at
   /dev/ptmx (both made mount points by view_make_mountpoints), for a
   target that has none. */
int view_mount_devpts(void);

/* Every mount of the view read-only and without atime updates (--read-only):
   the session's copies of the target's mounts, not the target's. */
int view_make_read_only(void);

/* Attach a detached mount tree (open_tree(2)) at path. */
int view_attach_tree(int tree_fd, const char *path);

/* Make the mount at dir the root of the session's mount namespace
   (pivot_root), and drop the old root with everything mounted on it. */
int view_pivot_root(const char *dir);

/* Mount the FUSE file system on base_dir (nosuid, nodev) with the given
   kernel options ("fd=N,rootmode=..."). */
int view_mount_fuse(const char *base_dir, const char *options);

/* Split an absolute path into its components; fails with EINVAL for relative
   paths and for "." or ".." components.  Pure: unit-tested. */
char **view_path_components(const char *path);

#endif
