/* SPDX-License-Identifier: MIT */
/* The watcher (cntrfs-watch.h): fanotify marks on the directories of the
   inode table, and the invalidations its events become.  It knows the
   table, the session it reports to and who the workers are, nothing else
   of the server. */
#include "cntrfs-watch.h"
#include "cntrfs-inode.h"
#include "cntrfs-lowlevel.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/vfs.h>
#include <unistd.h>

/* What changes an entry, an inode's attributes, or its contents
   (CLOSE_WRITE: changes through a shared mapping are not reported as
   MODIFY, but the file is closed eventually). */
#define DIRENT_EVENTS (FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO)
#define CONTENT_EVENTS (FAN_MODIFY | FAN_CLOSE_WRITE)
#define WATCH_MASK (DIRENT_EVENTS | CONTENT_EVENTS | FAN_ATTRIB | FAN_ONDIR | FAN_EVENT_ON_CHILD)

/* One read of the fanotify fd: many events, each a few hundred bytes at
   most (metadata, two file handles and a name). */
#define EVENT_BUF_SIZE 32768

#define MS_PER_S 1000
#define NS_PER_MS 1000000L

/* A file system seen by the server: whether its directories can be
   watched, and for those what reopening its handles needs. */
struct watched_fs
{
  dev_t dev;
  bool watchable;
  __kernel_fsid_t fsid;
  int mount_fd; /* readable fd of a file on it, for open_by_handle_at */
};

struct cntrfs_watch
{
  int fan_fd;
  int stop_fd; /* eventfd: the thread's poll wakes on it */
  struct inode_table *inodes;
  struct cntrfs_inode *root;
  struct fuse_session *se;
  cntrfs_watch_is_worker_fn is_worker;
  void *is_worker_arg;
  pthread_t thread;
  bool running;
  pthread_mutex_t lock; /* guards fss and armed */
  struct watched_fs *fss;
  size_t nfss;
  /* Marks are placed from delay_ms after the start on: closing a group
     that had marks waits for an SRCU grace period (5-10 ms measured),
     which a short session (cntr attach PID -- true) should not pay. */
  struct timespec start;
  unsigned delay_ms;
  bool armed;
};

struct cntrfs_watch *
cntrfs_watch_new(unsigned delay_ms, struct inode_table *inodes, struct cntrfs_inode *root)
{
  struct cntrfs_watch *w = calloc(1, sizeof *w);
  int err;

  if (w == NULL)
    return NULL;
  w->inodes = inodes;
  w->root = root;
  w->stop_fd = -1;
  clock_gettime(CLOCK_MONOTONIC, &w->start);
  w->delay_ms = delay_ms;
  /* Unlimited queue: a lost event would leave a stale entry for the whole
     long timeout (the overflow event says only that something was lost). */
  w->fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE
                                | FAN_REPORT_TID | FAN_REPORT_DFID_NAME | FAN_REPORT_FID,
                            O_RDONLY | O_CLOEXEC);
  if (w->fan_fd < 0)
    goto fail;
  w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->stop_fd < 0)
    goto fail;
  err = pthread_mutex_init(&w->lock, NULL);
  if (err != 0)
    {
      errno = err;
      goto fail;
    }
  return w;

fail:
  err = errno;
  if (w->fan_fd >= 0)
    close(w->fan_fd);
  if (w->stop_fd >= 0)
    close(w->stop_fd);
  free(w);
  errno = err;
  return NULL;
}

/* File systems whose changes need not pass through this kernel: their
   events would be missed, so they keep the short timeout. */
static bool
is_remote(unsigned long type)
{
  static const unsigned long remote[] = {
    NFS_SUPER_MAGIC,        SMB_SUPER_MAGIC,       0xff534d42 /* cifs */,
    0xfe534d42 /* smb2 */,  0x65735546 /* fuse */, V9FS_MAGIC,
    CODA_SUPER_MAGIC,       AFS_SUPER_MAGIC,       0x6b414653 /* kafs */,
    0x00c36400 /* ceph */,  0x47504653 /* gpfs */, 0x0bd00bd0 /* lustre */,
    0x7461636f /* ocfs2 */, 0x01161970 /* gfs2 */,
  };
  for (size_t i = 0; i < sizeof remote / sizeof *remote; i++)
    if (type == remote[i])
      return true;
  return false;
}

