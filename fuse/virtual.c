/* SPDX-License-Identifier: MIT */
/* The virtual entries (cntrfs-virtual.h): the table of entries with their
   callbacks, and one rule per operation saying what it answers when it
   concerns one of them - as the inode it acts on, as the directory a name
   is in, or as the name itself in the root.  The rules look at the entry's
   file type, never at which entry it is. */
#include "cntrfs-virtual.h"
#include "cntrfs-handle.h"
#include "cntrfs-internal.h"
#include "cntrfs-ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* st_ino of the virtual entries: real file systems hand out small numbers,
   and the fuse_ino_t (what the kernel actually keys on) is distinct
   anyway. */
#define SYNTHETIC_INO ((ino_t)UINT64_MAX - 1)
#define LINK_DIR_INO ((ino_t)UINT64_MAX - 2)
#define LINK_INO ((ino_t)UINT64_MAX - 3)
/* The more files' st_ino: SYNTHETIC_INO less a multiple of this, clear of
   the others. */
#define MEMORY_FILE_INO_STEP 16

/* st_blksize of the virtual entries, and the unit of st_blocks. */
#define VIRTUAL_BLKSIZE 4096
#define STAT_BLOCK_SIZE 512

/* The listing of a virtual directory is "." and "..": room for both, as
   readdirplus entries. */
#define DOTS_BUF_SIZE 256

/* One row of the table.  Callbacks a file type has no use for stay NULL. */
struct virtual_entry
{
  /* Its name in the root directory; NULL (or no callback) when it has
     none: not configured, or reached only through another entry. */
  const char *(*name)(const struct cntrfs *fs, const struct virtual_node *v);
  /* Its attributes; the file type in st_mode decides what the operations
     without a callback of their own answer. */
  void (*stat)(const struct cntrfs *fs, const struct virtual_node *v, struct stat *st);
  /* Directories: look a name up in it (e was entry_init'ed; 0 or a
     negative errno), what a CREATE in it answers (a negative errno; no
     callback: -EROFS), its listing (replies). */
  int (*lookup)(struct cntrfs *fs, const char *name, struct fuse_entry_param *e);
  int (*create_in)(int flags);
  void (*readdir)(fuse_req_t req, struct cntrfs *fs, size_t size, off_t offset, bool plus);
  /* Regular files: what an open of it serves (fh->content and its data). */
  void (*open)(const struct cntrfs *fs, const struct virtual_node *v, struct cntrfs_file *fh);
  /* Symbolic links: the target, returned verbatim. */
  const char *(*readlink)(const struct cntrfs *fs);
};

/* ---- the entries ------------------------------------------------------- */

/* Attributes common to the virtual entries: owner root, nothing ever
   changed since the server was made. */
static void
stat_init(const struct cntrfs *fs, struct stat *st, ino_t ino, mode_t mode, nlink_t nlink)
{
  memset(st, 0, sizeof *st);
  st->st_ino = ino;
  st->st_mode = mode;
  st->st_nlink = nlink;
  st->st_blksize = VIRTUAL_BLKSIZE;
  st->st_atim = fs->virt.time;
  st->st_mtim = fs->virt.time;
  st->st_ctim = fs->virt.time;
}

static void
entry_param(const struct cntrfs *fs, const struct virtual_node *v, struct fuse_entry_param *e)
{
  virtual_stat(fs, v, &e->attr);
  e->ino = (fuse_ino_t)(uintptr_t)&v->inode;
}

/* The synthetic file and the more files: the caller's bytes, served from
   memory. */

static const char *
synthetic_name(const struct cntrfs *fs, const struct virtual_node *v)
{
  return fs->opt.files[v->file].name;
}

static void
synthetic_stat(const struct cntrfs *fs, const struct virtual_node *v, struct stat *st)
{
  const struct cntrfs_memory_file *f = &fs->opt.files[v->file];
  stat_init(fs, st, SYNTHETIC_INO - v->file * MEMORY_FILE_INO_STEP, S_IFREG | (f->mode & 07777), 1);
  st->st_size = (off_t)f->size;
  st->st_blocks = (blkcnt_t)((f->size + STAT_BLOCK_SIZE - 1) / STAT_BLOCK_SIZE);
}

