/* SPDX-License-Identifier: MIT */
/* Kernel FUSE passthrough (passthrough.c): an open regular file's reads,
   writes, splices and mmaps go from the kernel straight to the file below,
   without a request to the server.

   libfuse 3.14 does not speak it, so the server owns the /dev/fuse reads and
   writes (cntrfs-devio.h) and adds it to two replies: INIT (the
   FUSE_PASSTHROUGH flag, when the kernel offered it, and max_stack_depth)
   and OPEN/CREATE (FOPEN_PASSTHROUGH and the id of the backing file, made
   with the FUSE_DEV_IOC_BACKING_OPEN ioctl).  The protocol is the kernel's
   (Documentation/filesystems/fuse-passthrough.rst, Linux 6.9 and later);
   Debian 12's headers predate it, hence the constants below.

   Which opens pass through: the regular files whose bytes the server serves
   as they are.  The kernel asks that all open files of one inode agree (one
   backing file for all of them, and none may use the inode's page cache
   while one passes through), so the choice is the inode's, counted here:
   while an inode has opens through the server (the tools' loader, whose
   bytes are rewritten; a file opened while it was being copied up), its
   further opens go through the server too, and while it has passthrough
   opens, an open that must go through the server waits for them to end
   (briefly: the kernel sends RELEASE after close(2) has returned) and then
   answers ETXTBSY, as does the copy-up of a lower file that a passthrough
   open reads.  An exec of a tools program whose PT_INTERP or "#!" line the
   server rewrites passes through too, with FOPEN_DIRECT_IO: the kernel reads
   the rewritten headers from the server and maps the file below, whose
   bytes are the original.

   The backing file is the server's fd, except for files the server must
   never change (a read-only layer, the lower layer of a union): those are
   registered through a detached read-only, noatime bind mount of the file,
   since the kernel reopens the backing file with the caller's open flags
   (no O_NOATIME) and reads through it would otherwise set atimes below.
   Files with a setuid or setgid bit go through the server: a write through
   the backing file is the server's, which keeps those bits, where a write
   through the server clears them for a writer without CAP_FSETID, as
   natively (cntrfs-killpriv.h).

   Fallback: a kernel without passthrough (Debian 12's 6.1), a mount whose
   INIT did not offer it, CNTR_NO_PASSTHROUGH=1 in the environment, or
   cntrfs_config.no_passthrough: every open goes through the server, exactly
   as before. */
#ifndef CNTR_FUSE_PASSTHROUGH_H
#define CNTR_FUSE_PASSTHROUGH_H

#include "cntrfs-lowlevel.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* What Debian 12's linux/fuse.h lacks (include/uapi/linux/fuse.h of Linux
   6.9): the INIT flag (bit 37, so bit 5 of flags2) and the open flag (the
   ioctls are passthrough.c's).  max_stack_depth is the first of the older
   header's unused words of fuse_init_out, and backing_id the padding of
   fuse_open_out. */
#define PT_INIT_FLAGS2 (1u << (37 - 32))
#define PT_FOPEN_PASSTHROUGH (1u << 7)

/* How deep the file systems below may be stacked: FILESYSTEM_MAX_STACK_DEPTH,
   so that files on overlayfs (a container's root) pass through too.  The
   price: nothing stacks on this mount (no overlayfs with it as a layer). */
#define PT_STACK_DEPTH 2

struct cntrfs;
struct cntrfs_file;
struct cntrfs_inode;

/* The server's passthrough state (struct cntrfs.pt). */
struct cntrfs_passthrough
{
  bool allowed; /* the config and the environment allow it */
  bool active;  /* INIT negotiated it */
  int dev_fd;   /* the /dev/fuse fd for the ioctls; -1 once closed */
  uint64_t init_unique;
  bool init_seen, init_offered;
  bool disabled_by_env;
  /* Guards the inodes' counts (cntrfs_inode.pt_*) and dev_fd. */
  pthread_mutex_t lock;
  pthread_cond_t released; /* an open of an inode ended */
};

/* How an open of a regular file that may pass through wants its bytes
   served (opens that never do, the loader's and pseudo files', do not ask). */
enum passthrough_want
{
  PT_WANT_BACKING,     /* passthrough */
  PT_WANT_HEADERS_ONLY /* passthrough, but reads through the server */
};

void passthrough_init(struct cntrfs *fs, bool allowed);
void passthrough_destroy(struct cntrfs *fs);

/* The session's /dev/fuse fd, for the ioctls (devio_take). */
void passthrough_set_dev_fd(struct cntrfs *fs, int fd);

/* The backing id that passthrough_open registered for the reply this
   thread sends now (0 for none); it is this reply's only. */
int32_t passthrough_take_pending(void);

/* The session's fd is about to close: no more ioctls on it. */
void passthrough_dev_closed(struct cntrfs *fs);

/* Whether opens pass through (INIT done and negotiated). */
bool passthrough_active(const struct cntrfs *fs);

/* Decide how fh (its fd open, fh->content set) on inode is opened, count it,
   and set fi for the reply (direct_io, keep_cache); registers the backing
   file when it passes through, to be handed to the kernel by the very next
   reply of this thread (reply_open_handle).  backing_safe: the file may be
   written through the backing file (not a read-only or lower layer).
   0, or a negative errno to answer the open with. */
int passthrough_open(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_file *fh,
                     struct fuse_file_info *fi, enum passthrough_want want, bool backing_safe);

/* The reply of this thread that passthrough_open prepared was not sent. */
void passthrough_reply_dropped(void);

/* An open counted by passthrough_open ends (its handle is destroyed). */
void passthrough_release(struct cntrfs_file *fh);

/* A copy-up of inode (a lower file) is about to start: 0 (then call
   passthrough_copy_up_end), or -ETXTBSY while passthrough opens read the
   lower file. */
int passthrough_copy_up_begin(struct cntrfs *fs, struct cntrfs_inode *inode);
void passthrough_copy_up_end(struct cntrfs *fs, struct cntrfs_inode *inode);

#endif
