/* SPDX-License-Identifier: MIT */
/* Podman (rootful): `podman ps` + `podman inspect -f` where the CLI is
   installed; without it, the files conmon and containers/storage keep:
   /run/containers/storage/overlay-containers/ID/userdata/pidfile (the
   container's init PID) and the names in
   /var/lib/containers/storage/overlay-containers/containers.json. */
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

#define STORAGE "/var/lib/containers/storage"
#define RUN_CONTAINERS "/run/containers/storage/overlay-containers"

/* containers.json: [{"id": "...", "names": ["web"], ...}, ...] */
static char *
storage_name(json_object *all, const char *id)
{
  size_t n = all && json_object_is_type(all, json_type_array) ? json_object_array_length(all) : 0;
  for (size_t i = 0; i < n; i++)
    {
      json_object *c = json_object_array_get_idx(all, i), *v, *names;
      if (!json_object_object_get_ex(c, "id", &v) || strcmp(json_object_get_string(v), id))
        continue;
      if (json_object_object_get_ex(c, "names", &names)
          && json_object_is_type(names, json_type_array) && json_object_array_length(names) > 0)
        return strdup(json_object_get_string(json_object_array_get_idx(names, 0)));
    }
  return NULL;
}

static int
podman_state_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  cleanup_free char *path = runtime_path(ctx, RUN_CONTAINERS);
  cleanup_closedir DIR *d = path ? opendir(path) : NULL;
  if (!d)
    return errno == ENOENT ? 0 : cntr_fail(errno, "open %s", path);
  cleanup_free char *db_path = runtime_path(ctx, STORAGE "/overlay-containers/containers.json");
  cleanup_free char *db_text = NULL;
  json_object *db = NULL;
  if (db_path && read_file_at(AT_FDCWD, db_path, &db_text, NULL) == 0)
    db = json_tokener_parse(db_text);
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d)))
    {
      if (de->d_name[0] == '.')
        continue;
      cleanup_free char *f = xasprintf("%s/%s/userdata/pidfile", path, de->d_name);
      cleanup_free char *text = NULL;
      unsigned long pid = 0;
      if (!f || read_file_at(AT_FDCWD, f, &text, NULL) < 0)
        continue; /* created, never started */
      text[strcspn(text, "\n")] = '\0';
      if (parse_ulong(text, &pid) < 0 || pid > INT32_MAX)
        pid = 0;
      cleanup_free char *name = storage_name(db, de->d_name);
      struct runtime_entry *e
          = runtime_list_add(out, &runtime_podman, name ? name : de->d_name, de->d_name);
      if (!e)
        rc = cntr_fail(ENOMEM, "podman");
      else
        {
          e->generated_id = true;
          e->running = runtime_pid_alive((pid_t)pid);
          e->pid = e->running ? (pid_t)pid : 0;
          if (runtime_set(&e->state, e->running ? "running" : "stopped") < 0
              || runtime_set(&e->cgroup_key, e->id) < 0)
            rc = cntr_fail(ENOMEM, "podman");
        }
    }
  json_object_put(db);
  return rc;
}

static int
podman_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  /* No storage: podman never ran a container here; do not start it. */
  if (!runtime_path_exists(ctx, STORAGE, false))
    return RUNTIME_ABSENT;
  if (runtime_have_cli("podman"))
    return runtime_docker_like_list(ctx, &runtime_podman, "podman", out);
  return podman_state_list(ctx, out);
}

const struct runtime_backend runtime_podman = {
  .name = "podman",
  .summary = "Podman (rootful): podman ps and inspect, or conmon's pidfiles",
  .syntax = "NAME",
  .list = podman_list,
};
