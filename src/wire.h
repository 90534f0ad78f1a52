/* SPDX-License-Identifier: MIT */
/* The messages between cntr and the processes of its session: one
   SOCK_SEQPACKET socketpair, one fixed-size message a packet, optionally
   carrying one fd (SCM_RIGHTS).
   Error convention: -1 with errno set. */
#ifndef CNTR_WIRE_H
#define CNTR_WIRE_H

#include "log.h"

#include <sys/types.h>

enum wire_type
{
  WIRE_MOUNTED = 1, /* the FUSE mount exists: cntr may start serving */
  WIRE_STARTED,     /* the command's process exists: pid, pty master attached */
  WIRE_ERROR,       /* setup or exec failed: error.code is the exit status */
  WIRE_EXITED,      /* the command ended: status is its wait status */
};

struct wire_msg
{
  int type;
  pid_t pid;
  int status;
  /* WIRE_MOUNTED: the session's mount namespace (the child may be gone by
     the time cntr could look at /proc/CHILD). */
  dev_t ns_dev;
  ino_t ns_ino;
  struct cntr_error_record error; /* WIRE_ERROR */
};

/* Send m, with fd (>= 0) attached. */
int wire_send(int sock, const struct wire_msg *m, int fd);
/* Receive one message; an attached fd goes to *fd (may be NULL: then it is
   closed), -1 when none.  Returns 1 with a message, 0 at EOF, -1 on error
   (EPROTO for a packet of the wrong size). */
int wire_recv(int sock, struct wire_msg *m, int *fd);
/* In a child: send the recorded error (standing for exit status code) and
   exit with code. */
__attribute__((noreturn)) void wire_fail(int sock, int code);

#endif
