/* SPDX-License-Identifier: MIT */
/* User namespace id maps (/proc/PID/uid_map, gid_map) and translation of the
   host's ids into a target's user namespace.
   Error convention: -1 with errno set. */
#ifndef CNTR_IDMAP_H
#define CNTR_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDMAP_MAX_EXTENTS 340 /* the kernel's limit since 4.15 */

struct idmap_extent
{
  uint32_t inside, outside, count;
};

struct idmap
{
  struct idmap_extent extents[IDMAP_MAX_EXTENTS];
  size_t n;
};

/* Parse the text of a uid_map/gid_map file as read from the host. */
int idmap_parse(const char *text, struct idmap *map);
/* True when the map is the initial namespace's identity map. */
bool idmap_is_identity(const struct idmap *map);
/* Host id -> id inside the namespace; -1 with errno ERANGE if unmapped. */
int64_t idmap_to_inside(const struct idmap *map, uint32_t outside_id);

#endif
