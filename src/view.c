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

static int
open_dir_noatime(const char *path)
{
  /* O_NOATIME: listing the target's directory must not touch its atime. */
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM)
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd;
}

static int
splice_at(const char *ancestor, char **missing)
{
  bool at_root = !strcmp(ancestor, "/");
  cleanup_close int old_dir = open_dir_noatime(ancestor);
  if (old_dir < 0)
    return cntr_fail(errno, "open %s", ancestor);
  struct stat st;
  if (fstat(old_dir, &st) < 0)
    return cntr_fail(errno, "stat %s", ancestor);
  char options[128];
  snprintf(options, sizeof options, "mode=%o,uid=%u,gid=%u", st.st_mode & 07777, st.st_uid,
           st.st_gid);
  if (mount("cntr", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
    return cntr_fail(errno, "mount a tmpfs over %s", ancestor);

  /* A path walk that ends on a mount point does not cross into a mount
     stacked on the process's root; ".." from the root does (the kernel
     follows mounts after "..").  Elsewhere the plain path reaches the tmpfs. */
  cleanup_close int new_dir = open(at_root ? "/.." : ancestor, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (new_dir < 0)
    return cntr_fail(errno, "open the tmpfs over %s", ancestor);

  cleanup_closedir DIR *dir = fdopendir(dup(old_dir));
  if (!dir)
    return cntr_fail(errno, "list %s", ancestor);
  struct dirent *de;
  errno = 0;
  while ((de = readdir(dir)))
    {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
        continue;
      if (splice_entry(old_dir, new_dir, de->d_name, de->d_type) < 0)
        return cntr_fail_context("splice %s", ancestor);
      errno = 0;
    }
  if (errno)
    return cntr_fail(errno, "list %s", ancestor);

  int dfd = new_dir;
  cleanup_close int owned = -1;
  for (char **c = missing; *c; c++)
    {
      struct stat lst;
      /* A dangling symlink in the target made the path look missing: in our
         view the directory replaces the copy of the link. */
      if (dfd == new_dir && fstatat(dfd, *c, &lst, AT_SYMLINK_NOFOLLOW) == 0
          && S_ISLNK(lst.st_mode))
        unlinkat(dfd, *c, 0);
      if (mkdirat(dfd, *c, 0755) < 0 && errno != EEXIST)
        return cntr_fail(errno, "create %s in the session", *c);
      int next = openat(dfd, *c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return cntr_fail(errno, "open %s in the session", *c);
      cleanup_closep(&owned);
      owned = dfd = next;
    }

  /* Read-only from now on: a file created beside the stand-ins would land in
     this tmpfs and vanish with the session, and on a read-only target it
     would even succeed where the target says EROFS.  Better an honest EROFS. */
  if (mount(NULL, at_root ? "/.." : ancestor, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
            NULL)
      < 0)
    return cntr_fail(errno, "make the stand-in for %s read-only", ancestor);
  if (at_root)
    {
      if (fchdir(new_dir) < 0 || chroot(".") < 0 || chdir("/") < 0)
        return cntr_fail(errno, "enter the session's root");
    }
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
  size_t n = strv_length(parts);
  cleanup_free char *ancestor = strdup("/");
  if (!ancestor)
    return cntr_fail(errno, "splice");
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *next = xasprintf("%s%s%s", ancestor, i ? "/" : "", parts[i]);
      if (!next)
        return cntr_fail(errno, "splice");
      struct stat st;
      if (stat(next, &st) < 0)
        {
          if (errno != ENOENT)
            return cntr_fail(errno, "stat %s in the target", next);
          return splice_at(ancestor, parts + i);
        }
      if (!S_ISDIR(st.st_mode))
        {
          cntr_fail(ENOTDIR, "base dir %s: %s in the target", base_dir, next);
          cntr_hint("set CNTR_BASE_DIR to a path that is free in the target");
          return -1;
        }
      free(ancestor);
      ancestor = steal_pointer(&next);
    }
  return 0; /* the target has the whole path: we mount over it */
}

int
view_mount_fuse(const char *base_dir, const char *options)
{
  if (mount("cntr", base_dir, "fuse.cntr", MS_NODEV, options) < 0)
    return cntr_fail(errno, "mount the tools at %s", base_dir);
  return 0;
}
