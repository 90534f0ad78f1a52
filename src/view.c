/* SPDX-License-Identifier: MIT */
/* Building the session's view: its mount namespace, the spliced base dir,
   the FUSE mount (view.h). */
#include "view.h"
#include "cleanup.h"
#include "log.h"
#include "syscalls.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
view_enter(int target_mntns_fd)
{
  if (setns(target_mntns_fd, CLONE_NEWNS) < 0)
    return cntr_fail(errno, "setns into the target's mount namespace");
  if (unshare(CLONE_NEWNS) < 0)
    return cntr_fail(errno, "create the session's mount namespace");
  /* A fresh copy of shared mounts is a peer of the original: without this,
     our mounts would propagate into the target.  Slave keeps the target's
     new mounts (volumes attached later) flowing into the session. */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return cntr_fail(errno, "make the session's mounts private");
  return 0;
}

char **
view_path_components(const char *path)
{
  if (!path || path[0] != '/')
    {
      errno = EINVAL;
      return NULL;
    }
  cleanup_strv char **parts = calloc(1, sizeof(char *));
  if (!parts)
    return NULL;
  const char *p = path;
  while (*p)
    {
      while (*p == '/')
        p++;
      if (!*p)
        break;
      const char *slash = strchr(p, '/');
      size_t len = slash ? (size_t)(slash - p) : strlen(p);
      if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        {
          errno = EINVAL;
          return NULL;
        }
      if (strv_push_take(&parts, strndup(p, len)) < 0)
        return NULL;
      p += len;
    }
  return steal_pointer(&parts);
}

static int
open_tree_clone(int dirfd, const char *name)
{
  return sys_open_tree(dirfd, name,
                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
}

static int
move_mount_to(int tree_fd, int to_dirfd, const char *to_name)
{
  return sys_move_mount(tree_fd, "", to_dirfd, to_name, MOVE_MOUNT_F_EMPTY_PATH);
}

/* Recreate entry `name` of old_dir in new_dir: symlinks as copies (a mount
   cannot sit on a symlink), everything else as a placeholder with the
   original recursively bind-mounted on top. */
static int
splice_entry(int old_dir, int new_dir, const char *name, unsigned char d_type)
{
  if (d_type == DT_UNKNOWN)
    {
      struct stat st;
      if (fstatat(old_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return cntr_fail(errno, "stat %s", name);
      d_type = S_ISLNK(st.st_mode) ? DT_LNK : S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
    }
  if (d_type == DT_LNK)
    {
      char target[4096];
      ssize_t n = readlinkat(old_dir, name, target, sizeof target - 1);
      if (n < 0)
        return cntr_fail(errno, "readlink %s", name);
      target[n] = '\0';
      if (symlinkat(target, new_dir, name) < 0)
        return cntr_fail(errno, "copy symlink %s", name);
      return 0;
    }
  if (d_type == DT_DIR)
    {
      if (mkdirat(new_dir, name, 0755) < 0)
        return cntr_fail(errno, "create placeholder %s", name);
    }
  else
    {
      cleanup_close int fd
          = openat(new_dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0600);
      if (fd < 0)
        return cntr_fail(errno, "create placeholder %s", name);
    }
  cleanup_close int tree = open_tree_clone(old_dir, name);
  if (tree < 0)
    return cntr_fail(errno, "clone mount tree of %s", name);
  if (move_mount_to(tree, new_dir, name) < 0)
    return cntr_fail(errno, "bind %s into the session", name);
  return 0;
}

/* O_NOATIME: listing the target's directories must not touch their atime
   (EPERM where the kernel does not allow it: then without). */
static int
open_dir_noatime_at(int dirfd, const char *name)
{
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM)
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd;
}

/* Recreate every entry of the target's directory old_dir in its stand-in
   new_dir, but skip (the next stand-in on the way to the base dir). */
static int
splice_entries(int old_dir, int new_dir, const char *skip, const char *where)
{
  cleanup_closedir DIR *dir = fdopendir(dup(old_dir));
  if (!dir)
    return cntr_fail(errno, "list %s", where);
  struct dirent *de;
  errno = 0;
  while ((de = readdir(dir)))
    {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, skip))
        continue;
      if (splice_entry(old_dir, new_dir, de->d_name, de->d_type) < 0)
        return cntr_fail_context("splice %s", where);
      errno = 0;
    }
  if (errno)
    return cntr_fail(errno, "list %s", where);
  return 0;
}

/* The stand-in of a directory of the target looks like it (a stat of a
   directory on the way to the base dir shows the target's). */
