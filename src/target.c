/* SPDX-License-Identifier: MIT */
/* Opening a target: resolving it to a PID and reading everything about it up
   front (target.h). */
#include "target.h"
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "syscalls.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t
thread_group_of(pid_t tid)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  cleanup_free char *text = NULL;
  struct proc_status st;
  if (read_file_at(AT_FDCWD, path, &text, NULL) < 0 || proc_parse_status(text, &st) < 0)
    return -1;
  return st.tgid;
}

int
target_check_alive(const struct target *t)
{
  /* A pidfd polls readable once the process exited, zombie or not (a
     zombie still accepts signal 0). */
  struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
  int n = poll(&p, 1, 0);
  if (n < 0)
    return cntr_fail(errno, "pid %d", t->pid);
  if (n > 0)
    return cntr_fail(0, "pid %d: the target exited", t->pid);
  return 0;
}

static int
read_proc(struct target *t, const char *file, char **out, size_t *len)
{
  if (read_file_at(t->proc_fd, file, out, len) < 0)
    return cntr_fail(errno, "read /proc/%d/%s", t->pid, file);
  return 0;
}

static int
read_idmap(struct target *t, const char *file, struct idmap *map)
{
  cleanup_free char *text = NULL;
  if (read_proc(t, file, &text, NULL) < 0)
    return -1;
  if (idmap_parse(text, map) < 0)
    return cntr_fail(errno, "parse /proc/%d/%s", t->pid, file);
  return 0;
}

static int open_pid(pid_t pid, const struct runtime_target *rt, struct target *t);

int
target_belongs(const struct target_facts *f, const struct runtime_target *rt)
{
  if (rt->start_time && f->start_time != rt->start_time)
    return cntr_fail(0, "%s container %s: pid %d is no longer its process", rt->runtime, rt->name,
                     f->pid);
  if (rt->cgroup_key)
    {
      if (!runtime_cgroup_matches(f->cgroups, rt->cgroup_key))
        return cntr_fail(
            0, "%s container %s: pid %d is not in its cgroup (no '%s' in /proc/%d/cgroup)",
            rt->runtime, rt->name, f->pid, rt->cgroup_key, f->pid);
      return 0;
    }
  if (f->shares_our_mount_ns)
    return cntr_fail(0, "%s container %s: pid %d runs in the host's mount namespace", rt->runtime,
                     rt->name, f->pid);
  return 0;
}

/* target_belongs with the facts of the opened process. */
static int
check_belongs(const struct target *t, const struct runtime_target *rt)
{
  struct target_facts f = { .pid = t->pid, .cgroups = t->cgroups };
  if (rt->start_time)
    f.start_time = runtime_pid_start_time(t->pid);
  if (!rt->cgroup_key)
    {
      int shared = ns_is_ours(t->proc_fd, NS_MNT);
      if (shared < 0)
        return cntr_fail(errno, "%s container %s: compare mount namespaces", rt->runtime, rt->name);
      f.shares_our_mount_ns = shared;
    }
  return target_belongs(&f, rt);
}

int
target_open_as(const char *spec, const char *types, struct target *t)
{
  memset(t, 0, sizeof *t);
  t->pidfd = t->proc_fd = t->root_fd = -1;
  for (int i = 0; i < NS_COUNT; i++)
    t->ns_fds[i] = -1;

  const struct runtime_ctx ctx = { .root = "", .timeout_ms = RUNTIME_DEFAULT_TIMEOUT_MS };
  struct runtime_target rt;
  if (runtime_resolve(&ctx, spec, types, &rt) < 0)
    return -1;
  int rc = open_pid(rt.pid, rt.id ? &rt : NULL, t);
  runtime_target_free(&rt);
  return rc;
}

int
target_open_root(const char *spec, const char *types, int *root_fd)
{
  struct target t;
  *root_fd = -1;
  int rc = target_open_as(spec, types, &t);
  if (rc == 0)
    *root_fd = steal_fd(&t.root_fd);
  target_close(&t);
  return rc;
}

