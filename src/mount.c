/* SPDX-License-Identifier: MIT */
/* cntr mount: serve a directory, or a target's root filesystem with all its
   mounts, on a host path through the FUSE server. */
#include "mount.h"
#include "cleanup.h"
#include "log.h"
#include "scratch.h"
#include "target.h"
#include "util.h"

#include "cntrfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
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
      char or [PATH_MAX + 64];
      snprintf(or, sizeof or, "give a directory (with a '/', e.g. ./%s)", o->source);
      return cntr_fail_needs_root("mount of a container", or);
    }
  if (target_open_root(o->source, o->types, fd) < 0)
    {
      struct stat st;
      if (stat(o->source, &st) == 0 && S_ISDIR(st.st_mode))
        cntr_hint("there is a directory %s here: to serve it, write ./%s", o->source, o->source);
      return -1;
    }
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
  struct statx stx;
  if (statx(AT_FDCWD, o->mountpoint, 0, STATX_TYPE, &stx) < 0)
    return cntr_fail(errno, "mount point %s", o->mountpoint);
  if (!S_ISDIR(stx.stx_mode))
    return cntr_fail(ENOTDIR, "mount point %s", o->mountpoint);
  /* Mounting over a mount hides it and cannot be told apart in mountinfo
     from what is under it: say so instead. */
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
      && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    {
      cntr_fail(0, "mount point %s: something is mounted there already", o->mountpoint);
      cntr_hint("unmount it first (umount %s), or choose another directory", o->mountpoint);
      return -1;
    }
  /* A target's links name paths of the target: presented inside the
     mount, so that no reader or writer on the host is led onto the host's
     own files.  A directory's are served as they are (a conformance suite
     checks them). */
  cleanup_free char *where = source_is_directory(o->source) ? NULL : realpath(o->mountpoint, NULL);
  if (!source_is_directory(o->source) && !where)
    return cntr_fail(errno, "mount point %s", o->mountpoint);
  /* Write but discard: a tmpfs mounted nowhere takes the changes, and goes
     with the server (read-only changes nothing, and needs none). */
  cleanup_close int scratch_fd = -1;
  if (o->scratch && !o->read_only)
    {
      scratch_fd = scratch_open(o->scratch_size);
      if (scratch_fd < 0)
        {
          int err = errno;
          if (err == EPERM)
            return cntr_fail_needs_root("a scratch tmpfs", NULL);
          if (o->scratch_size != NULL)
            {
              cntr_fail(err, "make a scratch tmpfs of size %s", o->scratch_size);
              if (err == EINVAL)
                cntr_hint("tmpfs takes sizes such as 512m, 2g or 10%% (of RAM)");
              return -1;
            }
          return cntr_fail(err, "make a scratch tmpfs");
        }
    }
  struct cntrfs_config config = {
    .source_fd = source_fd,
    .read_only = o->read_only,
    .scratch = scratch_fd >= 0,
    .scratch_fd = scratch_fd,
    .symlink_prefix = where,
    .confine_symlinks = where != NULL,
    .debug = o->debug,
  };
  struct cntrfs *fs = cntrfs_new(&config);
  if (!fs)
    return cntr_fail(errno, "start the FUSE server");
  if (cntrfs_mount(fs, o->mountpoint, o->read_only ? "ro" : NULL) < 0)
    {
      int err = errno;
      cntrfs_free(fs);
      if (err == EPERM)
        {
          char what[PATH_MAX + 64];
          snprintf(what, sizeof what, "mount %s on %s", o->source, o->mountpoint);
          return cntr_fail_needs_root(what, NULL);
        }
      return cntr_fail(err, "mount %s on %s", o->source, o->mountpoint);
    }
  /* The first access waits for the kernel's INIT, which decides how file
     data travels. */
  struct stat st;
  if (cntr_verbosity > 0 && stat(o->mountpoint, &st) == 0)
    cntr_debug("file data: %s", cntrfs_passthrough_describe(fs));
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
