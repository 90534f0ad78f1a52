/* SPDX-License-Identifier: MIT */
/* The inode table: one entry per file the kernel knows about, holding an
   O_PATH|O_NOFOLLOW fd, deduplicated on (st_dev, st_ino) and reference
   counted with the kernel's lookup count.  The fuse_ino_t handed to the
   kernel is the entry's address.

   Only this module creates, finds and frees entries; handlers use the fd of
   an entry they were given.  (A later change may replace the fd by a file
   handle; that change stays behind these functions and cntrfs_inode_fd.) */
#ifndef CNTR_FUSE_INODE_H
#define CNTR_FUSE_INODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct cntrfs_inode
{
  int fd; /* O_PATH|O_NOFOLLOW|O_CLOEXEC, -1 for inodes with no backing file */
  dev_t dev;
  ino_t ino;
  /* Kernel lookups not yet forgotten; guarded by the table lock. */
  uint64_t nlookup;
  /* Pinned entries (the root) stay until the table is destroyed. */
  bool pinned;
  struct cntrfs_inode *next; /* hash chain */
};

struct inode_table
{
  pthread_mutex_t lock;
  struct cntrfs_inode **buckets;
  size_t nbuckets;
  size_t count;
};

/* Error convention of this module: -1 / NULL with errno set. */
int inode_table_init(struct inode_table *t);

/* Closes the fds of and frees every remaining entry. */
void inode_table_destroy(struct inode_table *t);

/* The entry for st's (st_dev, st_ino) with its lookup count raised by one.
   When a new entry is created it takes over *fd (which becomes -1);
   otherwise *fd is left to the caller, who closes it after this returns,
   outside the lock.  NULL (ENOMEM) leaves *fd alone. */
struct cntrfs_inode *inode_table_ref(struct inode_table *t, int *fd, const struct stat *st);

/* As inode_table_ref, but the entry is pinned and its count not raised. */
struct cntrfs_inode *inode_table_insert_pinned(struct inode_table *t, int *fd,
                                               const struct stat *st);

/* Raise the lookup count of an entry the caller holds (link). */
void inode_table_ref_existing(struct inode_table *t, struct cntrfs_inode *inode);

/* Lower the lookup count by n (forget); at zero the entry leaves the table
   and its fd is closed after the lock is dropped. */
void inode_table_unref(struct inode_table *t, struct cntrfs_inode *inode, uint64_t n);

/* Whether the kernel holds the entry for st's (st_dev, st_ino): it is in
   the table with a lookup count above zero. */
bool inode_table_known(struct inode_table *t, const struct stat *st);

/* Number of entries (tests, diagnostics). */
size_t inode_table_count(struct inode_table *t);

static inline int
cntrfs_inode_fd(const struct cntrfs_inode *inode)
{
  return inode->fd;
}

#endif
