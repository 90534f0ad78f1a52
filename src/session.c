/* SPDX-License-Identifier: MIT */
/* The session child and the command process (session.h). */
#include "session.h"
#include "cgroup.h"
#include "cleanup.h"
#include "env.h"
#include "io.h"
#include "log.h"
#include "ns.h"
#include "pty.h"
#include "sweep.h"
#include "tools-fs.h"
#include "syscalls.h"
#include "view.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

const int session_terminal_signals[] = { SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU };
const size_t session_terminal_signals_count
    = sizeof session_terminal_signals / sizeof *session_terminal_signals;

/* Dies with its parent: PR_SET_PDEATHSIG, then a check that closes the race
   with a parent that died before the prctl. */
static int
die_with_parent(pid_t parent, int sig)
{
  if (prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) < 0)
    return cntr_fail(errno, "set parent-death signal");
  if (getppid() != parent)
    return cntr_fail(0, "cntr exited during setup");
  return 0;
}

/* Whether name (as execvp would look it up) names an existing file. */
static bool
command_exists(const char *name, const char *path)
{
  if (strchr(name, '/'))
    return access(name, F_OK) == 0;
  for (const char *dir = path; dir && *dir;)
    {
      const char *colon = strchrnul(dir, ':');
      char candidate[PATH_MAX];
      int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)(colon - dir), dir, name);
      if (n > 0 && (size_t)n < sizeof candidate && access(candidate, F_OK) == 0)
        return true;
      dir = *colon ? colon + 1 : colon;
    }
  return false;
}

/* The command process: never returns.  It is in the target's PID
   namespace from its first instruction on, where the target's processes
   see it: it was forked non-dumpable (so that they cannot open its
   /proc/PID/fd or ptrace it), and before anything else it closes every fd
   it does not need, host ones above all; exec makes it dumpable again,
   after the kernel closed what is close-on-exec. */
