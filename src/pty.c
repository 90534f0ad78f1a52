/* SPDX-License-Identifier: MIT */
/* The session's terminal: its pty, raw mode, the relay (pty.h). */
#include "pty.h"
#include "log.h"
#include "cleanup.h"
#include "syscalls.h"

#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The pty multiplexer's device number (Documentation/admin-guide/devices.txt). */
#define PTMX_MAJOR 5
#define PTMX_MINOR 2

/* path, opened for real only if it is a ptmx: an O_PATH open that follows
   no symlink, a check of what it found, and a reopen of that very inode
   through /proc/thread-self/fd (no second path walk). */
static int
open_ptmx(int proc_fd, const char *path)
{
  struct open_how how
      = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
  cleanup_close int opath = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (opath < 0)
    return -1;
  struct stat st;
  if (fstat(opath, &st) < 0)
    return -1;
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != PTMX_MAJOR || minor(st.st_rdev) != PTMX_MINOR)
    {
      errno = ENOTTY;
      return -1;
    }
  char again[64];
  snprintf(again, sizeof again, "thread-self/fd/%d", opath);
  return openat(proc_fd, again, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

int
pty_open(int proc_fd, int *master, int *slave)
{
  static const char *const paths[] = { "/dev/pts/ptmx", "/dev/ptmx" };
  int fd = -1;
  int err = ENOENT;
  for (size_t i = 0; i < sizeof paths / sizeof *paths && fd < 0; i++)
    {
      fd = open_ptmx(proc_fd, paths[i]);
      if (fd < 0)
        err = errno;
    }
  if (fd < 0)
    return cntr_fail(err, "open /dev/ptmx");
  int unlock = 0;
  if (ioctl(fd, TIOCSPTLCK, &unlock) < 0)
    {
      int saved = errno;
      close(fd);
      return cntr_fail(saved, "unlock the pty");
    }
  /* TIOCGPTPEER opens the slave through the master, with no path lookup
     that could land in another devpts instance. */
  int s = ioctl(fd, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    {
      int saved = errno;
      close(fd);
      return cntr_fail(saved, "open the pty's slave");
    }
  *master = fd;
  *slave = s;
  return 0;
}

int
pty_raw_enter(int fd, struct pty_saved *saved)
{
  saved->active = false;
  if (tcgetattr(fd, &saved->termios) < 0)
    return cntr_fail(errno, "read terminal mode");
  struct termios raw = saved->termios;
  cfmakeraw(&raw);
  if (tcsetattr(fd, TCSADRAIN, &raw) < 0)
    return cntr_fail(errno, "set terminal to raw mode");
  saved->fd = fd;
  saved->active = true;
  return 0;
}

void
pty_raw_leave(struct pty_saved *saved)
{
  if (!saved->active)
    return;
  tcsetattr(saved->fd, TCSADRAIN, &saved->termios);
  saved->active = false;
}

void
pty_copy_winsize(int from_fd, int to_fd)
{
  struct winsize ws;
  if (ioctl(from_fd, TIOCGWINSZ, &ws) == 0)
    ioctl(to_fd, TIOCSWINSZ, &ws);
}

int
pty_pump_step(struct pty_pump *p, short in_revents, short out_revents)
{
  if (p->len == 0 && !p->eof && (in_revents & (POLLIN | POLLHUP | POLLERR)))
    {
      ssize_t n = read(p->in, p->buf, sizeof p->buf);
      if (n > 0)
        {
          p->len = n;
          p->off = 0;
        }
      else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        p->eof = true; /* EIO: every slave fd is closed */
    }
  if (p->len > 0 && (out_revents & POLLOUT))
    {
      ssize_t n = write(p->out, p->buf + p->off, p->len);
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            return 0;
          return -1;
        }
      p->off += n;
      p->len -= n;
    }
  return 0;
}

void
pty_relay_run(struct pty_relay *r, struct pty_saved *saved)
{
  struct pty_pump to_command = { .in = r->in, .out = r->master };
  struct pty_pump from_command = { .in = r->master, .out = r->out };
  if (r->master >= 0)
    {
      fcntl(r->master, F_SETFL, O_NONBLOCK | fcntl(r->master, F_GETFL));
      if (pty_raw_enter(r->in, saved) < 0)
        cntr_error_handled();
    }
  else
    to_command.eof = from_command.eof = true;

  for (;;)
    {
      if (r->exited && from_command.eof && from_command.len == 0)
        return;
      struct pollfd p[PTY_RELAY_CONTROL_FDS + 4];
      int n = 0;
      for (int i = 0; i < PTY_RELAY_CONTROL_FDS; i++)
        p[n++] = (struct pollfd){ r->fds[i], POLLIN, 0 };
      int i_in = n;
      p[n++] = (struct pollfd){ !to_command.eof && to_command.len == 0 ? r->in : -1, POLLIN, 0 };
      int i_mout = n;
      p[n++] = (struct pollfd){ to_command.len ? r->master : -1, POLLOUT, 0 };
      int i_min = n;
      p[n++] = (struct pollfd){ !from_command.eof && from_command.len == 0 ? r->master : -1, POLLIN,
                                0 };
      int i_out = n;
      p[n++] = (struct pollfd){ from_command.len ? r->out : -1, POLLOUT, 0 };
      if (poll(p, n, r->exited ? PTY_RELAY_DRAIN_MS : -1) == 0 && r->exited)
        return;
      if (pty_pump_step(&to_command, p[i_in].revents, p[i_mout].revents) < 0)
        to_command.eof = true, to_command.len = 0;
      if (pty_pump_step(&from_command, p[i_min].revents, p[i_out].revents) < 0)
        from_command.eof = true, from_command.len = 0;
      for (int i = 0; i < PTY_RELAY_CONTROL_FDS; i++)
        if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
          r->ready(r->arg, i);
    }
}