/* Decide about a file system first seen through fd.  Called with the lock
   held; fills *f. */
static void
consider_fs(int fd, const struct stat *st, struct watched_fs *f)
{
  struct statfs sf;

  f->dev = st->st_dev;
  f->watchable = false;
  f->mount_fd = -1;
  if (fstatfs(fd, &sf) < 0 || is_remote((unsigned long)sf.f_type))
    return;
  memcpy(&f->fsid, &sf.f_fsid, sizeof f->fsid);
  f->mount_fd = inode_open_mount_fd(fd, st->st_mode);
  if (f->mount_fd < 0)
    return;
  /* Events name files by handle: a file system whose handles cannot be
     opened again (overlayfs without nfs_export) could be marked, but its
     events not be matched to inodes. */
  if (!inode_handle_reopens(fd, f->mount_fd))
    {
      close(f->mount_fd);
      f->mount_fd = -1;
      return;
    }
  f->watchable = true;
}

/* Whether directories of st's file system can be watched, deciding on
   first sight through fd (an O_PATH fd of a file on it). */
static bool
fs_watchable(struct cntrfs_watch *w, int fd, const struct stat *st)
{
  struct watched_fs *f;
  bool watchable = false;

  pthread_mutex_lock(&w->lock);
  for (size_t i = 0; i < w->nfss; i++)
    if (w->fss[i].dev == st->st_dev)
      {
        watchable = w->fss[i].watchable;
        pthread_mutex_unlock(&w->lock);
        return watchable;
      }
  f = realloc(w->fss, (w->nfss + 1) * sizeof *f);
  if (f != NULL)
    {
      w->fss = f;
      consider_fs(fd, st, &w->fss[w->nfss]);
      watchable = w->fss[w->nfss].watchable;
      w->nfss++;
    }
  pthread_mutex_unlock(&w->lock);
  return watchable;
}

/* fanotify_mark refuses O_PATH fds; the /proc link reaches the inode. */
static int
mark_fd(struct cntrfs_watch *w, unsigned flags, int fd)
{
  char path[FD_PATH_SIZE];

  fd_path(path, fd);
  return fanotify_mark(w->fan_fd, flags, WATCH_MASK, AT_FDCWD, path);
}

static void
unmark_fd(void *arg, int fd)
{
  (void)mark_fd(arg, FAN_MARK_REMOVE, fd);
}

static bool mark_dir(struct cntrfs_watch *w, struct cntrfs_inode *dir, const struct stat *st);

/* Whether marks may be placed yet; the first time they may, the root is
   marked (it is never looked up again). */
static bool
armed(struct cntrfs_watch *w)
{
  struct timespec now;
  struct stat st;
  bool arm = false, is_armed;

  pthread_mutex_lock(&w->lock);
  if (!w->armed)
    {
      clock_gettime(CLOCK_MONOTONIC, &now);
      if ((now.tv_sec - w->start.tv_sec) * MS_PER_S + (now.tv_nsec - w->start.tv_nsec) / NS_PER_MS
          >= (long)w->delay_ms)
        w->armed = arm = true;
    }
  is_armed = w->armed;
  pthread_mutex_unlock(&w->lock);
  if (arm && fstat(w->root->fd, &st) == 0 && mark_dir(w, w->root, &st))
    inode_table_set_watched(w->inodes, w->root);
  return is_armed;
}

bool
cntrfs_watch_dir(struct cntrfs_watch *w, struct cntrfs_inode *dir, const struct stat *st)
{
  if (w == NULL || !S_ISDIR(st->st_mode) || !armed(w))
    return false;
  return mark_dir(w, dir, st);
}

static bool
mark_dir(struct cntrfs_watch *w, struct cntrfs_inode *dir, const struct stat *st)
{
  struct inode_fd b = INODE_FD_INIT;
  bool marked;

  if (!inode_table_claim_mark(w->inodes, dir))
    return inode_table_is_marked(w->inodes, dir);
  marked = inode_fd_get(w->inodes, dir, &b) >= 0 && fs_watchable(w, b.fd, st)
           && mark_fd(w, FAN_MARK_ADD, b.fd) == 0;
  if (!marked)
    inode_table_unclaim_mark(w->inodes, dir);
  inode_fd_put(&b);
  return marked;
}

