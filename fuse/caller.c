/* SPDX-License-Identifier: MIT */
/* The caller of a request (cntrfs-caller.h): whether it may be answered at
   all, and acting as it.

   Only processes of the session's mount namespace are answered.  Why: the
   session's processes run inside a container, and any process of that
   container that may read /proc/<session pid>/root (same user, or root of
   the container) would otherwise walk into the tools tree - the host's /
   - through the session's mount, served by us as root.

   The check is one fstatat of /proc/<pid>/ns/mnt per request: the kernel
   reports the caller's thread id, and /proc resolves thread ids too (a
   thread may have unshared its mount namespace on its own, so the thread
   is the right thing to ask about).  The caller waits in the kernel for our
   reply, so its pid cannot be reused before we have answered.  No cache:
   a cache keyed on the pid would need the start time from /proc/<pid>/stat
   to notice reuse, which costs as much as the check itself. */
#include "cntrfs-caller.h"
#include "cntrfs-internal.h"
#include "cleanup.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Room for "<pid>/ns/mnt" and "/proc/<pid>/status" for any pid. */
#define NS_PATH_SIZE 32
#define STATUS_PATH_SIZE 32

/* Supplementary groups of a caller fetched without allocating; more are
   rare, and fetched again into an allocation. */
#define GROUPS_INLINE 64

int
cntrfs_restrict_to_mount_ns(struct cntrfs *fs, dev_t dev, ino_t ino)
{
  int fd;

  if (fs == NULL)
    {
      errno = EINVAL;
      return -1;
    }
  if (fs->started)
    {
      errno = EBUSY;
      return -1;
    }
  fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fs->ns_proc_fd >= 0)
    close(fs->ns_proc_fd);
  fs->ns_proc_fd = fd;
  fs->ns_dev = dev;
  fs->ns_ino = ino;
  return 0;
}

int
cntrfs_set_group_map(struct cntrfs *fs, const struct cntrfs_id_range *map, size_t n)
{
  if (fs == NULL || (n > 0 && map == NULL))
    {
      errno = EINVAL;
      return -1;
    }
  if (fs->started)
    {
      errno = EBUSY;
      return -1;
    }
  struct cntrfs_id_range *copy = calloc(n ? n : 1, sizeof *copy);
  if (copy == NULL)
    return -1;
  if (n > 0)
    memcpy(copy, map, n * sizeof *copy);
  free(fs->group_map);
  fs->group_map = copy;
  fs->group_map_len = n;
  return 0;
}

int
caller_groups_into_namespace(const struct cntrfs_id_range *map, size_t nmap, gid_t *groups, int n)
{
  int kept = 0;
  for (int i = 0; i < n; i++)
    for (size_t r = 0; r < nmap; r++)
      if (groups[i] >= map[r].outside && groups[i] - map[r].outside < map[r].count)
        {
          groups[kept++] = map[r].inside + (groups[i] - map[r].outside);
          break;
        }
  return kept;
}

bool
cntrfs_caller_allowed(const struct cntrfs *fs, pid_t pid)
{
  char path[NS_PATH_SIZE];
  struct stat st;

  if (fs->ns_proc_fd < 0)
    return true;
  /* 0: the caller is not visible in the PID namespace of the mount. */
  if (pid <= 0)
    return false;
  snprintf(path, sizeof path, "%d/ns/mnt", (int)pid);
  if (fstatat(fs->ns_proc_fd, path, &st, 0) < 0)
    return false;
  return st.st_dev == fs->ns_dev && st.st_ino == fs->ns_ino;
}

bool
caller_refused(fuse_req_t req)
{
  struct cntrfs *fs = fuse_req_userdata(req);
  pid_t pid;

  if (fs->ns_proc_fd < 0)
    return false;
  pid = fuse_req_ctx(req)->pid;
  if (cntrfs_caller_allowed(fs, pid))
    return false;
  if (fs->opt.debug)
    fuse_log(FUSE_LOG_DEBUG, "cntrfs: refused pid %d: not in the session's mount namespace\n",
             (int)pid);
  return true;
}

