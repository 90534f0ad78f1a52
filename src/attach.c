/* SPDX-License-Identifier: MIT */
/* cntr attach, cntr's own part: preflight (everything opened and computed
   before any namespace is entered), starting the session child and the
   FUSE server, forwarding signals, relaying the terminal, and reporting
   how the command ended.  The session's processes are in session.c. */
#include "attach.h"
#include "cleanup.h"
#include "command.h"
#include "log.h"
#include "passwd.h"
#include "pty.h"
#include "seccomp.h"
#include "session.h"
#include "syscalls.h"
#include "target.h"
#include "fuse-mount.h"
#include "scratch.h"
#include "tools-fs.h"
#include "tools-source.h"
#include "tools.h"
#include "util.h"
#include "view.h"
#include "wire.h"

#include "cntrfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/wait.h>
#include <unistd.h>

/* The target's seccomp filters, for the command: the session may do no
   more than the target may, unless the user said --no-seccomp. */
static int
read_seccomp(struct session *s)
{
  int mode = s->target.status.seccomp;
  if (mode == 0)
    return 0;
  if (s->o->no_seccomp)
    {
      cntr_warn("pid %d has a seccomp filter; the session runs without it (--no-seccomp)",
                s->target.pid);
      return 0;
    }
  if (mode != 2)
    {
      cntr_fail(0, "pid %d: runs in seccomp strict mode, which a session cannot", s->target.pid);
      cntr_hint("--no-seccomp runs the session without it");
      return -1;
    }
  if (seccomp_read_filters(s->target.pid, &s->seccomp) < 0)
    return -1;
  cntr_debug("pid %d: %zu seccomp filters, installed in the command", s->target.pid, s->seccomp.n);
  return 0;
}

/* Whether path is base or below it. */
static bool
path_within(const char *path, const char *base)
{
  size_t n = strlen(base);
  while (n > 1 && base[n - 1] == '/')
    n--;
  return !strncmp(path, base, n) && (path[n] == '\0' || path[n] == '/');
}

/* --volume: the host's trees, taken now (detached, nosuid, nodev, read-only
   if asked), to be attached in the session's view. */
static int
open_volumes(struct session *s)
{
  const struct attach_options *o = s->o;
  for (size_t i = 0; i < o->nvolumes; i++)
    {
      const struct attach_volume *v = &o->volumes[i];
      s->volume_trees[i] = -1;
      s->nvolumes = i + 1; /* what session_free releases */
      cleanup_free char *host = strndup(v->spec, v->host_len);
      char *path = strndup(v->path, v->path_len);
      char *what = xasprintf("--volume %s", v->spec);
      s->volume_points[i] = (struct view_mountpoint){ .path = path, .what = what };
      if (!host || !path || !what)
        return cntr_fail(ENOMEM, "--volume");
      cleanup_strv char **parts = view_path_components(path);
      if (!parts || !parts[0])
        return cntr_fail(0, "%s: PATH must be an absolute path below /, without . or ..", what);
      if (path_within(path, o->base_dir) || path_within(o->base_dir, path))
        {
          cntr_fail(0, "%s: PATH is the base dir %s, or inside it, or contains it", what,
                    o->base_dir);
          cntr_hint("choose another PATH, or move the tools with CNTR_BASE_DIR");
          return -1;
        }
      int tree = sys_open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
      if (tree < 0)
        return cntr_fail(errno, "%s: %s", what, host);
      s->volume_trees[i] = tree;
      struct stat st;
      if (fstat(tree, &st) < 0)
        return cntr_fail(errno, "%s: stat %s", what, host);
      if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return cntr_fail(0, "%s: %s is not a directory or a regular file", what, host);
      s->volume_points[i].is_file = S_ISREG(st.st_mode);
      struct sys_mount_attr attr = {
        .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (v->read_only ? MOUNT_ATTR_RDONLY : 0),
      };
      if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
        return cntr_fail(errno, "%s: make it nosuid, nodev%s", what, v->read_only ? ", ro" : "");
      /* In a target with a user namespace of its own, the host's ids are
         the target's on the volume (an id-mapped mount): its root writes
         files there as the host's root, and reads them as the host does. */
      int userns = s->target.ns_fds[NS_USER];
      struct sys_mount_attr idmap = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned)userns };
      if (userns >= 0 && sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &idmap) < 0)
        cntr_warn("%s: %s cannot be id-mapped (%s): the target's user namespace sees its files "
                  "as the host's ids there (nobody, mostly)",
                  what, host, strerror(errno));
    }
  return 0;
}

