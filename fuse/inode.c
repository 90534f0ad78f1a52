/* SPDX-License-Identifier: MIT */
#include "cntrfs-inode.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define INITIAL_BUCKETS 1024

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

int
inode_table_init(struct inode_table *t)
{
  int err;

  t->buckets = calloc(INITIAL_BUCKETS, sizeof *t->buckets);
  if (t->buckets == NULL)
    return -1;
  t->nbuckets = INITIAL_BUCKETS;
  t->count = 0;
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
          if (in->fd >= 0)
            close(in->fd);
          free(in);
        }
    }
  free(t->buckets);
  t->buckets = NULL;
  t->count = 0;
  pthread_mutex_destroy(&t->lock);
}

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
ref_locked(struct inode_table *t, int *fd, const struct stat *st, bool pin)
{
  size_t h = hash_key(st->st_dev, st->st_ino, t->nbuckets);
  struct cntrfs_inode *in;

  for (in = t->buckets[h]; in; in = in->next)
    if (in->dev == st->st_dev && in->ino == st->st_ino)
      {
        if (pin)
          in->pinned = true;
        else
          in->nlookup++;
        return in;
      }

  in = calloc(1, sizeof *in);
  if (in == NULL)
    return NULL;
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
  return in;
}

struct cntrfs_inode *
inode_table_ref(struct inode_table *t, int *fd, const struct stat *st)
{
  struct cntrfs_inode *in;

  pthread_mutex_lock(&t->lock);
  in = ref_locked(t, fd, st, false);
  pthread_mutex_unlock(&t->lock);
  if (in == NULL)
    errno = ENOMEM;
  return in;
}

struct cntrfs_inode *
inode_table_insert_pinned(struct inode_table *t, int *fd, const struct stat *st)
{
  struct cntrfs_inode *in;

  pthread_mutex_lock(&t->lock);
  in = ref_locked(t, fd, st, true);
  pthread_mutex_unlock(&t->lock);
  if (in == NULL)
    errno = ENOMEM;
  return in;
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

  pthread_mutex_lock(&t->lock);
  /* A count going below zero would be a kernel/server disagreement; clamp
     rather than free an entry twice. */
  inode->nlookup = n > inode->nlookup ? 0 : inode->nlookup - n;
  if (inode->nlookup == 0 && !inode->pinned)
    {
      size_t h = hash_key(inode->dev, inode->ino, t->nbuckets);
      for (struct cntrfs_inode **pp = &t->buckets[h]; *pp; pp = &(*pp)->next)
        if (*pp == inode)
          {
            *pp = inode->next;
            t->count--;
            victim = inode;
            break;
          }
    }
  pthread_mutex_unlock(&t->lock);

  if (victim != NULL)
    {
      if (victim->fd >= 0)
        close(victim->fd);
      free(victim);
    }
}

bool
inode_table_known(struct inode_table *t, const struct stat *st)
{
  bool known = false;

  pthread_mutex_lock(&t->lock);
  for (struct cntrfs_inode *in = t->buckets[hash_key(st->st_dev, st->st_ino, t->nbuckets)]; in;
       in = in->next)
    if (in->dev == st->st_dev && in->ino == st->st_ino)
      {
        known = in->nlookup > 0;
        break;
      }
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
