/* SPDX-License-Identifier: MIT */
/* What readlink presents of a symbolic link of the layer: an absolute
   target relocated under the mount's prefix (so that it resolves in the
   layer where the layer is mounted), and, when the layer is confined, a
   relative one whose ".." would climb above the layer's root clamped
   there, as in a chroot: no link leads a reader of the mount out of it.
   Pure: unit-tested.
   Error convention: the length written, or a negative errno. */
#ifndef CNTR_FUSE_LINK_H
#define CNTR_FUSE_LINK_H

#include <stdbool.h>
#include <stddef.h>

/* target: what the link holds; prefix (prefix_len bytes, no trailing
   slash; NULL for none): where the layer is; dir_depth: how deep the
   link's directory is below the layer's root (0: the root); confine: clamp
   relative targets.  Writes the presented target, NUL-terminated, to
   out. */
int link_present(const char *target, const char *prefix, size_t prefix_len, bool confine,
                 unsigned dir_depth, char *out, size_t size);

#endif