/* The target's identity with what -u, --cap-add, --cap-drop, --privileged
   and --apparmor/--selinux ask for. */
static int
prepare_identity(struct session *s)
{
  const struct attach_options *o = s->o;
  if (creds_from_target(&s->target.status, &s->target.uid_map, &s->target.gid_map,
                        s->target.lsm_label, &s->creds)
      < 0)
    return cntr_fail_context("pid %d", s->target.pid);
  if (o->user && user_resolve(s->target.root_fd, o->user, &s->user) < 0)
    return -1;
  cleanup_free char *self = NULL;
  struct proc_status me;
  if (read_file_at(s->host_proc_fd, "self/status", &self, NULL) < 0
      || proc_parse_status(self, &me) < 0)
    return cntr_fail(errno, "read cntr's own capabilities");
  struct identity_request r = {
    .available = me.cap_prm,
    .user = o->user ? &s->user : NULL,
    .cap_add = o->cap_add,
    .cap_drop = o->cap_drop,
    .privileged = o->privileged,
    .apparmor_off = o->apparmor_off,
    .selinux_off = o->selinux_off,
  };
  creds_adjust(&s->creds, &r);
  if (o->privileged)
    cntr_debug("--privileged: every capability, no seccomp filter, no LSM label");
  else if (read_seccomp(s) < 0)
    return -1;
  /* Classic debugging needs what many targets lack: say which flag. */
  if (s->use_pty && !(s->creds.cap_bnd & (1ULL << CAP_SYS_PTRACE)))
    cntr_warn("the session has no CAP_SYS_PTRACE, as the target: strace -p and gdb -p need "
              "--cap-add SYS_PTRACE");
  return 0;
}

/* Where the command starts: -w, else the target's working directory as it
   sees it (a session is no login: nsenter -w, docker exec do the same). */
static int
prepare_workdir(struct session *s)
{
  if (s->o->workdir)
    {
      s->workdir = strdup(s->o->workdir);
      s->workdir_explicit = true;
    }
  else
    {
      char buf[PATH_MAX];
      ssize_t n = readlinkat(s->target.proc_fd, "cwd", buf, sizeof buf - 1);
      buf[n > 0 ? n : 0] = '\0';
      /* Unreachable (" (deleted)", outside its root): its root. */
      const char *cwd = n > 0 && buf[0] == '/' && !strstr(buf, " (deleted)") ? buf : "/";
      /* --layout tools: the target is at the base dir. */
      s->workdir = s->o->layout_tools
                       ? xasprintf("%s%s", s->o->base_dir, strcmp(cwd, "/") ? cwd : "")
                       : strdup(cwd);
    }
  if (!s->workdir)
    return cntr_fail(ENOMEM, "working directory");
  return 0;
}

