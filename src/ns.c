/* SPDX-License-Identifier: MIT */
/* Opening and joining a target's namespaces (ns.h). */
#include "ns.h"
#include "cleanup.h"
#include "log.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

const struct ns_info ns_table[NS_COUNT] = {
  [NS_MNT] = { "mnt", CLONE_NEWNS, NS_PHASE_VIEW },
  [NS_UTS] = { "uts", CLONE_NEWUTS, NS_PHASE_SESSION },
  [NS_IPC] = { "ipc", CLONE_NEWIPC, NS_PHASE_SESSION },
  [NS_NET] = { "net", CLONE_NEWNET, NS_PHASE_SESSION },
  [NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP, NS_PHASE_SESSION },
  [NS_TIME] = { "time", CLONE_NEWTIME, NS_PHASE_SESSION },
  [NS_PID] = { "pid", CLONE_NEWPID, NS_PHASE_SESSION },
  [NS_USER] = { "user", CLONE_NEWUSER, NS_PHASE_COMMAND },
};

int
ns_is_ours(int proc_pid_fd, enum ns_kind kind)
{
  char theirs_path[64], ours_path[64];
  struct stat theirs, ours;
  snprintf(theirs_path, sizeof theirs_path, "ns/%s", ns_table[kind].name);
  snprintf(ours_path, sizeof ours_path, "/proc/self/ns/%s", ns_table[kind].name);
  if (fstatat(proc_pid_fd, theirs_path, &theirs, 0) < 0 || stat(ours_path, &ours) < 0)
    return -1;
  return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

int
ns_open_all(int proc_pid_fd, int fds[NS_COUNT])
{
  for (int i = 0; i < NS_COUNT; i++)
    fds[i] = -1;
  for (int i = 0; i < NS_COUNT; i++)
    {
      int ours = ns_is_ours(proc_pid_fd, i);
      if (ours < 0)
        {
          /* A kernel without this namespace type has no file for it. */
          if (errno == ENOENT)
            continue;
          ns_close_all(fds);
          return cntr_fail(errno, "read %s namespace", ns_table[i].name);
        }
      /* The mount namespace is always entered: the session builds its own
         on top of it, even for a target that shares ours. */
      if (i != NS_MNT && ours)
        continue;
      char path[64];
      snprintf(path, sizeof path, "ns/%s", ns_table[i].name);
      fds[i] = openat(proc_pid_fd, path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        {
          int saved = errno;
          ns_close_all(fds);
          return cntr_fail(saved, "open %s namespace", ns_table[i].name);
        }
    }
  return 0;
}

void
ns_close_all(int fds[NS_COUNT])
{
  for (int i = 0; i < NS_COUNT; i++)
    cleanup_closep(&fds[i]);
  for (int i = 0; i < NS_COUNT; i++)
    fds[i] = -1;
}

int
ns_join(const int fds[NS_COUNT], enum ns_kind kind)
{
  if (fds[kind] < 0)
    return 0;
  if (setns(fds[kind], ns_table[kind].clone_flag) < 0)
    return cntr_fail(errno, "setns into %s namespace", ns_table[kind].name);
  return 0;
}

int
ns_join_phase(const int fds[NS_COUNT], enum ns_phase phase)
{
  for (enum ns_kind k = 0; k < NS_COUNT; k++)
    if (ns_table[k].phase == phase && ns_join(fds, k) < 0)
      return -1;
  return 0;
}
