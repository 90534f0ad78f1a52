/* SPDX-License-Identifier: MIT */
/* Kernel FUSE passthrough (cntrfs-passthrough.h): the session's /dev/fuse
   I/O, the INIT and OPEN replies it amends, the backing files, and the
   per-inode choice between passthrough and the server. */
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

/* What Debian 12's linux/fuse.h lacks (include/uapi/linux/fuse.h of Linux
   6.9): the INIT flag (bit 37, so bit 5 of flags2), the open flag, the
   ioctls and their argument.  max_stack_depth is the first of the older
   header's unused words of fuse_init_out, and backing_id the padding of
   fuse_open_out. */
#define PT_INIT_FLAGS2 (1u << (37 - 32))
#define PT_FOPEN_PASSTHROUGH (1u << 7)
struct pt_backing_map
{
  int32_t fd;
  uint32_t flags;
  uint64_t padding;
};
#define PT_IOC_BACKING_OPEN _IOW(FUSE_DEV_IOC_MAGIC, 1, struct pt_backing_map)
#define PT_IOC_BACKING_CLOSE _IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)

/* How deep the file systems below may be stacked: FILESYSTEM_MAX_STACK_DEPTH,
   so that files on overlayfs (a container's root) pass through too.  The
   price: nothing stacks on this mount (no overlayfs with it as a layer). */
#define PT_STACK_DEPTH 2

/* How long an open that must go through the server, or a copy-up, waits
   for the passthrough opens of its inode to end: their RELEASE comes after
   close(2) returned, so a `cat f; echo >>f` would otherwise race it. */
#define PT_RELEASE_WAIT_MS 1000

/* The open reply this thread is about to send: its backing file's id. */
static __thread int32_t pending_backing_id;

static bool
init_reply(const struct cntrfs *fs, const struct fuse_out_header *out)
{
  return fs->pt.init_offered && out->unique == fs->pt.init_unique && out->error == 0;
}

static ssize_t
io_read(int fd, void *buf, size_t len, void *userdata)
{
  struct cntrfs *fs = userdata;
  ssize_t n = read(fd, buf, len);
  const struct fuse_in_header *in = buf;
  const size_t init_size = sizeof *in + offsetof(struct fuse_init_in, flags2) + sizeof(uint32_t);

  if (n >= (ssize_t)init_size && in->opcode == FUSE_INIT)
    {
      const struct fuse_init_in *arg = (const void *)(in + 1);
      pthread_mutex_lock(&fs->pt.lock);
      fs->pt.init_unique = in->unique;
      fs->pt.init_seen = true;
      fs->pt.init_offered
          = fs->pt.allowed && (arg->flags & FUSE_INIT_EXT) && (arg->flags2 & PT_INIT_FLAGS2);
      pthread_mutex_unlock(&fs->pt.lock);
    }
  return n;
}

/* libfuse sends a reply as the header and its argument (iov[0], iov[1]). */
static ssize_t
io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
  struct cntrfs *fs = userdata;
  const struct fuse_out_header *out = iov[0].iov_base;
  int32_t backing_id = pending_backing_id;
  struct iovec amended[3];
  ssize_t n;

  pending_backing_id = 0;
  if (count != 2 || iov[0].iov_len != sizeof *out || out->error != 0)
    return writev(fd, iov, count);

  if (backing_id > 0 && iov[1].iov_len >= sizeof(struct fuse_open_out))
    {
      /* OPEN's argument, or the end of CREATE's (entry, then open). */
      struct fuse_open_out open;
      size_t before = iov[1].iov_len - sizeof open;

      memcpy(&open, (char *)iov[1].iov_base + before, sizeof open);
      open.open_flags |= PT_FOPEN_PASSTHROUGH;
      open.padding = (uint32_t)backing_id;
      amended[0] = iov[0];
      amended[1] = (struct iovec){ iov[1].iov_base, before };
      amended[2] = (struct iovec){ &open, sizeof open };
      return writev(fd, amended, 3);
    }

  if (init_reply(fs, out) && iov[1].iov_len == sizeof(struct fuse_init_out))
    {
      struct fuse_init_out init;

      memcpy(&init, iov[1].iov_base, sizeof init);
      if (!(init.flags & FUSE_INIT_EXT))
        return writev(fd, iov, count);
      init.flags2 |= PT_INIT_FLAGS2;
      init.unused[0] = PT_STACK_DEPTH;
      amended[0] = iov[0];
      amended[1] = (struct iovec){ &init, sizeof init };
      n = writev(fd, amended, 2);
      if (n >= 0)
        __atomic_store_n(&fs->pt.active, true, __ATOMIC_RELEASE);
      return n;
    }
  return writev(fd, iov, count);
}

/* Splice as libfuse would without custom I/O. */
static ssize_t
io_splice(int fdin, off_t *offin, int fdout, off_t *offout, size_t len, unsigned int flags,
          void *userdata)
{
  (void)userdata;
  return splice(fdin, offin, fdout, offout, len, flags);
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

int
passthrough_take_io(struct cntrfs *fs)
{
  static const struct fuse_custom_io io = {
    .read = io_read,
    .writev = io_writev,
    .splice_receive = io_splice,
    .splice_send = io_splice,
  };
  int fd = fuse_session_fd(fs->se);

  /* Without passthrough, libfuse's own I/O, exactly as before. */
  if (!fs->pt.allowed)
    return 0;
  fs->pt.dev_fd = fd;
  return fuse_session_custom_io(fs->se, &io, fd);
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

/* Whether a write by an unprivileged caller clears bits of mode. */
static bool
kills_privileges(mode_t mode)
{
  return (mode & S_ISUID) || (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
}

int
passthrough_open(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_file *fh,
                 struct fuse_file_info *fi, enum passthrough_want want, bool backing_safe)
{
  int res = 0;

  if (!passthrough_active(fs))
    return 0;
  /* A write through the backing file is the server's (root's), which
     keeps setuid and setgid bits; through the server, the kernel drops
     them for a caller without CAP_FSETID, as natively. */
  struct stat st;
  if (fstat(fh->fd, &st) < 0)
    return neg_errno();
  bool through_server = kills_privileges(st.st_mode);
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
