/* SPDX-License-Identifier: MIT */
/* The session's view (layout "target"): a private mount namespace nested in
   the target's, where the target's root and all its submounts stay native at
   "/" and the tools appear at the base dir.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_VIEW_H
#define CNTR_VIEW_H

/* Enter the target's mount namespace and unshare a private copy of it whose
   mount events do not propagate back (slave), so nothing we mount is ever
   seen by the target. */
int view_enter(int target_mntns_fd);

/* Make base_dir (absolute) a directory in the view without writing one byte
   to the target: a tmpfs stacked on "/" becomes the process's root
   (switch_root style), every directory on the way to base_dir is a stand-in
   in it into which the target's entries of that directory are re-bound,
   and base_dir is an empty directory of it.  The target cannot rename or
   replace any of them: the path leads to what the session mounts there. */
int view_make_mountpoint(const char *base_dir);

/* Mount the FUSE file system on base_dir (nosuid, nodev) with the given
   kernel options ("fd=N,rootmode=..."). */
int view_mount_fuse(const char *base_dir, const char *options);

/* Split an absolute path into its components; fails with EINVAL for relative
   paths and for "." or ".." components.  Pure: unit-tested. */
char **view_path_components(const char *path);

#endif