/* The command: the tools' for attach, the target's own for exec. */
static int
prepare_command(struct session *s)
{
  const struct attach_options *o = s->o;
  if (o->exec)
    {
      struct passwd_entry self;
      char uid[16];
      snprintf(uid, sizeof uid, "%u", (unsigned)s->creds.uid);
      cleanup_free char *passwd = target_read_file(s->target.root_fd, "etc/passwd");
      bool known = passwd_find(passwd, uid, &self) == 1;
      bool user = o->user && s->user.known;
      struct exec_inputs in = {
        .root_fd = s->target.root_fd,
        .command = o->command,
        .target_env = s->target.environ,
        /* The entry of the user the command runs as, for its shell. */
        .pw = user    ? &s->user.pw
              : known ? &self
                      : NULL,
        /* -u sets HOME and USER from it; without, the target's environment
           says them. */
        .user_env_from_pw = user,
        .term = getenv("TERM"),
        .use_pty = s->use_pty,
        .user_env = { o->env_files, o->nenv_files, o->env, o->nenv },
      };
      return command_build_exec(&in, &s->command);
    }
  struct command_inputs in = {
    .tools_fd = s->tools_fd,
    .base_dir = o->base_dir,
    .command = o->command,
    .pw = getpwuid(getuid()),
    .target_env = s->target.environ,
    .home = getenv("HOME"),
    .term = getenv("TERM"),
    .use_pty = s->use_pty,
    .user_env = { o->env_files, o->nenv_files, o->env, o->nenv },
    .tools_at_root = o->layout_tools,
    .target_root_fd = s->target.root_fd,
  };
  return command_build(&in, &s->command);
}

/* The devices every program expects, which a target built FROM scratch may
   lack: the session's view gets the host's (harmless, and the target's
   device cgroup still applies), never the target. */
static int
prepare_devices(struct session *s)
{
  /* --layout tools: the target's /dev is the session's, whole, when it has
     one a program can use. */
  if (s->o->layout_tools)
    {
      struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
      cleanup_close int null
          = (int)syscall(SYS_openat2, s->target.root_fd, "dev/null", &how, sizeof how);
      struct stat st;
      s->target_dev = null >= 0 && fstat(null, &st) == 0 && S_ISCHR(st.st_mode);
      if (s->target_dev)
        return 0;
      cntr_debug("the target has no /dev/null: the session gets the host's devices and a devpts");
    }
  static const char *const devices[SESSION_MAX_DEVICES]
      = { "null", "zero", "full", "random", "urandom", "tty" };
  for (size_t i = 0; i < SESSION_MAX_DEVICES; i++)
    {
      char rel[32], host[32];
      snprintf(rel, sizeof rel, "dev/%s", devices[i]);
      snprintf(host, sizeof host, "/dev/%s", devices[i]);
      struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
      cleanup_close int there = (int)syscall(SYS_openat2, s->target.root_fd, rel, &how, sizeof how);
      if (there >= 0)
        continue;
      int tree = sys_open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
      if (tree < 0)
        {
          cntr_debug("the target has no %s, nor has the host: %s", host, strerror(errno));
          continue;
        }
      struct sys_mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID };
      if (sys_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0)
        {
          int err = errno;
          close(tree);
          return cntr_fail(err, "make the host's %s nosuid", host);
        }
      size_t n = s->ndevices++;
      s->device_trees[n] = tree;
      s->device_points[n] = (struct view_mountpoint){ .path = devices[i], .is_file = true };
      cntr_debug("the target has no %s: the session gets the host's", host);
    }
  /* A devpts of the target's: the command's terminal comes from it. */
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
  cleanup_close int ptmx
      = (int)syscall(SYS_openat2, s->target.root_fd, "dev/pts/ptmx", &how, sizeof how);
  struct statfs sf;
  s->make_devpts = ptmx < 0 || fstatfs(ptmx, &sf) < 0 || sf.f_type != DEVPTS_SUPER_MAGIC;
  if (s->make_devpts)
    cntr_debug("the target has no devpts: the session gets one of its own");
  return 0;
}

/* The invoking user's home in the tools tree (resolved there), whose files
   the session may read: $HOME as cntr was started (sudo sets it to the
   target user's), else the password entry's; NULL when the tools lack it. */
static char *
tools_home(int tools_fd)
{
  const char *env = getenv("HOME");
  const struct passwd *pw = getpwuid(getuid());
  const char *candidates[] = { env && env[0] == '/' && strcmp(env, "/") ? env : NULL,
                               pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL };
  for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++)
    {
      if (!candidates[i])
        continue;
      char *home = tools_resolve(tools_fd, candidates[i]);
      if (home)
        return home;
      cntr_error_clear();
    }
  return NULL;
}

