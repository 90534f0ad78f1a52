/* SPDX-License-Identifier: MIT */
/* Clearing setuid and setgid (cntrfs-killpriv.h). */
#include "cntrfs-killpriv.h"
#include "cntrfs-caller.h"
#include "cntrfs-devio.h"
#include "cntrfs-internal.h"

#include <errno.h>
#include <sys/stat.h>

/* The bits a change by req's caller, who lacks CAP_FSETID, clears. */
static mode_t
bits_to_clear(fuse_req_t req, struct cntrfs *fs, const struct stat *st)
{
  mode_t clear = st->st_mode & S_ISUID;

  if ((st->st_mode & S_ISGID) && ((st->st_mode & S_IXGRP) || !caller_in_group(req, fs, st->st_gid)))
    clear |= S_ISGID;
  return clear;
}

int
killpriv_before_change(fuse_req_t req, struct cntrfs *fs, int fd, enum killpriv_source source)
{
  struct stat st;
  mode_t clear;

  if (!__atomic_load_n(&fs->killpriv_active, __ATOMIC_ACQUIRE))
    return 0;
  if (source == KILLPRIV_FLAGGED && !devio_request_kills_suidgid())
    return 0;
  if (fstat(fd, &st) < 0)
    return neg_errno();
  if (!S_ISREG(st.st_mode) || !(st.st_mode & (S_ISUID | S_ISGID)))
    return 0;
  if (source == KILLPRIV_ASK_CALLER && caller_has_fsetid(req))
    return 0;
  clear = bits_to_clear(req, fs, &st);
  return clear ? fd_chmod(fs->proc_fd, fd, (st.st_mode & 07777) & ~clear) : 0;
}

int
killpriv_after_acl(fuse_req_t req, struct cntrfs *fs, int fd)
{
  struct stat st;

  if (fstat(fd, &st) < 0)
    return neg_errno();
  if (!(st.st_mode & S_ISGID) || caller_in_group(req, fs, st.st_gid) || caller_has_fsetid(req))
    return 0;
  return fd_chmod(fs->proc_fd, fd, (st.st_mode & 07777) & ~S_ISGID);
}
