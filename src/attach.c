/* SPDX-License-Identifier: MIT */
/* Processes of one session:

     cntr (host namespaces): FUSE server threads, terminal relay, waits
      └─ session child (host PID namespace, session mount namespace):
         joins the cgroup, builds the view, mounts FUSE, joins the other
         namespaces but the user one, forks, waits, and at the end kills
         whatever is left in the session's mount namespace
          └─ command (target PID namespace): joins the user namespace,
             becomes the target's identity, execs

   The session child and the command talk to cntr over one SEQPACKET socket.
   Nothing outlives cntr: the session child gets SIGTERM when cntr dies
   (PR_SET_PDEATHSIG) and sweeps the session's mount namespace, and the
   kernel aborts the FUSE connection when cntr's /dev/fuse fd closes. */
#include "attach.h"
#include "cgroup.h"
#include "cleanup.h"
#include "creds.h"
#include "env.h"
#include "log.h"
#include "ns.h"
#include "pty.h"
#include "shim.h"
#include "syscalls.h"
#include "sweep.h"
#include "target.h"
#include "tools.h"
#include "util.h"
#include "view.h"

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
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum msg_type
{
  MSG_MOUNTED = 1, /* the FUSE mount exists: cntr may start serving */
  MSG_STARTED,     /* the command's process exists: pid, pty master attached */
  MSG_ERROR,       /* setup or exec failed: code is the exit status to use */
  MSG_EXITED,      /* the command ended: status is its wait status */
};

struct msg
{
  int type;
  int code;
  pid_t pid;
  int status;
  /* MSG_MOUNTED: the session's mount namespace (the child may be gone by
     the time cntr could look at /proc/CHILD). */
  dev_t ns_dev;
  ino_t ns_ino;
  char text[1024];
  char hint[512];
};

/* Everything the session's processes need, computed by cntr before fork. */
struct session
{
  const struct attach_options *o;
  struct target target;
  int tools_fd;
  int fuse_fd;
  int host_proc_fd;
  int sock[2];
  char fuse_options[256];
  bool use_pty;
  int host_pty_master, host_pty_slave; /* fallback for a target without devpts */
  struct session_creds creds;
  char **env;
  char **argv;
  const char *exec_path; /* NULL: search PATH for argv[0] */
  struct cntrfs *fs;
  void *shim_image;
};

static int
send_msg(int sock, const struct msg *m, int fd)
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

/* Returns 1 with a message, 0 on EOF, -1 on error. */
static int
recv_msg(int sock, struct msg *m, int *fd)
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
    return n;
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
  m->text[sizeof m->text - 1] = '\0';
  m->hint[sizeof m->hint - 1] = '\0';
  return 1;
}

/* In a child: report the recorded error to cntr and exit. */
static __attribute__((noreturn)) void
child_fail(int sock, int code)
{
  struct msg m = { .type = MSG_ERROR, .code = code };
  snprintf(m.text, sizeof m.text, "%s", cntr_error_message());
  snprintf(m.hint, sizeof m.hint, "%s", cntr_error_hint());
  send_msg(sock, &m, -1);
  _exit(code);
}

static const int terminal_signals[] = { SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU };

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