/* ---- events ------------------------------------------------------------ */

/* Events are packed at 4-byte alignment (FANOTIFY_EVENT_ALIGN) while the
   metadata has a 64-bit member: every struct is copied out of the buffer
   before it is read. */

/* The inode number the kernel knows the file of a reported handle by, or 0
   when the kernel does not hold it.  rec is an info record of the FID kind
   (header, fsid, file_handle) of len bytes.  The entry is not referenced:
   the number is only passed back to the kernel, which ignores numbers it
   does not hold. */
static fuse_ino_t
ino_of_handle(struct cntrfs_watch *w, const char *rec, size_t len)
{
  const size_t head = offsetof(struct fanotify_event_info_fid, handle);
  union inode_handle_buf hb;
  __kernel_fsid_t fsid;
  struct cntrfs_inode *inode;
  struct stat st;
  int mount_fd = -1, fd;

  if (len < head + sizeof hb.fh)
    return 0;
  memcpy(&fsid, rec + offsetof(struct fanotify_event_info_fid, fsid), sizeof fsid);
  memcpy(&hb.fh, rec + head, sizeof hb.fh);
  if (hb.fh.handle_bytes > MAX_HANDLE_SZ || len < head + sizeof hb.fh + hb.fh.handle_bytes)
    return 0;
  memcpy(hb.fh.f_handle, rec + head + sizeof hb.fh, hb.fh.handle_bytes);

  pthread_mutex_lock(&w->lock);
  for (size_t i = 0; i < w->nfss; i++)
    if (w->fss[i].watchable && memcmp(&w->fss[i].fsid, &fsid, sizeof fsid) == 0)
      {
        mount_fd = fcntl(w->fss[i].mount_fd, F_DUPFD_CLOEXEC, 0);
        break;
      }
  pthread_mutex_unlock(&w->lock);
  if (mount_fd < 0)
    return 0;
  fd = open_by_handle_at(mount_fd, &hb.fh, O_PATH | O_CLOEXEC);
  close(mount_fd);
  if (fd < 0)
    return 0;
  if (fstat(fd, &st) < 0)
    {
      close(fd);
      return 0;
    }
  close(fd);
  inode = inode_table_find(w->inodes, &st);
  if (inode == NULL)
    return 0;
  return inode == w->root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)inode;
}

static void
expire_entry(struct cntrfs_watch *w, fuse_ino_t parent, const char *name)
{
  size_t len = strlen(name);

  /* Expire rather than invalidate where the kernel can: invalidating
     would detach whatever is mounted on the entry. */
  if (fuse_lowlevel_notify_expire_entry(w->se, parent, name, len, FUSE_LL_EXPIRE_ONLY) == -ENOSYS)
    fuse_lowlevel_notify_inval_entry(w->se, parent, name, len);
}

/* One event: m is its metadata (copied), ev its bytes in the buffer. */
static void
handle_event(struct cntrfs_watch *w, const struct fanotify_event_metadata *m, const char *ev)
{
  const size_t head = offsetof(struct fanotify_event_info_fid, handle);
  const char *dir = NULL, *obj = NULL, *name = NULL;
  size_t dir_len = 0, obj_len = 0;
  const char *p = ev + m->metadata_len;
  const char *end = ev + m->event_len;
  fuse_ino_t ino;

  while (p + sizeof(struct fanotify_event_info_header) <= end)
    {
      struct fanotify_event_info_header h;

      memcpy(&h, p, sizeof h);
      if (h.len == 0 || p + h.len > end)
        break;
      if (h.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME && h.len > head + sizeof(struct file_handle))
        {
          struct file_handle fh;

          memcpy(&fh, p + head, sizeof fh);
          dir = p;
          dir_len = h.len;
          name = p + head + sizeof fh + fh.handle_bytes;
          /* NUL-terminated inside the record, or no name. */
          if (name >= p + h.len || memchr(name, '\0', (size_t)(p + h.len - name)) == NULL)
            name = NULL;
        }
      else if (h.info_type == FAN_EVENT_INFO_TYPE_FID)
        {
          obj = p;
          obj_len = h.len;
        }
      p += h.len;
    }

  if (dir != NULL && name != NULL && (m->mask & DIRENT_EVENTS))
    {
      ino = ino_of_handle(w, dir, dir_len);
      if (ino != 0)
        {
          expire_entry(w, ino, name);
          /* The directory's mtime, and its cached listing. */
          fuse_lowlevel_notify_inval_inode(w->se, ino, 0, 0);
        }
    }
  if (obj != NULL && (m->mask & (FAN_ATTRIB | CONTENT_EVENTS)))
    {
      ino = ino_of_handle(w, obj, obj_len);
      if (ino != 0)
        fuse_lowlevel_notify_inval_inode(w->se, ino, (m->mask & CONTENT_EVENTS) ? 0 : -1, 0);
    }
}

