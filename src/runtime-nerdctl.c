/* SPDX-License-Identifier: MIT */
/* nerdctl (containerd with docker's user interface): `nerdctl ps -aq` and
   `nerdctl inspect --mode dockercompat`, whose JSON is docker's. */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
runtime_parse_docker_json(const struct runtime_backend *rt, const char *json,
                          struct runtime_list *out)
{
  json_object *root = json_tokener_parse(json);
  if (!root || !json_object_is_type(root, json_type_array))
    {
      json_object_put(root);
      errno = EINVAL;
      return -1;
    }
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < json_object_array_length(root); i++)
    {
      json_object *c = json_object_array_get_idx(root, i), *v, *st;
      const char *id = json_object_object_get_ex(c, "Id", &v) ? json_object_get_string(v) : NULL;
      const char *name
          = json_object_object_get_ex(c, "Name", &v) ? json_object_get_string(v) : NULL;
      if (!id || !*id)
        continue;
      if (name && name[0] == '/')
        name++;
      struct runtime_entry *e = runtime_list_add(out, rt, name && *name ? name : id, id);
      if (!e)
        {
          rc = -1;
          break;
        }
      e->generated_id = true;
      const char *status = NULL;
      int64_t pid = 0;
      bool running = false;
      if (json_object_object_get_ex(c, "State", &st))
        {
          if (json_object_object_get_ex(st, "Status", &v))
            status = json_object_get_string(v);
          if (json_object_object_get_ex(st, "Running", &v))
            running = json_object_get_boolean(v);
          if (json_object_object_get_ex(st, "Pid", &v))
            pid = json_object_get_int64(v);
        }
      e->running = running && pid > 0 && pid <= INT32_MAX;
      e->pid = e->running ? (pid_t)pid : 0;
      if (runtime_set(&e->state, status ? status : (running ? "running" : "stopped")) < 0
          || runtime_set(&e->cgroup_key, id) < 0)
        rc = -1;
    }
  json_object_put(root);
  return rc;
}

static int
nerdctl_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  if (!runtime_have_cli("nerdctl")
      || !runtime_path_exists(ctx, "/run/containerd/containerd.sock", true))
    return RUNTIME_ABSENT;
  char *ps[] = { "nerdctl", "ps", "--all", "--quiet", "--no-trunc", NULL };
  cleanup_free char *ids = NULL;
  if (runtime_cli(ctx, ps, &ids) < 0)
    return -1;
  cleanup_strv char **argv = NULL;
  const char *fixed[] = { "nerdctl", "inspect", "--mode", "dockercompat", NULL };
  for (size_t i = 0; fixed[i]; i++)
    if (strv_push(&argv, fixed[i]) < 0)
      return cntr_fail(ENOMEM, "nerdctl");
  size_t base = strv_length(argv);
  for (char *tok = strtok(ids, " \n"); tok; tok = strtok(NULL, " \n"))
    if (strv_push(&argv, tok) < 0)
      return cntr_fail(ENOMEM, "nerdctl");
  if (strv_length(argv) == base)
    return 0;
  cleanup_free char *text = NULL;
  if (runtime_cli(ctx, argv, &text) < 0)
    return -1;
  if (runtime_parse_docker_json(&runtime_nerdctl, text, out) < 0)
    return cntr_fail(errno, "nerdctl inspect: unexpected output");
  return 0;
}

const struct runtime_backend runtime_nerdctl = {
  .name = "nerdctl",
  .summary = "nerdctl: nerdctl ps and inspect",
  .syntax = "NAME",
  .list = nerdctl_list,
};
