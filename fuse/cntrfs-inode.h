/* SPDX-License-Identifier: MIT */
/* The inode table: one entry per file the kernel knows about, deduplicated
   on (st_dev, st_ino) and reference counted with the kernel's lookup count.
   The fuse_ino_t handed to the kernel is the entry's address.

   An entry is found again by its file handle (name_to_handle_at(2)); its
   O_PATH fd is only a cache.  Idle fds beyond a limit are closed, oldest
   first, and reopened with open_by_handle_at(2) when next needed, so a walk
   over more files than the process may have open works.  Entries of file
   systems without file handles (procfs, most FUSE file systems), and every
   entry when the server may not open by handle (it lacks
   CAP_DAC_READ_SEARCH), keep their fd for life, as the table did before.

   Only this module creates, finds and frees entries; handlers borrow the fd
   of an entry they were given for one operation (inode_fd_borrow). */
#ifndef CNTR_FUSE_INODE_H
#define CNTR_FUSE_INODE_H

#include "cntrfs-policy.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

struct cntrfs_inode
{
  struct cntrfs_inode *next;                  /* hash chain */
  struct cntrfs_inode *idle_prev, *idle_next; /* idle fd list, oldest first */
  /* Kernel lookups not yet forgotten; guarded by the table lock. */
  uint64_t nlookup;
  dev_t dev;
  ino_t ino;
  /* O_PATH|O_NOFOLLOW|O_CLOEXEC, or -1: closed (has a handle) or no
     backing file (virtual inodes).  Guarded by the table lock. */
  int fd;
  /* Operations using fd now; an fd is idle (may be closed) at zero. */
  uint32_t borrowers;
  /* Pinned entries (the root) stay until the table is destroyed. */
  bool pinned;
  /* A directory the watcher has a mark on (its fd then stays open, for
     the mark's removal); guarded by the table lock. */
  bool marked;
  /* Changes to the file are reported by the watcher (it was looked up in
     a marked directory, or is one); guarded by the table lock. */
  bool watched;
  /* What the host policy says of it (cntrfs-policy.h), made by its first
     lookup. */
  bool has_marks;
  struct policy_marks marks;
  /* How deep below the layer's root it was last looked up (the root: 0),
     for confining its relative symlinks. */
  uint32_t depth;
  /* Its open files, by how they are served (cntrfs-passthrough.h): the
     kernel passes them through to backing_id (0: none registered), or
     they go through the server; pt_blocked: a copy-up runs.  Guarded by
     the passthrough lock. */
  uint32_t pt_opens;
  uint32_t server_opens;
  int32_t backing_id;
  uint32_t pt_blocked;
  /* Its place in the union of a scratch layer and the served tree
     (cntrfs-union.h), NULL without one: made and freed by union.c (the
     table's release hook). */
  struct union_node *un;
  /* The fd a rekey replaced: closed by the last borrower of it (entries
     with a handle), or with the entry (those without).  Guarded by the
     table lock. */
  int retired_fd;
  /* Bytes handle[] has room for: a rekey's handle must fit. */
  uint8_t handle_cap;
  /* The file handle, when it has one: mount is an index into the table's
     mounts, handle_type and handle[handle_bytes] what name_to_handle_at
     gave. */
  uint8_t handle_bytes;
  uint16_t mount;
  int32_t handle_type;
  unsigned char handle[];
};

struct inode_mount;

/* name_to_handle_at's buffer: the header and the largest handle. */
union inode_handle_buf
{
  struct file_handle fh;
  unsigned char bytes[sizeof(struct file_handle) + MAX_HANDLE_SZ];
};

struct inode_table
{
  pthread_mutex_t lock;
  struct cntrfs_inode **buckets;
  size_t nbuckets;
  size_t count;
  /* Open files of the mounts entries' handles belong to. */
  struct inode_mount *mounts;
  size_t nmounts;
  /* Whether fds may be closed and reopened by handle. */
  bool handles;
  /* Entries with an idle, closable fd, and their most. */
  struct cntrfs_inode *idle_head, *idle_tail;
  size_t nidle;
  size_t max_idle;
  /* Marked entries, and their most (max_idle: each keeps its fd). */
  size_t nmarked;
  /* Called with a marked entry's fd before the entry is freed. */
  void (*unmark)(void *arg, int fd);
  void *unmark_arg;
  /* Room for handles of this many bytes in every entry that has one
     (inode_table_reserve_handles). */
  uint8_t handle_reserve;
  /* Called for every entry as it is freed, outside the lock, from the
     thread that dropped its last reference; destroying: by
     inode_table_destroy, when the table must no longer be used. */
  void (*release)(void *arg, struct cntrfs_inode *inode, bool destroying);
  void *release_arg;
};

