/* SPDX-License-Identifier: MIT */
/* The messages between cntr and its session's processes (wire.h). */
#include "wire.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
wire_send(int sock, const struct wire_msg *m, int fd)
{
  struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof *m };
  union
  {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0)
    {
      memset(&control, 0, sizeof control);
      mh.msg_control = control.buf;
      mh.msg_controllen = sizeof control.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
  ssize_t n;
  do
    n = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)sizeof *m ? 0 : -1;
}

int
wire_recv(int sock, struct wire_msg *m, int *fd)
{
  struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
  union
  {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr mh = { .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf };
  if (fd)
    *fd = -1;
  ssize_t n;
  do
    n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return (int)n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int got;
        memcpy(&got, CMSG_DATA(c), sizeof got);
        if (fd && *fd < 0)
          *fd = got;
        else
          close(got);
      }
  if (n != (ssize_t)sizeof *m)
    {
      errno = EPROTO;
      return -1;
    }
  m->error.message[sizeof m->error.message - 1] = '\0';
  m->error.hint[sizeof m->error.hint - 1] = '\0';
  return 1;
}

void
wire_fail(int sock, int code)
{
  struct wire_msg m = { .type = WIRE_ERROR };
  cntr_error_set_code(code);
  cntr_error_save(&m.error);
  wire_send(sock, &m, -1);
  _exit(code);
}
