/* SPDX-License-Identifier: MIT */
/* Running a runtime's CLI with a deadline and capturing its output (proc-
   exec.h). */
#include "proc-exec.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Enough for any message worth showing; the rest is drained and dropped. */
#define ERR_MAX 4096
/* A runtime listing thousands of containers prints a few MiB at most. */
#define OUT_MAX (64u << 20)

char *
exec_find_in_path(const char *name)
{
  if (strchr(name, '/'))
    {
      if (access(name, X_OK) == 0)
        return strdup(name);
      return NULL;
    }
  const char *path = getenv("PATH");
  if (!path || !*path)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  while (*path)
    {
      const char *end = strchrnul(path, ':');
      int len = (int)(end - path);
      char *full = len ? xasprintf("%.*s/%s", len, path, name) : xasprintf("./%s", name);
      if (!full)
        return NULL;
      if (access(full, X_OK) == 0)
        return full;
      free(full);
      path = *end ? end + 1 : end;
    }
  errno = ENOENT;
  return NULL;
}

static long long
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sink
{
  char *buf;
  size_t len, cap, max;
};

/* Read what is there; 0 at EOF, 1 for more, -1 on error. */
static int
sink_read(int fd, struct sink *s)
{
  char tmp[16384];
  ssize_t n = read(fd, tmp, sizeof tmp);
  if (n < 0)
    return errno == EINTR || errno == EAGAIN ? 1 : -1;
  if (n == 0)
    return 0;
  size_t keep = (size_t)n;
  if (s->len + keep > s->max)
    keep = s->max - s->len;
  if (s->len + keep + 1 > s->cap)
    {
      size_t cap = s->cap ? s->cap : 4096;
      while (cap < s->len + keep + 1)
        cap *= 2;
      char *b = realloc(s->buf, cap);
      if (!b)
        return -1;
      s->buf = b;
      s->cap = cap;
    }
  memcpy(s->buf + s->len, tmp, keep);
  s->len += keep;
  return 1;
}

static char *
sink_take(struct sink *s)
{
  char *b = s->buf ? s->buf : malloc(1);
  if (b)
    b[s->len] = '\0';
  s->buf = NULL;
  return b;
}

int
exec_capture(char *const argv[], int timeout_ms, struct exec_result *r)
{
  memset(r, 0, sizeof *r);
  cleanup_free char *prog = exec_find_in_path(argv[0]);
  if (!prog)
    return cntr_fail(errno, "run %s", argv[0]);
  int out[2] = { -1, -1 }, err[2] = { -1, -1 };
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
    {
      int e = errno;
      cleanup_closep(&out[0]);
      cleanup_closep(&out[1]);
      return cntr_fail(e, "run %s: pipe", argv[0]);
    }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    {
      int e = errno;
      for (int i = 0; i < 2; i++)
        {
          cleanup_closep(&out[i]);
          cleanup_closep(&err[i]);
        }
      return cntr_fail(e, "run %s: fork", argv[0]);
    }
  if (pid == 0)
    {
      /* Its own process group, so that a timeout kills whatever it forked;
         and it dies with cntr. */
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent)
        _exit(127);
      int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
        _exit(127);
      /* cntr may have blocked or ignored signals; the program expects
         the defaults. */
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, NULL);
      signal(SIGPIPE, SIG_DFL);
      execv(prog, argv);
      _exit(127);
    }
  close(out[1]);
  close(err[1]);
  struct sink so = { .max = OUT_MAX }, se = { .max = ERR_MAX };
  struct pollfd p[2] = { { .fd = out[0], .events = POLLIN }, { .fd = err[0], .events = POLLIN } };
  long long deadline = now_ms() + timeout_ms;
  int open_fds = 2, rc = 0;
  while (open_fds > 0)
    {
      long long left = deadline - now_ms();
      if (left <= 0)
        {
          r->timed_out = true;
          break;
        }
      int n = poll(p, 2, (int)left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          rc = cntr_fail(errno, "run %s: poll", argv[0]);
          break;
        }
      for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
          {
            int m = sink_read(p[i].fd, i == 0 ? &so : &se);
            if (m <= 0)
              {
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
                if (m < 0)
                  rc = cntr_fail(errno, "run %s: read", argv[0]);
              }
          }
    }
  for (int i = 0; i < 2; i++)
    if (p[i].fd >= 0)
      close(p[i].fd);
  if (r->timed_out || rc < 0)
    {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
  int st = 0;
  /* Output closed: the program is exiting (or was killed); reap it, but
     still within the deadline, since a child may close its output early. */
  for (;;)
    {
      pid_t w = waitpid(pid, &st, r->timed_out ? 0 : WNOHANG);
      if (w == pid)
        break;
      if (w < 0 && errno != EINTR)
        break;
      if (w == 0)
        {
          if (now_ms() >= deadline)
            {
              r->timed_out = true;
              kill(-pid, SIGKILL);
              kill(pid, SIGKILL);
              continue;
            }
          struct timespec ts = { 0, 5 * 1000 * 1000 };
          nanosleep(&ts, NULL);
        }
    }
  r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r->out_len = so.len;
  r->out = sink_take(&so);
  r->err = sink_take(&se);
  free(so.buf);
  free(se.buf);
  if (!r->out || !r->err)
    {
      exec_result_free(r);
      return cntr_fail(ENOMEM, "run %s", argv[0]);
    }
  if (r->timed_out || rc < 0)
    {
      exec_result_free(r);
      if (r->timed_out)
        return cntr_fail(0, "%s did not answer within %d ms", argv[0], timeout_ms);
      return -1;
    }
  return 0;
}

void
exec_result_free(struct exec_result *r)
{
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}
