/* SPDX-License-Identifier: MIT */
/* Joining the target's cgroups (cgroup.h). */
#include "cgroup.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* v1 has a dozen controllers, each mounted once; hosts that mount
   hierarchies more than once are fine with the first 64. */
#define CGROUP_MAX_MOUNTS 64

/* True if every comma-separated item of want appears in the comma-separated
   list have. */
static bool
options_contain_all(const char *have, const char *want, size_t want_len)
{
  const char *p = want;
  const char *end = want + want_len;
  while (p < end)
    {
      const char *comma = memchr(p, ',', end - p);
      size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);
      bool found = false;
      for (const char *h = have; h && *h;)
        {
          const char *hc = strchr(h, ',');
          size_t hlen = hc ? (size_t)(hc - h) : strlen(h);
          if (hlen == len && !memcmp(h, p, len))
            {
              found = true;
              break;
            }
          h = hc ? hc + 1 : NULL;
        }
      if (!found)
        return false;
      p += len + 1;
    }
  return true;
}

static char *
directory_under_mount(const struct cgroup_mount *m, const char *path)
{
  size_t root_len = strlen(m->root);
  if (!strcmp(m->root, "/"))
    return xasprintf("%s%s", m->target, path);
  if (strncmp(path, m->root, root_len) || (path[root_len] != '/' && path[root_len] != '\0'))
    return NULL;
  return xasprintf("%s%s", m->target, path + root_len);
}

char **
cgroup_directories(const char *proc_cgroup, const struct cgroup_mount *mounts, size_t n_mounts)
{
  cleanup_strv char **dirs = calloc(1, sizeof(char *));
  if (!dirs)
    return NULL;
  const char *line = proc_cgroup;
  while (line && *line)
    {
      const char *eol = strchr(line, '\n');
      size_t len = eol ? (size_t)(eol - line) : strlen(line);
      const char *c1 = memchr(line, ':', len);
      const char *c2 = c1 ? memchr(c1 + 1, ':', line + len - c1 - 1) : NULL;
      if (c2)
        {
          const char *controllers = c1 + 1;
          size_t controllers_len = c2 - controllers;
          cleanup_free char *path = strndup(c2 + 1, line + len - c2 - 1);
          if (!path)
            return NULL;
          bool v2 = controllers_len == 0 && !strncmp(line, "0:", 2);
          for (size_t i = 0; i < n_mounts; i++)
            {
              const struct cgroup_mount *m = &mounts[i];
              if (m->v2 != v2)
                continue;
              if (!v2 && !options_contain_all(m->options, controllers, controllers_len))
                continue;
              char *dir = directory_under_mount(m, path);
              if (!dir)
                continue;
              if (strv_push_take(&dirs, dir) < 0)
                return NULL;
              break;
            }
        }
      line = eol ? eol + 1 : NULL;
    }
  return steal_pointer(&dirs);
}

int
cgroup_join(const char *proc_cgroup)
{
  struct libmnt_table *table = mnt_new_table_from_file("/proc/self/mountinfo");
  if (!table)
    return cntr_fail(errno, "read /proc/self/mountinfo");
  struct cgroup_mount mounts[CGROUP_MAX_MOUNTS];
  size_t n = 0;
  struct libmnt_iter *iter = mnt_new_iter(MNT_ITER_FORWARD);
  struct libmnt_fs *fs;
  while (iter && n < CGROUP_MAX_MOUNTS && mnt_table_next_fs(table, iter, &fs) == 0)
    {
      const char *type = mnt_fs_get_fstype(fs);
      if (!type || (strcmp(type, "cgroup") && strcmp(type, "cgroup2")))
        continue;
      mounts[n++] = (struct cgroup_mount){
        .target = mnt_fs_get_target(fs),
        .root = mnt_fs_get_root(fs) ? mnt_fs_get_root(fs) : "/",
        .options = mnt_fs_get_fs_options(fs) ? mnt_fs_get_fs_options(fs) : "",
        .v2 = !strcmp(type, "cgroup2"),
      };
    }
  mnt_free_iter(iter);
  cleanup_strv char **dirs = cgroup_directories(proc_cgroup, mounts, n);
  /* Where we are already: moving there costs the first move of a cgroup v1
     hierarchy an RCU grace period (10 ms) for nothing. */
  cleanup_free char *own_text = NULL;
  size_t own_len = 0;
  cleanup_strv char **own = read_file_at(AT_FDCWD, "/proc/self/cgroup", &own_text, &own_len) == 0
                                ? cgroup_directories(own_text, mounts, n)
                                : NULL;
  mnt_unref_table(table);
  if (!dirs)
    return cntr_fail(errno, "resolve cgroups");
  int joined = 0;
  for (char **d = dirs; *d; d++)
    {
      if (own && strv_contains(own, *d))
        {
          joined++;
          continue;
        }
      cleanup_close int dfd = open(*d, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0 || write_file_at(dfd, "cgroup.procs", "0") < 0)
        {
          cntr_debug("join cgroup %s: %s", *d, strerror(errno));
          continue;
        }
      joined++;
    }
  if (joined == 0 && dirs[0])
    return cntr_fail(errno, "join the target's cgroup %s", dirs[0]);
  return joined;
}
