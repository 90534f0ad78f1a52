/* SPDX-License-Identifier: MIT */
/* The union of a scratch layer and the served tree (cntrfs_config.scratch,
   scratch_fd), as overlayfs has it: the served tree (lower) is never
   written, every change goes to the scratch directory (upper), and the
   session sees the two as one tree.

   On disk, in the upper layer: the changed and created files, the
   directories on the way to them; a whiteout (a character device 0/0, as
   overlayfs makes them) where a lower name was removed; the xattr
   UNION_OPAQUE_XATTR on a directory that hides the lower one of its name
   (made where a whiteout was); UNION_ORIGIN_XATTR on a copy of a lower
   file, naming it.  The server makes all of them as itself (CAP_MKNOD,
   CAP_SYS_ADMIN for trusted.*); names in trusted.cntr. are hidden from
   the session.

   Inodes.  An inode's entry in the table has one backing file, its fd and
   handle (inode.h); union_node says which layer that is and where the
   inode is in the tree:
   - lower only (files and directories): the lower file, as without a
     scratch;
   - a merged directory (a lower one and an upper one of the same path,
     the upper not opaque): still the lower directory, so that it stays
     keyed, handled and watched as before; its upper directory is found by
     its path in the upper layer (merged directories never move: renaming
     one is EXDEV, as in overlayfs without redirect_dir);
   - upper (files copied up, and what the session made): the upper file.
   A copy-up rekeys the entry of a file to its copy (inode_table_rekey), so
   the kernel's nodeid stays valid.  Every entry knows its parent (a
   reference held) and its name, as last looked up or renamed: copy-up
   makes the parent chain in the upper layer from them.

   What inodes present: st_ino of the lower file while there is one, and of
   the copy of a lower file that had one link (UNION_ORIGIN_XATTR keeps it
   after the entry is forgotten), so ls -i, find and tar see the same
   number before and after a copy-up; the upper file's own number with
   UNION_UPPER_INO set for the rest, which no lower number reaches.  A
   copy-up breaks a lower file's hard links (as in overlayfs): the copy
   has its own number.  Merged directories: the upper directory's
   attributes with the lower one's st_ino, and st_nlink 1 ("not counted",
   as overlayfs has it).

   Locks, in this order: copy (one copy-up at a time, held while data is
   copied), ns (read: lookups and listings; write: every change of what a
   name of the union resolves to), nodes (the fields of union_node), then
   the inode table's.

   Error convention: 0 (or an fd) or a negative errno, as in the server. */
#ifndef CNTR_FUSE_UNION_H
#define CNTR_FUSE_UNION_H

#include "cntrfs-lowlevel.h"
#include "cntrfs-inode.h"

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct cntrfs;
struct cntrfs_file;

#define UNION_XATTR_PREFIX "trusted.cntr."
#define UNION_OPAQUE_XATTR UNION_XATTR_PREFIX "opaque"
#define UNION_ORIGIN_XATTR UNION_XATTR_PREFIX "origin"

/* Set in st_ino of what exists only in the upper layer. */
#define UNION_UPPER_INO ((ino_t)1 << 63)

/* The state of a server with a scratch layer (struct cntrfs.un). */
struct cntrfs_union
{
  int upper_root; /* O_PATH fd of the scratch directory */
  dev_t upper_dev;
  pthread_mutex_t copy;
  pthread_rwlock_t ns;
  pthread_mutex_t nodes;
};

/* union_node.flags */
enum union_flag
{
  /* The entry's file is in the upper layer. */
  UNION_UPPER = 1 << 0,
  /* A directory whose file is the lower one has an upper one too
     (merged). */
  UNION_HAS_UPPER = 1 << 1,
};

/* An inode's place in the union (cntrfs_inode.un). */
struct union_node
{
  struct cntrfs_inode *parent; /* referenced; NULL for the root, and once removed */
  char *name;                  /* in parent; NULL likewise */
  unsigned flags;              /* enum union_flag; read and set atomically */
  ino_t st_ino;                /* what it presents; read atomically */
  /* The lower file a copy was made of (0 0: none), for what the server
     knows a lower file by (the tools' loader). */
  dev_t origin_dev;
  ino_t origin_ino;
};

/* What UNION_ORIGIN_XATTR holds. */
struct union_origin
{
  uint64_t dev;
  uint64_t ino;
  uint64_t one_link; /* the lower file had one link: its st_ino is presented */
};

/* ---- for the server (cntrfs.c and the handlers) ----------------------- */

/* Set the union up on fs (cntrfs_new, the root's entry made): scratch_fd
   is the caller's directory, root_st the served root's attributes, which
   the scratch root takes.  0, or a negative errno: the upper layer must
   take character devices, trusted.* xattrs and O_TMPFILE, and have file
   handles when the table uses them. */
