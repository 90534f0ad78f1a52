/* SPDX-License-Identifier: MIT */
/* CRI (Kubernetes nodes: containerd's CRI plugin, CRI-O) through crictl:
   `crictl ps -a -o json` for names, pods and states, `crictl inspect -o
   json ID` for the PID of a running one (.info.pid).  A container is named
   by its name, ID or ID prefix, or POD/NAME where names repeat across pods. */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *
jstr(json_object *o, const char *a, const char *b)
{
  json_object *v;
  if (!json_object_object_get_ex(o, a, &v))
    return NULL;
  if (b && !json_object_object_get_ex(v, b, &v))
    return NULL;
  return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int
runtime_parse_crictl_ps(const char *json, struct runtime_list *out)
{
  json_object *root = json_tokener_parse(json), *list;
  int rc = 0;
  if (!root || !json_object_object_get_ex(root, "containers", &list)
      || !json_object_is_type(list, json_type_array))
    {
      json_object_put(root);
      errno = EINVAL;
      return -1;
    }
  for (size_t i = 0; rc == 0 && i < json_object_array_length(list); i++)
    {
      json_object *c = json_object_array_get_idx(list, i);
      const char *id = jstr(c, "id", NULL);
      const char *name = jstr(c, "metadata", "name");
      const char *state = jstr(c, "state", NULL);
      const char *pod = jstr(c, "labels", "io.kubernetes.pod.name");
      if (!id)
        continue;
      struct runtime_entry *e = runtime_list_add(out, &runtime_cri, name ? name : id, id);
      if (!e)
        {
          rc = -1;
          break;
        }
      e->generated_id = true;
      /* CONTAINER_RUNNING, CONTAINER_EXITED, ...: "running", "exited". */
      const char *word = state && !strncmp(state, "CONTAINER_", 10) ? state + 10 : state;
      cleanup_free char *lower = word ? strdup(word) : NULL;
      for (char *p = lower; p && *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
      e->running = lower && !strcmp(lower, "running"); /* pid: from inspect */
      if (runtime_set(&e->state, lower) < 0 || runtime_set(&e->ns, pod) < 0
          || runtime_set(&e->cgroup_key, id) < 0)
        rc = -1;
    }
  json_object_put(root);
  return rc;
}

int
runtime_parse_crictl_inspect(const char *json, pid_t *pid)
{
  json_object *root = json_tokener_parse(json), *info, *p;
  int64_t v = 0;
  if (root && json_object_object_get_ex(root, "info", &info)
      && json_object_object_get_ex(info, "pid", &p))
    v = json_object_get_int64(p);
  json_object_put(root);
  if (v <= 0 || v > INT32_MAX)
    {
      errno = EINVAL;
      return -1;
    }
  *pid = (pid_t)v;
  return 0;
}

static bool
endpoint_present(const struct runtime_ctx *ctx)
{
  static const char *const sockets[] = {
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/cri-dockerd.sock",
    NULL,
  };
  if (getenv("CONTAINER_RUNTIME_ENDPOINT") || runtime_path_exists(ctx, "/etc/crictl.yaml", false))
    return true;
  for (size_t i = 0; sockets[i]; i++)
    if (runtime_path_exists(ctx, sockets[i], true))
      return true;
  return false;
}

static int
cri_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  if (!runtime_have_cli("crictl") || !endpoint_present(ctx))
    return RUNTIME_ABSENT;
  char *ps[] = { "crictl", "--timeout", "2s", "ps", "--all", "--output", "json", NULL };
  cleanup_free char *text = NULL;
  if (runtime_cli(ctx, ps, &text) < 0)
    return -1;
  size_t first = out->n;
  if (runtime_parse_crictl_ps(text, out) < 0)
    return cntr_fail(errno, "crictl ps: unexpected output");
  for (size_t i = first; i < out->n; i++)
    {
      struct runtime_entry *e = &out->v[i];
      if (!e->running)
        continue;
      char *inspect[] = { "crictl", "--timeout", "2s", "inspect", "--output", "json", e->id, NULL };
      cleanup_free char *js = NULL;
      pid_t pid;
      if (runtime_cli(ctx, inspect, &js) < 0 || runtime_parse_crictl_inspect(js, &pid) < 0)
        {
          /* Gone since the listing: as good as stopped. */
          cntr_error_clear();
          e->running = false;
          continue;
        }
      e->pid = pid;
    }
  return 0;
}

const struct runtime_backend runtime_cri = {
  .name = "cri",
  .summary = "CRI (Kubernetes nodes): crictl ps and inspect",
  .syntax = "[POD/]NAME",
  .list = cri_list,
};
