/* SPDX-License-Identifier: MIT */
/* State shared between the session/thread code (cntrfs.c) and the request
   handlers (ops.c).  Handlers reach it only through fuse_req_userdata(). */
#ifndef CNTR_FUSE_CNTRFS_INTERNAL_H
#define CNTR_FUSE_CNTRFS_INTERNAL_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cntrfs.h"
#include "cntrfs-inode.h"

/* st_ino of the synthetic file: real file systems hand out small numbers,
   and the fuse_ino_t (what the kernel actually keys on) is distinct anyway. */
#define CNTRFS_SYNTHETIC_INO ((ino_t)UINT64_MAX - 1)

/* Attribute and entry cache lifetime (seconds).  One second is what
   passthrough_ll uses for "the tree may change behind our back": the layer
   is normally only changed through this mount, but the caller may write the
   source directly (tests do), and a second of staleness is then acceptable.
   Read-only layers additionally cache negative lookups for this long, which
   is what makes PATH and library searches cheap. */
#define CNTRFS_TIMEOUT 1.0

/* Sent to a worker thread to interrupt a blocking system call (read(2) on
   /dev/fuse at stop, flock(2) when the kernel forwards an interrupt).  Its
   handler does nothing and is installed without SA_RESTART.  glibc keeps
   SIGRTMIN-2 and SIGRTMIN-1 for itself; +5 stays clear of the low real-time
   signals other code tends to pick. */
#define CNTRFS_WAKE_SIGNAL (SIGRTMIN + 5)

struct cntrfs_worker;

/* Open files and directories (fi->fh) are kept on a list: when the server
   stops, the kernel's RELEASE for files still open never arrives, and
   cntrfs_free must close them itself. */
struct cntrfs_handle
{
  struct cntrfs_handle *prev, *next;
  void (*destroy)(struct cntrfs_handle *h); /* close and free */
};

struct cntrfs
{
  /* Configuration, strings owned. */
  bool read_only;
  bool debug;
  char *symlink_prefix; /* without trailing slashes; NULL for none */
  size_t symlink_prefix_len;
  char *interp_from;
  size_t interp_from_len;
  char *interp_to;
  size_t interp_to_len;
  char *synthetic_name; /* NULL for none */
  const void *synthetic_data;
  size_t synthetic_size;
  mode_t synthetic_mode;
  struct timespec synthetic_time;
  unsigned max_threads;

  /* Open once: /proc/self/fd as a directory, to reopen O_PATH fds by number
     (openat (proc_fd, "N")) without walking paths. */
  int proc_fd;
  mode_t root_mode;
  struct inode_table inodes;
  struct cntrfs_inode *root;
  struct cntrfs_inode synthetic; /* fd -1, never in the table */
  pthread_mutex_t handles_lock;
  struct cntrfs_handle handles; /* list head */

  /* Credentials the workers return to after acting as a caller. */
  uid_t server_fsuid;
  gid_t server_fsgid;
  gid_t *server_groups;
  int server_ngroups;

  /* Session and workers; guarded by lock. */
  struct fuse_session *se;
  pthread_mutex_t lock;
  pthread_cond_t cond; /* signalled when ended turns true or a worker leaves */
  struct cntrfs_worker *workers;
  unsigned nworkers;
  unsigned nidle;
  bool started;  /* cntrfs_start / cntrfs_mount was called */
  bool stopping; /* cntrfs_stop runs or ran: no new workers */
  bool stopped;
  bool ended; /* the connection is over (kernel ended it, or we stopped) */
};

extern const struct fuse_lowlevel_ops cntrfs_ops;

/* Close every handle still open (after the workers are gone). */
void cntrfs_close_handles(struct cntrfs *fs);

#endif