/* The FUSE connection of a target with a user namespace of its own speaks
   that namespace's ids: the supplementary groups of its callers too. */
static int
set_group_map(struct session *s)
{
  const struct idmap *m = &s->target.gid_map;
  struct cntrfs_id_range ranges[IDMAP_MAX_EXTENTS];
  for (size_t i = 0; i < m->n; i++)
    ranges[i] = (struct cntrfs_id_range){ m->extents[i].inside, m->extents[i].outside,
                                          m->extents[i].count };
  if (cntrfs_set_group_map(s->fs, ranges, m->n) < 0)
    return cntr_fail(errno, "map the target's groups");
  return 0;
}

/* The tools: their tree, the FUSE server, its mount options. */
static int
prepare_tools(struct session *s)
{
  const struct attach_options *o = s->o;
  struct tools_tree tree;
  if (tools_source_open(&o->tools, &tree) < 0)
    return -1;
  s->tools_fd = tree.root_fd;
  s->tools_hold_fd = tree.hold_fd;
  if (open_volumes(s) < 0 || prepare_devices(s) < 0)
    return -1;
  /* A target in a user namespace of its own gets a mount made there
     (fuse-mount.h), with a /dev/fuse of its own. */
  if (s->target.ns_fds[NS_USER] >= 0)
    return 0;
  s->fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (s->fuse_fd < 0)
    {
      cntr_fail(errno, "open /dev/fuse");
      cntr_hint("load the fuse module (modprobe fuse) and run cntr where /dev/fuse exists");
      return -1;
    }
  return 0;
}

static int
prepare(struct session *s)
{
  const struct attach_options *o = s->o;
  if (geteuid() != 0)
    return cntr_fail_needs_root(o->exec ? "exec" : "attach", NULL);
  cleanup_strv char **base_parts = view_path_components(o->base_dir);
  if (!o->exec && (!base_parts || !base_parts[0]))
    {
      cntr_fail(0, "CNTR_BASE_DIR '%s': must be an absolute path below /, without . or ..",
                o->base_dir);
      cntr_hint("unset it to use %s", CNTR_DEFAULT_BASE_DIR);
      return -1;
    }
  s->host_proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->host_proc_fd < 0)
    return cntr_fail(errno, "open /proc");
  if (target_open_as(o->target, o->types, &s->target) < 0)
    return -1;
  if (!o->exec && prepare_tools(s) < 0)
    return -1;
  s->use_pty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  if (prepare_identity(s) < 0 || prepare_workdir(s) < 0)
    return -1;
  if (s->use_pty && pty_open(s->host_proc_fd, &s->host_pty_master, &s->host_pty_slave) < 0)
    return -1;
  errno = 0;
  if (prepare_command(s) < 0)
    return -1;
  if (!o->exec)
    {
      if (o->tools_rw)
        cntr_warn("--tools-rw: the session writes the tools tree %s, and what your shell's "
                  "startup files do writes it too",
                  o->tools.arg);
      if (o->host_secrets)
        cntr_warn("--host-secrets: the session may read every file of the tools tree %s, "
                  "credential stores included",
                  o->tools.arg);
      cleanup_free char *home = tools_home(s->tools_fd);
      /* What the session writes in the tools goes to a tmpfs of its own,
         mounted nowhere, gone with it. */
      cleanup_close int scratch = o->tools_rw ? -1 : scratch_open(NULL);
      if (!o->tools_rw && scratch < 0)
        cntr_warn("no scratch for the tools (%s): the session cannot write them", strerror(errno));
      struct tools_fs_options fo = {
        .tools_fd = s->tools_fd,
        .scratch_fd = scratch,
        .base_dir = o->base_dir,
        .writable = o->tools_rw,
        .all_files = o->host_secrets,
        .home = home,
        .at_root = o->layout_tools,
        .debug = o->debug_fuse,
      };
      s->fs = tools_fs_new(&fo, &s->images, &s->tools_alias);
      if (!s->fs)
        return -1;
      if (s->target.ns_fds[NS_USER] >= 0)
        {
          if (fuse_mount_in_userns(s->fs, s->target.ns_fds[NS_USER], &s->fuse_fd, &s->fuse_mount_fd)
                  < 0
              || set_group_map(s) < 0)
            return -1;
          cntr_debug("the target has a user namespace of its own: the tools are mounted in it");
        }
      else if (cntrfs_kernel_options(s->fs, s->fuse_fd, s->fuse_options, sizeof s->fuse_options)
               < 0)
        return cntr_fail(errno, "FUSE mount options");
    }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->sock) < 0)
    return cntr_fail(errno, "socketpair");
  return 0;
}