static void
synthetic_open(const struct cntrfs *fs, const struct virtual_node *v, struct cntrfs_file *fh)
{
  fh->content = CONTENT_MEMORY;
  fh->u.memory.data = fs->opt.files[v->file].data;
  fh->u.memory.size = fs->opt.files[v->file].size;
}

/* The link directory: every name in it is the one symlink (many dentries,
   one inode, as hard links); its listing is only the dots. */

static const char *
link_dir_name(const struct cntrfs *fs, const struct virtual_node *v)
{
  (void)v;
  return fs->opt.link_dir_name;
}

static void
link_dir_stat(const struct cntrfs *fs, const struct virtual_node *v, struct stat *st)
{
  (void)v;
  stat_init(fs, st, LINK_DIR_INO, S_IFDIR | 0555, 2);
}

static int
link_dir_lookup(struct cntrfs *fs, const char *name, struct fuse_entry_param *e)
{
  if (strcmp(name, "..") == 0)
    return do_lookup(fs, fs->root, ".", e);
  if (strcmp(name, ".") == 0)
    entry_param(fs, &fs->virt.node[VIRTUAL_LINK_DIR], e);
  else if (strlen(name) > NAME_MAX)
    return -ENAMETOOLONG;
  else
    entry_param(fs, &fs->virt.node[VIRTUAL_LINK], e);
  return 0;
}

/* Every name exists in it (as a symlink, which an open would follow out of
   it). */
static int
link_dir_create_in(int flags)
{
  return (flags & O_EXCL) ? -EEXIST : -EROFS;
}

/* The listing of a directory that has only its dots.  Offsets: 0 start, 1
   after ".", 2 after "..". */
static void
readdir_dots(fuse_req_t req, ino_t self, size_t size, off_t offset, bool plus)
{
  static const char *const names[] = { ".", ".." };
  char buf[DOTS_BUF_SIZE];
  size_t used = 0;

  if (size > sizeof buf)
    size = sizeof buf;
  for (off_t i = offset < 0 ? 0 : offset; i < 2; i++)
    {
      struct fuse_entry_param e;
      size_t n;

      /* Attributes left out (nodeid 0), as for the dots of real ones. */
      memset(&e, 0, sizeof e);
      e.attr.st_ino = i == 0 ? self : FUSE_ROOT_ID;
      e.attr.st_mode = S_IFDIR;
      if (plus)
        n = fuse_add_direntry_plus(req, buf + used, size - used, names[i], &e, i + 1);
      else
        n = fuse_add_direntry(req, buf + used, size - used, names[i], &e.attr, i + 1);
      if (n > size - used)
        break;
      used += n;
    }
  fuse_reply_buf(req, buf, used);
}

static void
link_dir_readdir(fuse_req_t req, struct cntrfs *fs, size_t size, off_t offset, bool plus)
{
  (void)fs;
  readdir_dots(req, LINK_DIR_INO, size, offset, plus);
}

/* The links: already a path of the session, so no symlink_prefix. */

static void
link_stat(const struct cntrfs *fs, const struct virtual_node *v, struct stat *st)
{
  (void)v;
  stat_init(fs, st, LINK_INO, S_IFLNK | 0777, 1);
  st->st_size = (off_t)fs->opt.link_dir_target_len;
}

static const char *
link_readlink(const struct cntrfs *fs)
{
  return fs->opt.link_dir_target;
}

#define MEMORY_FILE_ENTRY                                                                          \
  {                                                                                                \
    .name = synthetic_name, .stat = synthetic_stat, .open = synthetic_open,                        \
  }

static const struct virtual_entry entries[VIRTUAL_COUNT] = {
  [VIRTUAL_SYNTHETIC] = MEMORY_FILE_ENTRY,
  [VIRTUAL_LINK_DIR] = {
    .name = link_dir_name,
    .stat = link_dir_stat,
    .lookup = link_dir_lookup,
    .create_in = link_dir_create_in,
    .readdir = link_dir_readdir,
  },
  [VIRTUAL_LINK] = {
    .stat = link_stat,
    .readlink = link_readlink,
  },
  [VIRTUAL_FILE1] = MEMORY_FILE_ENTRY,
  [VIRTUAL_FILE2] = MEMORY_FILE_ENTRY,
  [VIRTUAL_FILE3] = MEMORY_FILE_ENTRY,
  [VIRTUAL_FILE4] = MEMORY_FILE_ENTRY,
};
_Static_assert(VIRTUAL_COUNT - VIRTUAL_FILE1 == CNTRFS_MORE_FILES,
               "one virtual file for each of cntrfs_config.more_files");

