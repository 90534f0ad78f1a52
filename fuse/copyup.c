/* SPDX-License-Identifier: MIT */
/* Copy-up (cntrfs-union.h): before the first change of a lower file, a
   copy of it in the upper layer - data (holes kept where the lower file
   system reports them), owner, xattrs (those the upper file system takes),
   mode, times - under the same path, whose directories are copied up
   first (owner, xattrs, mode and times of the lower ones).  A file is
   copied into an O_TMPFILE and linked in place only when complete, and
   its entry rekeyed to the copy in the same step, under the ns lock, so
   that no lookup finds the name in neither layer or in both.  The upper
   directory a copy goes into keeps its times: a copy-up changes nothing
   the session sees of it. */
#include "cntrfs-union.h"
#include "cntrfs-internal.h"
#include "cntrfs-ops.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The buffer of the last-resort copy loop, and the most one system call of
   the others copies. */
#define COPY_CHUNK (1 << 20)

/* Room for a list of xattr names, and for one value (XATTR_SIZE_MAX). */
#define XATTR_LIST_MAX_BYTES 65536
#define XATTR_VALUE_MAX_BYTES 65536

/* ---- data -------------------------------------------------------------- */

/* Copy len bytes at off of in to the same offset of out: copy_file_range
   where the two file systems allow it, else sendfile (both are in-kernel),
   else read and write. */