/* Error convention of this module: -1 / NULL with errno set. */

/* max_idle: how many idle fds to keep open; 0 keeps every fd for life. */
int inode_table_init(struct inode_table *t, size_t max_idle);

/* Closes the fds of and frees every remaining entry. */
void inode_table_destroy(struct inode_table *t);

/* The entry for st's (st_dev, st_ino) with its lookup count raised by one.
   When a new entry is created it takes over *fd (which becomes -1);
   otherwise *fd is left to the caller, who closes it after this returns,
   outside the lock.  NULL (ENOMEM) leaves *fd alone. */
struct cntrfs_inode *inode_table_ref(struct inode_table *t, int *fd, const struct stat *st);

/* As inode_table_ref, but the entry is pinned (its fd kept for life) and
   its count not raised.  The first pinned entry (the root) also tells
   whether this process can reopen files by handle. */
struct cntrfs_inode *inode_table_insert_pinned(struct inode_table *t, int *fd,
                                               const struct stat *st);

/* Entries made from now on that have a handle get room for one of up to
   bytes bytes (at most MAX_HANDLE_SZ), so that inode_table_rekey can give
   them the handle of a file on another file system. */
void inode_table_reserve_handles(struct inode_table *t, size_t bytes);

/* Know the mount of the file behind fd (a directory or a regular file,
   of the given mode) from now on, whatever kind of file its entries are
   (inode_open_mount_fd): 0, or -1 with errno set. */
int inode_table_pin_mount(struct inode_table *t, int fd, mode_t mode);

/* From now on the entry the caller holds stands for another file (a copy
   of it made on another file system): it is found by st's (st_dev,
   st_ino) and takes over *fd (which becomes -1), and the new file's handle
   when it had one.  Its old fd is closed once nobody borrows it.  An entry
   is rekeyed at most once.  0, or -1 with errno set, nothing changed:
   EEXIST (st's key has an entry), ENOSPC (the handle does not fit, or the
   new file has none), EBUSY (the fd of an earlier rekey is still in
   use). */
int inode_table_rekey(struct inode_table *t, struct cntrfs_inode *inode, int *fd,
                      const struct stat *st);

/* Raise the lookup count of an entry the caller holds (link). */
void inode_table_ref_existing(struct inode_table *t, struct cntrfs_inode *inode);

/* Lower the lookup count by n (forget); at zero the entry leaves the table
   and its fd is closed after the lock is dropped. */
void inode_table_unref(struct inode_table *t, struct cntrfs_inode *inode, uint64_t n);

/* The entry for st's (st_dev, st_ino) when the kernel holds it, else NULL;
   its lookup count is not raised, so it may be freed as soon as this
   returns: use the address only as a number. */
struct cntrfs_inode *inode_table_find(struct inode_table *t, const struct stat *st);

/* As inode_table_find, with the lookup count of the entry found raised
   by one (inode_table_unref it). */
struct cntrfs_inode *inode_table_find_ref(struct inode_table *t, const struct stat *st);

/* Whether the kernel holds the entry for st's (st_dev, st_ino): it is in
   the table with a lookup count above zero. */
bool inode_table_known(struct inode_table *t, const struct stat *st);

/* A readable fd of the file behind the O_PATH fd (of a file of the given
   mode), standing for its mount where an O_PATH fd is refused
   (open_by_handle_at, fanotify_mark): directories and regular files only,
   whose opening has no side effects; -1 (EOPNOTSUPP) for other kinds. */
int inode_open_mount_fd(int fd, mode_t mode);

