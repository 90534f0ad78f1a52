/* SPDX-License-Identifier: MIT */
/* cntrfs: the FUSE server that serves one layer (a directory tree) through
   libfuse3's low-level API.  It knows nothing of containers: the caller gives
   it a directory fd and a /dev/fuse fd that the caller (or libfuse) mounted.

   Error convention: functions return -1 (or NULL) with errno set. */
#ifndef CNTR_FUSE_CNTRFS_H
#define CNTR_FUSE_CNTRFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A file that exists in no real tree, served read-only in the layer's root
   directory (not listed by readdir, found by lookup). */
struct cntrfs_synthetic
{
  const char *name; /* one path component, NULL for none */
  const void *data; /* contents, owned by the caller, kept alive while serving */
  size_t size;
  mode_t mode; /* permission bits, e.g. 0555 */
};

struct cntrfs_config
{
  /* The directory to serve; cntrfs dups it, the caller keeps its own fd. */
  int source_fd;
  /* Every mutation answers EROFS; files are opened O_NOATIME where allowed. */
  bool read_only;
  /* When set, readlink of an absolute symlink returns this prefix followed by
     the link's target ("/usr/bin/vi" -> "/var/lib/cntr/usr/bin/vi"), so that
     links resolve inside the layer when it is mounted at that prefix. */
  const char *symlink_prefix;
  /* When both are set: reading a dynamically linked ELF executable whose
     PT_INTERP string equals interp_from returns the bytes of that string
     replaced by interp_to, NUL-padded (strlen (interp_to) <= strlen
     (interp_from); cntrfs_new fails with EINVAL otherwise). */
  const char *interp_from;
  const char *interp_to;
  struct cntrfs_synthetic synthetic;
  /* A directory in the root (not listed by readdir) in which every name is
     a symlink to link_dir_target: "<name>/ps" -> target.  The shim executes
     the loader through it so the kernel names the process after the
     program (comm).  NULL for none. */
  const char *link_dir_name;
  const char *link_dir_target;
  /* Worker threads of the multithreaded loop; 0 picks a default. */
  unsigned max_threads;
  /* libfuse debug output to stderr. */
  bool debug;
};

struct cntrfs;

/* Create the server (a fuse session, not yet connected to the kernel). */
struct cntrfs *cntrfs_new(const struct cntrfs_config *config);

/* The kernel mount options that go with this server, for a mount(2) done by
   the caller with a /dev/fuse fd: "fd=N,rootmode=...,user_id=0,group_id=0,
   allow_other,default_permissions" (plus max_read etc. if the server wants
   them).  Returns the length written like snprintf, or -1. */
int cntrfs_kernel_options(struct cntrfs *fs, int fuse_fd, char *buf, size_t size);

/* Adopt fuse_fd, a /dev/fuse fd that has been mounted (mount(2) with fd=N,
   possibly in another mount namespace), and serve it on background threads.
   cntrfs owns the fd from then on, even when this fails.
   Worker threads run with every signal blocked except SIGRTMIN+5, which
   cntrfs uses to interrupt them (handler installed without SA_RESTART);
   the rest of the program must leave that signal alone. */
int cntrfs_start(struct cntrfs *fs, int fuse_fd);

/* Mount on a path of the caller's mount namespace with libfuse and serve on
   background threads (cntr mount, tests).  extra_options: libfuse -o options
   or NULL. */
int cntrfs_mount(struct cntrfs *fs, const char *mountpoint, const char *extra_options);

/* Wait until the kernel ends the connection (unmount, or the last mount
   namespace holding the mount went away), or timeout_ms passed (-1: no
   timeout).  Returns 1 when the connection ended, 0 on timeout. */
int cntrfs_wait(struct cntrfs *fs, int timeout_ms);

/* Stop serving: abort the connection (processes still using the mount get
   ENOTCONN, never a hang), join the threads, close the fd, unmount what
   cntrfs_mount mounted.  Safe to call more than once; not from a handler.
   Call it before the process exits when the process itself may have files
   open on the mount (exit would otherwise wait on their FLUSH forever). */
void cntrfs_stop(struct cntrfs *fs);

/* Stop if needed and free everything. NULL is fine. */
void cntrfs_free(struct cntrfs *fs);

#endif
