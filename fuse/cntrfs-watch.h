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

struct cntrfs;
struct cntrfs_inode;
struct cntrfs_watch;

/* How long the kernel may trust entries and attributes of a watched file
   system: a safety net should an event go missing, not a staleness users
   are expected to see. */
#define CNTRFS_WATCHED_TIMEOUT 30.0

/* NULL when fanotify is not available (errno says why).  Directories are
   marked only from delay_ms on; until then everything keeps
   CNTRFS_TIMEOUT. */
struct cntrfs_watch *cntrfs_watch_new(unsigned delay_ms);

/* Start the event thread, reporting to fs's session. */
int cntrfs_watch_start(struct cntrfs_watch *w, struct cntrfs *fs);

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
   first call after the delay also marks the root. */
bool cntrfs_watch_dir(struct cntrfs *fs, struct cntrfs_inode *dir, const struct stat *st);

#endif
