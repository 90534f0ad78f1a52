/* SPDX-License-Identifier: MIT */
/* Podman.  Rootful: `podman ps` + `podman inspect -f` where the CLI is
   installed; without it, the files conmon and containers/storage keep:
   /run/containers/storage/overlay-containers/ID/userdata/pidfile (the
   container's init PID) and the names in
   /var/lib/containers/storage/overlay-containers/containers.json.
   Rootless: every user's own storage, from the same files under the user's
   run root (/run/user/UID/containers, or /tmp/containers-user-UID/containers
   without XDG_RUNTIME_DIR) and graph root (~/.local/share/containers/
   storage); those containers are NS/NAME with the user's name as NS. */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pwd.h>
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

/* The containers of one storage: run_dir the run root's overlay-containers,
   storage its graph root; user NULL for rootful podman, else the user whose
   storage it is (the entries' namespace). */
static int
podman_state_list(const struct runtime_ctx *ctx, const char *run_dir, const char *storage,
                  const char *user, struct runtime_list *out)
{
  cleanup_free char *path = runtime_path(ctx, run_dir);
  cleanup_closedir DIR *d = path ? opendir(path) : NULL;
  if (!d)
    return errno == ENOENT ? 0 : cntr_fail(errno, "open %s", path);
  cleanup_free char *db_file = xasprintf("%s/overlay-containers/containers.json", storage);
  cleanup_free char *db_path = db_file ? runtime_path(ctx, db_file) : NULL;
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
          /* Rootless containers on cgroup v1 have no cgroup of their own:
             there the check that the PID is still theirs is that it is not
             in the host's mount namespace. */
          if (runtime_set(&e->state, e->running ? "running" : "stopped") < 0
              || runtime_set(&e->ns, user) < 0 || (!user && runtime_set(&e->cgroup_key, e->id) < 0))
            rc = cntr_fail(ENOMEM, "podman");
        }
    }
  json_object_put(db);
  return rc;
}

/* Every user's rootless storage whose run root exists under dir
   ("/run/user" with UID directories, or "/tmp" with containers-user-UID);
   *found says whether there was any. */
static int
rootless_list(const struct runtime_ctx *ctx, const char *dir, const char *prefix,
              struct runtime_list *out, bool *found)
{
  cleanup_free char *path = runtime_path(ctx, dir);
  cleanup_closedir DIR *d = path ? opendir(path) : NULL;
  if (!d)
    return 0;
  size_t plen = strlen(prefix);
  struct dirent *de;
  while ((de = readdir(d)))
    {
      unsigned long uid;
      if (strncmp(de->d_name, prefix, plen) || parse_ulong(de->d_name + plen, &uid) < 0)
        continue;
      cleanup_free char *run = xasprintf("%s/%s/containers/overlay-containers", dir, de->d_name);
      if (!run || !runtime_path_exists(ctx, run, false))
        continue;
      /* The user's name and home, from the host's password database. */
      struct passwd *pw = getpwuid((uid_t)uid);
      if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
        continue;
      cleanup_free char *storage = xasprintf("%s/.local/share/containers/storage", pw->pw_dir);
      if (!storage)
        return cntr_fail(ENOMEM, "podman");
      *found = true;
      if (podman_state_list(ctx, run, storage, pw->pw_name, out) < 0)
        return -1;
    }
  return 0;
}

int
runtime_podman_rootless_list(const struct runtime_ctx *ctx, struct runtime_list *out, bool *found)
{
  *found = false;
  if (rootless_list(ctx, "/run/user", "", out, found) < 0
      || rootless_list(ctx, "/tmp", "containers-user-", out, found) < 0)
    return -1;
  return 0;
}

static int
podman_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  bool rootless = false;
  if (runtime_podman_rootless_list(ctx, out, &rootless) < 0)
    return -1;
  /* No storage: podman never ran a container here; do not start it. */
  if (!runtime_path_exists(ctx, STORAGE, false))
    return rootless ? 0 : RUNTIME_ABSENT;
  if (runtime_have_cli("podman"))
    return runtime_docker_like_list(ctx, &runtime_podman, "podman", out);
  return podman_state_list(ctx, RUN_CONTAINERS, STORAGE, NULL, out);
}

const struct runtime_backend runtime_podman = {
  .name = "podman",
  .summary = "Podman: podman ps and inspect, or conmon's pidfiles; every user's rootless storage",
  .syntax = "[USER/]NAME",
  .list = podman_list,
};
