/* SPDX-License-Identifier: MIT */
/* pid://N: a process id, whatever started it.  It lists nothing (`cntr ps`
   shows containers); runtime_resolve() handles it. */
#include "runtime.h"

static int
pid_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  (void)ctx;
  (void)out;
  return RUNTIME_ABSENT;
}

const struct runtime_backend runtime_pid = {
  .name = "pid",
  .list = pid_list,
};
