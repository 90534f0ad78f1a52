/* SPDX-License-Identifier: MIT */
/* Open regular files: open and create, which decide what an open serves
   (enum file_content: the file's own bytes, a virtual entry's, or the file
   with its "#!" line or PT_INTERP string rewritten), and the requests on
   an open file - read (one switch on what it serves), write, flush,
   release, fsync, flock, fallocate, copy_file_range, lseek. */
#include "cntrfs-ops.h"
#include "cntrfs-caller.h"
#include "cntrfs-elf.h"
#include "cntrfs-handle.h"
#include "cntrfs-internal.h"
#include "cntrfs-killpriv.h"
#include "cntrfs-script.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* Files of kernel pseudo file systems, whose size says nothing about what a
   read returns. */
static bool
is_pseudo_file(int fd)
{
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 && policy_is_pseudo_fs((unsigned long)sf.f_type);
}

/* The string of the tools' loader that names the file of libraries to
   preload, which in a session would be the target's. */
#define LOADER_PRELOAD_FILE "/etc/ld.so.preload"

static bool
is_loader(const struct cntrfs *fs, const struct cntrfs_inode *inode)
{
  if (fs->loader_dev == 0)
    return false;
  if (inode->dev == fs->loader_dev && inode->ino == fs->loader_ino)
    return true;
  /* Its copy in a scratch layer is no less the tools' loader. */
  return inode->un != NULL && inode->un->origin_dev == fs->loader_dev
         && inode->un->origin_ino == fs->loader_ino;
}

/* Where the loader's preload file name is, found once and checked at each
   open (the loader may be replaced by an upgrade); whether it has one. */
static bool
loader_mask(struct cntrfs *fs, int fd, struct elf_interp_patch *out)
{
  bool found = true;

  pthread_mutex_lock(&fs->loader_lock);
  if (!elf_mask_string_still(fd, LOADER_PRELOAD_FILE, &fs->loader_mask)
      && elf_mask_string_find(fd, LOADER_PRELOAD_FILE, &fs->loader_mask) != 1)
    {
      fs->loader_mask.len = 0;
      found = false;
    }
  *out = fs->loader_mask;
  pthread_mutex_unlock(&fs->loader_lock);
  return found;
}

/* An OPEN, or the open of a CREATE of an existing file (e: its entry,
   whose lookup is undone), that failed. */
static void
reply_open_failed(fuse_req_t req, struct cntrfs *fs, const struct fuse_entry_param *e, int res)
{
  if (e != NULL)
    unref_entry(fs, e->ino, 1);
  reply_err(req, res);
}

/* The reply to an open whose file fh is open and whose passthrough_open
   returned res (an errno refuses it). */
static void
reply_opened(fuse_req_t req, struct cntrfs *fs, struct fuse_file_info *fi, struct cntrfs_file *fh,
             const struct fuse_entry_param *e, int res)
{
  if (res < 0)
    {
      fh->h.destroy(&fh->h);
      reply_open_failed(req, fs, e, res);
      return;
    }
  reply_open_handle(req, fs, fi, &fh->h, e);
}

/* Open inode (a real file) as OPEN asks (flags, fi), and reply: with e, as
   CREATE (its lookup was counted). */
