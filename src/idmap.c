/* SPDX-License-Identifier: MIT */
/* User namespace id maps and translating ids through them (idmap.h). */
#include "idmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int
idmap_parse(const char *text, struct idmap *map)
{
  memset(map, 0, sizeof *map);
  const char *line = text;
  while (line && *line)
    {
      unsigned long inside, outside, count;
      int consumed = 0;
      if (sscanf(line, " %lu %lu %lu%n", &inside, &outside, &count, &consumed) != 3)
        {
          /* A blank trailing line is fine, anything else is not. */
          while (*line == ' ' || *line == '\n')
            line++;
          if (*line)
            {
              errno = EINVAL;
              return -1;
            }
          break;
        }
      if (map->n == IDMAP_MAX_EXTENTS || count == 0 || inside > UINT32_MAX || outside > UINT32_MAX
          || count > UINT32_MAX)
        {
          errno = EINVAL;
          return -1;
        }
      map->extents[map->n++] = (struct idmap_extent){ inside, outside, count };
      line = strchr(line + consumed, '\n');
      if (line)
        line++;
    }
  return 0;
}

bool
idmap_is_identity(const struct idmap *map)
{
  return map->n == 1 && map->extents[0].inside == 0 && map->extents[0].outside == 0
         && map->extents[0].count == UINT32_MAX;
}

int64_t
idmap_to_inside(const struct idmap *map, uint32_t outside_id)
{
  for (size_t i = 0; i < map->n; i++)
    {
      const struct idmap_extent *e = &map->extents[i];
      if (outside_id >= e->outside && (uint64_t)outside_id - e->outside < e->count)
        return (int64_t)e->inside + (outside_id - e->outside);
    }
  errno = ERANGE;
  return -1;
}
