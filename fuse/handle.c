/* SPDX-License-Identifier: MIT */
/* Open handles (cntrfs-handle.h): creating and destroying them, the list
   the server keeps of them (the kernel's RELEASE for files still open when
   the server stops never arrives, and cntrfs_free must close them itself),
   and reply_open_handle, which registers only what the kernel received. */
#include "cntrfs-handle.h"
#include "cntrfs-internal.h"
#include "cntrfs-ops.h"

#include <stdlib.h>
#include <unistd.h>

static void
handle_add(struct cntrfs *fs, struct cntrfs_handle *h)
{
  pthread_mutex_lock(&fs->handles_lock);
  h->next = fs->handles.next;
  h->prev = &fs->handles;
  h->next->prev = h;
  fs->handles.next = h;
  pthread_mutex_unlock(&fs->handles_lock);
}

static void
handle_remove(struct cntrfs *fs, struct cntrfs_handle *h)
{
  pthread_mutex_lock(&fs->handles_lock);
  h->prev->next = h->next;
  h->next->prev = h->prev;
  pthread_mutex_unlock(&fs->handles_lock);
}

static void
file_destroy(struct cntrfs_handle *h)
{
  struct cntrfs_file *fh = (struct cntrfs_file *)h;

  passthrough_release(fh);
  if (fh->fd >= 0)
    close(fh->fd);
  if (fh->upper_fd >= 0)
    close(fh->upper_fd);
  inode_fd_put(&fh->inode_fd);
  if (fh->content == CONTENT_SCRIPT_HEAD)
    script_head_close(&fh->u.script);
  free(fh);
}

static void
dir_destroy(struct cntrfs_handle *h)
{
  struct cntrfs_dir *d = (struct cntrfs_dir *)h;

  if (d->dp != NULL)
    closedir(d->dp);
  union_listing_free(&d->listing);
  free(d);
}

/* A zeroed handle of size bytes (its struct cntrfs_handle first). */
static struct cntrfs_handle *
handle_new(size_t size, void (*destroy)(struct cntrfs_handle *h))
{
  struct cntrfs_handle *h = calloc(1, size);

  if (h != NULL)
    h->destroy = destroy;
  return h;
}

struct cntrfs_file *
file_new(void)
{
  struct cntrfs_file *fh = (struct cntrfs_file *)handle_new(sizeof *fh, file_destroy);

  if (fh != NULL)
    {
      fh->fd = -1;
      fh->upper_fd = -1;
      fh->content = CONTENT_FD;
    }
  return fh;
}

struct cntrfs_dir *
dir_new(void)
{
  return (struct cntrfs_dir *)handle_new(sizeof(struct cntrfs_dir), dir_destroy);
}

void
cntrfs_close_handles(struct cntrfs *fs)
{
  for (;;)
    {
      struct cntrfs_handle *h;

      pthread_mutex_lock(&fs->handles_lock);
      h = fs->handles.next;
      if (h == &fs->handles)
        h = NULL;
      else
        {
          h->prev->next = h->next;
          h->next->prev = h->prev;
        }
      pthread_mutex_unlock(&fs->handles_lock);
      if (h == NULL)
        return;
      h->destroy(h);
    }
}

void
reply_open_handle(fuse_req_t req, struct cntrfs *fs, struct fuse_file_info *fi,
                  struct cntrfs_handle *h, const struct fuse_entry_param *e)
{
  fi->fh = (uint64_t)(uintptr_t)h;
  handle_add(fs, h);
  int sent = e != NULL ? fuse_reply_create(req, e, fi) : fuse_reply_open(req, fi);

  /* Had libfuse failed before writing, the next reply must not take this
     one's backing file. */
  passthrough_reply_dropped();
  if (sent < 0)
    {
      handle_remove(fs, h);
      if (e != NULL)
        unref_entry(fs, e->ino, 1);
      h->destroy(h);
    }
}

void
cntrfs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct cntrfs_handle *h = (struct cntrfs_handle *)(uintptr_t)fi->fh;

  (void)ino;
  handle_remove(fs_of(req), h);
  h->destroy(h);
  fuse_reply_err(req, 0);
}
