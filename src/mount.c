/* SPDX-License-Identifier: MIT */
/* cntr mount: serve a directory, or a target's root filesystem with all its
   mounts, on a host path through the FUSE server. */
#include "mount.h"
#include "cleanup.h"
#include "log.h"
#include "target.h"
#include "util.h"

#include "cntrfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A SOURCE with a slash (or . and ..) is a directory, unless it is
   SCHEME://NAME; anything else names a target, so "cntr mount 4242 /mnt"
   never picks up a directory "4242". */
static bool
source_is_directory(const char *source)
{
  if (strstr(source, "://"))
    return false;
  return strchr(source, '/') || !strcmp(source, ".") || !strcmp(source, "..");
}

static int
open_source(const struct mount_options *o, int *fd)
{
  if (source_is_directory(o->source))
    {
      *fd = open(o->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (*fd < 0)
        return cntr_fail(errno, "mount %s", o->source);
      return 0;
    }
  if (geteuid() != 0)
    {
      cntr_fail(0, "mount %s: serving a container's files needs root", o->source);
      cntr_hint("run it as root, or give a directory (with a '/', e.g. ./%s)", o->source);
      return -1;
    }
  struct target t;
  if (target_open_as(o->source, o->types, &t) < 0)
    {
      target_close(&t);
      return -1;
    }
  /* /proc/PID/root walks the target's own mount table: its volumes and
     bind-mounted files appear as the target sees them. */
  *fd = steal_fd(&t.root_fd);
  target_close(&t);
  return 0;
}

/* Serve until unmounted or told to stop (SIGINT, SIGTERM, SIGHUP). */
static void
serve(struct cntrfs *fs, int sigfd)
{
  for (;;)
    {
      if (cntrfs_wait(fs, 200) == 1)
        return;
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) == sizeof si)
        return;
    }
}

static int
block_stop_signals(void)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
    return -1;
  return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int
start_server(const struct mount_options *o, struct cntrfs **out)
{
  cleanup_close int source_fd = -1;
  if (open_source(o, &source_fd) < 0)
    return -1;
  struct stat st;
  if (stat(o->mountpoint, &st) < 0 || !S_ISDIR(st.st_mode))
    return cntr_fail(errno ? errno : ENOTDIR, "mount point %s", o->mountpoint);
  struct cntrfs_config config = {
    .source_fd = source_fd,
    .read_only = o->read_only,
    .debug = o->debug,
  };
  struct cntrfs *fs = cntrfs_new(&config);
  if (!fs)
    return cntr_fail(errno, "start the FUSE server");
  if (cntrfs_mount(fs, o->mountpoint, o->read_only ? "ro" : NULL) < 0)
    {
      int err = errno;
      cntrfs_free(fs);
      cntr_fail(err, "mount %s on %s", o->source, o->mountpoint);
      if (err == EPERM)
        cntr_hint("run it as root");
      return -1;
    }
  *out = fs;
  return 0;
}

/* The background server, once forked: reports to the parent through
   report (closed without a word once mounted, the recorded error
   otherwise), then serves until unmounted. */
static __attribute__((noreturn)) void
serve_in_background(const struct mount_options *o, int report, int sigfd)
{
  struct cntrfs *fs = NULL;
  setsid();
  if (start_server(o, &fs) < 0)
    {
      struct cntr_error_record r;
      cntr_error_save(&r);
      write_all(report, &r, sizeof r);
      _exit(CNTR_EXIT_FAILURE);
    }
  if (chdir("/") < 0)
    cntr_debug("chdir /: %s", strerror(errno));
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0)
    {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      close(null);
    }
  close(report); /* EOF without a message: mounted */
  serve(fs, sigfd);
  cntrfs_free(fs);
  _exit(0);
}

int
cntr_mount(const struct mount_options *o)
{
  cleanup_close int sigfd = block_stop_signals();
  if (sigfd < 0)
    return cntr_fail(errno, "signalfd");
  if (o->foreground)
    {
      struct cntrfs *fs = NULL;
      if (start_server(o, &fs) < 0)
        return -1;
      serve(fs, sigfd);
      cntrfs_free(fs);
      return 0;
    }

  /* Background: the server is a child that reports through a pipe whether
     the mount exists; we exit only then, so "cntr mount … && ls MOUNTPOINT"
     works.  It forks before any thread exists. */
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0)
    return cntr_fail(errno, "pipe");
  pid_t pid = fork();
  if (pid < 0)
    {
      int err = errno;
      close(report[0]);
      close(report[1]);
      return cntr_fail(err, "fork");
    }
  if (pid == 0)
    {
      close(report[0]);
      serve_in_background(o, report[1], sigfd);
    }
  close(report[1]);
  struct cntr_error_record r;
  ssize_t n;
  do
    n = read(report[0], &r, sizeof r);
  while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == 0)
    return 0;
  waitpid(pid, NULL, 0);
  if (n != (ssize_t)sizeof r)
    return cntr_fail(n < 0 ? errno : EPROTO, "mount %s: the server's report", o->source);
  cntr_error_restore(&r);
  return -1;
}