static void
session_free(struct session *s)
{
  cntrfs_free(s->fs);
  s->fs = NULL;
  cleanup_closep(&s->fuse_fd);
  cleanup_closep(&s->fuse_mount_fd);
  cleanup_closep(&s->tools_fd);
  cleanup_closep(&s->tools_hold_fd);
  cleanup_closep(&s->host_proc_fd);
  cleanup_closep(&s->host_pty_master);
  cleanup_closep(&s->host_pty_slave);
  cleanup_closep(&s->sock[0]);
  cleanup_closep(&s->sock[1]);
  target_close(&s->target);
  command_spec_free(&s->command);
  seccomp_filters_free(&s->seccomp);
  free(s->workdir);
  s->workdir = NULL;
  for (size_t i = 0; i < s->nvolumes; i++)
    {
      cleanup_closep(&s->volume_trees[i]);
      free((char *)s->volume_points[i].path);
      free((char *)s->volume_points[i].what);
    }
  s->nvolumes = 0;
  for (size_t i = 0; i < s->ndevices; i++)
    cleanup_closep(&s->device_trees[i]);
  s->ndevices = 0;
  tools_fs_images_free(&s->images);
}

/* What cntr prints for a command killed by a signal, as a shell does. */
static void
report_signal(int status)
{
  int sig = WTERMSIG(status);
  if (sig == SIGINT || sig == SIGPIPE)
    return;
  fprintf(stderr, "%s%s\n", strsignal(sig), WCOREDUMP(status) ? " (core dumped)" : "");
}

/* cntr's side of a running session. */
struct run_state
{
  struct session *s;
  int sigfd;
  pid_t child;
  int command_pidfd;
  int master;
  struct pty_saved saved;
  struct pty_relay relay;
  int status;
  /* The first WIRE_ERROR the session reported: the cause of what follows. */
  bool failed;
  struct cntr_error_record error;
};

/* Forward a signal sent to cntr to the command: a terminal-generated one
   (SI_KERNEL) already reached the command's process group, unless the
   command has its own terminal (pty), where cntr's terminal is raw. */
static void
handle_signal(struct run_state *rs, const struct signalfd_siginfo *si)
{
  if (si->ssi_signo == SIGWINCH)
    {
      if (rs->master >= 0)
        pty_copy_winsize(STDIN_FILENO, rs->master);
      return;
    }
  if (si->ssi_signo == SIGCHLD)
    return;
  if (rs->master < 0 && si->ssi_code == SI_KERNEL)
    return;
  if (rs->command_pidfd >= 0)
    sys_pidfd_send_signal(rs->command_pidfd, (int)si->ssi_signo);
}

static void
record_failure(struct run_state *rs, const struct wire_msg *m)
{
  if (rs->failed)
    return;
  rs->failed = true;
  rs->error = m->error;
}