static void *
watch_main(void *arg)
{
  struct cntrfs_watch *w = arg;
  char buf[EVENT_BUF_SIZE];

  for (;;)
    {
      struct pollfd pfd[2]
          = { { .fd = w->fan_fd, .events = POLLIN }, { .fd = w->stop_fd, .events = POLLIN } };
      ssize_t n;

      if (poll(pfd, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (pfd[1].revents != 0)
        break;
      n = read(w->fan_fd, buf, sizeof buf);
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          break;
        }
      for (size_t off = 0; off + sizeof(struct fanotify_event_metadata) <= (size_t)n;)
        {
          struct fanotify_event_metadata m;

          memcpy(&m, buf + off, sizeof m);
          if (m.vers != FANOTIFY_METADATA_VERSION)
            return NULL;
          if (m.event_len < sizeof m || m.metadata_len < sizeof m || m.event_len > (size_t)n - off)
            break;
          /* The server's own changes (FAN_REPORT_TID: m.pid is the thread):
             the kernel asked for them, and already knows. */
          if (!(m.mask & FAN_Q_OVERFLOW) && !w->is_worker(w->is_worker_arg, m.pid))
            handle_event(w, &m, buf + off);
          off += m.event_len;
        }
    }
  return NULL;
}

int
cntrfs_watch_start(struct cntrfs_watch *w, struct fuse_session *se,
                   cntrfs_watch_is_worker_fn is_worker, void *arg)
{
  sigset_t all, old;
  int err;

  if (w == NULL)
    return 0;
  w->se = se;
  w->is_worker = is_worker;
  w->is_worker_arg = arg;
  pthread_mutex_lock(&w->inodes->lock);
  w->inodes->unmark = unmark_fd;
  w->inodes->unmark_arg = w;
  pthread_mutex_unlock(&w->inodes->lock);
  /* The thread takes no signals: the process's handlers stay where they
     are meant to run. */
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  err = pthread_create(&w->thread, NULL, watch_main, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err != 0)
    return -err;
  w->running = true;
  return 0;
}

void
cntrfs_watch_stop(struct cntrfs_watch *w)
{
  uint64_t one = 1;

  if (w == NULL || !w->running)
    return;
  /* An eventfd write fails only when its counter would overflow. */
  (void)!write(w->stop_fd, &one, sizeof one);
  pthread_join(w->thread, NULL);
  w->running = false;
}

void
cntrfs_watch_free(struct cntrfs_watch *w)
{
  if (w == NULL)
    return;
  cntrfs_watch_stop(w);
  if (w->se != NULL)
    {
      /* Closing the fanotify fd below removes every mark at once. */
      pthread_mutex_lock(&w->inodes->lock);
      w->inodes->unmark = NULL;
      pthread_mutex_unlock(&w->inodes->lock);
    }
  for (size_t i = 0; i < w->nfss; i++)
    if (w->fss[i].mount_fd >= 0)
      close(w->fss[i].mount_fd);
  free(w->fss);
  pthread_mutex_destroy(&w->lock);
  close(w->fan_fd);
  close(w->stop_fd);
  free(w);
}
