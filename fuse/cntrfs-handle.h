/* SPDX-License-Identifier: MIT */
/* Open handles: what fi->fh points to (an open regular file, and what it
   serves, or an open directory), the server's list of them, and the reply
   that hands one to the kernel (handle.c). */
#ifndef CNTR_FUSE_HANDLE_H
#define CNTR_FUSE_HANDLE_H

#include "cntrfs-lowlevel.h"
#include "cntrfs-elf.h"
#include "cntrfs-inode.h"
#include "cntrfs-script.h"
#include "cntrfs-union.h"

#include <dirent.h>
#include <stdint.h>

struct cntrfs;
struct virtual_node;

/* Open files and directories (fi->fh) are kept on a list: when the server
   stops, the kernel's RELEASE for files still open never arrives, and
   cntrfs_free must close them itself. */
struct cntrfs_handle
{
  struct cntrfs_handle *prev, *next;
  void (*destroy)(struct cntrfs_handle *h); /* close and free */
};

/* What an open regular file serves. */
enum file_content
{
  CONTENT_FD,             /* the file's own bytes, read through fd */
  CONTENT_MEMORY,         /* a virtual entry's bytes; no fd */
  CONTENT_SCRIPT_HEAD,    /* fd's bytes with the "#!" line rewritten (script.c) */
  CONTENT_PATCHED_INTERP, /* fd's bytes with the PT_INTERP string rewritten (elf.c) */
};

struct file_memory
{
  const void *data; /* not owned */
  size_t size;
};

/* An open regular file (fi->fh). */
struct cntrfs_file
{
  struct cntrfs_handle h; /* first: the list links */
  int fd;                 /* -1 for CONTENT_MEMORY */
  /* The inode's fd, kept open while the file is: the kernel still asks
     about the inode (fstat, fchmod) after the file is unlinked, when it
     could no longer be reopened by handle. */
  struct inode_fd inode_fd;
  enum file_content content;
  /* Union: opened in the lower layer (flags open_flags); once the file is
     copied up, reads go to upper_fd, the copy opened alike (union.c). */
  bool lower;
  int open_flags;
  int upper_fd; /* -1 until then; set once, closed at release */
  /* Counted by passthrough_open (NULL: not counted), and how. */
  struct cntrfs *fs;
  struct cntrfs_inode *pt_inode;
  bool passthrough;
  union
  {
    struct file_memory memory;      /* CONTENT_MEMORY */
    struct script_head script;      /* CONTENT_SCRIPT_HEAD */
    struct elf_interp_patch interp; /* CONTENT_PATCHED_INTERP */
  } u;
};

/* An open directory (fi->fh). */
struct cntrfs_dir
{
  struct cntrfs_handle h;          /* first: the list links */
  DIR *dp;                         /* NULL for a virtual directory */
  const struct virtual_node *node; /* the virtual directory, or NULL */
  struct dirent *entry;            /* read but not yet returned to the kernel */
  off_t offset;                    /* telldir position of entry */
  bool sealed;                     /* the host policy's: lists nothing */
  /* A union directory with an upper part: its merged listing, no DIR. */
  bool merged;
  struct union_listing listing;
};

static inline struct cntrfs_file *
file_of(struct fuse_file_info *fi)
{
  return (struct cntrfs_file *)(uintptr_t)fi->fh;
}

static inline struct cntrfs_dir *
dir_of(struct fuse_file_info *fi)
{
  return (struct cntrfs_dir *)(uintptr_t)fi->fh;
}

/* A new file handle (fd -1, serving CONTENT_FD) or directory handle, not
   yet on the list; NULL when out of memory.  free() it until
   reply_open_handle took it. */
struct cntrfs_file *file_new(void);
struct cntrfs_dir *dir_new(void);

/* Reply to OPEN / CREATE / OPENDIR.  Only a handle the kernel received is
   registered; one it did not (the request was interrupted) is destroyed
   at once, as no RELEASE will come for it. */
void reply_open_handle(fuse_req_t req, struct cntrfs *fs, struct fuse_file_info *fi,
                       struct cntrfs_handle *h, const struct fuse_entry_param *e);

/* RELEASE and RELEASEDIR (the same for both kinds of handle): take it off
   the list and destroy it. */
void cntrfs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/* Close every handle still open (after the workers are gone). */
void cntrfs_close_handles(struct cntrfs *fs);

#endif
