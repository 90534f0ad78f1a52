/* SPDX-License-Identifier: MIT */
/* The server's state, struct cntrfs, and what all of fuse/ shares: the
   server's copy of its config, the error convention, the timeouts.  The
   session and thread code (cntrfs.c) owns the state; the request handlers
   reach it only through fuse_req_userdata(). */
#ifndef CNTR_FUSE_CNTRFS_INTERNAL_H
#define CNTR_FUSE_CNTRFS_INTERNAL_H

#include "cntrfs-lowlevel.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "cntrfs.h"
#include "cntrfs-inode.h"
#include "cntrfs-caller.h"
#include "cntrfs-elf.h"
#include "cntrfs-policy.h"
#include "cntrfs-handle.h"
#include "cntrfs-virtual.h"
#include "cntrfs-watch.h"
#include "cntrfs-union.h"
#include "cntrfs-passthrough.h"

/* The bit the kernel sets in the flags of opens done by execve(2) and
   uselib(2) (__FMODE_EXEC in include/linux/fs.h; the kernel checks at build
   time that no O_* flag of any architecture shares it), and passes on to
   FUSE_OPEN.  Not an open(2) flag: strip it before reopening. */
#define CNTRFS_FMODE_EXEC 0x20

/* Attribute and entry cache lifetime (seconds) of what the watcher does not
   cover (watch.h: CNTRFS_WATCHED_TIMEOUT for what it does).  One second is
   what passthrough_ll uses for "the tree may change behind our back": a
   second of staleness for changes made to the source directly.  Read-only
   layers also cache negative lookups for this long, which is what makes
   PATH and library searches cheap. */
#define CNTRFS_TIMEOUT 1.0

/* Sent to a worker thread to interrupt a blocking system call (read(2) on
   /dev/fuse at stop, flock(2) when the kernel forwards an interrupt).  Its
   handler does nothing and is installed without SA_RESTART.  glibc keeps
   SIGRTMIN-2 and SIGRTMIN-1 for itself; +5 stays clear of the low real-time
   signals other code tends to pick. */
#define CNTRFS_WAKE_SIGNAL (SIGRTMIN + 5)

#define MS_PER_S 1000
#define NS_PER_MS 1000000L
#define NS_PER_S 1000000000L

/* Error convention inside the server: a function that can fail returns 0
   (or an fd, a count) on success and a negative errno on failure; one that
   returns a pointer returns NULL with errno set.  The public API
   (cntrfs.h) and the modules below the server (the inode table, the ELF
   parser, common/) keep -1 with errno set, as their headers say. */

/* The errno of the system call that just failed, negated; never 0, which
   would read as success. */
static inline int
neg_errno(void)
{
  return errno > 0 ? -errno : -EIO;
}

struct cntrfs_worker;

/* "cntrfs: what: strerror(err)" through libfuse's log. */
void cntrfs_log_error(const char *what, int err);

/* A condition variable on CLOCK_MONOTONIC (pthread_cond_init's result),
   and the deadline ms milliseconds from now on that clock, for
   pthread_cond_timedwait. */
int cntrfs_cond_init_monotonic(pthread_cond_t *c);
void cntrfs_deadline_after_ms(struct timespec *t, long ms);

/* The server's own copy of what its cntrfs_config asked for: options_copy
   (cntrfs.c) copies the strings once, options_free frees them once. */
struct cntrfs_options
{
  bool read_only;
  bool debug;
  char *symlink_prefix; /* without trailing slashes; NULL for none */
  size_t symlink_prefix_len;
  bool confine_symlinks;
  char *interp_from;
  size_t interp_from_len;
  char *interp_to;
  size_t interp_to_len;
  /* The synthetic file, then more_files: name NULL for none. */
  struct cntrfs_memory_file
  {
    char *name;
    const void *data;
    size_t size;
    mode_t mode;
  } files[1 + CNTRFS_MORE_FILES];
  char *link_dir_name; /* NULL for none */
  char *link_dir_target;
  size_t link_dir_target_len;
  char *exec_script_prefix; /* without trailing slashes; NULL for none */
  size_t exec_script_prefix_len;
  unsigned max_threads;
};

struct cntrfs
{
  struct cntrfs_options opt;

  /* cntrfs_restrict_to_mount_ns: /proc (O_PATH) and the one mount
     namespace allowed; ns_proc_fd -1 when unrestricted. */
  int ns_proc_fd;
  dev_t ns_dev;
  ino_t ns_ino;

  /* Open once: /proc/self/fd as a directory, to reopen O_PATH fds by number
     (openat (proc_fd, "N")) without walking paths. */
  int proc_fd;
  mode_t root_mode;
  struct inode_table inodes;
  struct cntrfs_inode *root;
  struct cntrfs_watch *watch; /* NULL when nothing can be watched */
  pthread_mutex_t handles_lock;
  struct cntrfs_handle handles; /* list head */

  /* Credentials the workers return to after acting as a caller. */
  uid_t server_fsuid;
  gid_t server_fsgid;
  gid_t *server_groups;
  int server_ngroups;
  /* cntrfs_set_group_map; NULL for none. */
  struct cntrfs_id_range *group_map;
  size_t group_map_len;

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

  /* The host policy (config.host_policy), and the tools' loader whose
     ld.so.preload string reads as "" (dev 0: none), at loader_mask.offset
     as last found. */
  struct cntrfs_policy policy;
  dev_t loader_dev;
  ino_t loader_ino;
  pthread_mutex_t loader_lock;
  struct elf_interp_patch loader_mask;

  /* The union with a scratch layer (cntrfs_config.scratch), NULL for
     none. */
  struct cntrfs_union *un;

  /* Kernel passthrough of open files (cntrfs-passthrough.h). */
  struct cntrfs_passthrough pt;

  /* FUSE_HANDLE_KILLPRIV_V2 (cntrfs-killpriv.h): offered by the kernel's
     INIT (under pt.lock), and negotiated. */
  bool killpriv_offered;
  bool killpriv_active;

  /* Last: it holds inodes, which end in a flexible array member. */
  struct virtual_set virt;
};

extern const struct fuse_lowlevel_ops cntrfs_ops;

/* Whether this worker thread has an umask of its own (it unshared its
   fs_struct), which the handlers may then set per request. */
extern __thread bool cntrfs_thread_umask;

#endif
