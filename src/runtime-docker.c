/* SPDX-License-Identifier: MIT */
/* Docker: `docker ps` + `docker inspect -f` where the CLI and the daemon's
   socket are there; without the CLI, the state dockerd's runc keeps
   (/run/docker/runtime-runc/moby/ID/state.json) and the container's name
   from /var/lib/docker/containers/ID/config.v2.json. */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* One line per container: the fields cntr needs, tab-separated. */
#define INSPECT_FORMAT "{{.Id}}\t{{.Name}}\t{{.State.Status}}\t{{.State.Pid}}"

int
runtime_parse_inspect_lines(const struct runtime_backend *rt, const char *text,
                            struct runtime_list *out)
{
  for (const char *line = text; *line;)
    {
      const char *end = strchrnul(line, '\n');
      cleanup_free char *l = strndup(line, (size_t)(end - line));
      if (!l)
        return -1;
      line = *end ? end + 1 : end;
      char *f[4] = { 0 }, *p = l;
      int nf = 0;
      /* strsep keeps empty fields (a container without a name). */
      while (nf < 4 && (f[nf] = strsep(&p, "\t")) != NULL)
        nf++;
      if (nf < 4 || !*f[0])
        continue;
      const char *name = f[1][0] == '/' ? f[1] + 1 : f[1];
      unsigned long pid = 0;
      if (parse_ulong(f[3], &pid) < 0)
        pid = 0;
      struct runtime_entry *e = runtime_list_add(out, rt, *name ? name : f[0], f[0]);
      if (!e)
        return -1;
      e->generated_id = true;
      e->running = !strcmp(f[2], "running") && pid > 0;
      e->pid = e->running ? (pid_t)pid : 0;
      if (runtime_set(&e->state, f[2]) < 0 || runtime_set(&e->cgroup_key, f[0]) < 0)
        return -1;
    }
  return 0;
}

int
runtime_docker_like_list(const struct runtime_ctx *ctx, const struct runtime_backend *rt,
                         const char *cli, struct runtime_list *out)
{
  char *ps[] = { (char *)cli, "ps", "--all", "--quiet", "--no-trunc", NULL };
  cleanup_free char *ids = NULL;
  if (runtime_cli(ctx, ps, &ids) < 0)
    return -1;
  cleanup_strv char **argv = NULL;
  const char *fixed[] = { cli, "inspect", "--type", "container", "--format", INSPECT_FORMAT, NULL };
  for (size_t i = 0; fixed[i]; i++)
    if (strv_push(&argv, fixed[i]) < 0)
      return cntr_fail(ENOMEM, "%s", cli);
  size_t base = strv_length(argv);
  for (char *tok = strtok(ids, " \n"); tok; tok = strtok(NULL, " \n"))
    if (strv_push(&argv, tok) < 0)
      return cntr_fail(ENOMEM, "%s", cli);
  if (strv_length(argv) == base)
    return 0;
  cleanup_free char *text = NULL;
  if (runtime_cli(ctx, argv, &text) < 0)
    return -1;
  if (runtime_parse_inspect_lines(rt, text, out) < 0)
    return cntr_fail(errno, "%s inspect", cli);
  return 0;
}

char *
runtime_json_file_string(const struct runtime_ctx *ctx, const char *path, const char *key)
{
  cleanup_free char *p = runtime_path(ctx, path);
  cleanup_free char *text = NULL;
  if (!p || read_file_at(AT_FDCWD, p, &text, NULL) < 0)
    return NULL;
  json_object *root = json_tokener_parse(text);
  json_object *v;
  char *s = NULL;
  if (root && json_object_object_get_ex(root, key, &v) && json_object_is_type(v, json_type_string))
    s = strdup(json_object_get_string(v));
  json_object_put(root);
  return s;
}

static int
docker_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  /* DOCKER_HOST may point anywhere: then the CLI knows.  Otherwise no
     socket means no daemon, and we do not wait for the CLI to find out. */
  bool daemon = getenv("DOCKER_HOST") || runtime_path_exists(ctx, "/run/docker.sock", true)
                || runtime_path_exists(ctx, "/var/run/docker.sock", true);
  if (daemon && runtime_have_cli("docker"))
    return runtime_docker_like_list(ctx, &runtime_docker, "docker", out);

  const char *state = "/run/docker/runtime-runc/moby";
  if (!runtime_path_exists(ctx, state, false))
    return RUNTIME_ABSENT;
  size_t first = out->n;
  if (runtime_scan_runc_root(ctx, &runtime_docker, state, "state.json", out) < 0)
    return -1;
  for (size_t i = first; i < out->n; i++)
    {
      struct runtime_entry *e = &out->v[i];
      e->generated_id = true;
      if (runtime_set(&e->cgroup_key, e->id) < 0)
        return cntr_fail(ENOMEM, "docker");
      cleanup_free char *cfg = xasprintf("/var/lib/docker/containers/%s/config.v2.json", e->id);
      cleanup_free char *name = cfg ? runtime_json_file_string(ctx, cfg, "Name") : NULL;
      if (name && name[0] == '/' && name[1] && runtime_set(&e->name, name + 1) < 0)
        return cntr_fail(ENOMEM, "docker");
    }
  return 0;
}

const struct runtime_backend runtime_docker = {
  .name = "docker",
  .summary = "Docker: docker ps and inspect, or the state of dockerd's runc",
  .syntax = "NAME",
  .list = docker_list,
};