/* ---- finding them ------------------------------------------------------ */

void
virtual_init(struct cntrfs *fs)
{
  clock_gettime(CLOCK_REALTIME, &fs->virt.time);
  for (size_t i = 0; i < VIRTUAL_COUNT; i++)
    {
      fs->virt.node[i].entry = &entries[i];
      fs->virt.node[i].file = i == VIRTUAL_SYNTHETIC ? 0
                              : i >= VIRTUAL_FILE1   ? (unsigned)(i - VIRTUAL_FILE1 + 1)
                                                     : 0;
      fs->virt.node[i].inode.fd = -1;
      fs->virt.node[i].inode.pinned = true;
    }
}

const struct virtual_node *
virtual_of(const struct cntrfs *fs, const struct cntrfs_inode *inode)
{
  for (size_t i = 0; i < VIRTUAL_COUNT; i++)
    if (inode == &fs->virt.node[i].inode)
      return &fs->virt.node[i];
  return NULL;
}

const struct virtual_node *
virtual_by_name(const struct cntrfs *fs, const struct cntrfs_inode *parent, const char *name)
{
  if (parent != fs->root || name == NULL)
    return NULL;
  for (size_t i = 0; i < VIRTUAL_COUNT; i++)
    {
      const struct virtual_entry *v = fs->virt.node[i].entry;
      const char *n = v->name != NULL ? v->name(fs, &fs->virt.node[i]) : NULL;

      if (n != NULL && strcmp(name, n) == 0)
        return &fs->virt.node[i];
    }
  return NULL;
}

void
virtual_stat(const struct cntrfs *fs, const struct virtual_node *v, struct stat *st)
{
  v->entry->stat(fs, v, st);
}

static mode_t
type_of(const struct cntrfs *fs, const struct virtual_node *v)
{
  struct stat st;

  virtual_stat(fs, v, &st);
  return st.st_mode & S_IFMT;
}

static bool
is_dir(const struct cntrfs *fs, const struct virtual_node *v)
{
  return S_ISDIR(type_of(fs, v));
}

int
virtual_refused_lookup(const struct cntrfs *fs, const struct cntrfs_inode *parent, const char *name)
{
  const struct virtual_node *dir = virtual_of(fs, parent);

  if (dir != NULL)
    return is_dir(fs, dir) ? -ENOMEM : -EACCES;
  if (virtual_by_name(fs, parent, name) != NULL)
    return -ENOMEM;
  return 0;
}

void
virtual_readdir(fuse_req_t req, struct cntrfs *fs, const struct virtual_node *dir, size_t size,
                off_t offset, bool plus)
{
  dir->entry->readdir(req, fs, size, offset, plus);
}

/* ---- the rules --------------------------------------------------------- */

static int
serves(const struct virtual_node *v, const struct virtual_node **node)
{
  *node = v;
  return VIRTUAL_SERVES;
}

/* A virtual r->inode is served when it has the file type the operation
   works on, and refused with err otherwise. */
static int
serves_type(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node,
            mode_t type, int err)
{
  const struct virtual_node *v = virtual_of(fs, r->inode);

  if (v == NULL)
    return 0;
  return type_of(fs, v) == type ? serves(v, node) : err;
}

/* A virtual parent of a name to create, remove or rename: a directory
   refuses changes, anything else has no names. */
static int
parent_refusal(const struct cntrfs *fs, const struct virtual_node *dir)
{
  return is_dir(fs, dir) ? -EROFS : -ENOTDIR;
}

static int
answer_lookup(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  const struct virtual_node *dir = virtual_of(fs, r->parent);
  const struct virtual_node *named = virtual_by_name(fs, r->parent, r->name);

  if (dir != NULL)
    return is_dir(fs, dir) ? serves(dir, node) : -ENOTDIR;
  if (named != NULL)
    return serves(named, node);
  return 0;
}

static void
serve_lookup(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
             const struct virtual_node *node)
{
  struct fuse_entry_param e;
  int res = 0;

  entry_init(&e);
  if (&node->inode == r->parent)
    res = node->entry->lookup(fs, r->name, &e);
  else
    entry_param(fs, node, &e);
  reply_lookup(req, fs, r->parent, res, &e);
}

