/* SPDX-License-Identifier: MIT */
#include "pty.h"
#include "log.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
pty_open(int *master, int *slave)
{
  static const char *const paths[] = { "/dev/pts/ptmx", "/dev/ptmx" };
  int fd = -1;
  int err = ENOENT;
  for (size_t i = 0; i < sizeof paths / sizeof *paths && fd < 0; i++)
    {
      fd = open(paths[i], O_RDWR | O_NOCTTY | O_CLOEXEC);
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
