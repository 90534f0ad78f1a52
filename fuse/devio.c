/* SPDX-License-Identifier: MIT */
/* The session's /dev/fuse I/O (cntrfs-devio.h). */
#include "cntrfs-devio.h"
#include "cntrfs-internal.h"
#include "cntrfs-passthrough.h"

#include <errno.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* The kill flag of the request this thread read last. */
static __thread bool request_kills_suidgid;

bool
devio_request_kills_suidgid(void)
{
  return request_kills_suidgid;
}

/* Whether the request in buf (n bytes) carries a kill-setuid/setgid flag. */
static bool
kills_suidgid(const void *buf, ssize_t n)
{
  const struct fuse_in_header *in = buf;
  const void *arg = in + 1;
  size_t have = (size_t)n - sizeof *in;

  switch (in->opcode)
    {
    case FUSE_WRITE:
      return have >= sizeof(struct fuse_write_in)
             && (((const struct fuse_write_in *)arg)->write_flags & FUSE_WRITE_KILL_SUIDGID);
    case FUSE_SETATTR:
      return have >= sizeof(struct fuse_setattr_in)
             && (((const struct fuse_setattr_in *)arg)->valid & FATTR_KILL_SUIDGID);
    case FUSE_OPEN:
      return have >= sizeof(struct fuse_open_in)
             && (((const struct fuse_open_in *)arg)->open_flags & FUSE_OPEN_KILL_SUIDGID);
    case FUSE_CREATE:
      return have >= sizeof(struct fuse_create_in)
             && (((const struct fuse_create_in *)arg)->open_flags & FUSE_OPEN_KILL_SUIDGID);
    default:
      return false;
    }
}

static void
read_init(struct cntrfs *fs, const struct fuse_in_header *in)
{
  const struct fuse_init_in *arg = (const void *)(in + 1);
  bool ext = (arg->flags & FUSE_INIT_EXT) != 0;

  pthread_mutex_lock(&fs->pt.lock);
  fs->pt.init_unique = in->unique;
  fs->pt.init_seen = true;
  fs->pt.init_offered = fs->pt.allowed && ext && (arg->flags2 & PT_INIT_FLAGS2);
  fs->killpriv_offered = (arg->flags & FUSE_HANDLE_KILLPRIV_V2) != 0;
  pthread_mutex_unlock(&fs->pt.lock);
}

static ssize_t
io_read(int fd, void *buf, size_t len, void *userdata)
{
  struct cntrfs *fs = userdata;
  ssize_t n = read(fd, buf, len);
  const struct fuse_in_header *in = buf;
  const size_t init_size = sizeof *in + offsetof(struct fuse_init_in, flags2) + sizeof(uint32_t);

  request_kills_suidgid = false;
  if (n < (ssize_t)sizeof *in)
    return n;
  if (in->opcode == FUSE_INIT && n >= (ssize_t)init_size)
    read_init(fs, in);
  else
    request_kills_suidgid = kills_suidgid(buf, n);
  return n;
}

static bool
init_reply(struct cntrfs *fs, const struct fuse_out_header *out)
{
  bool seen;

  pthread_mutex_lock(&fs->pt.lock);
  seen = fs->pt.init_seen && out->unique == fs->pt.init_unique;
  pthread_mutex_unlock(&fs->pt.lock);
  return seen && out->error == 0;
}

/* INIT's reply: what the kernel offered and we take beyond libfuse. */
static ssize_t
write_init_reply(int fd, struct cntrfs *fs, struct iovec *iov)
{
  struct fuse_init_out init;
  struct iovec amended[2];
  ssize_t n;

  memcpy(&init, iov[1].iov_base, sizeof init);
  bool passthrough = fs->pt.init_offered && (init.flags & FUSE_INIT_EXT);
  if (passthrough)
    {
      init.flags2 |= PT_INIT_FLAGS2;
      init.unused[0] = PT_STACK_DEPTH;
    }
  if (fs->killpriv_offered)
    init.flags |= FUSE_HANDLE_KILLPRIV_V2;
  amended[0] = iov[0];
  amended[1] = (struct iovec){ &init, sizeof init };
  n = writev(fd, amended, 2);
  if (n >= 0)
    {
      __atomic_store_n(&fs->killpriv_active, fs->killpriv_offered, __ATOMIC_RELEASE);
      if (passthrough)
        __atomic_store_n(&fs->pt.active, true, __ATOMIC_RELEASE);
    }
  return n;
}

/* libfuse sends a reply as the header and its argument (iov[0], iov[1]). */
static ssize_t
io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
  struct cntrfs *fs = userdata;
  const struct fuse_out_header *out = iov[0].iov_base;
  int32_t backing_id = passthrough_take_pending();
  struct iovec amended[3];

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
  if (iov[1].iov_len == sizeof(struct fuse_init_out) && init_reply(fs, out))
    return write_init_reply(fd, fs, iov);
  return writev(fd, iov, count);
}

/* Replies are spliced as libfuse would without custom I/O. */
static ssize_t
io_splice_send(int fdin, off_t *offin, int fdout, off_t *offout, size_t len, unsigned int flags,
               void *userdata)
{
  (void)userdata;
  return splice(fdin, offin, fdout, offout, len, flags);
}

int
devio_take(struct cntrfs *fs)
{
  /* No splice_receive: see cntrfs-devio.h. */
  static const struct fuse_custom_io io = {
    .read = io_read,
    .writev = io_writev,
    .splice_send = io_splice_send,
  };
  int fd = fuse_session_fd(fs->se);

  passthrough_set_dev_fd(fs, fd);
  return fuse_session_custom_io(fs->se, &io, fd);
}