const struct virtual_rule virtual_lookup = { answer_lookup, serve_lookup };

static int
answer_inode(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  const struct virtual_node *v = virtual_of(fs, r->inode);

  return v != NULL ? serves(v, node) : 0;
}

static void
serve_getattr(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
              const struct virtual_node *node)
{
  struct stat st;

  (void)r;
  virtual_stat(fs, node, &st);
  fuse_reply_attr(req, &st, CNTRFS_TIMEOUT);
}

const struct virtual_rule virtual_getattr = { answer_inode, serve_getattr };

static int
answer_immutable(const struct cntrfs *fs, struct cntrfs_request *r,
                 const struct virtual_node **node)
{
  (void)node;
  return virtual_of(fs, r->inode) != NULL ? -EROFS : 0;
}

const struct virtual_rule virtual_immutable = { answer_immutable, NULL };

static int
answer_readlink(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  return serves_type(fs, r, node, S_IFLNK, -EINVAL);
}

static void
serve_readlink(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
               const struct virtual_node *node)
{
  (void)r;
  fuse_reply_readlink(req, node->entry->readlink(fs));
}

const struct virtual_rule virtual_readlink = { answer_readlink, serve_readlink };

static int
answer_make(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  const struct virtual_node *dir = virtual_of(fs, r->parent);

  (void)node;
  if (dir != NULL)
    return parent_refusal(fs, dir);
  if (virtual_by_name(fs, r->parent, r->name) != NULL)
    return -EEXIST;
  return 0;
}

const struct virtual_rule virtual_make = { answer_make, NULL };

/* unlink and rmdir of a virtual name: what they say of a file of its type
   that cannot be removed. */
static int
answer_remove(const struct cntrfs *fs, struct cntrfs_request *r, bool rmdir)
{
  const struct virtual_node *dir = virtual_of(fs, r->parent);
  const struct virtual_node *named = virtual_by_name(fs, r->parent, r->name);

  if (dir != NULL)
    return parent_refusal(fs, dir);
  if (named == NULL)
    return 0;
  if (is_dir(fs, named))
    return rmdir ? -EROFS : -EISDIR;
  return rmdir ? -ENOTDIR : -EROFS;
}

static int
answer_unlink(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  (void)node;
  return answer_remove(fs, r, false);
}

static int
answer_rmdir(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  (void)node;
  return answer_remove(fs, r, true);
}

const struct virtual_rule virtual_unlink = { answer_unlink, NULL };
const struct virtual_rule virtual_rmdir = { answer_rmdir, NULL };

/* A virtual directory on either side refuses before a virtual non-directory
   says it has no names; virtual names are never moved or replaced. */
static int
answer_rename(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  const struct virtual_node *from = virtual_of(fs, r->parent);
  const struct virtual_node *to = virtual_of(fs, r->parent2);

  (void)node;
  if ((from != NULL && is_dir(fs, from)) || (to != NULL && is_dir(fs, to)))
    return -EROFS;
  if (from != NULL || to != NULL)
    return -ENOTDIR;
  if (virtual_by_name(fs, r->parent, r->name) != NULL
      || virtual_by_name(fs, r->parent2, r->name2) != NULL)
    return -EROFS;
  return 0;
}

const struct virtual_rule virtual_rename = { answer_rename, NULL };

/* link: r->inode the file to link, r->parent and r->name the new name. */
static int
answer_link(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  if (virtual_of(fs, r->inode) != NULL)
    return -EROFS;
  return answer_make(fs, r, node);
}

const struct virtual_rule virtual_link = { answer_link, NULL };

/* An open of a virtual regular file: its contents never change. */
static void
open_file(fuse_req_t req, struct cntrfs *fs, const struct virtual_node *v,
          struct fuse_file_info *fi, const struct fuse_entry_param *e)
{
  struct cntrfs_file *fh = file_new();