/* Whether the file behind fd can be found again by its handle through
   mount_fd (a readable fd on its mount): the file system encodes handles
   that decode (not overlayfs without nfs_export), and this process may
   open by handle (CAP_DAC_READ_SEARCH, which only trying tells reliably
   under user namespaces and LSMs). */
bool inode_handle_reopens(int fd, int mount_fd);

/* Marks: claim the right to mark a directory entry (false when it is
   marked already, has no handle to be found by, or the limit is reached);
   after a failed fanotify_mark, give it back. */
bool inode_table_claim_mark(struct inode_table *t, struct cntrfs_inode *inode);
void inode_table_unclaim_mark(struct inode_table *t, struct cntrfs_inode *inode);
bool inode_table_is_marked(struct inode_table *t, struct cntrfs_inode *inode);
/* Watched: set (never cleared) / read. */
void inode_table_set_watched(struct inode_table *t, struct cntrfs_inode *inode);
bool inode_table_is_watched(struct inode_table *t, struct cntrfs_inode *inode);

/* Number of entries, and of open entry fds (tests, diagnostics). */
size_t inode_table_count(struct inode_table *t);
size_t inode_table_open_fds(struct inode_table *t);

/* The entry's O_PATH fd, valid until the matching inode_fd_return: the
   cached one, or reopened by handle (-1 with errno, ESTALE when the file
   is gone, EBADF for an entry with no backing file). */
int inode_fd_borrow(struct inode_table *t, struct cntrfs_inode *inode);
void inode_fd_return(struct inode_table *t, struct cntrfs_inode *inode);

/* A borrowed fd returned when it goes out of scope:
     cleanup_inode_fd struct inode_fd pfd = INODE_FD_INIT;
     if (inode_fd_get(&fs->inodes, inode, &pfd) < 0) ...use errno...
     ... pfd.fd ... */
struct inode_fd
{
  struct inode_table *table;
  struct cntrfs_inode *inode; /* NULL: nothing borrowed */
  int fd;
  bool owned; /* fd is not borrowed but the holder's own: closed by the put */
};
#define INODE_FD_INIT                                                                              \
  {                                                                                                \
    .table = NULL, .inode = NULL, .fd = -1, .owned = false                                         \
  }

static inline int
inode_fd_get(struct inode_table *t, struct cntrfs_inode *inode, struct inode_fd *b)
{
  b->fd = inode_fd_borrow(t, inode);
  if (b->fd < 0)
    return -1;
  b->table = t;
  b->inode = inode;
  return b->fd;
}

/* Hold an fd of one's own in b instead (it is closed by the put). */
static inline int
inode_fd_own(struct inode_fd *b, int fd)
{
  b->table = NULL;
  b->inode = NULL;
  b->fd = fd;
  b->owned = fd >= 0;
  return fd;
}

static inline void
inode_fd_put(struct inode_fd *b)
{
  if (b->inode != NULL)
    inode_fd_return(b->table, b->inode);
  else if (b->owned && b->fd >= 0)
    {
      int saved = errno;
      close(b->fd);
      errno = saved;
    }
  b->inode = NULL;
  b->fd = -1;
  b->owned = false;
}

#define cleanup_inode_fd __attribute__((cleanup(inode_fd_put)))

/* Reaching the file behind an fd without walking a path: "N" relative to
   an fd of /proc/self/fd, or "/proc/self/fd/N".  The sizes hold them for
   any int N. */
#define FD_NAME_SIZE 16
#define FD_PATH_SIZE 32

static inline void
fd_name(char buf[FD_NAME_SIZE], int fd)
{
  snprintf(buf, FD_NAME_SIZE, "%d", fd);
}

static inline void
fd_path(char buf[FD_PATH_SIZE], int fd)
{
  snprintf(buf, FD_PATH_SIZE, "/proc/self/fd/%d", fd);
}

/* chmod of the file behind any fd, O_PATH ones too, which fchmod refuses:
   through its /proc link (proc_fd: /proc/self/fd).  0, or a negative
   errno. */
static inline int
fd_chmod(int proc_fd, int fd, mode_t mode)
{
  char name[FD_NAME_SIZE];

  fd_name(name, fd);
  return fchmodat(proc_fd, name, mode, 0) < 0 ? -errno : 0;
}

#endif
