/* SPDX-License-Identifier: MIT */
/* The FUSE mount of a session whose target runs in a user namespace of its
   own.  The kernel maps the uids and gids of a FUSE connection through the
   user namespace it was mounted in: mounted from the host's, the tools'
   files would show in the target as nobody (their owners, host ids, are
   not in the target's map) and the target's root would act on them as its
   host id (100000).  Mounted from inside the target's user namespace, the
   host's root is the target's root on both sides: its files show as root's
   and its requests reach the server as uid 0, as for a target without a
   user namespace.
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_FUSE_MOUNT_H
#define CNTR_FUSE_MOUNT_H

struct cntrfs;

/* Open /dev/fuse and make a detached FUSE mount of fs (its options, nosuid
   and nodev) inside the user namespace userns_fd, in a child process that
   joins it (and a mount namespace of its own there) and exits: *fuse_fd is
   the connection to serve, *mount_fd the mount to attach in the session's
   view (move_mount). */
int fuse_mount_in_userns(struct cntrfs *fs, int userns_fd, int *fuse_fd, int *mount_fd);

#endif
