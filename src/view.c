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
   new_dir, but those named in skip[0..nskip) (the next stand-ins and
   mount points on the way). */
static int
splice_entries(int old_dir, int new_dir, const char *const *skip, size_t nskip, const char *where)
{
  cleanup_closedir DIR *dir = fdopendir(dup(old_dir));
  if (!dir)
    return cntr_fail(errno, "list %s", where);
  struct dirent *de;
  errno = 0;
  while ((de = readdir(dir)))
    {
      bool skipped = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
      for (size_t i = 0; i < nskip && !skipped; i++)
        skipped = !strcmp(de->d_name, skip[i]);
      if (!skipped && splice_entry(old_dir, new_dir, de->d_name, de->d_type) < 0)
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

/* A mount point's path, split, on the way through the stand-ins. */
struct splice_path
{
  char **parts;
  const struct view_mountpoint *point;
};

static int splice_level(int old_dir, int new_dir, const char *where, struct splice_path *paths,
                        size_t n, size_t depth);

/* The entry name of directory new_dir, through which paths[0..n) go on. */
static int
splice_child(int old_dir, int new_dir, const char *where, const char *name,
             struct splice_path *paths, size_t n, size_t depth)
{
  cleanup_free char *child_where = xasprintf("%s%s%s", where, depth ? "/" : "", name);
  if (!child_where)
    return cntr_fail(ENOMEM, "splice");
  for (size_t i = 0; i < n; i++)
    if (!paths[i].parts[depth + 1])
      {
        /* A mount point: nothing of the target's is looked into. */
        if (n > 1)
          return cntr_fail(0, "%s: inside %s", paths[i == 0 ? 1 : 0].point->what,
                           paths[i].point->what);
        if (paths[i].point->is_file)
          {
            cleanup_close int fd
                = openat(new_dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0644);
            if (fd < 0)
              return cntr_fail(errno, "create %s in the session", child_where);
          }
        else if (mkdirat(new_dir, name, 0755) < 0)
          return cntr_fail(errno, "create %s in the session", child_where);
        return 0;
      }
  /* A stand-in, for the target's directory of that name (following its
     symlinks, which resolve inside its root) when it has one. */
  cleanup_close int child_old = -1;
  if (old_dir >= 0)
    {
      child_old = open_dir_noatime_at(old_dir, name);
      if (child_old < 0 && errno == ENOTDIR)
        {
          cntr_fail(ENOTDIR, "%s: %s in the target", paths[0].point->what, child_where);
          if (paths[0].point->hint)
            cntr_hint("%s", paths[0].point->hint);
          return -1;
        }
      if (child_old < 0 && errno != ENOENT)
        return cntr_fail(errno, "open %s in the target", child_where);
    }
  if (mkdirat(new_dir, name, 0755) < 0)
    return cntr_fail(errno, "create %s in the session", child_where);
  cleanup_close int child_new
      = openat(new_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (child_new < 0)
    return cntr_fail(errno, "open %s in the session", child_where);
  if (child_old >= 0 && copy_owner_and_mode(child_old, child_new, child_where) < 0)
    return -1;
  return splice_level(child_old, child_new, child_where, paths, n, depth + 1);
}

/* The stand-in new_dir of the target's directory old_dir (-1 when the
   target has none) at where, through which paths[0..n) go on at their
   component depth: every entry of the target's but those, then each of
   those. */
static int
splice_level(int old_dir, int new_dir, const char *where, struct splice_path *paths, size_t n,
             size_t depth)
{
  const char *names[VIEW_MAX_MOUNTPOINTS];
  size_t nnames = 0;
  for (size_t i = 0; i < n; i++)
    {
      bool seen = false;
      for (size_t k = 0; k < nnames && !seen; k++)
        seen = !strcmp(names[k], paths[i].parts[depth]);
      if (!seen)
        names[nnames++] = paths[i].parts[depth];
    }
  if (old_dir >= 0 && splice_entries(old_dir, new_dir, names, nnames, where) < 0)
    return -1;
  for (size_t k = 0; k < nnames; k++)
    {
      /* The paths through this name, first in the array. */
      struct splice_path sub[VIEW_MAX_MOUNTPOINTS];
      size_t m = 0;
      for (size_t i = 0; i < n; i++)
        if (!strcmp(paths[i].parts[depth], names[k]))
          sub[m++] = paths[i];
      if (splice_child(old_dir, new_dir, where, names[k], sub, m, depth) < 0)
        return -1;
    }
  return 0;
}

/* The tmpfs root with the stand-ins of paths[0..n), entered. */
static int
build_root(struct splice_path *paths, size_t n)
{
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
  /* Every directory on the way to a mount point is a stand-in in this
     tmpfs, the target's entries bound into it: the target may rename or
     replace its own directories, but not these, so the paths always lead to
     what the session mounts there. */
  if (splice_level(old_root, new_root, "/", paths, n, 0) < 0)
    return -1;
  /* Read-only from now on: a file created beside the stand-ins would land in
     this tmpfs and vanish with the session, and on a read-only target it
     would even succeed where the target says EROFS.  Better an honest EROFS. */
  if (mount(NULL, "/..", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
    return cntr_fail(errno, "make the stand-ins read-only");
  if (fchdir(new_root) < 0 || chroot(".") < 0 || chdir("/") < 0)
    return cntr_fail(errno, "enter the session's root");
  return 0;
}

int
view_make_mountpoints(const struct view_mountpoint *points, size_t n)
{
  if (n == 0 || n > VIEW_MAX_MOUNTPOINTS)
    return cntr_fail(EINVAL, "splice %zu mount points", n);
  char **parts[VIEW_MAX_MOUNTPOINTS] = { 0 };
  struct splice_path paths[VIEW_MAX_MOUNTPOINTS];
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    {
      parts[i] = view_path_components(points[i].path);
      paths[i] = (struct splice_path){ parts[i], &points[i] };
      if (!parts[i] || !parts[i][0])
        rc = cntr_fail(0, "%s: must be an absolute path below /, without . or ..", points[i].what);
    }
  if (rc == 0)
    rc = build_root(paths, n);
  for (size_t i = 0; i < n; i++)
    strv_free(parts[i]);
  return rc;
}

int
view_mount_devpts(void)
{
  if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620")
      < 0)
    return cntr_fail(errno, "mount a devpts of the session's own");
  if (mount("/dev/pts/ptmx", "/dev/ptmx", NULL, MS_BIND, NULL) < 0)
    return cntr_fail(errno, "bind its ptmx at /dev/ptmx");
  return 0;
}

int
view_make_read_only(void)
{
  struct sys_mount_attr attr = {
    .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME,
    .attr_clr = MOUNT_ATTR__ATIME,
  };
  if (sys_mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr) < 0)
    return cntr_fail(errno, "--read-only: make the target's mounts read-only");
  return 0;
}

int
view_attach_tree(int tree_fd, const char *path)
{
  if (move_mount_to(tree_fd, AT_FDCWD, path) < 0)
    return cntr_fail(errno, "mount it at %s", path);
  return 0;
}

int
view_pivot_root(const char *dir)
{
  /* pivot_root(".", "."): the old root ends up on top of the new one, where
     a lazy unmount takes it away whole. */
  if (chdir(dir) < 0)
    return cntr_fail(errno, "enter %s", dir);
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return cntr_fail(errno, "make %s the session's root", dir);
  if (umount2(".", MNT_DETACH) < 0)
    return cntr_fail(errno, "leave the target's view");
  if (chdir("/") < 0)
    return cntr_fail(errno, "chdir /");
  return 0;
}

int
view_mount_fuse(const char *base_dir, const char *options)
{
  if (mount("cntr", base_dir, "fuse.cntr", MS_NOSUID | MS_NODEV, options) < 0)
    return cntr_fail(errno, "mount the tools at %s", base_dir);
  return 0;
}