static int
copy_range(int in, int out, off_t off, off_t len)
{
  loff_t ioff = off, ooff = off;
  cleanup_free char *buf = NULL;

  while (len > 0)
    {
      size_t chunk = len > COPY_CHUNK ? COPY_CHUNK : (size_t)len;
      ssize_t n = copy_file_range(in, &ioff, out, &ooff, chunk, 0);

      if (n < 0 && (errno == EXDEV || errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS))
        {
          off_t at = ioff;
          if (lseek(out, ooff, SEEK_SET) < 0)
            return neg_errno();
          n = sendfile(out, in, &at, chunk);
          if (n < 0 && errno == EINVAL)
            {
              if (buf == NULL && (buf = malloc(COPY_CHUNK)) == NULL)
                return -ENOMEM;
              n = pread(in, buf, chunk, ioff);
              if (n > 0 && pwrite(out, buf, (size_t)n, ooff) != n)
                n = -1;
            }
          if (n > 0)
            {
              ioff += n;
              ooff += n;
            }
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return neg_errno();
      if (n == 0)
        break; /* the file shrank meanwhile */
      len -= n;
    }
  return 0;
}

/* The data of in (size bytes) into out, the holes the file system reports
   left as holes. */
static int
copy_data(int in, int out, off_t size)
{
  off_t pos = 0;

  while (pos < size)
    {
      off_t data = lseek(in, pos, SEEK_DATA), hole;
      int res;

      if (data < 0 && errno == ENXIO)
        break; /* only a hole is left */
      if (data < 0)
        data = pos; /* no SEEK_DATA: it is all data */
      hole = lseek(in, data, SEEK_HOLE);
      if (hole < 0 || hole > size)
        hole = size;
      res = copy_range(in, out, data, hole - data);
      if (res < 0)
        return res;
      pos = hole;
    }
  return ftruncate(out, size) < 0 ? neg_errno() : 0;
}

/* ---- metadata ---------------------------------------------------------- */

/* Copy the xattrs of the file at from (a path that reaches it) to the file
   at to, but the union's own; what the upper file system refuses (user.*
   on a symlink, security.* of another LSM) is left out. */
static void
copy_xattrs(const char *from, const char *to)
{
  cleanup_free char *list = malloc(XATTR_LIST_MAX_BYTES);
  cleanup_free char *value = malloc(XATTR_VALUE_MAX_BYTES);
  ssize_t n;

  if (list == NULL || value == NULL)
    return;
  n = listxattr(from, list, XATTR_LIST_MAX_BYTES);
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
    {
      ssize_t v;

      if (union_xattr_hidden(list + i))
        continue;
      v = getxattr(from, list + i, value, XATTR_VALUE_MAX_BYTES);
      if (v >= 0)
        (void)setxattr(to, list + i, value, (size_t)v, 0);
    }
}

/* Give the upper file (an O_PATH fd) what the lower one (lfd, lst) has:
   owner, xattrs, mode (after the owner: chown clears set-id bits), times
   (last).  The xattrs go through the /proc links, which lead to the files
   themselves, symlinks included. */
static int
copy_metadata(int lfd, const struct stat *lst, int ufd)
{
  char from[FD_PATH_SIZE], to[FD_PATH_SIZE];
  struct timespec t[2] = { lst->st_atim, lst->st_mtim };

  fd_path(from, lfd);
  fd_path(to, ufd);
  if (fchownat(ufd, "", lst->st_uid, lst->st_gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return neg_errno();
  copy_xattrs(from, to);
  /* A symlink's mode is 0777 whatever is asked. */
  if (!S_ISLNK(lst->st_mode) && chmod(to, lst->st_mode & 07777) < 0)
    return neg_errno();
  if (utimensat(ufd, "", t, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return neg_errno();
  return 0;
}

/* The times of an upper directory, to be put back after a copy-up into
   it. */
struct dir_times
{
  int fd;
  struct timespec t[2];
};

static void
save_times(int fd, struct dir_times *d)
{
  struct stat st;

  d->fd = fstat(fd, &st) == 0 ? fd : -1;
  d->t[0] = st.st_atim;
  d->t[1] = st.st_mtim;
}

static void
restore_times(const struct dir_times *d)
{
  if (d->fd >= 0)
    (void)utimensat(d->fd, "", d->t, AT_EMPTY_PATH);
}

/* ---- directories ------------------------------------------------------- */

/* The lower file of an entry whose file is lower, and its attributes: an
   O_PATH fd of the caller's. */
static int
lower_file(struct cntrfs *fs, struct cntrfs_inode *inode, struct stat *st)
{
  cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
  int fd;

  if (inode_fd_get(&fs->inodes, inode, &b) < 0)
    return neg_errno();
  fd = fcntl(b.fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return neg_errno();
  if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    {
      int res = neg_errno();
      close(fd);
      return res;
    }
  return fd;
}

int
union_ensure_upper_dir(struct cntrfs *fs, struct cntrfs_inode *dir)
{
  cleanup_free char *name = NULL;
  cleanup_close int pfd = -1, lfd = -1;
  struct dir_times times;
  struct stat lst;
  int fd = union_upper_dir(fs, dir), res;

  if (fd != -ENOENT)
    return fd;
  /* A lower directory: its parent's upper directory first. */
  pfd = union_parent_upper_dir(fs, dir, true, &name);
  if (pfd < 0)
    return pfd;
  lfd = lower_file(fs, dir, &lst);
  if (lfd < 0)
    return lfd;
  if (!S_ISDIR(lst.st_mode))
    return -ENOTDIR;
  save_times(pfd, &times);
  /* 0700 until it has its owner and mode. */
  if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
    return neg_errno();
  fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return neg_errno();
  res = copy_metadata(lfd, &lst, fd);
  restore_times(&times);
  if (res < 0)
    {
      close(fd);
      unlinkat(pfd, name, AT_REMOVEDIR);
      return res;
    }
  union_node_flag(dir, UNION_HAS_UPPER);
  return fd;
}

/* ---- files ------------------------------------------------------------- */

/* The copy of a regular file (lfd, lst), complete but linked nowhere: an
   fd open for writing of an O_TMPFILE in dirfd. */
static int
copy_regular(struct cntrfs *fs, int dirfd, int lfd, const struct stat *lst, bool data)
{
  cleanup_close int tmp = -1, in = -1, up = -1;
  char name[FD_NAME_SIZE];
  int res;

  tmp = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (tmp < 0)
    return neg_errno();
  if (data)
    {
      /* The copy is no access: no atime of the host's file changes. */
      fd_name(name, lfd);
      in = openat(fs->proc_fd, name, O_RDONLY | O_NOATIME | O_CLOEXEC);
      if (in < 0 && errno == EPERM)
        in = openat(fs->proc_fd, name, O_RDONLY | O_CLOEXEC);
      if (in < 0)
        return neg_errno();
      res = copy_data(in, tmp, lst->st_size);
      if (res < 0)
        return res;
    }
  /* The metadata as for every kind of file, through an O_PATH fd. */
  fd_name(name, tmp);
  up = openat(fs->proc_fd, name, O_PATH | O_CLOEXEC);
  if (up < 0)
    return neg_errno();
  res = copy_metadata(lfd, lst, up);
  return res < 0 ? res : steal_fd(&tmp);
}

/* Make the upper file of a symlink or special file at name in dirfd, with
   the lower one's metadata. */
static int
make_other(int dirfd, const char *name, int lfd, const struct stat *lst)
{
  char target[PATH_MAX + 1];
  cleanup_close int fd = -1;
  ssize_t n;
  int res;

  if (S_ISLNK(lst->st_mode))
    {
      n = readlinkat(lfd, "", target, sizeof target - 1);
      if (n < 0)
        return neg_errno();
      target[n] = '\0';
      res = symlinkat(target, dirfd, name);
    }
  else if (union_is_whiteout(lst))
    return -EPERM; /* it would read as a whiteout */
  else
    res = mknodat(dirfd, name, lst->st_mode, lst->st_rdev);
  if (res < 0)
    return neg_errno();
  fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return neg_errno();
  res = copy_metadata(lfd, lst, fd);
  if (res < 0)
    {
      unlinkat(dirfd, name, 0);
      return res;
    }
  return 0;
}

/* Name the copy's origin (a lower file's identity, lst) on it. */
static void
set_origin(int fd, const struct stat *lst)
{
  struct union_origin o
      = { .dev = lst->st_dev, .ino = lst->st_ino, .one_link = lst->st_nlink == 1 };
  char path[FD_PATH_SIZE];

  fd_path(path, fd);
  (void)setxattr(path, UNION_ORIGIN_XATTR, &o, sizeof o, 0);
}

/* From now on the entry is its copy, the O_PATH fd *fd: rekeyed, upper,
   presenting the lower st_ino unless a copy-up breaks a hard link. */
static int
become_copy(struct cntrfs *fs, struct cntrfs_inode *inode, int *fd, const struct stat *lst)
{
  struct stat st;

  if (fstatat(*fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return neg_errno();
  set_origin(*fd, lst);
  if (inode_table_rekey(&fs->inodes, inode, fd, &st) < 0)
    return neg_errno();
  pthread_mutex_lock(&fs->un->nodes);
  if (inode->un == NULL)
    {
      pthread_mutex_unlock(&fs->un->nodes);
      return -EIO;
    }
  inode->un->origin_dev = lst->st_dev;
  inode->un->origin_ino = lst->st_ino;
  if (lst->st_nlink != 1)
    __atomic_store_n(&inode->un->st_ino, st.st_ino | UNION_UPPER_INO, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&fs->un->nodes);
  union_node_flag(inode, UNION_UPPER);
  return 0;
}

/* Whether the entry still has a place (a lookup of another of its hard
   links may have moved it, which leaves the name copied to alone). */
static bool
still_placed(struct cntrfs *fs, struct cntrfs_inode *inode)
{
  cleanup_free char *now = NULL;
  struct cntrfs_inode *parent;
  bool placed = union_node_where(fs, inode, &parent, &now) == 0;

  if (placed)
    inode_table_unref(&fs->inodes, parent, 1);
  return placed;
}

/* Copy up a non-directory: with the copy lock held. */
static int
copy_up_file(struct cntrfs *fs, struct cntrfs_inode *inode, bool data)
{
  cleanup_free char *name = NULL;
  cleanup_close int lfd = -1, pfd = -1, tmp = -1, fd = -1;
  struct cntrfs_inode *parent = NULL;
  char path[FD_PATH_SIZE], tmp_name[FD_NAME_SIZE];
  struct dir_times times;
  struct stat lst;
  int res;

  lfd = lower_file(fs, inode, &lst);
  if (lfd < 0)
    return lfd;
  if (S_ISREG(lst.st_mode) && data)
    {
      /* The copy reads it: the host policy must let the session. */
      res = host_policy_open(fs, inode, R_OK);
      if (res < 0)
        return res;
    }
  /* Its directory; none when it was removed (an open file written
     through /proc/PID/fd): then its copy is an unlinked file too. */
  res = union_node_where(fs, inode, &parent, &name);
  if (res < 0 && (res != -ENOENT || !S_ISREG(lst.st_mode)))
    return res;
  pthread_rwlock_wrlock(&fs->un->ns);
  pfd = parent != NULL ? union_ensure_upper_dir(fs, parent)
                       : fcntl(fs->un->upper_root, F_DUPFD_CLOEXEC, 0);
  if (pfd < 0 && parent == NULL)
    pfd = neg_errno();
  pthread_rwlock_unlock(&fs->un->ns);
  if (parent != NULL)
    inode_table_unref(&fs->inodes, parent, 1);
  if (pfd < 0)
    return pfd;

  if (S_ISREG(lst.st_mode))
    {
      /* The data without the ns lock: lookups go on meanwhile. */
      tmp = copy_regular(fs, pfd, lfd, &lst, data);
      if (tmp < 0)
        return tmp;
    }
  pthread_rwlock_wrlock(&fs->un->ns);
  /* Removed while its data was copied (renames wait for the copy lock):
     the copy is as unlinked as the file. */
  if (name != NULL && tmp >= 0 && !still_placed(fs, inode))
    {
      free(name);
      name = NULL;
    }
  save_times(pfd, &times);
  if (tmp >= 0)
    {
      fd_path(path, tmp);
      fd_name(tmp_name, tmp);
      res = name == NULL ? 0 : linkat(AT_FDCWD, path, pfd, name, AT_SYMLINK_FOLLOW);
      if (res < 0)
        res = neg_errno();
      else if ((fd = openat(fs->proc_fd, tmp_name, O_PATH | O_CLOEXEC)) < 0)
        res = neg_errno();
    }
  else
    {
      res = make_other(pfd, name, lfd, &lst);
      if (res == 0 && (fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
        res = neg_errno();
    }
  if (res == 0)
    {
      res = become_copy(fs, inode, &fd, &lst);
      if (res < 0 && name != NULL)
        unlinkat(pfd, name, 0);
    }
  restore_times(&times);
  pthread_rwlock_unlock(&fs->un->ns);
  return res;
}

int
union_copy_up(struct cntrfs *fs, struct cntrfs_inode *inode, bool data)
{
  struct stat st;
  unsigned flags = union_flags(inode);
  int res;

  if ((flags & UNION_UPPER) || virtual_of(fs, inode) != NULL)
    return 0;
  if (inode == fs->root || (flags & UNION_HAS_UPPER))
    return 0;
  /* Every entry of a union has its place, made by its lookup. */
  if (inode->un == NULL)
    return -EIO;
  {
    cleanup_inode_fd struct inode_fd b = INODE_FD_INIT;
    if (inode_fd_get(&fs->inodes, inode, &b) < 0
        || fstatat(b.fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
      return neg_errno();
  }
  if (S_ISDIR(st.st_mode))
    {
      pthread_rwlock_wrlock(&fs->un->ns);
      res = union_ensure_upper_dir(fs, inode);
      pthread_rwlock_unlock(&fs->un->ns);
      if (res >= 0)
        close(res);
      return res < 0 ? res : 0;
    }
  /* The kernel passes the lower file's open files through to it, and
     would refuse the copy as the backing file of later opens. */
  res = passthrough_copy_up_begin(fs, inode);
  if (res < 0)
    return res;
  pthread_mutex_lock(&fs->un->copy);
  /* Another request may have copied it while this one waited. */
  res = union_is_upper(inode) ? 0 : copy_up_file(fs, inode, data);
  pthread_mutex_unlock(&fs->un->copy);
  passthrough_copy_up_end(fs, inode);
  return res;
}