int union_init(struct cntrfs *fs, int scratch_fd, const struct stat *root_st);
void union_free(struct cntrfs *fs);

static inline unsigned
union_flags(const struct cntrfs_inode *inode)
{
  struct union_node *node = __atomic_load_n(&inode->un, __ATOMIC_ACQUIRE);

  return node != NULL ? __atomic_load_n(&node->flags, __ATOMIC_ACQUIRE) : 0;
}

/* The entry's file is the session's own (the host policy does not apply,
   only the server changes it). */
static inline bool
union_is_upper(const struct cntrfs_inode *inode)
{
  return (union_flags(inode) & UNION_UPPER) != 0;
}

/* LOOKUP in union mode: as do_lookup. */
int union_lookup(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
                 struct fuse_entry_param *e);

/* Whether the kernel holds the inode name in parent resolves to (for the
   answer to a refused LOOKUP, ops.c). */
bool union_name_known(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name);

/* The attributes inode presents (GETATTR, SETATTR). */
int union_stat(struct cntrfs *fs, struct cntrfs_inode *inode, struct stat *st);

/* Where inode's attributes and xattrs are: an O_PATH fd in b (borrowed,
   or for a merged directory the upper one, owned).  0, or a negative
   errno. */
int union_meta_fd(struct cntrfs *fs, struct cntrfs_inode *inode, struct inode_fd *b);

/* Before a change of inode itself (its data, attributes or xattrs; a link
   or rename of it): copy it up unless its file is upper already.  data
   false: a regular file is copied empty (it is truncated to 0 next).
   0, or a negative errno. */
int union_copy_up(struct cntrfs *fs, struct cntrfs_inode *inode, bool data);

/* The changes of names (union-ns.c), each as the handler of the same name
   does it, with e for the entry made: mknod, mkdir, symlink (link not
   NULL); unlink and rmdir; rename; link. */
int union_make(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
               mode_t mode, dev_t rdev, const char *link, struct fuse_entry_param *e);
int union_remove(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name, bool dir);
int union_rename(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
                 struct cntrfs_inode *newparent, const char *newname, unsigned flags);
int union_link(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_inode *newparent,
               const char *newname, struct fuse_entry_param *e);

/* CREATE: the new file opened with flags into *fd, its entry in e; 1 when
   name is an existing file, which the caller opens as OPEN does (O_CREAT
   without O_EXCL). */
int union_create(fuse_req_t req, struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
                 mode_t mode, int flags, int *fd, struct fuse_entry_param *e);

/* The listing of a directory with an upper part (union-dir.c), made at
   its first READDIR and again at each one from offset 0: ".", "..", the
   upper entries but whiteouts, then the lower entries that no upper entry
   (whiteouts included) hides, unless the directory is upper only.  Entry
   i is at offset i, the next at i + 1. */
struct union_dirent
{
  size_t name;   /* offset in names */
  ino_t ino;     /* as lookups present it */
  unsigned type; /* DT_* */
};

struct union_listing
{
  struct union_dirent *e;
  size_t n, cap;
  char *names;
  size_t names_len, names_cap;
};

/* Whether dir is listed by union_listing_make rather than as one
   directory. */
static inline bool
union_listed(const struct cntrfs_inode *dir)
{
  return (union_flags(dir) & (UNION_UPPER | UNION_HAS_UPPER)) != 0;
}

/* Fill l (emptied first) with dir's listing: 0, or a negative errno. */
int union_listing_make(struct cntrfs *fs, struct cntrfs_inode *dir, struct union_listing *l);
void union_listing_free(struct union_listing *l);

static inline const char *
union_dirent_name(const struct union_listing *l, size_t i)
{
  return l->names + l->e[i].name;
}

/* The fd a read of fh uses: its own, or once the file it opened in the
   lower layer was copied up (by another open for writing), the copy,
   opened as it was. */
int union_read_fd(struct cntrfs *fs, struct cntrfs_file *fh);

/* Xattrs of the union's own (UNION_XATTR_PREFIX) are not the session's:
   hidden from listings, ENODATA to get, EPERM to set or remove. */
bool union_xattr_hidden(const char *name);
/* listxattr's list in buf (n bytes) with them taken out: the new length. */
size_t union_xattr_filter(char *buf, size_t n);

/* ---- between the union's files ---------------------------------------- */

/* A name of a union directory, as union_resolve finds it: the upper entry
   (upper_fd, ust; whiteout when it is one) and the lower one (lower_fd,
   lst), each an O_PATH fd of the caller's or -1.  The lower entry is the
   one in the directory's lower directory, hidden or not. */
