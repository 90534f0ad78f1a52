/* SPDX-License-Identifier: MIT */
/* Kernel FUSE passthrough (cntrfs-passthrough.h): the backing files and the
   per-inode choice between passthrough and the server.  The INIT and OPEN
   replies that negotiate and hand over backing files are amended in
   devio.c. */
#include "cntrfs-passthrough.h"
#include "cntrfs-internal.h"
#include "cleanup.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* The backing-file ioctls and their argument, which Debian 12's
   linux/fuse.h lacks too (see cntrfs-passthrough.h). */
struct pt_backing_map
{
  int32_t fd;
  uint32_t flags;
  uint64_t padding;
};
#define PT_IOC_BACKING_OPEN _IOW(FUSE_DEV_IOC_MAGIC, 1, struct pt_backing_map)
#define PT_IOC_BACKING_CLOSE _IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)

/* How long an open that must go through the server, or a copy-up, waits
   for the passthrough opens of its inode to end: their RELEASE comes after
   close(2) returned, so a `cat f; echo >>f` would otherwise race it. */
#define PT_RELEASE_WAIT_MS 1000

/* The open reply this thread is about to send: its backing file's id. */
static __thread int32_t pending_backing_id;

int32_t
passthrough_take_pending(void)
{
  int32_t id = pending_backing_id;

  pending_backing_id = 0;
  return id;
}

void
passthrough_init(struct cntrfs *fs, bool allowed)
{
  const char *off = getenv("CNTR_NO_PASSTHROUGH");

  memset(&fs->pt, 0, sizeof fs->pt);
  fs->pt.disabled_by_env = off != NULL && off[0] != '\0' && strcmp(off, "0") != 0;
  fs->pt.allowed = allowed && !fs->pt.disabled_by_env;
  fs->pt.dev_fd = -1;
  pthread_mutex_init(&fs->pt.lock, NULL);
  cntrfs_cond_init_monotonic(&fs->pt.released);
}

void
passthrough_destroy(struct cntrfs *fs)
{
  pthread_cond_destroy(&fs->pt.released);
  pthread_mutex_destroy(&fs->pt.lock);
}

void
passthrough_set_dev_fd(struct cntrfs *fs, int fd)
{
  pthread_mutex_lock(&fs->pt.lock);
  fs->pt.dev_fd = fs->pt.allowed ? fd : -1;
  pthread_mutex_unlock(&fs->pt.lock);
}

void
passthrough_dev_closed(struct cntrfs *fs)
{
  pthread_mutex_lock(&fs->pt.lock);
  fs->pt.dev_fd = -1;
  pthread_mutex_unlock(&fs->pt.lock);
}

bool
passthrough_active(const struct cntrfs *fs)
{
  return __atomic_load_n(&fs->pt.active, __ATOMIC_ACQUIRE);
}

bool
cntrfs_passthrough(const struct cntrfs *fs)
{
  return fs != NULL && passthrough_active(fs);
}

const char *
cntrfs_passthrough_describe(const struct cntrfs *fs)
{
  struct cntrfs *w = (struct cntrfs *)fs;
  bool seen, offered;

  if (passthrough_active(fs))
    return "passed through by the kernel (FUSE passthrough)";
  if (fs->pt.disabled_by_env)
    return "through the server (CNTR_NO_PASSTHROUGH is set)";
  if (!fs->pt.allowed)
    return "through the server";
  pthread_mutex_lock(&w->pt.lock);
  seen = w->pt.init_seen;
  offered = w->pt.init_offered;
  pthread_mutex_unlock(&w->pt.lock);
  if (!seen)
    return "through the server until the kernel's INIT is answered";
  return offered ? "through the server (the kernel refused FUSE passthrough)"
                 : "through the server (the kernel offers no FUSE passthrough; Linux 6.9 does)";
}

/* Register fd's file as a backing file: its id, or a negative errno.
   Called with the lock held (dev_fd). */
static int
backing_open(struct cntrfs *fs, int fd, bool backing_safe)
{
  cleanup_close int view = -1;
  struct pt_backing_map map = { .fd = fd };
  int id;

  if (fs->pt.dev_fd < 0)
    return -ENOTCONN;
  if (!backing_safe)
    {
      /* The kernel reopens the backing file with the caller's flags: on a
         read-only, noatime view of the file nothing it does can change
         what is below. */
      const struct sys_mount_attr ro
          = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME, .attr_clr = MOUNT_ATTR__ATIME };
      view = sys_open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
      if (view < 0 || sys_mount_setattr(view, "", AT_EMPTY_PATH, &ro) < 0)
        return neg_errno();
      map.fd = view;
    }
  id = ioctl(fs->pt.dev_fd, PT_IOC_BACKING_OPEN, &map);
  return id < 0 ? neg_errno() : id;
}

