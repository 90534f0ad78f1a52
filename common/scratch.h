/* SPDX-License-Identifier: MIT */
/* A private scratch directory for a FUSE server's union layer
   (cntrfs_config.scratch_fd): the root of a tmpfs that is mounted nowhere.
   No path of it exists on the host or in any mount namespace, so nothing
   but the holder of the fd reaches it, and it is gone with the last fd of
   it.  Error convention: -1 with errno set. */
#ifndef CNTR_COMMON_SCRATCH_H
#define CNTR_COMMON_SCRATCH_H

/* An fd (O_PATH, close-on-exec) of the root of a new detached tmpfs,
   mounted nosuid, nodev and noexec, root mode 0700.  size: the tmpfs size=
   option ("64m", "10%"), NULL for tmpfs's default.  Needs CAP_SYS_ADMIN. */
int scratch_open(const char *size);

#endif
