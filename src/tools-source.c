/* SPDX-License-Identifier: MIT */
/* The openers of the tools sources (tools-source.h), one per kind. */
#include "tools-source.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>

static int
open_directory(const char *arg, int *tools_fd)
{
  *tools_fd = open(arg, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*tools_fd < 0)
    return cntr_fail(errno, "--tools %s", arg);
  return 0;
}

static const struct tools_source
{
  int (*open)(const char *arg, int *tools_fd);
} sources[TOOLS_KIND_COUNT] = {
  [TOOLS_DIRECTORY] = { open_directory },
};

int
tools_source_open(const struct tools_spec *spec, int *tools_fd)
{
  *tools_fd = -1;
  if ((unsigned)spec->kind >= TOOLS_KIND_COUNT || !sources[spec->kind].open)
    return cntr_fail(EINVAL, "tools source %d", (int)spec->kind);
  return sources[spec->kind].open(spec->arg, tools_fd);
}