static int
copy_owner_and_mode(int old_dir, int new_dir, const char *where)
{
  struct stat st;
  if (fstat(old_dir, &st) < 0)
    return cntr_fail(errno, "stat %s", where);
  if (fchown(new_dir, st.st_uid, st.st_gid) < 0 || fchmod(new_dir, st.st_mode & 07777) < 0)
    return cntr_fail(errno, "give the stand-in for %s its owner and mode", where);
  return 0;
}

int
view_make_mountpoint(const char *base_dir)
{
  cleanup_strv char **parts = view_path_components(base_dir);
  if (!parts || !parts[0])
    {
      cntr_fail(0, "base dir '%s': must be an absolute path below /", base_dir);
      cntr_hint("set CNTR_BASE_DIR to a path such as /var/lib/cntr");
      return -1;
    }
  cleanup_close int old_root = open_dir_noatime_at(AT_FDCWD, "/");
  if (old_root < 0)
    return cntr_fail(errno, "open /");
  struct stat st;
  if (fstat(old_root, &st) < 0)
    return cntr_fail(errno, "stat /");
  char options[128];
  snprintf(options, sizeof options, "mode=%o,uid=%u,gid=%u", st.st_mode & 07777, st.st_uid,
           st.st_gid);
  if (mount("cntr", "/", "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
    return cntr_fail(errno, "mount a tmpfs over /");
  /* A path walk that ends on a mount point does not cross into a mount
     stacked on the process's root; ".." from the root does (the kernel
     follows mounts after ".."). */
  cleanup_close int new_root = open("/..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (new_root < 0)
    return cntr_fail(errno, "open the tmpfs over /");

  /* Every directory on the way to the base dir is a stand-in in this tmpfs,
     the target's entries bound into it: the target may rename or replace
     its own directories, but not these, so the base dir's path always leads
     to the tools. */
  cleanup_close int old_dir = steal_fd(&old_root);
  cleanup_close int new_dir = steal_fd(&new_root);
  cleanup_free char *where = strdup("/");
  if (!where)
    return cntr_fail(ENOMEM, "splice");
  if (splice_entries(old_dir, new_dir, parts[0], where) < 0)
    return -1;
  for (size_t i = 0; parts[i]; i++)
    {
      cleanup_free char *next_where = xasprintf("%s%s%s", where, i ? "/" : "", parts[i]);
      if (!next_where)
        return cntr_fail(ENOMEM, "splice");
      /* The target's directory of that name (following its symlinks, which
         resolve inside its root), when it has one; the base dir itself is
         never looked into. */
      cleanup_close int next_old = -1;
      if (parts[i + 1] && old_dir >= 0)
        {
          next_old = open_dir_noatime_at(old_dir, parts[i]);
          if (next_old < 0 && errno != ENOENT)
            {
              if (errno == ENOTDIR)
                {
                  cntr_fail(ENOTDIR, "base dir %s: %s in the target", base_dir, next_where);
                  cntr_hint("set CNTR_BASE_DIR to a path that is free in the target");
                  return -1;
                }
              return cntr_fail(errno, "open %s in the target", next_where);
            }
        }
      if (mkdirat(new_dir, parts[i], 0755) < 0)
        return cntr_fail(errno, "create %s in the session", next_where);
      cleanup_close int next_new
          = openat(new_dir, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next_new < 0)
        return cntr_fail(errno, "open %s in the session", next_where);
      if (next_old >= 0
          && (copy_owner_and_mode(next_old, next_new, next_where) < 0
              || splice_entries(next_old, next_new, parts[i + 1], next_where) < 0))
        return -1;
      cleanup_closep(&old_dir);
      cleanup_closep(&new_dir);
      old_dir = steal_fd(&next_old);
      new_dir = steal_fd(&next_new);
      free(where);
      where = steal_pointer(&next_where);
    }

  /* Read-only from now on: a file created beside the stand-ins would land in
     this tmpfs and vanish with the session, and on a read-only target it
     would even succeed where the target says EROFS.  Better an honest EROFS. */
  if (mount(NULL, "/..", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
    return cntr_fail(errno, "make the stand-ins read-only");
  cleanup_close int root = open("/..", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0 || fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
    return cntr_fail(errno, "enter the session's root");
  return 0;
}

int
view_mount_fuse(const char *base_dir, const char *options)
{
  if (mount("cntr", base_dir, "fuse.cntr", MS_NOSUID | MS_NODEV, options) < 0)
    return cntr_fail(errno, "mount the tools at %s", base_dir);
  return 0;
}
