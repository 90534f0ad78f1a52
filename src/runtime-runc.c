/* SPDX-License-Identifier: MIT */
/* runc and crun started by hand (`runc run -d NAME`): their state
   directories, one per container, hold the init PID and its start time —
   runc's /run/runc/ID/state.json, crun's /run/crun/ID/status.  No CLI is
   needed to list them (the start time guards against a reused PID); an
   installed CLI without a state directory is there with no containers. */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool
json_get_u64(json_object *o, const char *const *keys, unsigned long long *v)
{
  json_object *x;
  for (; *keys; keys++)
    if (json_object_object_get_ex(o, *keys, &x) && json_object_is_type(x, json_type_int))
      {
        *v = (unsigned long long)json_object_get_int64(x);
        return true;
      }
  return false;
}

int
runtime_parse_runc_state(const char *json, pid_t *pid, unsigned long long *start_time)
{
  static const char *const pid_keys[] = { "init_process_pid", "pid", NULL };
  static const char *const start_keys[] = { "init_process_start", "process-start-time", NULL };
  json_object *o = json_tokener_parse(json);
  unsigned long long p = 0, st = 0;
  bool ok = o && json_object_is_type(o, json_type_object) && json_get_u64(o, pid_keys, &p) && p > 0
            && p <= INT32_MAX;
  if (ok && !json_get_u64(o, start_keys, &st))
    st = 0;
  json_object_put(o);
  if (!ok)
    {
      errno = EINVAL;
      return -1;
    }
  *pid = (pid_t)p;
  *start_time = st;
  return 0;
}

int
runtime_scan_runc_root(const struct runtime_ctx *ctx, const struct runtime_backend *rt,
                       const char *dir, const char *file, struct runtime_list *out)
{
  cleanup_free char *path = runtime_path(ctx, dir);
  if (!path)
    return cntr_fail(ENOMEM, "%s", dir);
  cleanup_closedir DIR *d = opendir(path);
  if (!d)
    return errno == ENOENT ? 0 : cntr_fail(errno, "open %s", path);
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (de->d_name[0] == '.')
        continue;
      cleanup_free char *f = xasprintf("%s/%s/%s", path, de->d_name, file);
      cleanup_free char *text = NULL;
      if (!f || read_file_at(AT_FDCWD, f, &text, NULL) < 0)
        continue; /* not a container directory, or being removed */
      pid_t pid;
      unsigned long long start;
      if (runtime_parse_runc_state(text, &pid, &start) < 0)
        continue;
      struct runtime_entry *e = runtime_list_add(out, rt, de->d_name, NULL);
      if (!e)
        return cntr_fail(ENOMEM, "%s", dir);
      /* Alive and the same process: a PID reused since has another start
         time (its own when the state file does not know one). */
      e->running = runtime_pid_alive(pid) && (start == 0 || runtime_pid_start_time(pid) == start);
      e->pid = e->running ? pid : 0;
      e->start_time = e->running ? start : 0;
      if (runtime_set(&e->state, e->running ? "running" : "stopped") < 0)
        return cntr_fail(ENOMEM, "%s", dir);
    }
  return 0;
}

static int
runc_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  bool runc = runtime_path_exists(ctx, "/run/runc", false);
  bool crun = runtime_path_exists(ctx, "/run/crun", false);
  /* The state directory appears with the first container: an installed CLI
     that never ran one is there, with nothing to list. */
  if (!runc && !crun)
    return runtime_have_cli("runc") || runtime_have_cli("crun") ? 0 : RUNTIME_ABSENT;
  if (runc && runtime_scan_runc_root(ctx, &runtime_runc, "/run/runc", "state.json", out) < 0)
    return -1;
  if (crun && runtime_scan_runc_root(ctx, &runtime_runc, "/run/crun", "status", out) < 0)
    return -1;
  return 0;
}

const struct runtime_backend runtime_runc = {
  .name = "runc",
  .summary = "runc and crun started by hand: their state directories",
  .syntax = "ID",
  .list = runc_list,
};
