/* SPDX-License-Identifier: MIT */
/* containerd (ctr): containers are named by their ID inside a namespace
   (default, k8s.io for CRI, moby for docker, or any other).  With ctr and
   the daemon's socket: `ctr namespaces ls`, `ctr task ls` and `ctr
   containers ls` per namespace.  Without them, the runtime v2 shims' task
   directories, /run/containerd/io.containerd.runtime.v2.task/NS/ID/init.pid
   (and the same under the containerd that dockerd starts itself). */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SOCKET "/run/containerd/containerd.sock"
static const char *const task_roots[] = {
  "/run/containerd/io.containerd.runtime.v2.task",
  "/run/docker/containerd/daemon/io.containerd.runtime.v2.task",
  NULL,
};

static struct runtime_entry *
add(struct runtime_list *out, const char *ns, const char *id, pid_t pid, bool running,
    const char *state)
{
  struct runtime_entry *e = runtime_list_add(out, &runtime_containerd, id, NULL);
  if (!e)
    return NULL;
  e->running = running && pid > 0;
  e->pid = e->running ? pid : 0;
  if (runtime_set(&e->ns, ns) < 0 || runtime_set(&e->state, state) < 0
      || runtime_set(&e->cgroup_key, id) < 0)
    return NULL;
  return e;
}

int
runtime_parse_ctr_tasks(const char *text, const char *ns, struct runtime_list *out)
{
  bool header = true;
  for (const char *line = text; *line;)
    {
      const char *end = strchrnul(line, '\n');
      cleanup_free char *l = strndup(line, (size_t)(end - line));
      line = *end ? end + 1 : end;
      if (!l)
        return -1;
      char *save = NULL;
      char *task = strtok_r(l, " \t", &save);
      char *pid = task ? strtok_r(NULL, " \t", &save) : NULL;
      char *status = pid ? strtok_r(NULL, " \t", &save) : NULL;
      if (!status)
        continue;
      if (header && !strcmp(task, "TASK"))
        {
          header = false;
          continue;
        }
      header = false;
      unsigned long p = 0;
      if (parse_ulong(pid, &p) < 0 || p > INT32_MAX)
        p = 0;
      for (char *c = status; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
      if (!add(out, ns, task, (pid_t)p, !strcmp(status, "running"), status))
        return -1;
    }
  return 0;
}

static bool
known(const struct runtime_list *l, size_t from, const char *ns, const char *id)
{
  for (size_t i = from; i < l->n; i++)
    if (!strcmp(l->v[i].id, id) && l->v[i].ns && !strcmp(l->v[i].ns, ns))
      return true;
  return false;
}

int
runtime_scan_containerd_tasks(const struct runtime_ctx *ctx, const char *dir,
                              struct runtime_list *out)
{
  cleanup_free char *path = runtime_path(ctx, dir);
  cleanup_closedir DIR *d = path ? opendir(path) : NULL;
  if (!d)
    return errno == ENOENT ? 0 : cntr_fail(errno, "open %s", path);
  size_t first = out->n;
  struct dirent *nsd;
  while ((nsd = readdir(d)))
    {
      if (nsd->d_name[0] == '.')
        continue;
      cleanup_free char *nspath = xasprintf("%s/%s", path, nsd->d_name);
      cleanup_closedir DIR *t = nspath ? opendir(nspath) : NULL;
      if (!t)
        continue;
      struct dirent *td;
      while ((td = readdir(t)))
        {
          if (td->d_name[0] == '.' || known(out, first, nsd->d_name, td->d_name))
            continue;
          cleanup_free char *f = xasprintf("%s/%s/init.pid", nspath, td->d_name);
          cleanup_free char *text = NULL;
          if (!f || read_file_at(AT_FDCWD, f, &text, NULL) < 0)
            continue;
          text[strcspn(text, "\n")] = '\0';
          unsigned long pid = 0;
          if (parse_ulong(text, &pid) < 0 || pid > INT32_MAX)
            pid = 0;
          bool alive = runtime_pid_alive((pid_t)pid);
          if (!add(out, nsd->d_name, td->d_name, (pid_t)pid, alive, alive ? "running" : "stopped"))
            return cntr_fail(ENOMEM, "containerd");
        }
    }
  return 0;
}

static int
ctr_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  char *nsargv[] = { "ctr", "--connect-timeout", "2s", "namespaces", "list", "--quiet", NULL };
  cleanup_free char *nss = NULL;
  if (runtime_cli(ctx, nsargv, &nss) < 0)
    return -1;
  char *save = NULL;
  for (char *ns = strtok_r(nss, "\n", &save); ns; ns = strtok_r(NULL, "\n", &save))
    {
      size_t first = out->n;
      char *tasks[]
          = { "ctr", "--connect-timeout", "2s", "--namespace", ns, "tasks", "list", NULL };
      cleanup_free char *ttext = NULL;
      if (runtime_cli(ctx, tasks, &ttext) < 0)
        return -1;
      if (runtime_parse_ctr_tasks(ttext, ns, out) < 0)
        return cntr_fail(errno, "ctr tasks list");
      /* Containers without a task are stopped. */
      char *cs[] = { "ctr",  "--connect-timeout", "2s", "--namespace", ns, "containers",
                     "list", "--quiet",           NULL };
      cleanup_free char *ctext = NULL;
      if (runtime_cli(ctx, cs, &ctext) < 0)
        return -1;
      char *save2 = NULL;
      for (char *id = strtok_r(ctext, "\n", &save2); id; id = strtok_r(NULL, "\n", &save2))
        if (!known(out, first, ns, id) && !add(out, ns, id, 0, false, "stopped"))
          return cntr_fail(ENOMEM, "containerd");
    }
  return 0;
}

static int
containerd_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  if (runtime_path_exists(ctx, SOCKET, true) && runtime_have_cli("ctr"))
    return ctr_list(ctx, out);
  bool any = false;
  for (size_t i = 0; task_roots[i]; i++)
    if (runtime_path_exists(ctx, task_roots[i], false))
      {
        any = true;
        if (runtime_scan_containerd_tasks(ctx, task_roots[i], out) < 0)
          return -1;
      }
  return any ? 0 : RUNTIME_ABSENT;
}

const struct runtime_backend runtime_containerd = {
  .name = "containerd",
  .summary = "containerd: ctr in every namespace, or the shims' task directories",
  .syntax = "[NAMESPACE/]ID",
  .list = containerd_list,
};