struct union_name
{
  int upper_dir;
  int upper_fd;
  struct stat ust;
  bool whiteout;
  bool opaque; /* the upper entry is an opaque directory */
  int lower_fd;
  struct stat lst;
};

#define UNION_NAME_INIT                                                                            \
  {                                                                                                \
    .upper_dir = -1, .upper_fd = -1, .lower_fd = -1                                                \
  }

/* Resolve name in dir (with the ns lock held): 0, or a negative errno. */
int union_resolve(struct cntrfs *fs, struct cntrfs_inode *dir, const char *name,
                  struct union_name *n);
void union_name_release(struct union_name *n);

/* What the session sees of it: an upper entry that is no whiteout, or the
   lower one where there is no upper one. */
static inline bool
union_visible(const struct union_name *n)
{
  return n->upper_fd >= 0 ? !n->whiteout : n->lower_fd >= 0;
}

/* Whether the name leads to a directory with a lower part, merged or
   lower only: such directories do not move. */
static inline bool
union_lower_dir(const struct union_name *n)
{
  return n->lower_fd >= 0 && S_ISDIR(n->lst.st_mode)
         && (n->upper_fd < 0 || (S_ISDIR(n->ust.st_mode) && !n->opaque));
}

/* LOOKUP with the ns lock held. */
int union_lookup_locked(struct cntrfs *fs, struct cntrfs_inode *parent, const char *name,
                        struct fuse_entry_param *e);

/* An O_PATH fd of dir's upper directory (the caller's), -ENOENT when it
   has none. */
int union_upper_dir(struct cntrfs *fs, struct cntrfs_inode *dir);

/* The upper directory of inode's parent (made, with make, as
   union_ensure_upper_dir does), and in *name (the caller's) its name
   there; -ENOENT when it has none (the root, or removed). */
int union_parent_upper_dir(struct cntrfs *fs, struct cntrfs_inode *inode, bool make, char **name);

/* dir's upper directory, made (with its parents) when it has none yet:
   a copy-up of directories.  With the ns lock held for writing. */
int union_ensure_upper_dir(struct cntrfs *fs, struct cntrfs_inode *dir);

/* The entry's name and parent, as a new lookup or rename found them:
   parent referenced, name copied (ENOMEM). */
int union_node_place(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_inode *parent,
                     const char *name);
/* Add bits (enum union_flag) to what the entry's node says of it. */
static inline void
union_node_flag(struct cntrfs_inode *inode, unsigned bits)
{
  struct union_node *node = __atomic_load_n(&inode->un, __ATOMIC_ACQUIRE);

  if (node != NULL)
    __atomic_or_fetch(&node->flags, bits, __ATOMIC_RELEASE);
}

/* It has no name any more (removed, or replaced by a rename). */
void union_node_unplace(struct cntrfs *fs, struct cntrfs_inode *inode);
/* A copy of the entry's name and a reference of its parent, for making
   its upper file: 0, or -ENOENT when it has none (the root, or removed). */
int union_node_where(struct cntrfs *fs, struct cntrfs_inode *inode, struct cntrfs_inode **parent,
                     char **name);

/* The entry a name's file has in the table, when the kernel holds it,
   referenced (inode_table_unref it), or NULL. */
struct cntrfs_inode *union_held(struct cntrfs *fs, const struct stat *st);

static inline bool
union_is_whiteout(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/* Make a whiteout at name in the upper directory dirfd, as the server. */
int union_whiteout(int dirfd, const char *name);
/* Set UNION_OPAQUE_XATTR on the directory name in dirfd. */
int union_set_opaque(int dirfd, const char *name);
/* Call f for each entry of the directory at/name (dots left out), opened
   for reading without touching its atime (it may be a lower one); stop at
   f's first non-zero result and return it; 0 at the end, or a negative
   errno. */
int union_each_entry(int at, const char *name, int (*f)(int dfd, struct dirent *de, void *arg),
                     void *arg);

/* Whether de, an entry of the directory dfd, is a whiteout. */
bool union_entry_is_whiteout(int dfd, const struct dirent *de);

/* Remove the whiteouts in the upper directory dirfd/name (an upper
   directory that is about to go or be replaced): 0, -ENOTEMPTY when it
   holds anything else. */
int union_clear_whiteouts(int dirfd, const char *name);

/* Whether the merged view of a directory is empty: upper (its upper
   directory or -1) holds nothing but whiteouts, and lower (its lower
   directory, or -1 when opaque or none) nothing they do not hide.  0,
   -ENOTEMPTY, or another negative errno. */
int union_dir_empty(int upper, int lower);

#endif
