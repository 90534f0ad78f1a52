/* SPDX-License-Identifier: MIT */
/* The watcher: keeps the kernel's caches of the mount coherent with changes
   made to the layer directly (not through the mount), so that they can be
   trusted for long.

   Each directory the kernel looks up on a local file system gets a
   fanotify inode mark (with FAN_EVENT_ON_CHILD, events reported with file
   handles), removed when the kernel forgets the directory; host activity
   elsewhere costs nothing.  A thread reads
   the events of every thread but the server's workers (whose changes the
   kernel already knows of, having asked for them) and tells the kernel to
   expire the named entry and drop the attributes, cached pages or cached
   listing of the inodes concerned.  Entries and attributes of files found
   in marked directories are then given CNTRFS_WATCHED_TIMEOUT; everything
   else keeps CNTRFS_TIMEOUT.  Without CAP_SYS_ADMIN (fanotify) nothing is
   watched. */
#ifndef CNTR_FUSE_WATCH_H
#define CNTR_FUSE_WATCH_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct cntrfs_inode;
struct cntrfs_watch;
struct fuse_session;
struct inode_table;

/* How long the kernel may trust entries and attributes of a watched file
   system: a safety net should an event go missing, not a staleness users
   are expected to see. */
#define CNTRFS_WATCHED_TIMEOUT 30.0

/* Whether thread tid is one of the server's workers (whose changes to the
   layer the kernel asked for, and so knows of). */
typedef bool (*cntrfs_watch_is_worker_fn)(void *arg, pid_t tid);

/* A watcher of the directories of inodes (an inode table whose entries it
   marks, and whose root it marks once armed).  NULL when fanotify is not
   available (errno says why).  Directories are marked only from delay_ms
   on; until then everything keeps CNTRFS_TIMEOUT. */
struct cntrfs_watch *cntrfs_watch_new(unsigned delay_ms, struct inode_table *inodes,
                                      struct cntrfs_inode *root);

/* Start the event thread, reporting to session se and ignoring the events
   of the threads is_worker(arg, tid) names.  NULL is fine (nothing to
   start).  0, or a negative errno. */
int cntrfs_watch_start(struct cntrfs_watch *w, struct fuse_session *se,
                       cntrfs_watch_is_worker_fn is_worker, void *arg);

/* Stop and join the event thread: before the workers stop, since an
   invalidation may wait for them.  NULL, or stopping twice, is fine. */
void cntrfs_watch_stop(struct cntrfs_watch *w);

/* Stop if need be, then free (after the workers are gone: they ask for
   timeouts).  NULL is fine. */
void cntrfs_watch_free(struct cntrfs_watch *w);

/* Mark the directory entry dir (st its attributes) so that changes in it
   are reported, unless it is marked already, its file system cannot be
   watched, or the limit of marks (each keeps the directory's fd open) is
   reached, or it is too early (delay_ms).  Whether it is marked.  The
   first call after the delay also marks the root.  w NULL: false. */
bool cntrfs_watch_dir(struct cntrfs_watch *w, struct cntrfs_inode *dir, const struct stat *st);

#endif