/* Wait for one message from the session, handling signals meanwhile. */
static int
wait_message(struct run_state *rs, struct wire_msg *m, int *fd)
{
  for (;;)
    {
      struct pollfd p[2] = { { rs->s->sock[0], POLLIN, 0 }, { rs->sigfd, POLLIN, 0 } };
      if (poll(p, 2, -1) < 0 && errno != EINTR)
        return cntr_fail(errno, "poll");
      if (p[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read(rs->sigfd, &si, sizeof si) == sizeof si)
            {
              /* Before the command exists, a signal means: give up. */
              if (rs->command_pidfd < 0 && si.ssi_signo != SIGWINCH && si.ssi_signo != SIGCHLD)
                return cntr_fail(0, "interrupted by %s during setup", strsignal(si.ssi_signo));
              handle_signal(rs, &si);
            }
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          int r = wire_recv(rs->s->sock[0], m, fd);
          if (r < 0)
            return cntr_fail(errno, "read from the session");
          if (r == 0)
            return cntr_fail(0, "the session ended unexpectedly");
          if (m->type == WIRE_ERROR)
            record_failure(rs, m);
          return 0;
        }
    }
}

/* The relay's control fds: RELAY_SOCKET the session's socket, RELAY_SIGNALS
   the signalfd. */
enum
{
  RELAY_SOCKET,
  RELAY_SIGNALS,
};

static void
relay_ready(void *arg, int index)
{
  struct run_state *rs = arg;
  if (index == RELAY_SIGNALS)
    {
      struct signalfd_siginfo si;
      while (read(rs->sigfd, &si, sizeof si) == sizeof si)
        handle_signal(rs, &si);
      return;
    }
  struct wire_msg m;
  int r = wire_recv(rs->s->sock[0], &m, NULL);
  if (r <= 0)
    {
      rs->relay.exited = true;
      rs->status = W_EXITCODE(CNTR_EXIT_FAILURE, 0);
      if (!rs->failed)
        {
          rs->failed = true;
          cntr_fail(0, "the session ended unexpectedly");
          cntr_error_save(&rs->error);
        }
    }
  else if (m.type == WIRE_ERROR)
    record_failure(rs, &m);
  else if (m.type == WIRE_EXITED)
    {
      rs->relay.exited = true;
      rs->status = m.status;
    }
  if (rs->relay.exited)
    rs->relay.fds[RELAY_SOCKET] = -1;
}

/* Relay the terminal and wait for the command's end. */
static void
run_session(struct run_state *rs)
{
  rs->relay = (struct pty_relay){
    .in = STDIN_FILENO,
    .out = STDOUT_FILENO,
    .master = rs->master,
    .fds = { [RELAY_SOCKET] = rs->s->sock[0], [RELAY_SIGNALS] = rs->sigfd },
    .ready = relay_ready,
    .arg = rs,
  };
  pty_relay_run(&rs->relay, &rs->saved);
}

/* The signals cntr handles through a signalfd; *old (already filled with
   the current mask) gets the mask to restore. */