static void
open_real(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *inode, struct fuse_file_info *fi,
          const struct fuse_entry_param *e)
{
  cleanup_free struct cntrfs_file *fh = NULL;
  int flags = fi->flags & ~CNTRFS_FMODE_EXEC;
  bool exec = (fi->flags & CNTRFS_FMODE_EXEC) != 0;
  int res = 0;

  /* The first open for writing of a lower file copies it up (not a FIFO's
     or a socket's: what is written goes through them, not into them). */
  if (fs->un != NULL && opens_for_write(flags))
    {
      struct stat st;
      res = stat_inode(fs, inode, &st);
      if (res == 0 && S_ISREG(st.st_mode))
        res = union_copy_up(fs, inode, !(flags & O_TRUNC));
    }
  /* An execve needs x (the kernel reads the file itself), other opens
     read permission for what they read. */
  if (res == 0)
    res = host_policy_open(fs, inode, exec ? X_OK : (flags & O_ACCMODE) != O_WRONLY ? R_OK : 0);
  if (res < 0)
    {
      reply_open_failed(req, fs, e, res);
      return;
    }
  fh = file_new();
  if (fh == NULL)
    {
      reply_open_failed(req, fs, e, -ENOMEM);
      return;
    }
  /* O_DIRECT would impose alignment on libfuse's buffers; the kernel
     bypasses its cache for us instead (direct_io). */
  bool o_direct = (flags & O_DIRECT) != 0;
  if (o_direct)
    {
      flags &= ~O_DIRECT;
      fi->direct_io = 1;
    }
  fh->fd = reopen_inode(fs, inode, flags);
  if (fh->fd < 0)
    {
      reply_open_failed(req, fs, e, fh->fd);
      return;
    }
  res = flags & O_TRUNC ? killpriv_before_change(req, fs, fh->fd, KILLPRIV_FLAGGED) : 0;
  if (res < 0)
    {
      reply_open_failed(req, fs, e, res);
      return;
    }
  fh->lower = fs->un != NULL && !union_is_upper(inode);
  fh->open_flags = flags;
  /* Failing (the file went meanwhile) costs only what inode_fd is for. */
  (void)inode_fd_get(&fs->inodes, inode, &fh->inode_fd);
  /* Passing through must not write what the server never writes. */
  bool backing_safe = !fs->opt.read_only && !fh->lower;
  /* For an open by execve(2): a script with its "#!" line rewritten. */
  if (exec && fs->opt.exec_script_prefix != NULL
      && script_head_open(fh->fd, fs->opt.exec_script_prefix, fs->opt.exec_script_prefix_len,
                          &fh->u.script)
             == 1)
    {
      fh->content = CONTENT_SCRIPT_HEAD;
      /* The rewritten line is for this execve only: keep it out of the
         page cache, which every other open (the interpreter reading the
         script, cat, an editor) shares.  direct_io also makes the kernel
         take all we return: a cached read stops at the file's size, and
         the rewritten file is longer. */
      fi->direct_io = 1;
      fi->keep_cache = 0;
      res = passthrough_open(fs, inode, fh, fi, PT_WANT_HEADERS_ONLY, backing_safe);
      reply_opened(req, fs, fi, steal_pointer(&fh), e, res);
      return;
    }
  if (is_pseudo_file(fh->fd))
    {
      /* procfs, sysfs and the like report size 0 and make up their
         contents at each read: a cached read would stop at that size. */
      fi->direct_io = 1;
      fi->keep_cache = 0;
      reply_open_handle(req, fs, fi, &fh->h, e);
      fh = NULL;
      return;
    }
  /* The tools' loader: its "/etc/ld.so.preload" would be the target's.
     Always through the server, which masks it in every byte it serves
     (the shim maps the loader). */
  if ((flags & O_ACCMODE) != O_WRONLY && is_loader(fs, inode)
      && loader_mask(fs, fh->fd, &fh->u.interp))
    {
      fh->content = CONTENT_PATCHED_INTERP;
      fi->keep_cache = 1;
      reply_open_handle(req, fs, fi, &fh->h, e);
      fh = NULL;
      return;
    }
  /* An ELF executable whose interpreter is interp_from.  Passed through,
     only an execve needs the string rewritten (the kernel reads it from
     us, and maps the original bytes); through the server, every open that
     can read gets it, so that whatever fills the (shared) page cache
     presents the same bytes. */
  bool patched = (flags & O_ACCMODE) != O_WRONLY && fs->opt.interp_from != NULL
                 && elf_interp_open(fh->fd, fs->opt.interp_from, fs->opt.interp_from_len,
                                    fs->opt.interp_to, fs->opt.interp_to_len, &fh->u.interp)
                        == 1;
  res = passthrough_open(fs, inode, fh, fi,
                         o_direct || (patched && exec) ? PT_WANT_HEADERS_ONLY : PT_WANT_BACKING,
                         backing_safe);
  if (patched && (res == 0 || exec))
    fh->content = CONTENT_PATCHED_INTERP;
  /* Through the server, keep the page cache across opens.  Writes through
     the mount keep it current; a change made to the layer directly is
     reported by the watcher, or else noticed when the attributes are next
     fetched (AUTO_INVAL_DATA: a new mtime or size drops the cached pages),
     that is within CNTRFS_TIMEOUT. */
  if (res == 0)
    fi->keep_cache = 1;
  reply_opened(req, fs, fi, steal_pointer(&fh), e, res);
}