static __attribute__((noreturn)) void
exec_command(struct session *s, int pty_slave, pid_t parent)
{
  int sock = s->sock[1];
  if (die_with_parent(parent, SIGKILL) < 0 || creds_set_exec_label(&s->creds, s->host_proc_fd) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);
  const int keep[] = { sock, pty_slave, s->target.ns_fds[NS_USER] };
  if (close_fds_except(keep, sizeof keep / sizeof *keep) < 0)
    {
      cntr_fail(errno, "close what the command does not need");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  if (ns_join_phase(s->target.ns_fds, NS_PHASE_COMMAND) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);
  cleanup_closep(&s->target.ns_fds[NS_USER]);
  if (pty_slave >= 0)
    {
      if (setsid() < 0 || ioctl(pty_slave, TIOCSCTTY, 0) < 0)
        {
          cntr_fail(errno, "make the pty the session's terminal");
          wire_fail(sock, CNTR_EXIT_FAILURE);
        }
      for (int i = 0; i < 3; i++)
        if (dup2(pty_slave, i) < 0)
          {
            cntr_fail(errno, "attach the pty");
            wire_fail(sock, CNTR_EXIT_FAILURE);
          }
      close(pty_slave);
    }
  /* As root still: the target's own directories may be closed to the
     identity the command takes (a docker exec -w does the same). */
  if (chdir(s->workdir) < 0)
    {
      if (s->workdir_explicit)
        {
          cntr_fail(errno, "--workdir %s", s->workdir);
          wire_fail(sock, CNTR_EXIT_FAILURE);
        }
      cntr_debug("chdir %s: %s; starting in /", s->workdir, strerror(errno));
      if (chdir("/") < 0)
        {
          cntr_fail(errno, "chdir / in the target");
          wire_fail(sock, CNTR_EXIT_FAILURE);
        }
    }
  if (creds_apply(&s->creds, s->seccomp.n ? &s->seccomp : NULL) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);
  /* setuid cleared the parent-death signal. */
  if (die_with_parent(parent, SIGKILL) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);

  /* exec keeps ignored signals ignored: give the command the defaults. */
  for (size_t i = 0; i < session_terminal_signals_count; i++)
    signal(session_terminal_signals[i], SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  const struct command_spec *c = &s->command;
  environ = c->env;
  if (c->exec_path)
    execv(c->exec_path, c->argv);
  else
    execvp(c->argv[0], c->argv);
  int err = errno;
  const char *what = c->exec_path ? c->exec_path : c->argv[0];
  if (err == ENOENT)
    {
      /* ENOENT also means the program's interpreter or loader is missing. */
      if (command_exists(what, env_get(c->env, "PATH")))
        {
          cntr_fail(0, "%s: cannot execute: its interpreter or loader was not found", what);
          cntr_hint("the program needs a file that the target does not have");
        }
      else
        cntr_fail(0, "%s: command not found", what);
      wire_fail(sock, CNTR_EXIT_NOT_FOUND);
    }
  cntr_fail(err, "execute %s", what);
  wire_fail(sock, CNTR_EXIT_CANNOT_EXECUTE);
}

static volatile sig_atomic_t session_terminate;

static void
on_session_terminate(int sig)
{
  (void)sig;
  session_terminate = 1;
}

/* The terminal of the command: the target's own devpts, so that it is one
   the target knows (tty, ttyname); the host's when the target has none. */
static void
open_terminal(struct session *s, int *master, int *slave, const struct winsize *ws)
{
  bool targets = pty_open(s->host_proc_fd, master, slave) == 0;
  if (!targets)
    {
      cntr_debug("%s; using a pty of the host", cntr_error_message());
      cntr_error_clear();
      *master = steal_fd(&s->host_pty_master);
      *slave = steal_fd(&s->host_pty_slave);
    }
  cleanup_closep(&s->host_pty_master);
  cleanup_closep(&s->host_pty_slave);
  if (ws)
    ioctl(*master, TIOCSWINSZ, ws);
  /* The command owns its terminal, as login(1) arranges it; but never a
     pty of the host: the host's account of the target's uid would get the
     operator's terminal (the command has its fd, it needs no more). */
  if (targets && fchown(*slave, s->target.status.uid[1], s->target.status.gid[1]) < 0)
    cntr_debug("chown the pty: %s", strerror(errno));
}

/* The tools' FUSE mount at the base dir: made here, or made in the
   target's user namespace (fuse-mount.h) and attached. */
static int
mount_tools(struct session *s)
{
  int r = s->fuse_mount_fd >= 0 ? view_attach_tree(s->fuse_mount_fd, s->o->base_dir)
                                : view_mount_fuse(s->o->base_dir, s->fuse_options);
  cleanup_closep(&s->fuse_mount_fd);
  return r;
}

/* The mount points both layouts add for the volumes, the host's devices a
   target lacks and the session's own devpts (device_paths: their paths'
   room). */
static void
add_session_points(const struct session *s, struct view_mountpoint *points, size_t *n,
                   char device_paths[][32])
{
  for (size_t i = 0; i < s->nvolumes; i++)
    points[(*n)++] = s->volume_points[i];
  for (size_t i = 0; i < s->ndevices; i++)
    {
      snprintf(device_paths[i], 32, "/dev/%s", s->device_points[i].path);
      points[*n] = s->device_points[i];
      points[*n].path = points[*n].what = device_paths[i];
      (*n)++;
    }
  if (s->make_devpts)
    {
      points[(*n)++] = (struct view_mountpoint){ .path = "/dev/pts", .what = "/dev/pts" };
      points[(*n)++]
          = (struct view_mountpoint){ .path = "/dev/ptmx", .is_file = true, .what = "/dev/ptmx" };
    }
}

/* And what goes there. */
static int
attach_session_trees(struct session *s, char device_paths[][32])
{
  for (size_t i = 0; i < s->ndevices; i++)
    {
      if (view_attach_tree(s->device_trees[i], device_paths[i]) < 0)
        return -1;
      cleanup_closep(&s->device_trees[i]);
    }
  if (s->make_devpts && view_mount_devpts() < 0)
    return -1;
  for (size_t i = 0; i < s->nvolumes; i++)
    {
      if (view_attach_tree(s->volume_trees[i], s->volume_points[i].path) < 0)
        return cntr_fail_context("%s", s->volume_points[i].what);
      cleanup_closep(&s->volume_trees[i]);
    }
  return 0;
}

/* attach's view: the stand-ins for the base dir and the volumes, the
   target read-only if asked, the tools, the volumes. */
static void
build_view(struct session *s)
{
  int sock = s->sock[1];
  struct view_mountpoint points[VIEW_MAX_MOUNTPOINTS] = {
    { .path = s->o->base_dir,
      .what = "the base dir",
      .hint = "set CNTR_BASE_DIR to a path that is free in the target" },
  };
  size_t n = 1;
  if (s->tools_alias)
    points[n++] = (struct view_mountpoint){ .path = CNTR_TOOLS_ALIAS, .what = CNTR_TOOLS_ALIAS };
  char device_paths[SESSION_MAX_DEVICES][32];
  add_session_points(s, points, &n, device_paths);
  if (view_make_mountpoints(points, n) < 0 || (s->o->read_only && view_make_read_only() < 0)
      || mount_tools(s) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);
  if (s->tools_alias && mount(s->o->base_dir, CNTR_TOOLS_ALIAS, NULL, MS_BIND, NULL) < 0)
    {
      cntr_fail(errno, "show the tools at %s too", CNTR_TOOLS_ALIAS);
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  if (attach_session_trees(s, device_paths) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);
  /* Only cntr may hold /dev/fuse: if it dies, the kernel must see the last
     fd close and abort the connection instead of leaving requests hanging. */
  cleanup_closep(&s->fuse_fd);
}

/* --layout tools, first part: the target's whole tree taken aside, and
   the tools mounted at the base dir of its view (the FUSE server starts
   serving once cntr hears of the mount). */
static int
mount_tools_aside(struct session *s, int *target_tree)
{
  *target_tree = sys_open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (*target_tree < 0)
    return cntr_fail(errno, "take the target's tree");
  if (s->o->read_only)
    {
      struct sys_mount_attr ro
          = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME, .attr_clr = MOUNT_ATTR__ATIME };
      if (sys_mount_setattr(*target_tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro) < 0)
        return cntr_fail(errno, "--read-only: make the target's mounts read-only");
    }
  struct view_mountpoint base
      = { .path = s->o->base_dir,
          .what = "the base dir",
          .hint = "set CNTR_BASE_DIR to a path that is free in the target" };
  if (view_make_mountpoints(&base, 1) < 0 || mount_tools(s) < 0)
    return -1;
  cleanup_closep(&s->fuse_fd); /* as build_view, and before the server's first request */
  return 0;
}

/* What of the target the session sees at the same place with the tools at
   /: the kernel's views of it and the files that say who and where it is. */
static const struct
{
  const char *path;
  bool is_file;
} target_places[] = {
  { "/proc", false },         { "/sys", false },
  { "/dev", false },          { "/etc/passwd", true },
  { "/etc/group", true },     { "/etc/hosts", true },
  { "/etc/hostname", true },  { "/etc/resolv.conf", true },
  { "/etc/localtime", true },
};
#define TARGET_PLACES (sizeof target_places / sizeof *target_places)
_Static_assert(1 + TARGET_PLACES + ATTACH_MAX_VOLUMES + SESSION_MAX_DEVICES + 2
                   <= VIEW_MAX_MOUNTPOINTS,
               "every mount point of the tools layout fits");

/* The target's path, resolved in its root (its symlinks stay in it), as a
   detached copy; -1 when the target has none of that type. */
static int
target_place_tree(int target_root, const char *path, bool is_file)
{
  struct open_how how
      = { .flags = O_PATH | O_CLOEXEC | (is_file ? 0 : O_DIRECTORY), .resolve = RESOLVE_IN_ROOT };
  cleanup_close int fd = (int)syscall(SYS_openat2, target_root, path + 1, &how, sizeof how);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || (is_file && !S_ISREG(st.st_mode)))
    return -1;
  return sys_open_tree(
      fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (is_file ? 0 : AT_RECURSIVE));
}

/* --layout tools, second part: into the tools, and the target at the base
   dir with its places over the tools' own. */
static int
enter_tools(struct session *s, int target_tree)
{
  if (view_pivot_root(s->o->base_dir) < 0)
    return -1;
  struct view_mountpoint points[VIEW_MAX_MOUNTPOINTS];
  int trees[TARGET_PLACES];
  size_t n = 0;
  points[n++] = (struct view_mountpoint){ .path = s->o->base_dir, .what = "the base dir" };
  int rc = 0;
  for (size_t i = 0; i < TARGET_PLACES; i++)
    {
      bool dev = !strcmp(target_places[i].path, "/dev");
      trees[i] = dev && !s->target_dev ? -1
                                       : target_place_tree(target_tree, target_places[i].path,
                                                           target_places[i].is_file);
      if (trees[i] >= 0)
        points[n++] = (struct view_mountpoint){ .path = target_places[i].path,
                                                .is_file = target_places[i].is_file,
                                                .what = target_places[i].path };
    }
  char device_paths[SESSION_MAX_DEVICES][32];
  add_session_points(s, points, &n, device_paths);
  if (view_make_mountpoints(points, n) < 0 || view_attach_tree(target_tree, s->o->base_dir) < 0)
    rc = -1;
  for (size_t i = 0; i < TARGET_PLACES; i++)
    {
      if (rc == 0 && trees[i] >= 0 && view_attach_tree(trees[i], target_places[i].path) < 0)
        rc = -1;
      cleanup_closep(&trees[i]);
    }
  if (rc < 0)
    return -1;
  return attach_session_trees(s, device_paths);
}

void
session_child(struct session *s, pid_t parent, const struct winsize *ws)
{
  int sock = s->sock[1];
  signal(SIGTERM, SIG_DFL);
  /* The session child shares cntr's process group: a Ctrl-C meant for the
     command must not kill the process that waits for it and cleans up. */
  for (size_t i = 0; i < session_terminal_signals_count; i++)
    signal(session_terminal_signals[i], SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (die_with_parent(parent, SIGTERM) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);

  /* From the host's view, before the mount namespace changes /sys. */
  if (s->o->no_cgroup)
    cntr_debug("--no-cgroup: the session stays in cntr's cgroups");
  else if (cgroup_join(s->target.cgroups) < 0)
    cntr_error_handled();

  if (view_enter(s->target.ns_fds[NS_MNT]) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);
  struct stat session_ns;
  if (fstatat(s->host_proc_fd, "self/ns/mnt", &session_ns, 0) < 0)
    {
      cntr_fail(errno, "stat the session's mount namespace");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  cleanup_close int target_tree = -1;
  if (s->o->exec)
    {
      if (s->o->read_only && view_make_read_only() < 0)
        wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  else if (s->o->layout_tools)
    {
      if (mount_tools_aside(s, &target_tree) < 0)
        wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  else
    build_view(s);
  struct wire_msg m
      = { .type = WIRE_MOUNTED, .ns_dev = session_ns.st_dev, .ns_ino = session_ns.st_ino };
  if (wire_send(sock, &m, -1) < 0)
    _exit(CNTR_EXIT_FAILURE);
  /* The rest of the tools layout needs the server, which runs from now on. */
  if (target_tree >= 0)
    {
      if (enter_tools(s, target_tree) < 0)
        wire_fail(sock, CNTR_EXIT_FAILURE);
      cleanup_closep(&target_tree);
    }

  cleanup_close int master = -1, slave = -1;
  if (s->use_pty)
    open_terminal(s, &master, &slave, ws);

  if (ns_join_phase(s->target.ns_fds, NS_PHASE_SESSION) < 0)
    wire_fail(sock, CNTR_EXIT_FAILURE);

  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, NULL);
  /* Inherited by the command, which the target can see from its birth on. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      cntr_fail(errno, "make the session non-dumpable");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  pid_t pid = fork();
  if (pid < 0)
    {
      cntr_fail(errno, "fork into the target's PID namespace");
      wire_fail(sock, CNTR_EXIT_FAILURE);
    }
  if (pid == 0)
    {
      exec_command(s, slave, getppid());
    }
  struct sigaction sa = { .sa_handler = on_session_terminate };
  sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: waitpid must return */
  sigprocmask(SIG_UNBLOCK, &term, NULL);
  cleanup_closep(&slave);

  m = (struct wire_msg){ .type = WIRE_STARTED, .pid = pid };
  wire_send(sock, &m, master);
  cleanup_closep(&master);

  int status = 0;
  for (;;)
    {
      if (session_terminate)
        {
          kill(pid, SIGKILL);
          sweep_mount_namespace(s->host_proc_fd, session_ns.st_dev, session_ns.st_ino);
        }
      pid_t r = waitpid(pid, &status, 0);
      if (r == pid)
        break;
      if (r < 0 && errno != EINTR)
        {
          status = W_EXITCODE(CNTR_EXIT_FAILURE, 0);
          break;
        }
    }
  /* What the command left behind (background jobs, daemons) ends with it. */
  sweep_mount_namespace(s->host_proc_fd, session_ns.st_dev, session_ns.st_ino);
  m = (struct wire_msg){ .type = WIRE_EXITED, .status = status };
  wire_send(sock, &m, -1);
  _exit(0);
}