static int
block_signals(sigset_t *old)
{
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCHLD, SIGUSR1, SIGUSR2 };
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    sigaddset(&set, sigs[i]);
  if (sigprocmask(SIG_BLOCK, &set, old) < 0)
    return -1;
  return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Fail with the first error the session reported (the cause; what cntr
   saw after it is fallout), or else with what cntr recorded; in the context
   of a target that exited meanwhile (when: "during setup", "during the
   session"), which is then the likely cause. */
static int
fail_with_session_error(struct run_state *rs, const char *when)
{
  if (rs->failed)
    cntr_error_restore(&rs->error);
  if (target_check_alive(&rs->s->target) < 0)
    cntr_fail_context("pid %d: the target exited %s", rs->s->target.pid, when);
  return -1;
}

/* How the command ended, as cntr's result. */
static int
finish(struct run_state *rs)
{
  pty_raw_leave(&rs->saved);
  if (rs->failed)
    return fail_with_session_error(rs, "during the session");
  if (WIFEXITED(rs->status))
    return WEXITSTATUS(rs->status);
  if (WIFSIGNALED(rs->status))
    {
      if (WTERMSIG(rs->status) == SIGKILL && target_check_alive(&rs->s->target) < 0)
        cntr_warn("pid %d: the target exited during the session", rs->s->target.pid);
      else
        report_signal(rs->status);
      return 128 + WTERMSIG(rs->status);
    }
  return cntr_fail(0, "the command ended with wait status %#x", (unsigned)rs->status);
}

/* Start the session child and serve it; the command's status, or -1. */
static int
run(struct session *s, struct run_state *rs)
{
  struct winsize ws;
  bool have_ws = s->use_pty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0;
  pid_t self = getpid();
  rs->child = fork();
  if (rs->child < 0)
    return cntr_fail(errno, "fork");
  if (rs->child == 0)
    {
      cleanup_closep(&s->sock[0]);
      cleanup_closep(&rs->sigfd);
      session_child(s, self, have_ws ? &ws : NULL);
    }
  cleanup_closep(&s->sock[1]);
  /* A reader of our output that goes away must not kill cntr mid-cleanup;
     the children got the default disposition, as exec keeps SIG_IGN. */
  signal(SIGPIPE, SIG_IGN);

  struct wire_msg m;
  if (wait_message(rs, &m, NULL) < 0 || m.type != WIRE_MOUNTED)
    return fail_with_session_error(rs, "during setup");
  /* Only the session may use the tools: a target process that reaches the
     mount through /proc/<session pid>/root must not get the host's / as
     root.  The session child's mount namespace is the session's. */
  if (s->fs && cntrfs_restrict_to_mount_ns(s->fs, m.ns_dev, m.ns_ino) < 0)
    {
      cntr_fail(errno, "restrict the tools to the session");
      return fail_with_session_error(rs, "during setup");
    }
  if (s->fs && cntrfs_start(s->fs, steal_fd(&s->fuse_fd)) < 0)
    {
      cntr_fail(errno, "serve the tools");
      return fail_with_session_error(rs, "during setup");
    }
  /* The command may fail to exec before its parent reports it started. */
  for (;;)
    {
      if (wait_message(rs, &m, &rs->master) < 0)
        return fail_with_session_error(rs, "during setup");
      if (m.type == WIRE_STARTED)
        break;
      if (m.type != WIRE_ERROR)
        {
          cntr_fail(0, "the session did not start");
          return fail_with_session_error(rs, "during setup");
        }
    }
  rs->command_pidfd = sys_pidfd_open(m.pid, 0);
  if (s->fs)
    cntr_debug("the tools' file data: %s", cntrfs_passthrough_describe(s->fs));
  run_session(rs);
  return finish(rs);
}

int
cntr_attach(const struct attach_options *o)
{
  struct session s = { .o = o,
                       .tools_fd = -1,
                       .tools_hold_fd = -1,
                       .fuse_fd = -1,
                       .fuse_mount_fd = -1,
                       .host_proc_fd = -1,
                       .host_pty_master = -1,
                       .host_pty_slave = -1,
                       .sock = { -1, -1 } };
  struct run_state rs = { .s = &s, .sigfd = -1, .child = -1, .command_pidfd = -1, .master = -1 };
  sigset_t old_mask;
  int rc = -1;

  if (prepare(&s) < 0)
    {
      session_free(&s);
      return -1;
    }
  sigprocmask(SIG_SETMASK, NULL, &old_mask);
  rs.sigfd = block_signals(&old_mask);
  if (rs.sigfd < 0)
    cntr_fail(errno, "signalfd");
  else
    rc = run(&s, &rs);
  pty_raw_leave(&rs.saved);
  if (rc < 0 && rs.child > 0)
    kill(rs.child, SIGTERM);
  if (rs.child > 0)
    while (waitpid(rs.child, NULL, 0) < 0 && errno == EINTR)
      ;
  if (s.fs)
    cntrfs_stop(s.fs);
  cleanup_closep(&rs.master);
  cleanup_closep(&rs.command_pidfd);
  cleanup_closep(&rs.sigfd);
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  session_free(&s);
  return rc;
}