static __attribute__((noreturn)) void
exec_command(struct session *s, int pty_slave, pid_t parent)
{
  int sock = s->sock[1];
  if (die_with_parent(parent, SIGKILL) < 0)
    child_fail(sock, CNTR_EXIT_FAILURE);
  if (ns_join(s->target.ns_fds, NS_USER) < 0)
    child_fail(sock, CNTR_EXIT_FAILURE);
  if (pty_slave >= 0)
    {
      if (setsid() < 0 || ioctl(pty_slave, TIOCSCTTY, 0) < 0)
        {
          cntr_fail(errno, "make the pty the session's terminal");
          child_fail(sock, CNTR_EXIT_FAILURE);
        }
      for (int i = 0; i < 3; i++)
        if (dup2(pty_slave, i) < 0)
          {
            cntr_fail(errno, "attach the pty");
            child_fail(sock, CNTR_EXIT_FAILURE);
          }
      close(pty_slave);
    }
  if (chdir("/") < 0)
    {
      cntr_fail(errno, "chdir / in the target");
      child_fail(sock, CNTR_EXIT_FAILURE);
    }
  if (creds_apply(&s->creds, s->host_proc_fd) < 0)
    child_fail(sock, CNTR_EXIT_FAILURE);
  /* setuid cleared the parent-death signal. */
  if (die_with_parent(parent, SIGKILL) < 0)
    child_fail(sock, CNTR_EXIT_FAILURE);
  /* Whatever cntr's caller leaked to us stays out of the target. */
  sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

  /* exec keeps ignored signals ignored: give the command the defaults. */
  for (size_t i = 0; i < sizeof terminal_signals / sizeof *terminal_signals; i++)
    signal(terminal_signals[i], SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  environ = s->env;
  if (s->exec_path)
    execv(s->exec_path, s->argv);
  else
    execvp(s->argv[0], s->argv);
  int err = errno;
  const char *what = s->exec_path ? s->exec_path : s->argv[0];
  if (err == ENOENT)
    {
      /* ENOENT also means the program's interpreter or loader is missing. */
      if (command_exists(what, env_get(s->env, "PATH")))
        {
          cntr_fail(0, "%s: cannot execute: its interpreter or loader was not found", what);
          cntr_hint("the program needs a file that the target does not have");
        }
      else
        cntr_fail(0, "%s: command not found", what);
      child_fail(sock, CNTR_EXIT_NOT_FOUND);
    }
  cntr_fail(err, "execute %s", what);
  child_fail(sock, CNTR_EXIT_CANNOT_EXECUTE);
}

static volatile sig_atomic_t session_terminate;

static void
on_session_terminate(int sig)
{
  (void)sig;
  session_terminate = 1;
}

/* The session child: never returns. */
static __attribute__((noreturn)) void
session_child(struct session *s, pid_t parent, const struct winsize *ws)
{
  int sock = s->sock[1];
  signal(SIGTERM, SIG_DFL);
  /* The session child shares cntr's process group: a Ctrl-C meant for the
     command must not kill the process that waits for it and cleans up. */
  for (size_t i = 0; i < sizeof terminal_signals / sizeof *terminal_signals; i++)
    signal(terminal_signals[i], SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (die_with_parent(parent, SIGTERM) < 0)
    child_fail(sock, CNTR_EXIT_FAILURE);

  /* From the host's view, before the mount namespace changes /sys. */
  if (cgroup_join(s->target.cgroups) < 0)
    cntr_debug("%s", cntr_error_message());

  if (view_enter(s->target.ns_fds[NS_MNT]) < 0)
    child_fail(sock, CNTR_EXIT_FAILURE);
  struct stat session_ns;
  if (fstatat(s->host_proc_fd, "self/ns/mnt", &session_ns, 0) < 0)
    {
      cntr_fail(errno, "stat the session's mount namespace");
      child_fail(sock, CNTR_EXIT_FAILURE);
    }
  if (view_make_mountpoint(s->o->base_dir) < 0
      || view_mount_fuse(s->o->base_dir, s->fuse_options) < 0)
    child_fail(sock, CNTR_EXIT_FAILURE);
  /* Only cntr may hold /dev/fuse: if it dies, the kernel must see the last
     fd close and abort the connection instead of leaving requests hanging. */
  close(s->fuse_fd);
  struct msg m = { .type = MSG_MOUNTED, .ns_dev = session_ns.st_dev, .ns_ino = session_ns.st_ino };
  if (send_msg(sock, &m, -1) < 0)
    _exit(CNTR_EXIT_FAILURE);

  cleanup_close int master = -1, slave = -1;
  if (s->use_pty)
    {
      /* The target's own devpts, so the terminal is one the target knows
         (tty, ttyname); the host's when the target has none. */
      if (pty_open(&master, &slave) < 0)
        {
          cntr_debug("%s; using a pty of the host", cntr_error_message());
          master = steal_fd(&s->host_pty_master);
          slave = steal_fd(&s->host_pty_slave);
        }
      cleanup_closep(&s->host_pty_master);
      cleanup_closep(&s->host_pty_slave);
      if (ws)
        ioctl(master, TIOCSWINSZ, ws);
      /* The command owns its terminal, as login(1) arranges it. */
      if (fchown(slave, s->target.status.uid[1], s->target.status.gid[1]) < 0)
        cntr_debug("chown the pty: %s", strerror(errno));
    }

  for (enum ns_kind k = NS_UTS; k <= NS_PID; k++)
    if (ns_join(s->target.ns_fds, k) < 0)
      child_fail(sock, CNTR_EXIT_FAILURE);

  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, NULL);
  pid_t pid = fork();
  if (pid < 0)
    {
      cntr_fail(errno, "fork into the target's PID namespace");
      child_fail(sock, CNTR_EXIT_FAILURE);
    }
  if (pid == 0)
    {
      close(master);
      exec_command(s, slave, getppid());
    }
  struct sigaction sa = { .sa_handler = on_session_terminate };
  sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: waitpid must return */
  sigprocmask(SIG_UNBLOCK, &term, NULL);
  cleanup_closep(&slave);

  m = (struct msg){ .type = MSG_STARTED, .pid = pid };
  send_msg(sock, &m, master);
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
  m = (struct msg){ .type = MSG_EXITED, .status = status };
  send_msg(sock, &m, -1);
  _exit(0);
}

/* A path in the tools tree as the session sees it, or NULL if absent. */
static char *
session_path_if_exists(const struct session *s, const char *tools_path)
{
  if (faccessat(s->tools_fd, tools_path + 1, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return NULL;
  return xasprintf("%s%s", s->o->base_dir, tools_path);
}

static int
push_override(char ***v, const char *name, const char *value)
{
  if (!value)
    return 0;
  char *e = xasprintf("%s=%s", name, value);
  if (!e || strv_push_take(v, e) < 0)
    return cntr_fail(ENOMEM, "build the environment");
  return 0;
}

/* "NAME=a:b" from those of the tools' paths that exist, or nothing. */
static int
push_path_override(struct session *s, char ***v, const char *name, const char *const *paths)
{
  cleanup_free char *value = NULL;
  for (const char *const *p = paths; *p; p++)
    {
      cleanup_free char *sp = session_path_if_exists(s, *p);
      if (!sp)
        continue;
      char *joined = value ? xasprintf("%s:%s", value, sp) : strdup(sp);
      if (!joined)
        return cntr_fail(ENOMEM, "build the environment");
      free(value);
      value = joined;
    }
  return push_override(v, name, value);
}

static int
build_command(struct session *s, const struct passwd *pw)
{
  if (s->o->command && s->o->command[0])
    {
      for (char **a = s->o->command; *a; a++)
        if (strv_push(&s->argv, *a) < 0)
          return cntr_fail(ENOMEM, "build the command");
      return 0;
    }
  /* The user's own login shell, from the tools; /bin/sh of the tools or of
     the target when the tools have none. */
  const char *shell = pw && pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh";
  char *path = session_path_if_exists(s, shell);
  if (!path)
    path = session_path_if_exists(s, "/bin/sh");
  if (!path)
    path = strdup("/bin/sh");
  if (!path)
    return cntr_fail(ENOMEM, "build the command");
  s->exec_path = path;
  /* Every candidate above is an absolute path. */
  const char *name = strrchr(path, '/') + 1;
  if (strv_push_take(&s->argv, xasprintf("-%s", name)) < 0)
    return cntr_fail(ENOMEM, "build the command");
  return 0;
}

static int
build_environment(struct session *s, const struct passwd *pw)
{
  static const char *const bin_dirs[]
      = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL };
  static const char *const terminfo[]
      = { "/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", NULL };
  static const char *const manpath[] = { "/usr/local/share/man", "/usr/share/man", NULL };
  const char *base = s->o->base_dir;

  cleanup_strv char **tool_paths = calloc(1, sizeof(char *));
  cleanup_strv char **resolved = calloc(1, sizeof(char *));
  if (!tool_paths || !resolved)
    return cntr_fail(ENOMEM, "build the environment");
  for (const char *const *d = bin_dirs; *d; d++)
    {
      /* /bin -> usr/bin on merged-/usr trees: list each real directory once. */
      cleanup_free char *real = tools_resolve(s->tools_fd, *d);
      if (!real)
        continue;
      bool seen = false;
      for (char **r = resolved; *r; r++)
        seen |= !strcmp(*r, real);
      struct stat st;
      if (seen || fstatat(s->tools_fd, real + 1, &st, 0) < 0 || !S_ISDIR(st.st_mode))
        continue;
      if (strv_push(&resolved, real) < 0
          || strv_push_take(&tool_paths, xasprintf("%s%s", base, *d)) < 0)
        return cntr_fail(ENOMEM, "build the environment");
    }

  cleanup_strv char **overrides = calloc(1, sizeof(char *));
  if (!overrides)
    return cntr_fail(ENOMEM, "build the environment");
  /* Your dotfiles: $HOME as cntr was started (sudo sets it to the target
     user's), else the password entry's home, when the tools have it. */
  cleanup_free char *home = NULL;
  const char *env_home = getenv("HOME");
  if (env_home && env_home[0] == '/' && strcmp(env_home, "/"))
    home = session_path_if_exists(s, env_home);
  if (!home && pw && pw->pw_dir && pw->pw_dir[0] == '/')
    home = session_path_if_exists(s, pw->pw_dir);
  const char *term = getenv("TERM");
  if (push_override(&overrides, "HOME", home ? home : "/") < 0
      || push_override(&overrides, "SHELL", s->exec_path) < 0
      || push_override(&overrides, "CNTR_BASE_DIR", base) < 0
      || (s->use_pty && push_override(&overrides, "TERM", term ? term : "xterm") < 0)
      || push_path_override(s, &overrides, "TERMINFO_DIRS", terminfo) < 0
      || push_path_override(s, &overrides, "MANPATH", manpath) < 0)
    return -1;
  if (pw && push_override(&overrides, "USER", pw->pw_name) < 0)
    return -1;
  if (pw && push_override(&overrides, "LOGNAME", pw->pw_name) < 0)
    return -1;

  struct env_params params = {
    .target_env = s->target.environ,
    .tool_paths = tool_paths,
    .overrides = overrides,
  };
  s->env = env_build(&params);
  if (!s->env)
    return cntr_fail(errno, "build the environment");
  return 0;
}

/* The FUSE server for the tools: symlinks relocated under the base dir, and
   the interpreter shim when the base dir is short enough for the rewrite. */
static int
create_server(struct session *s)
{
  const char *base = s->o->base_dir;
  const char *interp = shim_default_interp();
  cleanup_free char *interp_to = xasprintf("%s/%s", base, CNTR_SHIM_NAME);
  cleanup_free char *loader_rel = tools_resolve(s->tools_fd, interp);
  cleanup_free char *loader = NULL;
  cleanup_free char *library_path = NULL;
  cleanup_free char *exec_dir = NULL;
  size_t shim_size = 0;
  bool rewrite = interp_to && loader_rel && strlen(interp_to) <= strlen(interp);
  if (!loader_rel)
    cntr_debug("the tools have no %s: their dynamically linked programs will not run", interp);
  else if (!rewrite)
    cntr_debug("base dir %s is too long to rewrite the interpreter %s: tools need the "
               "target's loader",
               base, interp);
  if (rewrite)
    {
      loader = xasprintf("%s%s", base, loader_rel);
      library_path = tools_library_path(s->tools_fd, base);
      if (!loader || !library_path)
        return cntr_fail(errno, "read the tools' library path");
      exec_dir = xasprintf("%s/%s", base, CNTR_EXEC_DIR_NAME);
      if (!exec_dir)
        return cntr_fail(errno, "configure the interpreter shim");
      if (shim_image_build_with_exec_dir(loader, library_path, exec_dir, &s->shim_image, &shim_size)
          < 0)
        return cntr_fail(errno, "configure the interpreter shim");
      cntr_debug("interpreter %s -> %s (loader %s, libraries %s)", interp, interp_to, loader,
                 library_path);
    }
  struct cntrfs_config config = {
    .source_fd = s->tools_fd,
    .symlink_prefix = base,
    .interp_from = rewrite ? interp : NULL,
    .interp_to = rewrite ? interp_to : NULL,
    .synthetic = { .name = rewrite ? CNTR_SHIM_NAME : NULL,
                   .data = s->shim_image,
                   .size = shim_size,
                   .mode = 0555 },
    .link_dir_name = rewrite ? CNTR_EXEC_DIR_NAME : NULL,
    .link_dir_target = loader,
    /* "#!/bin/sh" of a tools script names the target's /bin/sh (or
       nothing): the server makes exec see the tools' interpreter. */
    .exec_script_prefix = base,
    /* Most sessions of a single command end within this: they keep the
       short cache timeouts and skip setting up the watch (and its
       teardown's few milliseconds). */
    .watch_delay_ms = 1000,
    .debug = s->o->debug_fuse,
  };
  s->fs = cntrfs_new(&config);
  if (!s->fs)
    return cntr_fail(errno, "start the FUSE server");
  if (cntrfs_kernel_options(s->fs, s->fuse_fd, s->fuse_options, sizeof s->fuse_options) < 0)
    return cntr_fail(errno, "FUSE mount options");
  return 0;
}

static int
prepare(struct session *s)
{
  const struct attach_options *o = s->o;
  if (geteuid() != 0)
    {
      cntr_fail(0, "attach: must run as root");
      cntr_hint("run it with sudo, or as root");
      return -1;
    }
  cleanup_strv char **base_parts = view_path_components(o->base_dir);
  if (!base_parts || !base_parts[0])
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
  s->tools_fd = open(o->tools_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->tools_fd < 0)
    return cntr_fail(errno, "--tools %s", o->tools_dir);
  s->fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (s->fuse_fd < 0)
    {
      cntr_fail(errno, "open /dev/fuse");
      cntr_hint("load the fuse module (modprobe fuse) and run cntr where /dev/fuse exists");
      return -1;
    }
  if (creds_from_target(&s->target.status, &s->target.uid_map, &s->target.gid_map,
                        s->target.lsm_label, &s->creds)
      < 0)
    return cntr_fail_context("pid %d", s->target.pid);

  s->use_pty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  if (s->use_pty && pty_open(&s->host_pty_master, &s->host_pty_slave) < 0)
    return -1;
  errno = 0;
  struct passwd *pw = getpwuid(getuid());
  if (build_command(s, pw) < 0 || build_environment(s, pw) < 0 || create_server(s) < 0)
    return -1;
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
  cleanup_closep(&s->tools_fd);
  cleanup_closep(&s->host_proc_fd);
  cleanup_closep(&s->host_pty_master);
  cleanup_closep(&s->host_pty_slave);
  cleanup_closep(&s->sock[0]);
  cleanup_closep(&s->sock[1]);
  target_close(&s->target);
  strv_free(s->env);
  strv_free(s->argv);
  free((char *)s->exec_path);
  free(s->shim_image);
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

struct run_state
{
  struct session *s;
  int sigfd;
  pid_t child;
  int command_pidfd;
  int master;
  struct pty_saved saved;
  bool exited;
  int status;
  struct msg error; /* type MSG_ERROR when the command failed to start */
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

static int
drain_signals(struct run_state *rs)
{
  struct signalfd_siginfo si;
  while (read(rs->sigfd, &si, sizeof si) == sizeof si)
    handle_signal(rs, &si);
  return 0;
}

/* Wait for one message from the session, handling signals meanwhile. */
static int
wait_message(struct run_state *rs, struct msg *m, int *fd)
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
          int r = recv_msg(rs->s->sock[0], m, fd);
          if (r < 0)
            return cntr_fail(errno, "read from the session");
          if (r == 0)
            return cntr_fail(0, "the session ended unexpectedly");
          if (m->type == MSG_ERROR)
            {
              cntr_fail(0, "%s", m->text);
              if (m->hint[0])
                cntr_hint("%s", m->hint);
            }
          return 0;
        }
    }
}

/* Relay the terminal and wait for the command's end. */
static int
run_session(struct run_state *rs)
{
  struct pty_pump to_command = { .in = STDIN_FILENO, .out = rs->master };
  struct pty_pump from_command = { .in = rs->master, .out = STDOUT_FILENO };
  if (rs->master >= 0)
    {
      fcntl(rs->master, F_SETFL, O_NONBLOCK | fcntl(rs->master, F_GETFL));
      if (pty_raw_enter(STDIN_FILENO, &rs->saved) < 0)
        cntr_debug("%s", cntr_error_message());
    }
  else
    to_command.eof = from_command.eof = true;

  for (;;)
    {
      bool done = rs->exited && from_command.eof && from_command.len == 0;
      if (done)
        return 0;
      struct pollfd p[6];
      int n = 0;
      int i_sock = n;
      p[n++] = (struct pollfd){ rs->exited ? -1 : rs->s->sock[0], POLLIN, 0 };
      int i_sig = n;
      p[n++] = (struct pollfd){ rs->sigfd, POLLIN, 0 };
      int i_in = n;
      p[n++] = (struct pollfd){ !to_command.eof && to_command.len == 0 ? STDIN_FILENO : -1, POLLIN,
                                0 };
      int i_mout = n;
      p[n++] = (struct pollfd){ to_command.len ? rs->master : -1, POLLOUT, 0 };
      int i_min = n;
      p[n++] = (struct pollfd){ !from_command.eof && from_command.len == 0 ? rs->master : -1,
                                POLLIN, 0 };
      int i_out = n;
      p[n++] = (struct pollfd){ from_command.len ? STDOUT_FILENO : -1, POLLOUT, 0 };
      /* Once the command exited, wait briefly for the rest of its output:
         background jobs may still hold the pty until the sweep ends them. */
      if (poll(p, n, rs->exited ? 200 : -1) == 0 && rs->exited)
        return 0;
      if (p[i_sig].revents & POLLIN)
        drain_signals(rs);
      if (pty_pump_step(&to_command, p[i_in].revents, p[i_mout].revents) < 0)
        to_command.eof = true, to_command.len = 0;
      if (pty_pump_step(&from_command, p[i_min].revents, p[i_out].revents) < 0)
        from_command.eof = true, from_command.len = 0;
      if (p[i_sock].revents & (POLLIN | POLLHUP | POLLERR))
        {
          struct msg m;
          int r = recv_msg(rs->s->sock[0], &m, NULL);
          if (r <= 0)
            {
              rs->exited = true;
              rs->status = W_EXITCODE(CNTR_EXIT_FAILURE, 0);
              if (rs->error.type != MSG_ERROR)
                {
                  rs->error.type = MSG_ERROR;
                  snprintf(rs->error.text, sizeof rs->error.text, "the session ended unexpectedly");
                }
            }
          else if (m.type == MSG_ERROR)
            rs->error = m;
          else if (m.type == MSG_EXITED)
            {
              rs->exited = true;
              rs->status = m.status;
            }
        }
    }
}

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

static int
finish(struct run_state *rs)
{
  struct session *s = rs->s;
  pty_raw_leave(&rs->saved);
  if (rs->error.type == MSG_ERROR)
    {
      cntr_fail(0, "%s", rs->error.text);
      if (rs->error.hint[0])
        cntr_hint("%s", rs->error.hint);
      if (target_check_alive(&s->target) < 0)
        cntr_fail(0, "pid %d: the target exited during the session", s->target.pid);
      cntr_error_print();
      return rs->error.code ? rs->error.code : CNTR_EXIT_FAILURE;
    }
  if (WIFEXITED(rs->status))
    return WEXITSTATUS(rs->status);
  if (WIFSIGNALED(rs->status))
    {
      if (WTERMSIG(rs->status) == SIGKILL && target_check_alive(&s->target) < 0)
        cntr_warn("pid %d: the target exited during the session", s->target.pid);
      else
        report_signal(rs->status);
      return 128 + WTERMSIG(rs->status);
    }
  return CNTR_EXIT_FAILURE;
}

int
cntr_attach(const struct attach_options *o)
{
  struct session s = { .o = o,
                       .tools_fd = -1,
                       .fuse_fd = -1,
                       .host_proc_fd = -1,
                       .host_pty_master = -1,
                       .host_pty_slave = -1,
                       .sock = { -1, -1 } };
  struct run_state rs = { .s = &s, .sigfd = -1, .child = -1, .command_pidfd = -1, .master = -1 };
  sigset_t old_mask;
  int rc = CNTR_EXIT_FAILURE;

  if (prepare(&s) < 0)
    {
      cntr_error_print();
      session_free(&s);
      return CNTR_EXIT_FAILURE;
    }
  rs.sigfd = block_signals(&old_mask);
  if (rs.sigfd < 0)
    {
      cntr_fail(errno, "signalfd");
      goto fail;
    }
  struct winsize ws;
  bool have_ws = s.use_pty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0;
  pid_t self = getpid();
  rs.child = fork();
  if (rs.child < 0)
    {
      cntr_fail(errno, "fork");
      goto fail;
    }
  if (rs.child == 0)
    {
      close(s.sock[0]);
      close(rs.sigfd);
      session_child(&s, self, have_ws ? &ws : NULL);
    }
  cleanup_closep(&s.sock[1]);
  /* A reader of our output that goes away must not kill cntr mid-cleanup;
     the children got the default disposition, as exec keeps SIG_IGN. */
  signal(SIGPIPE, SIG_IGN);

  struct msg m;
  if (wait_message(&rs, &m, NULL) < 0 || m.type != MSG_MOUNTED)
    goto fail;
  /* Only the session may use the tools: a target process that reaches the
     mount through /proc/<session pid>/root must not get the host's / as
     root.  The session child's mount namespace is the session's. */
  if (cntrfs_restrict_to_mount_ns(s.fs, m.ns_dev, m.ns_ino) < 0)
    {
      cntr_fail(errno, "restrict the tools to the session");
      goto fail;
    }
  int fuse_fd = steal_fd(&s.fuse_fd);
  if (cntrfs_start(s.fs, fuse_fd) < 0)
    {
      cntr_fail(errno, "serve the tools");
      goto fail;
    }
  /* The command may fail to exec before its parent reports it started. */
  int master = -1;
  for (;;)
    {
      if (wait_message(&rs, &m, &master) < 0)
        goto fail;
      if (m.type == MSG_STARTED)
        break;
      if (m.type != MSG_ERROR)
        {
          cntr_fail(0, "the session did not start");
          goto fail;
        }
      rs.error = m;
      cntr_error_clear();
    }
  rs.master = master;
  rs.command_pidfd = sys_pidfd_open(m.pid, 0);
  run_session(&rs);
  rc = finish(&rs);
  goto out;

fail:
  if (rs.error.type == MSG_ERROR)
    {
      /* The first error reported is the cause; what followed is fallout. */
      cntr_fail(0, "%s", rs.error.text);
      if (rs.error.hint[0])
        cntr_hint("%s", rs.error.hint);
      rc = rs.error.code ? rs.error.code : CNTR_EXIT_FAILURE;
    }
  else if (target_check_alive(&s.target) < 0)
    cntr_fail(0, "pid %d: the target exited during setup", s.target.pid);
  pty_raw_leave(&rs.saved);
  cntr_error_print();
  if (rs.child > 0)
    kill(rs.child, SIGTERM);
out:
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
