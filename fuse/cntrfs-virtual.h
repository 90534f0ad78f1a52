/* SPDX-License-Identifier: MIT */
/* The virtual entries: inodes that exist in no real tree and that the
   server answers for itself - the synthetic file, the link directory and
   its links.  They are one table (virtual.c) of entries, each with its own
   callbacks (name in the root, stat, lookup, create, readdir, open,
   readlink); what every other operation answers for one follows from its
   file type, by one rule per operation, so that another entry is one more
   row of the table with its callbacks.

   Virtual inodes have no fd, are never in the inode table and are never
   counted or forgotten.  Nothing about them ever changes: every mutation
   answers EROFS (or the errno the kernel's own checks would give for a
   read-only file of that type). */
#ifndef CNTR_FUSE_VIRTUAL_H
#define CNTR_FUSE_VIRTUAL_H

#include "cntrfs-lowlevel.h"
#include "cntrfs-inode.h"

#include <stdbool.h>
#include <time.h>

struct cntrfs;
struct cntrfs_request;
struct virtual_entry;

enum virtual_id
{
  VIRTUAL_SYNTHETIC, /* cntrfs_config.synthetic: a regular file in the root */
  VIRTUAL_LINK_DIR,  /* cntrfs_config.link_dir_name: a directory in the root */
  VIRTUAL_LINK,      /* every name in the link directory: one symlink */
  VIRTUAL_FILE1,     /* cntrfs_config.more_files: regular files in the root */
  VIRTUAL_FILE2,
  VIRTUAL_FILE3,
  VIRTUAL_FILE4,
  VIRTUAL_COUNT
};

/* One virtual inode of a server; &inode is its fuse_ino_t. */
struct virtual_node
{
  const struct virtual_entry *entry;
  unsigned file;             /* memory files: which of cntrfs_options.files it serves */
  struct cntrfs_inode inode; /* last: it ends in a flexible array member */
};

/* The virtual inodes of a server (struct cntrfs). */
struct virtual_set
{
  struct timespec time; /* their timestamps: when the server was made */
  struct virtual_node node[VIRTUAL_COUNT];
};

/* Fill fs->virt (at cntrfs_new). */
void virtual_init(struct cntrfs *fs);

/* The virtual node of inode, NULL for a real one. */
const struct virtual_node *virtual_of(const struct cntrfs *fs, const struct cntrfs_inode *inode);

/* The virtual entry that takes name in parent (the root; it shadows a real
   entry of that name), or NULL. */
const struct virtual_node *virtual_by_name(const struct cntrfs *fs,
                                           const struct cntrfs_inode *parent, const char *name);

/* Its attributes (getattr, lookup). */
void virtual_stat(const struct cntrfs *fs, const struct virtual_node *v, struct stat *st);

/* The answer to a refused LOOKUP (cntrfs_restrict_to_mount_ns) of name in
   parent where virtual entries are concerned: -ENOMEM for names the kernel
   may hold, -EACCES where nothing can be; 0 when the real tree decides. */
int virtual_refused_lookup(const struct cntrfs *fs, const struct cntrfs_inode *parent,
                           const char *name);

/* READDIR / READDIRPLUS of an open virtual directory: replies. */
void virtual_readdir(fuse_req_t req, struct cntrfs *fs, const struct virtual_node *dir, size_t size,
                     off_t offset, bool plus);

/* answer() returns this, and sets *node, when that entry serves the
   request itself (serve() replies). */
#define VIRTUAL_SERVES 1

/* What one operation does about virtual entries. */
struct virtual_rule
{
  /* 0 when no virtual entry is concerned (the real tree answers; the rule
     may have redirected r, as statfs does), a negative errno to reply, or
     VIRTUAL_SERVES. */
  int (*answer)(const struct cntrfs *fs, struct cntrfs_request *r,
                const struct virtual_node **node);
  void (*serve)(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
                const struct virtual_node *node);
};

/* The rules, one per operation (several share one). */
extern const struct virtual_rule virtual_lookup;
extern const struct virtual_rule virtual_getattr;
extern const struct virtual_rule virtual_immutable; /* setattr, setxattr, removexattr */
extern const struct virtual_rule virtual_readlink;
extern const struct virtual_rule virtual_make; /* mknod, mkdir, symlink */
extern const struct virtual_rule virtual_unlink;
extern const struct virtual_rule virtual_rmdir;
extern const struct virtual_rule virtual_rename;
extern const struct virtual_rule virtual_link;
extern const struct virtual_rule virtual_open;
extern const struct virtual_rule virtual_opendir;
extern const struct virtual_rule virtual_statfs;
extern const struct virtual_rule virtual_getxattr;
extern const struct virtual_rule virtual_listxattr;
extern const struct virtual_rule virtual_access;
extern const struct virtual_rule virtual_create;

/* Apply rule to r: true when that replied (an errno, or the entry served
   the request), false when the real tree answers. */
bool virtual_dispatch(fuse_req_t req, struct cntrfs *fs, const struct virtual_rule *rule,
                      struct cntrfs_request *r);

#endif