/* The supplementary groups of req's caller as the file system below sees
   them: how many are in *groups, which is small (GROUPS_INLINE entries) or
   a new allocation in *big; a negative errno.  A caller that exited or is
   invisible from our pid namespace has none. */
static int
caller_groups(fuse_req_t req, struct cntrfs *fs, gid_t **groups, gid_t **big)
{
  int n = fuse_req_getgroups(req, GROUPS_INLINE, *groups);

  if (n > GROUPS_INLINE)
    {
      *big = calloc((size_t)n, sizeof **big);
      if (*big == NULL)
        return -ENOMEM;
      int m = fuse_req_getgroups(req, n, *big);
      n = m > n ? n : m;
      *groups = *big;
    }
  if (n < 0)
    n = 0;
  if (fs->group_map != NULL)
    n = caller_groups_into_namespace(fs->group_map, fs->group_map_len, *groups, n);
  return n;
}

bool
caller_in_group(fuse_req_t req, struct cntrfs *fs, gid_t gid)
{
  gid_t small[GROUPS_INLINE];
  cleanup_free gid_t *big = NULL;
  gid_t *groups = small;
  int n;

  if (fuse_req_ctx(req)->gid == gid)
    return true;
  n = caller_groups(req, fs, &groups, &big);
  for (int i = 0; i < n; i++)
    if (groups[i] == gid)
      return true;
  return false;
}

bool
caller_has_fsetid(fuse_req_t req)
{
  char path[STATUS_PATH_SIZE], line[128];
  cleanup_fclose FILE *f = NULL;
  pid_t pid = fuse_req_ctx(req)->pid;
  unsigned long long eff;

  if (pid <= 0)
    return false;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  f = fopen(path, "re");
  if (f == NULL)
    return false;
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "CapEff: %llx", &eff) == 1)
      return (eff >> CAP_FSETID) & 1;
  return false;
}

/* ---- acting as the caller ---------------------------------------------- */

int
creds_enter(fuse_req_t req, struct cntrfs *fs, struct creds *c)
{
  const struct fuse_ctx *ctx = fuse_req_ctx(req);

  c->ids = false;
  c->groups = false;
  c->umask = false;
  /* DONT_MASK: the kernel leaves the caller's umask to us, so that the file
     system below applies it only where the directory has no default ACL,
     as it does natively.  Only where the umask is this thread's own. */
  if (cntrfs_thread_umask && ctx->umask != 0)
    {
      umask(ctx->umask);
      c->umask = true;
    }
  if (ctx->uid == fs->server_fsuid && ctx->gid == fs->server_fsgid)
    return 0;

  /* Root keeps its own groups: it has DAC override anyway. */
  if (ctx->uid != 0)
    {
      gid_t small[GROUPS_INLINE];
      cleanup_free gid_t *big = NULL;
      gid_t *groups = small;
      int n = caller_groups(req, fs, &groups, &big);

      if (n < 0)
        return n;
      if (sys_setgroups_thread((size_t)n, groups) < 0)
        return neg_errno();
      c->groups = true;
    }

  c->ids = true;
  sys_setfsgid_thread(ctx->gid);
  sys_setfsuid_thread(ctx->uid);
  /* setfsuid reports no errors; an invalid id is ignored.  Read back. */
  if (sys_setfsuid_thread((uid_t)-1) != ctx->uid || sys_setfsgid_thread((gid_t)-1) != ctx->gid)
    return -EPERM;
  return 0;
}

void
creds_leave(struct cntrfs *fs, const struct creds *c)
{
  int saved = errno;

  if (c->ids)
    {
      sys_setfsuid_thread(fs->server_fsuid);
      sys_setfsgid_thread(fs->server_fsgid);
    }
  if (c->groups)
    sys_setgroups_thread((size_t)fs->server_ngroups, fs->server_groups);
  if (c->umask)
    umask(0);
  errno = saved;
}
