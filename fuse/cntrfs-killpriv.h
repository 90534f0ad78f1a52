/* SPDX-License-Identifier: MIT */
/* Clearing setuid and setgid when a caller without CAP_FSETID changes a
   file (killpriv.c): the server's job, negotiated with the kernel as
   FUSE_HANDLE_KILLPRIV_V2 (devio.c) wherever the kernel offers it.

   Why the server and not the kernel: the kernel's FUSE client clears the
   bits itself only on a buffered write and a truncate, and by the older rule
   (setuid, and setgid with group-execute); it misses O_DIRECT writes, O_TRUNC
   opens, and setgid without group-execute when the writer is not in the
   file's group (the rule since Linux 6.2) - and it asks the server for
   security.capability before every write.  The server changes files as
   root, so the file system below keeps the bits where a native writer
   would lose them: the server clears them first, by the native rule
   (setattr_should_drop_suidgid): setuid, and setgid where group-execute is
   set or the caller is not in the file's group.  security.capability the
   file system below removes by itself on any write, as natively.

   Which changes, and who says the caller lacks CAP_FSETID:
   - WRITE, a SETATTR that changes the size, an OPEN or CREATE with O_TRUNC:
     the kernel, with a flag in the request (read by devio.c);
   - FALLOCATE and COPY_FILE_RANGE carry no flag: the caller's effective
     capabilities are read from /proc, only when the file has a bit to
     clear;
   - setting system.posix_acl_access clears setgid when the caller is
     neither in the file's group nor has CAP_FSETID (posix_acl_update_mode).
     The kernel says so with FUSE_SETXATTR_ACL_KILL_SGID only to a server of
     FUSE_SETXATTR_EXT, whose longer request libfuse 3.14 would misread.
   Without KILLPRIV_V2 (a kernel that does not offer it) the kernel's own
   clearing is all there is for writes, as before; the ACL rule holds either
   way.  A file with either bit never passes through (cntrfs-passthrough.h):
   its writes must reach the server. */
#ifndef CNTR_FUSE_KILLPRIV_H
#define CNTR_FUSE_KILLPRIV_H

#include "cntrfs-lowlevel.h"

struct cntrfs;

/* Who tells whether req's caller lacks CAP_FSETID. */
enum killpriv_source
{
  KILLPRIV_FLAGGED,   /* the kernel, by the request's flag */
  KILLPRIV_ASK_CALLER /* the caller's /proc status */
};

/* Before req changes fd's file (any fd, O_PATH too): clear its setuid and
   setgid bits as a native change by req's caller would.  0, or a negative
   errno. */
int killpriv_before_change(fuse_req_t req, struct cntrfs *fs, int fd, enum killpriv_source source);

/* After req set an access ACL on fd's file: clear setgid unless the caller
   is in the file's group or has CAP_FSETID.  0, or a negative errno. */
int killpriv_after_acl(fuse_req_t req, struct cntrfs *fs, int fd);

#endif
