/* SPDX-License-Identifier: MIT */
/* The session's /dev/fuse I/O (devio.c): the fields of requests and replies
   that libfuse 3.14 does not speak, read from and added to the bytes it
   reads and writes.

   libfuse lets a server own the reads and writes of /dev/fuse
   (fuse_session_custom_io).  Through them the server
   - amends the INIT reply: FUSE_PASSTHROUGH and max_stack_depth
     (cntrfs-passthrough.h), and FUSE_HANDLE_KILLPRIV_V2 (cntrfs-killpriv.h),
     each only when the kernel offered it;
   - amends an OPEN or CREATE reply with FOPEN_PASSTHROUGH and the backing
     file's id that passthrough_open registered for it;
   - reads the kill-setuid/setgid flag of WRITE, SETATTR, OPEN and CREATE
     requests, which libfuse drops, for the worker that handles them.
   A worker thread reads a request and handles it before it reads the next,
   so what a read learned is the thread's until its next read.  That is why
   requests are never spliced into a pipe (FUSE_CAP_SPLICE_READ): their
   headers must pass through a read. */
#ifndef CNTR_FUSE_DEVIO_H
#define CNTR_FUSE_DEVIO_H

#include <stdbool.h>

struct cntrfs;

/* Hand the session's /dev/fuse reads and writes to this module; call once
   the session has its fd (after fuse_session_mount or with the fd given).
   0 or a negative errno. */
int devio_take(struct cntrfs *fs);

/* Whether the request this thread handles asks the server to clear setuid
   and setgid (the caller lacks CAP_FSETID; FUSE_HANDLE_KILLPRIV_V2). */
bool devio_request_kills_suidgid(void);

#endif
