/* SPDX-License-Identifier: MIT */
/* Killing what is left of a session (sweep.h). */
#include "sweep.h"
#include "cleanup.h"
#include "syscalls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
sweep_once(int host_proc_fd, dev_t dev, ino_t ino, pid_t self)
{
  int fd = openat(host_proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  cleanup_closedir DIR *dir = fdopendir(fd);
  if (!dir)
    {
      close(fd);
      return -1;
    }
  int found = 0;
  struct dirent *de;
  while ((de = readdir(dir)))
    {
      char *end;
      long pid = strtol(de->d_name, &end, 10);
      if (*end || pid <= 0 || pid == self)
        continue;
      /* The pidfd first, then the check, then whether the pidfd's process
         still lives: if it does, the /proc entry checked was its own, and
         the signal goes to it, never to a process that got its PID since. */
      cleanup_close int pidfd = sys_pidfd_open((pid_t)pid, 0);
      if (pidfd < 0)
        continue;
      char path[64];
      struct stat st;
      snprintf(path, sizeof path, "%ld/ns/mnt", pid);
      /* Zombies and exited processes have no namespace left: skipped. */
      if (fstatat(host_proc_fd, path, &st, 0) < 0)
        continue;
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      if (st.st_dev == dev && st.st_ino == ino && poll(&p, 1, 0) == 0
          && sys_pidfd_send_signal(pidfd, SIGKILL) == 0)
        found++;
    }
  return found;
}

/* A scan finds what forked since the last one (a fork bomb, a shell
   restarting a job): scan again after a pause, for about two seconds. */
#define SWEEP_ROUNDS 200
#define SWEEP_PAUSE_NS (10 * 1000 * 1000)

int
sweep_mount_namespace(int host_proc_fd, dev_t dev, ino_t ino)
{
  int total = 0;
  pid_t self = getpid();
  for (int round = 0; round < SWEEP_ROUNDS; round++)
    {
      int found = sweep_once(host_proc_fd, dev, ino, self);
      if (found <= 0)
        break;
      total += found;
      struct timespec ts = { 0, SWEEP_PAUSE_NS };
      nanosleep(&ts, NULL);
    }
  return total;
}