void
cntrfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *inode = inode_of(fs, ino);
  struct cntrfs_request r
      = { .inode = inode, .fi = fi, .writes = opens_for_write(fi->flags & ~CNTRFS_FMODE_EXEC) };

  if (cntrfs_prologue(req, CNTRFS_OP_OPEN, &r))
    return;
  open_real(req, fs, inode, fi, NULL);
}

static void
reply_fd_data(fuse_req_t req, int fd, size_t size, off_t off)
{
  struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);

  bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
  bv.buf[0].fd = fd;
  bv.buf[0].pos = off;
  fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
}

/* A read of a file as rewritten (script.c, elf.c), through a buffer of
   ours. */
static void
reply_rewritten(fuse_req_t req, struct cntrfs_file *fh, size_t size, uint64_t off)
{
  cleanup_free char *buf = malloc(size ? size : 1);
  ssize_t n;

  if (buf == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  if (fh->content == CONTENT_SCRIPT_HEAD)
    n = script_head_read(&fh->u.script, fh->fd, buf, size, off);
  else
    n = elf_interp_read(&fh->u.interp, fh->fd, buf, size, off);
  if (n < 0)
    reply_err(req, (int)n);
  else
    fuse_reply_buf(req, buf, (size_t)n);
}

static void
reply_memory(fuse_req_t req, const struct file_memory *m, size_t size, off_t off)
{
  size_t left;

  if ((uint64_t)off >= m->size)
    {
      fuse_reply_buf(req, NULL, 0);
      return;
    }
  left = m->size - (size_t)off;
  fuse_reply_buf(req, (const char *)m->data + off, size < left ? size : left);
}

/* One switch on what the file serves; whatever is not rewritten is the
   file's own bytes, spliced from our fd (the place where kernel FUSE
   passthrough takes over). */
void
cntrfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  off_t at = off; /* where the file's own bytes are */

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_READ, &r))
    return;
  if (off < 0)
    {
      fuse_reply_err(req, EINVAL);
      return;
    }
  switch (fh->content)
    {
    case CONTENT_MEMORY:
      reply_memory(req, &fh->u.memory, size, off);
      return;
    case CONTENT_SCRIPT_HEAD:
      if (script_head_covers(&fh->u.script, (uint64_t)off))
        {
          reply_rewritten(req, fh, size, (uint64_t)off);
          return;
        }
      at = (off_t)script_head_file_offset(&fh->u.script, (uint64_t)off);
      break;
    case CONTENT_PATCHED_INTERP:
      if (elf_interp_covers(&fh->u.interp, (uint64_t)off, size))
        {
          reply_rewritten(req, fh, size, (uint64_t)off);
          return;
        }
      break;
    case CONTENT_FD:
      reply_fd_data(req, fs_of(req)->un != NULL ? union_read_fd(fs_of(req), fh) : fh->fd, size, at);
      return;
    }
  reply_fd_data(req, fh->fd, size, at);
}

void
cntrfs_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in_buf, off_t off,
                    struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in_buf));
  ssize_t res;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_WRITE, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, EBADF);
      return;
    }
  res = killpriv_before_change(req, fs_of(req), fh->fd, KILLPRIV_FLAGGED);
  if (res < 0)
    {
      reply_err(req, (int)res);
      return;
    }
  out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
  out.buf[0].fd = fh->fd;
  out.buf[0].pos = off;
  res = fuse_buf_copy(&out, in_buf, 0);
  if (res < 0)
    reply_err(req, (int)res);
  else
    fuse_reply_write(req, (size_t)res);
}