  if (fh == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  v->entry->open(fs, v, fh);
  fi->keep_cache = 1;
  reply_open_handle(req, fs, fi, &fh->h, e);
}

/* Opening v with flags: only a regular file opens, and only for reading
   (the kernel opens directories with OPENDIR and never symlinks). */
static int
open_answer(const struct cntrfs *fs, const struct virtual_node *v, int flags,
            const struct virtual_node **node)
{
  switch (type_of(fs, v))
    {
    case S_IFREG:
      return opens_for_write(flags) ? -EROFS : serves(v, node);
    case S_IFDIR:
      return -EISDIR;
    default:
      return -ELOOP;
    }
}

static int
answer_open(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  const struct virtual_node *v = virtual_of(fs, r->inode);

  return v != NULL ? open_answer(fs, v, r->fi->flags, node) : 0;
}

static void
serve_open(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
           const struct virtual_node *node)
{
  open_file(req, fs, node, r->fi, NULL);
}

const struct virtual_rule virtual_open = { answer_open, serve_open };

static int
answer_opendir(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  return serves_type(fs, r, node, S_IFDIR, -ENOTDIR);
}

static void
serve_opendir(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
              const struct virtual_node *node)
{
  struct cntrfs_dir *d = dir_new();

  if (d == NULL)
    {
      fuse_reply_err(req, ENOMEM);
      return;
    }
  /* No DIR: the listing never changes. */
  d->node = node;
  r->fi->keep_cache = 1;
  r->fi->cache_readdir = 1;
  reply_open_handle(req, fs, r->fi, &d->h, NULL);
}

const struct virtual_rule virtual_opendir = { answer_opendir, serve_opendir };

/* The file system of a virtual entry is the layer's root's. */
static int
answer_statfs(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  (void)node;
  if (virtual_of(fs, r->inode) != NULL)
    r->inode = fs->root;
  return 0;
}

const struct virtual_rule virtual_statfs = { answer_statfs, NULL };

static int
answer_getxattr(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  (void)node;
  return virtual_of(fs, r->inode) != NULL ? -ENODATA : 0;
}

const struct virtual_rule virtual_getxattr = { answer_getxattr, NULL };

static void
serve_listxattr(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
                const struct virtual_node *node)
{
  (void)fs;
  (void)node;
  if (r->size == 0)
    fuse_reply_xattr(req, 0);
  else
    fuse_reply_buf(req, NULL, 0);
}

const struct virtual_rule virtual_listxattr = { answer_inode, serve_listxattr };

/* By the mode alone, as default_permissions would check (but never
   writable). */
static int
answer_access(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  const struct virtual_node *v = virtual_of(fs, r->inode);
  struct stat st;

  if (v == NULL)
    return 0;
  virtual_stat(fs, v, &st);
  if (r->mask & W_OK)
    return -EROFS;
  if ((r->mask & X_OK) && !(st.st_mode & 0111))
    return -EACCES;
  return serves(v, node);
}

static void
serve_access(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
             const struct virtual_node *node)
{
  (void)fs;
  (void)r;
  (void)node;
  fuse_reply_err(req, 0);
}

const struct virtual_rule virtual_access = { answer_access, serve_access };

/* The kernel sends CREATE for names it has not looked up yet: a virtual
   name may be one. */
static int
answer_create(const struct cntrfs *fs, struct cntrfs_request *r, const struct virtual_node **node)
{
  const struct virtual_node *dir = virtual_of(fs, r->parent);
  const struct virtual_node *named = virtual_by_name(fs, r->parent, r->name);
  int flags = r->fi->flags;

  if (dir != NULL)
    {
      if (!is_dir(fs, dir))
        return -ENOTDIR;
      return dir->entry->create_in != NULL ? dir->entry->create_in(flags) : -EROFS;
    }
  if (named == NULL)
    return 0;
  if (flags & O_EXCL)
    return -EEXIST;
  return open_answer(fs, named, flags, node);
}

static void
serve_create(fuse_req_t req, struct cntrfs *fs, const struct cntrfs_request *r,
             const struct virtual_node *node)
{
  struct fuse_entry_param e;

  entry_init(&e);
  entry_param(fs, node, &e);
  open_file(req, fs, node, r->fi, &e);
}

const struct virtual_rule virtual_create = { answer_create, serve_create };

bool
virtual_dispatch(fuse_req_t req, struct cntrfs *fs, const struct virtual_rule *rule,
                 struct cntrfs_request *r)
{
  const struct virtual_node *node = NULL;
  int res = rule->answer(fs, r, &node);

  if (res < 0)
    {
      reply_err(req, res);
      return true;
    }
  if (res == VIRTUAL_SERVES)
    {
      rule->serve(req, fs, r, node);
      return true;
    }
  return false;
}