/* Open PID; RT (NULL for a plain PID) is the container it should belong to. */
static int
open_pid(pid_t pid, const struct runtime_target *rt, struct target *t)
{
  t->pid = pid;
  if (t->pid == getpid())
    return cntr_fail(0, "pid %d: that is cntr itself", t->pid);

  /* The pidfd first: whatever we open below must belong to this very process,
     which we re-check once everything is open (PIDs get reused). */
  t->pidfd = sys_pidfd_open(t->pid, 0);
  if (t->pidfd < 0 && !rt && (errno == EINVAL || errno == ENOENT))
    {
      /* A thread id (top -H, ps -L): attach to its process.  pidfd_open
         refuses threads with EINVAL, or ENOENT on newer kernels. */
      pid_t tgid = thread_group_of(t->pid);
      if (tgid > 0 && tgid != t->pid)
        {
          cntr_debug("pid %d is a thread of process %d", t->pid, tgid);
          t->pid = tgid;
          t->pidfd = sys_pidfd_open(t->pid, 0);
        }
    }
  if (t->pidfd < 0)
    {
      if (errno == ESRCH)
        return cntr_fail(0, "pid %d: no such process", t->pid);
      return cntr_fail(errno, "pid %d", t->pid);
    }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", t->pid);
  t->proc_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (t->proc_fd < 0)
    return cntr_fail(errno, "open %s", path);

  cleanup_free char *stat_text = NULL;
  struct proc_stat st;
  if (read_proc(t, "stat", &stat_text, NULL) < 0)
    return -1;
  if (proc_parse_stat(stat_text, &st) < 0)
    return cntr_fail(errno, "parse /proc/%d/stat", t->pid);
  if (st.flags & PROC_PF_KTHREAD)
    return cntr_fail(0, "pid %d: is a kernel thread, not a container process", t->pid);

  cleanup_free char *status_text = NULL;
  if (read_proc(t, "status", &status_text, NULL) < 0)
    return -1;
  if (proc_parse_status(status_text, &t->status) < 0)
    return cntr_fail(errno, "parse /proc/%d/status", t->pid);
  if (read_idmap(t, "uid_map", &t->uid_map) < 0 || read_idmap(t, "gid_map", &t->gid_map) < 0)
    return -1;

  cleanup_free char *env = NULL;
  size_t env_len = 0;
  if (read_proc(t, "environ", &env, &env_len) < 0)
    return -1;
  t->environ = strv_from_nul_separated(env, env_len);
  if (!t->environ)
    return cntr_fail(errno, "read /proc/%d/environ", t->pid);
  if (read_proc(t, "cgroup", &t->cgroups, NULL) < 0)
    return -1;
  /* No LSM, or one without a label for us: run unlabelled. */
  if (read_file_at(t->proc_fd, "attr/current", &t->lsm_label, NULL) < 0)
    t->lsm_label = NULL;

  t->root_fd = openat(t->proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (t->root_fd < 0)
    return cntr_fail(errno, "open /proc/%d/root", t->pid);
  if (ns_open_all(t->proc_fd, t->ns_fds) < 0)
    return cntr_fail_context("pid %d", t->pid);
  if (t->ns_fds[NS_MNT] < 0)
    return cntr_fail(0, "pid %d: cannot open its mount namespace", t->pid);
  if (rt && check_belongs(t, rt) < 0)
    return -1;
  return target_check_alive(t);
}

void
target_close(struct target *t)
{
  cleanup_closep(&t->pidfd);
  cleanup_closep(&t->proc_fd);
  cleanup_closep(&t->root_fd);
  ns_close_all(t->ns_fds);
  strv_free(t->environ);
  free(t->cgroups);
  free(t->lsm_label);
  t->environ = NULL;
  t->cgroups = t->lsm_label = NULL;
  t->pidfd = t->proc_fd = t->root_fd = -1;
}