void
cntrfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  int fd;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FLUSH, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, 0);
      return;
    }
  /* A close(2) of the caller's fd: closing a duplicate drops the POSIX
     locks and lets file systems such as NFS report write-back errors,
     without giving up our fd (the file may be mapped and used again). */
  fd = dup(fh->fd);
  if (fd < 0)
    {
      reply_errno(req);
      return;
    }
  if (close(fd) < 0 && errno != EINTR)
    reply_errno(req);
  else
    fuse_reply_err(req, 0);
}

void
cntrfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FSYNC, &r))
    return;
  reply_sync(req, file_of(fi)->fd, datasync); /* -1 for CONTENT_MEMORY */
}

/* The reply to a CREATE that made the file (fh->fd) and its entry e. */
static void
reply_created(fuse_req_t req, struct cntrfs *fs, struct fuse_file_info *fi, struct cntrfs_file *fh,
              const struct fuse_entry_param *e)
{
  struct cntrfs_inode *inode = inode_of(fs, e->ino);
  int res;

  (void)inode_fd_get(&fs->inodes, inode, &fh->inode_fd);
  fi->keep_cache = 1;
  /* What CREATE makes is in the layer that is written (or the upper one). */
  res = passthrough_open(fs, inode, fh, fi, fi->direct_io ? PT_WANT_HEADERS_ONLY : PT_WANT_BACKING,
                         true);
  reply_opened(req, fs, fi, fh, e, res);
}

/* CREATE in a union: in the upper layer, or the open of what exists. */
static void
create_in_union(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
                mode_t mode, struct fuse_file_info *fi, struct cntrfs_file *fh, int flags)
{
  struct fuse_entry_param e;
  int res = union_create(req, fs, parent, name, mode, flags, &fh->fd, &e);

  if (res == 1)
    {
      free(fh);
      res = union_lookup(fs, parent, name, &e);
      if (res < 0)
        reply_err(req, res);
      else
        open_real(req, fs, inode_of(fs, e.ino), fi, &e);
      return;
    }
  if (res < 0)
    {
      free(fh);
      reply_err(req, res);
      return;
    }
  fh->open_flags = flags;
  reply_created(req, fs, fi, fh, &e);
}

void
cntrfs_op_create(fuse_req_t req, fuse_ino_t parent_ino, const char *name, mode_t mode,
                 struct fuse_file_info *fi)
{
  struct cntrfs *fs = fs_of(req);
  struct cntrfs_inode *parent = inode_of(fs, parent_ino);
  cleanup_free struct cntrfs_file *fh = NULL;
  cleanup_inode_fd struct inode_fd pfd = INODE_FD_INIT;
  struct fuse_entry_param e;
  struct creds c;
  struct cntrfs_request r = { .parent = parent, .name = name, .fi = fi, .writes = true };
  int flags = fi->flags;
  int res;

  if (cntrfs_prologue(req, CNTRFS_OP_CREATE, &r))
    return;
  fh = file_new();
  if (fh == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  if (flags & O_DIRECT)
    {
      flags &= ~O_DIRECT;
      fi->direct_io = 1;
    }
  /* O_NOFOLLOW: should the name have become a symlink since the kernel
     looked, do not follow it out of the layer. */
  flags = (flags & ~O_NOCTTY) | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
  if (fs->un != NULL)
    {
      create_in_union(req, fs, parent, name, mode, fi, steal_pointer(&fh), flags);
      return;
    }
  if (inode_fd_get(&fs->inodes, parent, &pfd) < 0)
    {
      reply_errno(req);
      return;
    }

  res = creds_enter(req, fs, &c);
  if (res == 0)
    {
      fh->fd = openat(pfd.fd, name, flags, mode & 07777);
      if (fh->fd < 0)
        res = neg_errno();
    }
  creds_leave(fs, &c);
  /* O_TRUNC of a file that was there already. */
  if (res == 0 && (flags & O_TRUNC))
    res = killpriv_before_change(req, fs, fh->fd, KILLPRIV_FLAGGED);
  if (res < 0)
    {
      if (fh->fd >= 0)
        close(fh->fd);
      reply_err(req, res);
      return;
    }

  res = lookup_at(fs, parent, pfd.fd, name, &e);
  if (res < 0)
    {
      close(fh->fd);
      reply_err(req, res);
      return;
    }
  reply_created(req, fs, fi, steal_pointer(&fh), &e);
}

/* flock(2) may wait for a long time; when the caller is interrupted, the
   kernel tells us and we interrupt the waiting worker. */
struct flock_wait
{
  pthread_t thread;
};

static void
flock_interrupted(fuse_req_t req, void *data)
{
  struct flock_wait *w = data;

  (void)req;
  pthread_kill(w->thread, CNTRFS_WAKE_SIGNAL);
}

void
cntrfs_op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  struct flock_wait w = { .thread = pthread_self() };
  int res;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FLOCK, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, 0);
      return;
    }
  if (!(op & LOCK_NB))
    fuse_req_interrupt_func(req, flock_interrupted, &w);
  res = flock(fh->fd, op) < 0 ? neg_errno() : 0;
  if (!(op & LOCK_NB))
    fuse_req_interrupt_func(req, NULL, NULL);
  reply_status(req, res);
}

