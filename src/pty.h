/* SPDX-License-Identifier: MIT */
/* Terminal handling: a pty pair for the session, the host terminal in raw
   mode, and the relay between them (crun's terminal.c has the same job).
   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_PTY_H
#define CNTR_PTY_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

/* Open a pty pair from the devpts of the current view (the target's own
   /dev/pts/ptmx or /dev/ptmx), never following a symlink there and only
   once the file is checked to be a pty multiplexer: in a session it is the
   target's file, opened as the host's root.  proc_fd: the host's /proc,
   through which the checked file is opened. */
int pty_open(int proc_fd, int *master, int *slave);

/* The host terminal's mode, saved by pty_raw_enter. */
struct pty_saved
{
  bool active;
  int fd;
  struct termios termios;
};

int pty_raw_enter(int fd, struct pty_saved *saved);
void pty_raw_leave(struct pty_saved *saved);
/* Copy the window size of from_fd to to_fd (no-op when from_fd has none). */
void pty_copy_winsize(int from_fd, int to_fd);

/* A one-direction byte pump with a buffer, for a poll loop. */
struct pty_pump
{
  int in, out;
  bool eof;
  size_t len, off;
  char buf[65536];
};

/* Move data: read when the buffer is empty and in is readable, write what
   is buffered.  Returns -1 on a fatal error of out, 0 otherwise (EOF or EIO
   on in sets eof). */
int pty_pump_step(struct pty_pump *p, short in_revents, short out_revents);

/* The relay of one session: the caller's terminal (in, out) and the
   command's pty master, plus up to two control fds of the caller (its
   socket, its signalfd): when fds[i] is readable, ready(arg, i) is called,
   which sets exited once the command has ended (and may set fds[i] to -1 to
   stop polling it).  Without a master (-1) only the control fds are
   polled. */
#define PTY_RELAY_CONTROL_FDS 2
struct pty_relay
{
  int in, out, master;
  int fds[PTY_RELAY_CONTROL_FDS];
  void (*ready)(void *arg, int index);
  void *arg;
  bool exited;
};

/* Relay until the command exited and its output is drained: after the
   exit, for as long as output keeps coming with pauses shorter than
   PTY_RELAY_DRAIN_MS (background jobs may still hold the pty until the
   session's sweep ends them).  Puts the caller's terminal in raw mode while
   relaying (saved: restored by pty_raw_leave). */
#define PTY_RELAY_DRAIN_MS 200
void pty_relay_run(struct pty_relay *r, struct pty_saved *saved);

#endif
