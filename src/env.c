/* SPDX-License-Identifier: MIT */
/* Building the environment of a session's command from the target's (env.h). */
#include "env.h"
#include "cleanup.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *
env_get(char *const *env, const char *name)
{
  size_t len = strlen(name);
  for (size_t i = 0; env && env[i]; i++)
    if (!strncmp(env[i], name, len) && env[i][len] == '=')
      return env[i] + len + 1;
  return NULL;
}

static size_t
name_length(const char *entry)
{
  const char *eq = strchr(entry, '=');
  return eq ? (size_t)(eq - entry) : strlen(entry);
}

static bool
overridden(char *const *overrides, const char *entry)
{
  size_t len = name_length(entry);
  for (size_t i = 0; overrides && overrides[i]; i++)
    if (name_length(overrides[i]) == len && !strncmp(overrides[i], entry, len))
      return true;
  return false;
}

char **
env_build(const struct env_params *p)
{
  cleanup_strv char **env = calloc(1, sizeof(char *));
  if (!env)
    return NULL;

  /* PATH: the tools first, so their versions win; then the target's own. */
  const char *target_path = env_get(p->target_env, "PATH");
  size_t cap = strlen("PATH=") + strlen(target_path ? target_path : ENV_DEFAULT_PATH) + 1;
  for (size_t i = 0; p->tool_paths && p->tool_paths[i]; i++)
    cap += strlen(p->tool_paths[i]) + 1;
  cleanup_free char *path = malloc(cap);
  if (!path)
    return NULL;
  strcpy(path, "PATH=");
  for (size_t i = 0; p->tool_paths && p->tool_paths[i]; i++)
    {
      strcat(path, p->tool_paths[i]);
      strcat(path, ":");
    }
  strcat(path, target_path && *target_path ? target_path : ENV_DEFAULT_PATH);
  if (strv_push_take(&env, steal_pointer(&path)) < 0)
    return NULL;

  for (size_t i = 0; p->target_env && p->target_env[i]; i++)
    {
      const char *e = p->target_env[i];
      if (!strchr(e, '=') || !strncmp(e, "PATH=", 5) || overridden(p->overrides, e))
        continue;
      if (strv_push(&env, e) < 0)
        return NULL;
    }
  for (size_t i = 0; p->overrides && p->overrides[i]; i++)
    if (strv_push(&env, p->overrides[i]) < 0)
      return NULL;
  return steal_pointer(&env);
}