void
cntrfs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                    struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_FALLOCATE, &r))
    return;
  if (fh->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, EBADF);
      return;
    }
  int res = killpriv_before_change(req, fs_of(req), fh->fd, KILLPRIV_ASK_CALLER);
  if (res == 0 && fallocate(fh->fd, mode, offset, length) < 0)
    res = neg_errno();
  reply_status(req, res);
}

void
cntrfs_op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                          struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
                          struct fuse_file_info *fi_out, size_t len, int flags)
{
  struct cntrfs_request r = { .fi = fi_in };
  struct cntrfs_file *in = file_of(fi_in);
  struct cntrfs_file *out = file_of(fi_out);
  loff_t oi = off_in, oo = off_out;
  ssize_t n;

  (void)ino_in;
  (void)ino_out;
  if (cntrfs_prologue(req, CNTRFS_OP_COPY_FILE_RANGE, &r))
    return;
  /* The kernel falls back to copying through the page cache on
     EOPNOTSUPP; that also applies the interpreter rewrite. */
  if (in->content != CONTENT_FD || out->content == CONTENT_MEMORY)
    {
      fuse_reply_err(req, EOPNOTSUPP);
      return;
    }
  int res = killpriv_before_change(req, fs_of(req), out->fd, KILLPRIV_ASK_CALLER);
  if (res < 0)
    {
      reply_err(req, res);
      return;
    }
  n = copy_file_range(fs_of(req)->un != NULL ? union_read_fd(fs_of(req), in) : in->fd, &oi, out->fd,
                      &oo, len, (unsigned)flags);
  if (n < 0)
    reply_errno(req);
  else
    fuse_reply_write(req, (size_t)n);
}

void
cntrfs_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi)
{
  struct cntrfs_request r = { .fi = fi };
  struct cntrfs_file *fh = file_of(fi);
  struct stat st;
  off_t size = 0; /* as served */
  off_t res;

  (void)ino;
  if (cntrfs_prologue(req, CNTRFS_OP_LSEEK, &r))
    return;
  switch (fh->content)
    {
    case CONTENT_MEMORY:
      size = (off_t)fh->u.memory.size;
      break;
    case CONTENT_SCRIPT_HEAD:
      if (fstat(fh->fd, &st) < 0)
        {
          reply_errno(req);
          return;
        }
      size = script_head_size(&fh->u.script, st.st_size);
      break;
    case CONTENT_FD:
    case CONTENT_PATCHED_INTERP:
      res = lseek(fs_of(req)->un != NULL && fh->content == CONTENT_FD
                      ? union_read_fd(fs_of(req), fh)
                      : fh->fd,
                  off, whence);
      if (res < 0)
        reply_errno(req);
      else
        fuse_reply_lseek(req, res);
      return;
    }
  /* No holes in what we present. */
  if ((whence != SEEK_DATA && whence != SEEK_HOLE) || off < 0)
    fuse_reply_err(req, EINVAL);
  else if (off >= size)
    fuse_reply_err(req, ENXIO);
  else
    fuse_reply_lseek(req, whence == SEEK_DATA ? off : size);
}
