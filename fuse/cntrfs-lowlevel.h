/* SPDX-License-Identifier: MIT */
/* The one place that picks the libfuse API version cntrfs is written
   against; every file of fuse/ that uses libfuse includes this. */
#ifndef CNTR_FUSE_LOWLEVEL_H
#define CNTR_FUSE_LOWLEVEL_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#endif
