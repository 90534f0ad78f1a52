/* SPDX-License-Identifier: MIT */
/* The inode table (cntrfs-inode.h): entries deduplicated on (st_dev,
   st_ino), their lookup counts, their file handles and the mounts those
   belong to, and the cache of idle O_PATH fds. */
#include "cntrfs-inode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INITIAL_BUCKETS 1024

/* A mount that entries' handles belong to: open_by_handle_at needs an fd
   on it.  Counted by the entries that use it, closed with the last, so the
   table never keeps a mount busy that the kernel has no file of. */
struct inode_mount
{
  int mount_id;
  int fd;
  size_t users;
};

static size_t
hash_key(dev_t dev, ino_t ino, size_t nbuckets)
{
  /* 64-bit mix (splitmix64 finaliser); nbuckets is a power of two. */
  uint64_t h = (uint64_t)ino ^ ((uint64_t)dev * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return (size_t)h & (nbuckets - 1);
}

static void
close_keep_errno(int fd)
{
  int saved = errno;

  if (fd >= 0)
    close(fd);
  errno = saved;
}

int
inode_table_init(struct inode_table *t, size_t max_idle)
{
  int err;

  memset(t, 0, sizeof *t);
  t->buckets = calloc(INITIAL_BUCKETS, sizeof *t->buckets);
  if (t->buckets == NULL)
    return -1;
  t->nbuckets = INITIAL_BUCKETS;
  t->max_idle = max_idle;
  err = pthread_mutex_init(&t->lock, NULL);
  if (err != 0)
    {
      free(t->buckets);
      t->buckets = NULL;
      errno = err;
      return -1;
    }
  return 0;
}

void
inode_table_destroy(struct inode_table *t)
{
  if (t->buckets == NULL)
    return;
  for (size_t i = 0; i < t->nbuckets; i++)
    {
      struct cntrfs_inode *next;
      for (struct cntrfs_inode *in = t->buckets[i]; in; in = next)
        {
          next = in->next;
          if (t->release != NULL)
            t->release(t->release_arg, in, true);
          if (in->fd >= 0)
            close(in->fd);
          if (in->retired_fd >= 0)
            close(in->retired_fd);
          free(in);
        }
    }
  for (size_t i = 0; i < t->nmounts; i++)
    if (t->mounts[i].fd >= 0)
      close(t->mounts[i].fd);
  free(t->mounts);
  free(t->buckets);
  t->mounts = NULL;
  t->nmounts = 0;
  t->buckets = NULL;
  t->count = 0;
  pthread_mutex_destroy(&t->lock);
}

/* ---- idle fds ---------------------------------------------------------- */

/* The list functions are called with the lock held. */

static bool
evictable(const struct cntrfs_inode *in)
{
  return in->handle_bytes != 0 && !in->pinned && !in->marked;
}

static void
idle_remove(struct inode_table *t, struct cntrfs_inode *in)
{
  if (in->idle_prev != NULL)
    in->idle_prev->idle_next = in->idle_next;
  else if (t->idle_head == in)
    t->idle_head = in->idle_next;
  else
    return; /* not on the list */
  if (in->idle_next != NULL)
    in->idle_next->idle_prev = in->idle_prev;
  else
    t->idle_tail = in->idle_prev;
  in->idle_prev = in->idle_next = NULL;
  t->nidle--;
}

static void
idle_append(struct inode_table *t, struct cntrfs_inode *in)
{
  in->idle_next = NULL;
  in->idle_prev = t->idle_tail;
  if (t->idle_tail != NULL)
    t->idle_tail->idle_next = in;
  else
    t->idle_head = in;
  t->idle_tail = in;
  t->nidle++;
}

/* Take the oldest idle fd beyond the limit off its entry: the caller closes
   it after dropping the lock.  -1 when within the limit. */
static int
idle_take_excess(struct inode_table *t)
{
  struct cntrfs_inode *victim = t->idle_head;
  int fd;

  if (t->max_idle == 0 || t->nidle <= t->max_idle || victim == NULL)
    return -1;
  idle_remove(t, victim);
  fd = victim->fd;
  victim->fd = -1;
  return fd;
}

/* An entry whose fd is open and unused becomes the newest idle one. */
static void
mark_idle(struct inode_table *t, struct cntrfs_inode *in)
{
  if (evictable(in) && in->fd >= 0 && in->borrowers == 0 && t->max_idle != 0)
    idle_append(t, in);
}

/* ---- mounts ------------------------------------------------------------ */

/* A mount seen first through another kind of file than a directory or a
   regular file gets no handles. */
int
inode_open_mount_fd(int fd, mode_t mode)
{
  char path[FD_PATH_SIZE];
  int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

  if (S_ISDIR(mode))
    flags |= O_DIRECTORY;
  else if (!S_ISREG(mode))
    {
      errno = EOPNOTSUPP;
      return -1;
    }
  fd_path(path, fd);
  return open(path, flags);
}

/* Index of the mount mount_id in t->mounts, adding it with a reopening of
   fd (of a file of the given mode); -1 when it cannot be added.  Called
   with the lock held. */
static int
mount_ref(struct inode_table *t, int mount_id, int fd, mode_t mode)
{
  size_t free_slot = t->nmounts;
  int mount_fd;

  for (size_t i = 0; i < t->nmounts; i++)
    {
      if (t->mounts[i].users > 0 && t->mounts[i].mount_id == mount_id)
        {
          t->mounts[i].users++;
          return (int)i;
        }
      if (t->mounts[i].users == 0 && free_slot == t->nmounts)
        free_slot = i;
    }
  mount_fd = inode_open_mount_fd(fd, mode);
  if (mount_fd < 0)
    return -1;
  if (free_slot == t->nmounts)
    {
      struct inode_mount *m;

      m = t->nmounts < UINT16_MAX ? realloc(t->mounts, (t->nmounts + 1) * sizeof *m) : NULL;
      if (m == NULL)
        {
          close(mount_fd);
          return -1;
        }
      t->mounts = m;
      t->nmounts++;
    }
  t->mounts[free_slot].fd = mount_fd;
  t->mounts[free_slot].mount_id = mount_id;
  t->mounts[free_slot].users = 1;
  return (int)free_slot;
}

/* Drop an entry's use of its mount; returns the mount's fd to close (after
   the lock is dropped) when it was the last, else -1. */
static int
mount_unref(struct inode_table *t, uint16_t index)
{
  struct inode_mount *m = &t->mounts[index];
  int fd = -1;

  if (--m->users == 0)
    {
      fd = m->fd;
      m->fd = -1;
    }
  return fd;
}

/* ---- entries ----------------------------------------------------------- */

/* Called with the lock held.  Failing to grow only makes chains longer. */
static void
maybe_grow(struct inode_table *t)
{
  size_t n = t->nbuckets * 2;
  struct cntrfs_inode **b;

  if (t->count < t->nbuckets || n < t->nbuckets)
    return;
  b = calloc(n, sizeof *b);
  if (b == NULL)
    return;
  for (size_t i = 0; i < t->nbuckets; i++)
    {
      struct cntrfs_inode *next;
      for (struct cntrfs_inode *in = t->buckets[i]; in; in = next)
        {
          size_t h = hash_key(in->dev, in->ino, n);
          next = in->next;
          in->next = b[h];
          b[h] = in;
        }
    }
  free(t->buckets);
  t->buckets = b;
  t->nbuckets = n;
}

static struct cntrfs_inode *
find_locked(struct inode_table *t, const struct stat *st)
{
  for (struct cntrfs_inode *in = t->buckets[hash_key(st->st_dev, st->st_ino, t->nbuckets)]; in;
       in = in->next)
    if (in->dev == st->st_dev && in->ino == st->st_ino)
      return in;
  return NULL;
}

/* The handle of the file behind fd, when it has one and the table uses
   handles: true with *mount_id set. */
static bool
get_handle(const struct inode_table *t, int fd, union inode_handle_buf *hb, int *mount_id)
{
  if (!t->handles || fd < 0)
    return false;
  hb->fh.handle_bytes = MAX_HANDLE_SZ;
  if (name_to_handle_at(fd, "", &hb->fh, mount_id, AT_EMPTY_PATH) < 0)
    return false;
  return hb->fh.handle_bytes > 0 && hb->fh.handle_bytes <= UINT8_MAX;
}

/* Insert a new entry for st taking over *fd.  Called with the lock held;
   hb is its handle (NULL: none).  The caller closes *excess (an idle fd
   over the limit) after dropping the lock. */
static struct cntrfs_inode *
insert_locked(struct inode_table *t, int *fd, const struct stat *st,
              const union inode_handle_buf *hb, int mount_id, bool pin, int *excess)
{
  size_t hbytes = hb != NULL ? hb->fh.handle_bytes : 0;
  size_t cap = hbytes != 0 && hbytes < t->handle_reserve ? t->handle_reserve : hbytes;
  size_t h = hash_key(st->st_dev, st->st_ino, t->nbuckets);
  struct cntrfs_inode *in;
  int mount = -1;

  in = calloc(1, sizeof *in + cap);
  if (in == NULL)
    return NULL;
  in->retired_fd = -1;
  if (hbytes != 0)
    mount = mount_ref(t, mount_id, *fd, st->st_mode);
  if (mount >= 0)
    {
      in->mount = (uint16_t)mount;
      in->handle_bytes = (uint8_t)hbytes;
      in->handle_cap = (uint8_t)cap;
      in->handle_type = hb->fh.handle_type;
      memcpy(in->handle, hb->fh.f_handle, hbytes);
    }
  in->fd = *fd;
  *fd = -1;
  in->dev = st->st_dev;
  in->ino = st->st_ino;
  in->nlookup = pin ? 0 : 1;
  in->pinned = pin;
  in->next = t->buckets[h];
  t->buckets[h] = in;
  t->count++;
  maybe_grow(t);
  mark_idle(t, in);
  *excess = idle_take_excess(t);
  return in;
}

/* A lookup found an entry whose fd was closed: the caller's fresh fd of the
   same file saves reopening it by handle.  Called with the lock held. */
static void
adopt_fd(struct inode_table *t, struct cntrfs_inode *in, int *fd, int *excess)
{
  if (in->fd >= 0 || *fd < 0 || !evictable(in))
    return;
  in->fd = *fd;
  *fd = -1;
  mark_idle(t, in);
  *excess = idle_take_excess(t);
}

static struct cntrfs_inode *
ref_entry(struct inode_table *t, int *fd, const struct stat *st, bool pin)
{
  union inode_handle_buf hb;
  bool has_handle;
  int mount_id = -1, excess = -1;
  struct cntrfs_inode *in;

  pthread_mutex_lock(&t->lock);
  in = find_locked(t, st);
  if (in != NULL)
    {
      if (pin)
        {
          in->pinned = true;
          idle_remove(t, in);
        }
      else
        in->nlookup++;
      adopt_fd(t, in, fd, &excess);
      pthread_mutex_unlock(&t->lock);
      close_keep_errno(excess);
      return in;
    }
  pthread_mutex_unlock(&t->lock);

  /* New: find its handle without holding the lock, then insert unless
     another thread did meanwhile. */
  has_handle = !pin && get_handle(t, *fd, &hb, &mount_id);
  pthread_mutex_lock(&t->lock);
  in = find_locked(t, st);
  if (in != NULL)
    {
      in->nlookup++;
      adopt_fd(t, in, fd, &excess);
    }
  else
    in = insert_locked(t, fd, st, has_handle ? &hb : NULL, mount_id, pin, &excess);
  pthread_mutex_unlock(&t->lock);
  close_keep_errno(excess);
  if (in == NULL)
    errno = ENOMEM;
  return in;
}

struct cntrfs_inode *
inode_table_ref(struct inode_table *t, int *fd, const struct stat *st)
{
  return ref_entry(t, fd, st, false);
}

bool
inode_handle_reopens(int fd, int mount_fd)
{
  union inode_handle_buf hb;
  int mount_id, reopened;

  hb.fh.handle_bytes = MAX_HANDLE_SZ;
  if (name_to_handle_at(fd, "", &hb.fh, &mount_id, AT_EMPTY_PATH) < 0)
    return false;
  reopened = open_by_handle_at(mount_fd, &hb.fh, O_PATH | O_CLOEXEC);
  if (reopened < 0)
    return false;
  close(reopened);
  return true;
}

/* Whether this process can reopen files by handle, tried on the root, whose
   mount stays registered: its first lookups may be of files that cannot
   stand for the mount (symlinks). */
static void
probe_handles(struct inode_table *t, int fd, mode_t mode)
{
  union inode_handle_buf hb;
  int mount_id, index, unused = -1;

  hb.fh.handle_bytes = MAX_HANDLE_SZ;
  if (fd < 0 || name_to_handle_at(fd, "", &hb.fh, &mount_id, AT_EMPTY_PATH) < 0)
    return;
  pthread_mutex_lock(&t->lock);
  index = mount_ref(t, mount_id, fd, mode);
  t->handles = index >= 0 && inode_handle_reopens(fd, t->mounts[index].fd);
  if (index >= 0 && !t->handles)
    unused = mount_unref(t, (uint16_t)index);
  pthread_mutex_unlock(&t->lock);
  close_keep_errno(unused);
}

struct cntrfs_inode *
inode_table_insert_pinned(struct inode_table *t, int *fd, const struct stat *st)
{
  if (inode_table_count(t) == 0 && t->max_idle != 0)
    probe_handles(t, *fd, st->st_mode);
  return ref_entry(t, fd, st, true);
}

/* Free an entry that left the table, outside the lock: a marked one's fd
   (kept open, never evicted) is handed to the watcher first. */
static void
free_entry(struct inode_table *t, struct cntrfs_inode *in)
{
  if (in->marked && t->unmark != NULL && in->fd >= 0)
    t->unmark(t->unmark_arg, in->fd);
  if (t->release != NULL)
    t->release(t->release_arg, in, false);
  close_keep_errno(in->fd);
  close_keep_errno(in->retired_fd);
  free(in);
}

int
inode_table_pin_mount(struct inode_table *t, int fd, mode_t mode)
{
  union inode_handle_buf hb;
  int mount_id, index;

  hb.fh.handle_bytes = MAX_HANDLE_SZ;
  if (name_to_handle_at(fd, "", &hb.fh, &mount_id, AT_EMPTY_PATH) < 0)
    return -1;
  pthread_mutex_lock(&t->lock);
  index = mount_ref(t, mount_id, fd, mode);
  pthread_mutex_unlock(&t->lock);
  return index < 0 ? -1 : 0;
}

void
inode_table_reserve_handles(struct inode_table *t, size_t bytes)
{
  pthread_mutex_lock(&t->lock);
  t->handle_reserve = (uint8_t)(bytes < MAX_HANDLE_SZ ? bytes : MAX_HANDLE_SZ);
  pthread_mutex_unlock(&t->lock);
}

/* Move an entry that is in the table to the chain of its new key.  Called
   with the lock held. */
static void
move_locked(struct inode_table *t, struct cntrfs_inode *in, const struct stat *st)
{
  size_t h = hash_key(in->dev, in->ino, t->nbuckets);

  for (struct cntrfs_inode **pp = &t->buckets[h]; *pp; pp = &(*pp)->next)
    if (*pp == in)
      {
        *pp = in->next;
        break;
      }
  in->dev = st->st_dev;
  in->ino = st->st_ino;
  h = hash_key(in->dev, in->ino, t->nbuckets);
  in->next = t->buckets[h];
  t->buckets[h] = in;
}

int
inode_table_rekey(struct inode_table *t, struct cntrfs_inode *inode, int *fd, const struct stat *st)
{
  union inode_handle_buf hb;
  int mount_id = -1, mount = -1, old_mount_fd = -1, old = -1, excess = -1;
  /* Entries without a handle keep their fd for life and are borrowed
     without the lock: they stay without one. */
  bool handle = inode->handle_bytes != 0;

  if (handle && (!get_handle(t, *fd, &hb, &mount_id) || hb.fh.handle_bytes > inode->handle_cap))
    {
      errno = ENOSPC;
      return -1;
    }
  pthread_mutex_lock(&t->lock);
  if (inode->retired_fd >= 0 || find_locked(t, st) != NULL)
    {
      errno = inode->retired_fd >= 0 ? EBUSY : EEXIST;
      pthread_mutex_unlock(&t->lock);
      return -1;
    }
  if (handle)
    {
      mount = mount_ref(t, mount_id, *fd, st->st_mode);
      if (mount < 0)
        {
          pthread_mutex_unlock(&t->lock);
          errno = ENOSPC;
          return -1;
        }
      old_mount_fd = mount_unref(t, inode->mount);
      inode->mount = (uint16_t)mount;
      inode->handle_bytes = (uint8_t)hb.fh.handle_bytes;
      inode->handle_type = hb.fh.handle_type;
      memcpy(inode->handle, hb.fh.f_handle, hb.fh.handle_bytes);
    }
  if (inode->nlookup > 0 || inode->pinned)
    move_locked(t, inode, st);
  else
    {
      inode->dev = st->st_dev;
      inode->ino = st->st_ino;
    }
  /* A borrower may be using the old fd: it is closed when the last one
     returns it (without a handle, borrowers are not counted: with the
     entry). */
  old = inode->fd;
  if (old >= 0 && (!handle || inode->borrowers > 0))
    {
      inode->retired_fd = old;
      old = -1;
    }
  idle_remove(t, inode);
  inode->fd = *fd;
  *fd = -1;
  mark_idle(t, inode);
  excess = idle_take_excess(t);
  pthread_mutex_unlock(&t->lock);
  close_keep_errno(old);
  close_keep_errno(old_mount_fd);
  close_keep_errno(excess);
  return 0;
}

void
inode_table_ref_existing(struct inode_table *t, struct cntrfs_inode *inode)
{
  pthread_mutex_lock(&t->lock);
  inode->nlookup++;
  pthread_mutex_unlock(&t->lock);
}

void
inode_table_unref(struct inode_table *t, struct cntrfs_inode *inode, uint64_t n)
{
  struct cntrfs_inode *victim = NULL;
  int mount_fd = -1;

  pthread_mutex_lock(&t->lock);
  /* A count going below zero would be a kernel/server disagreement; clamp
     rather than free an entry twice. */
  inode->nlookup = n > inode->nlookup ? 0 : inode->nlookup - n;
  /* An entry still borrowed (a forget racing an operation the kernel sent
     before it) is freed by the last inode_fd_return. */
  if (inode->nlookup == 0 && !inode->pinned)
    {
      size_t h = hash_key(inode->dev, inode->ino, t->nbuckets);
      for (struct cntrfs_inode **pp = &t->buckets[h]; *pp; pp = &(*pp)->next)
        if (*pp == inode)
          {
            *pp = inode->next;
            t->count--;
            idle_remove(t, inode);
            if (inode->marked)
              t->nmarked--;
            if (inode->handle_bytes != 0)
              mount_fd = mount_unref(t, inode->mount);
            if (inode->borrowers == 0)
              victim = inode;
            else
              inode->next = NULL;
            break;
          }
    }
  pthread_mutex_unlock(&t->lock);

  if (victim != NULL)
    free_entry(t, victim);
  close_keep_errno(mount_fd);
}

/* The entry for st the kernel holds, its count raised by ref. */
static struct cntrfs_inode *
find_held(struct inode_table *t, const struct stat *st, uint64_t ref)
{
  struct cntrfs_inode *in;

  pthread_mutex_lock(&t->lock);
  in = find_locked(t, st);
  if (in != NULL && in->nlookup == 0 && !in->pinned)
    in = NULL;
  if (in != NULL)
    in->nlookup += ref;
  pthread_mutex_unlock(&t->lock);
  return in;
}

struct cntrfs_inode *
inode_table_find(struct inode_table *t, const struct stat *st)
{
  return find_held(t, st, 0);
}

struct cntrfs_inode *
inode_table_find_ref(struct inode_table *t, const struct stat *st)
{
  return find_held(t, st, 1);
}

bool
inode_table_known(struct inode_table *t, const struct stat *st)
{
  struct cntrfs_inode *in;
  bool known;

  pthread_mutex_lock(&t->lock);
  in = find_locked(t, st);
  known = in != NULL && in->nlookup > 0;
  pthread_mutex_unlock(&t->lock);
  return known;
}

size_t
inode_table_count(struct inode_table *t)
{
  size_t n;

  pthread_mutex_lock(&t->lock);
  n = t->count;
  pthread_mutex_unlock(&t->lock);
  return n;
}

size_t
inode_table_open_fds(struct inode_table *t)
{
  size_t n = 0;

  pthread_mutex_lock(&t->lock);
  for (size_t i = 0; i < t->nbuckets; i++)
    for (struct cntrfs_inode *in = t->buckets[i]; in; in = in->next)
      n += in->fd >= 0;
  pthread_mutex_unlock(&t->lock);
  return n;
}

/* ---- marks ------------------------------------------------------------- */

bool
inode_table_claim_mark(struct inode_table *t, struct cntrfs_inode *inode)
{
  bool claimed = false;

  pthread_mutex_lock(&t->lock);
  if (!inode->marked && (inode->handle_bytes != 0 || inode->pinned) && t->nmarked < t->max_idle)
    {
      inode->marked = true;
      t->nmarked++;
      idle_remove(t, inode);
      claimed = true;
    }
  pthread_mutex_unlock(&t->lock);
  return claimed;
}

void
inode_table_unclaim_mark(struct inode_table *t, struct cntrfs_inode *inode)
{
  pthread_mutex_lock(&t->lock);
  /* Not if it left the table meanwhile: unref counted it off already. */
  if (inode->marked && (inode->nlookup > 0 || inode->pinned))
    {
      inode->marked = false;
      t->nmarked--;
      mark_idle(t, inode);
    }
  pthread_mutex_unlock(&t->lock);
}

bool
inode_table_is_marked(struct inode_table *t, struct cntrfs_inode *inode)
{
  bool marked;

  pthread_mutex_lock(&t->lock);
  marked = inode->marked;
  pthread_mutex_unlock(&t->lock);
  return marked;
}

void
inode_table_set_watched(struct inode_table *t, struct cntrfs_inode *inode)
{
  pthread_mutex_lock(&t->lock);
  inode->watched = true;
  pthread_mutex_unlock(&t->lock);
}

bool
inode_table_is_watched(struct inode_table *t, struct cntrfs_inode *inode)
{
  bool watched;

  pthread_mutex_lock(&t->lock);
  watched = inode->watched;
  pthread_mutex_unlock(&t->lock);
  return watched;
}

/* ---- borrowing --------------------------------------------------------- */

int
inode_fd_borrow(struct inode_table *t, struct cntrfs_inode *inode)
{
  struct file_handle *fh;
  union inode_handle_buf hb;
  int mount_fd, fd, excess = -1;

  /* Entries without a handle keep their fd for life: no lock needed. */
  if (inode->handle_bytes == 0)
    {
      if (inode->fd < 0)
        errno = EBADF;
      return inode->fd;
    }

  pthread_mutex_lock(&t->lock);
  if (inode->fd >= 0)
    {
      if (inode->borrowers++ == 0)
        idle_remove(t, inode);
      fd = inode->fd;
      pthread_mutex_unlock(&t->lock);
      return fd;
    }
  /* Reopen without the lock (it may wait for the file system), on a dup of
     the mount's fd in case its last entry goes meanwhile, with a copy of
     the handle (a rekey may change it meanwhile; then the fd it sets wins
     below). */
  inode->borrowers++;
  mount_fd = fcntl(t->mounts[inode->mount].fd, F_DUPFD_CLOEXEC, 0);
  fh = &hb.fh;
  fh->handle_bytes = inode->handle_bytes;
  fh->handle_type = inode->handle_type;
  memcpy(fh->f_handle, inode->handle, inode->handle_bytes);
  pthread_mutex_unlock(&t->lock);

  fd = mount_fd < 0 ? -1 : open_by_handle_at(mount_fd, fh, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  close_keep_errno(mount_fd);

  pthread_mutex_lock(&t->lock);
  if (fd < 0)
    {
      int saved = errno;
      pthread_mutex_unlock(&t->lock);
      inode_fd_return(t, inode);
      errno = saved;
      return -1;
    }
  if (inode->fd >= 0)
    {
      /* Another borrower reopened it first: use theirs. */
      excess = fd;
      fd = inode->fd;
    }
  else
    inode->fd = fd;
  pthread_mutex_unlock(&t->lock);
  close_keep_errno(excess);
  return fd;
}

void
inode_fd_return(struct inode_table *t, struct cntrfs_inode *inode)
{
  bool orphan;
  int excess = -1, retired = -1;

  if (inode->handle_bytes == 0)
    return;
  pthread_mutex_lock(&t->lock);
  inode->borrowers--;
  /* Forgotten while borrowed: unref left it for us to free. */
  orphan = inode->nlookup == 0 && !inode->pinned && inode->borrowers == 0;
  if (!orphan)
    {
      if (inode->borrowers == 0)
        {
          retired = inode->retired_fd;
          inode->retired_fd = -1;
        }
      mark_idle(t, inode);
      excess = idle_take_excess(t);
    }
  pthread_mutex_unlock(&t->lock);
  close_keep_errno(excess);
  close_keep_errno(retired);
  if (orphan)
    free_entry(t, inode);
}
