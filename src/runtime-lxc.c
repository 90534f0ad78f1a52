/* SPDX-License-Identifier: MIT */
/* LXC (lxc-start): `lxc-ls -1` for the names, `lxc-info -n NAME -s -p`
   ("State: RUNNING", "PID: 1234") for each.  Its containers run in the
   cgroup lxc.payload.NAME (LXC 4 and later). */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
lxc_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  if (!runtime_have_cli("lxc-ls") || !runtime_have_cli("lxc-info")
      || !runtime_path_exists(ctx, "/var/lib/lxc", false))
    return RUNTIME_ABSENT;
  char *ls[] = { "lxc-ls", "-1", NULL };
  cleanup_free char *names = NULL;
  if (runtime_cli(ctx, ls, &names) < 0)
    return -1;
  char *save = NULL;
  for (char *n = strtok_r(names, "\n", &save); n; n = strtok_r(NULL, "\n", &save))
    {
      n += strspn(n, " \t");
      n[strcspn(n, " \t")] = '\0';
      if (!*n)
        continue;
      char *info[] = { "lxc-info", "-n", n, "-s", "-p", NULL };
      cleanup_free char *text = NULL;
      struct runtime_entry *e = runtime_list_add(out, &runtime_lxc, n, NULL);
      if (!e)
        return cntr_fail(ENOMEM, "lxc");
      if (runtime_cli(ctx, info, &text) < 0 || runtime_parse_lxc_info(text, e) < 0)
        {
          /* Removed since lxc-ls, or broken: not a target. */
          cntr_error_clear();
          e->running = false;
          if (runtime_set(&e->state, "unknown") < 0)
            return cntr_fail(ENOMEM, "lxc");
          continue;
        }
      cleanup_free char *key = xasprintf("lxc.payload.%s", n);
      if (!key || runtime_set(&e->cgroup_key, key) < 0)
        return cntr_fail(ENOMEM, "lxc");
    }
  return 0;
}

const struct runtime_backend runtime_lxc = {
  .name = "lxc",
  .summary = "LXC: lxc-ls and lxc-info",
  .syntax = "NAME",
  .list = lxc_list,
};