static void
backing_close(struct cntrfs *fs, struct cntrfs_inode *inode)
{
  uint32_t id = (uint32_t)inode->backing_id;

  inode->backing_id = 0;
  if (fs->pt.dev_fd >= 0 && ioctl(fs->pt.dev_fd, PT_IOC_BACKING_CLOSE, &id) < 0)
    cntrfs_log_error("closing a passthrough backing file", errno);
}

/* Wait (lock held) until inode has no passthrough opens, for at most
   PT_RELEASE_WAIT_MS: 0, or -ETXTBSY. */
static int
wait_passthrough_released(struct cntrfs *fs, struct cntrfs_inode *inode)
{
  struct timespec deadline;

  if (inode->pt_opens == 0)
    return 0;
  cntrfs_deadline_after_ms(&deadline, PT_RELEASE_WAIT_MS);
  while (inode->pt_opens > 0)
    if (pthread_cond_timedwait(&fs->pt.released, &fs->pt.lock, &deadline) == ETIMEDOUT)
      break;
  return inode->pt_opens > 0 ? -ETXTBSY : 0;
}

int
passthrough_open(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_file *fh,
                 struct fuse_file_info *fi, enum passthrough_want want, bool backing_safe)
{
  int res = 0;

  if (!passthrough_active(fs))
    return 0;
  /* A write through the backing file is the server's (root's), which
     keeps setuid and setgid bits; through the server, they are cleared
     for a caller without CAP_FSETID, as natively (cntrfs-killpriv.h). */
  struct stat st;
  if (fstat(fh->fd, &st) < 0)
    return neg_errno();
  bool through_server = (st.st_mode & (S_ISUID | S_ISGID)) != 0;
  pthread_mutex_lock(&fs->pt.lock);
  /* A file opened in the lower layer that was copied up meanwhile: its
     reads switch to the copy (union.c), which only the server can do. */
  bool stale = fh->lower && union_is_upper(inode);
  if (!through_server && inode->server_opens == 0 && inode->pt_blocked == 0 && !stale)
    {
      if (inode->pt_opens == 0)
        {
          int id = backing_open(fs, fh->fd, backing_safe);
          if (id > 0)
            inode->backing_id = id;
        }
      if (inode->backing_id > 0)
        {
          inode->pt_opens++;
          fh->passthrough = true;
          fh->fs = fs;
          fh->pt_inode = inode;
          pending_backing_id = inode->backing_id;
          pthread_mutex_unlock(&fs->pt.lock);
          /* The kernel refuses its page cache next to passthrough. */
          fi->keep_cache = 0;
          fi->direct_io = want == PT_WANT_HEADERS_ONLY;
          return 1;
        }
    }
  /* Through the server, which the kernel allows only while no open of the
     inode passes through. */
  res = wait_passthrough_released(fs, inode);
  if (res == 0)
    {
      inode->server_opens++;
      fh->fs = fs;
      fh->pt_inode = inode;
    }
  pthread_mutex_unlock(&fs->pt.lock);
  return res;
}

void
passthrough_reply_dropped(void)
{
  pending_backing_id = 0;
}

void
passthrough_release(struct cntrfs_file *fh)
{
  struct cntrfs *fs = fh->fs;
  struct cntrfs_inode *inode = fh->pt_inode;

  if (inode == NULL)
    return;
  pthread_mutex_lock(&fs->pt.lock);
  if (!fh->passthrough)
    inode->server_opens--;
  else if (--inode->pt_opens == 0)
    backing_close(fs, inode);
  pthread_cond_broadcast(&fs->pt.released);
  pthread_mutex_unlock(&fs->pt.lock);
  fh->pt_inode = NULL;
}

int
passthrough_copy_up_begin(struct cntrfs *fs, struct cntrfs_inode *inode)
{
  int res;

  pthread_mutex_lock(&fs->pt.lock);
  res = wait_passthrough_released(fs, inode);
  if (res == 0)
    inode->pt_blocked++;
  pthread_mutex_unlock(&fs->pt.lock);
  return res;
}

void
passthrough_copy_up_end(struct cntrfs *fs, struct cntrfs_inode *inode)
{
  pthread_mutex_lock(&fs->pt.lock);
  inode->pt_blocked--;
  pthread_mutex_unlock(&fs->pt.lock);
}
