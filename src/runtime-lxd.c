/* SPDX-License-Identifier: MIT */
/* LXD and Incus, the same client interface under two names: `lxc list
   --format csv --columns n` (`incus list ...`) for the names, `lxc info
   NAME` ("Status: RUNNING", "PID: 1234") for each.  LXD's client is called
   lxc, as LXC's tools are not: the daemon's socket tells LXD is there. */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
lxd_like_list(const struct runtime_ctx *ctx, const struct runtime_backend *rt, const char *cli,
              const char *const *sockets, struct runtime_list *out)
{
  bool daemon = false;
  for (size_t i = 0; sockets[i] && !daemon; i++)
    daemon = runtime_path_exists(ctx, sockets[i], true);
  if (!daemon || !runtime_have_cli(cli))
    return RUNTIME_ABSENT;
  char *ls[] = { (char *)cli, "list", "--format", "csv", "--columns", "n", NULL };
  cleanup_free char *names = NULL;
  if (runtime_cli(ctx, ls, &names) < 0)
    return -1;
  char *save = NULL;
  for (char *n = strtok_r(names, "\n", &save); n; n = strtok_r(NULL, "\n", &save))
    {
      if (!*n)
        continue;
      struct runtime_entry *e = runtime_list_add(out, rt, n, NULL);
      if (!e)
        return cntr_fail(ENOMEM, "%s", rt->name);
      char *info[] = { (char *)cli, "info", n, NULL };
      cleanup_free char *text = NULL;
      if (runtime_cli(ctx, info, &text) < 0 || runtime_parse_lxc_info(text, e) < 0)
        {
          cntr_error_clear();
          e->running = false;
          if (runtime_set(&e->state, "unknown") < 0)
            return cntr_fail(ENOMEM, "%s", rt->name);
          continue;
        }
      cleanup_free char *key = xasprintf("lxc.payload.%s", n);
      if (!key || runtime_set(&e->cgroup_key, key) < 0)
        return cntr_fail(ENOMEM, "%s", rt->name);
    }
  return 0;
}

static int
lxd_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  static const char *const sockets[] = {
    "/var/snap/lxd/common/lxd/unix.socket",
    "/var/lib/lxd/unix.socket",
    NULL,
  };
  return lxd_like_list(ctx, &runtime_lxd, "lxc", sockets, out);
}

static int
incus_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  static const char *const sockets[] = { "/var/lib/incus/unix.socket", NULL };
  return lxd_like_list(ctx, &runtime_incus, "incus", sockets, out);
}

const struct runtime_backend runtime_lxd = {
  .name = "lxd",
  .summary = "LXD: lxc list and info",
  .syntax = "NAME",
  .list = lxd_list,
};

const struct runtime_backend runtime_incus = {
  .name = "incus",
  .summary = "Incus: incus list and info",
  .syntax = "NAME",
  .list = incus_list,
};
