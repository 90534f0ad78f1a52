/* SPDX-License-Identifier: MIT */
/* pid://N, and a plain number: a process id, whatever started it.  It lists
   nothing (`cntr ps` shows containers): it resolves the number itself. */
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <stdint.h>

static int
pid_resolve(const struct runtime_ctx *ctx, const char *spec, const char *want, bool alone,
            struct runtime_target *out)
{
  (void)ctx;
  unsigned long pid;
  if (!alone && !runtime_spec_is_pid(want))
    return RUNTIME_DECLINED; /* a name: for the runtimes asked with it */
  if (parse_ulong(want, &pid) < 0 || pid == 0 || pid > INT32_MAX)
    {
      cntr_fail(0, "target '%s': not a process id", spec);
      cntr_hint("give the PID of any process of the container");
      return -1;
    }
  out->pid = (pid_t)pid;
  out->runtime = runtime_pid.name;
  return 0;
}

const struct runtime_backend runtime_pid = {
  .name = "pid",
  .summary = "a process of the container (a plain number is a PID)",
  .syntax = "PID",
  .resolve = pid_resolve,
};
