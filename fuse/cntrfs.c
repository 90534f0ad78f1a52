/* SPDX-License-Identifier: MIT */
/* Session lifecycle and worker threads of cntrfs (the handlers are in ops.c).

   Threads: our own loop rather than fuse_session_loop_mt, so that stopping
   can interrupt workers blocked in read(2) on /dev/fuse.  Each worker loops
   fuse_session_receive_buf + fuse_session_process_buf.  When the last idle
   worker takes a request, it starts another (up to max_threads), so one
   slow or blocking request (a flock wait, a slow disk) does not stall the
   file system.  Workers are kept until stop.

   Stop: mark stopping, fuse_session_exit, then send CNTRFS_WAKE_SIGNAL to
   every worker until all have left their loop (a worker may be just about to
   enter read(2) when the first signal arrives, hence the repetition); join
   them; then fuse_session_unmount (cntrfs_mount: closes the fd, lazy
   umount) and fuse_session_destroy (closes the fd if still open).  Closing
   the last /dev/fuse fd aborts the connection in the kernel, so processes
   still using the mount get ENOTCONN, never a hang.

   End of connection: a read of /dev/fuse failing with ENODEV means the
   kernel ended the connection (unmount, or the last mount namespace holding
   the mount went away); libfuse then marks the session exited, the worker
   leaves its loop and, unless we are stopping, records "ended" and wakes
   cntrfs_wait. */
#include "cntrfs-devio.h"
#include "cntrfs-internal.h"
#include "cntrfs-ops.h"
#include "cleanup.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Worker threads when cntrfs_config.max_threads is 0: enough for a few
   requests blocked at once (flock waits, slow disks) without stalling the
   rest. */
#define DEFAULT_MAX_THREADS 16

/* Idle inode fds to keep open (raise_nofile_limit): a share of
   RLIMIT_NOFILE, at least IDLE_FDS_MIN, counted from at most NOFILE_CAP;
   IDLE_FDS_UNKNOWN when the limit cannot be read. */
#define IDLE_FDS_SHARE 4
#define IDLE_FDS_MIN 16
#define IDLE_FDS_UNKNOWN 256
#define NOFILE_CAP (1 << 20)

/* How often cntrfs_stop signals workers that have not left their loop. */
#define STOP_RESEND_MS 20

/* libfuse's command line: the program name, "-o" and the mount options,
   "-d". */
#define SESSION_ARGS_MAX 4

struct cntrfs_worker
{
  struct cntrfs *fs;
  pthread_t thread;
  pid_t tid; /* 0 until the thread runs; guarded by fs->lock */
  bool done; /* left the loop; guarded by fs->lock */
  struct cntrfs_worker *next;
};

/* For the watcher (cntrfs_watch_is_worker_fn): whether tid is one of fs's
   worker threads. */
static bool
is_worker(void *arg, pid_t tid)
{
  struct cntrfs *fs = arg;
  bool found = false;

  pthread_mutex_lock(&fs->lock);
  for (struct cntrfs_worker *w = fs->workers; w != NULL && !found; w = w->next)
    found = w->tid == tid;
  pthread_mutex_unlock(&fs->lock);
  return found;
}

void
cntrfs_log_error(const char *what, int err)
{
  fuse_log(FUSE_LOG_ERR, "cntrfs: %s: %s\n", what, strerror(err));
}

static char *
dup_opt(const char *s, bool *failed)
{
  char *d;

  if (s == NULL)
    return NULL;
  d = strdup(s);
  if (d == NULL)
    *failed = true;
  return d;
}

/* A path prefix without its trailing slashes. */
static char *
dup_prefix(const char *s, size_t *len, bool *failed)
{
  char *d = dup_opt(s, failed);

  *len = 0;
  if (d != NULL)
    {
      size_t n = strlen(d);
      while (n > 0 && d[n - 1] == '/')
        d[--n] = '\0';
      *len = n;
    }
  return d;
}

static void
options_free(struct cntrfs_options *o)
{
  free(o->symlink_prefix);
  free(o->interp_from);
  free(o->interp_to);
  for (size_t i = 0; i < 1 + CNTRFS_MORE_FILES; i++)
    free(o->files[i].name);
  free(o->link_dir_name);
  free(o->link_dir_target);
  free(o->exec_script_prefix);
  memset(o, 0, sizeof *o);
}

/* The server's copy of a validated config: 0, or -ENOMEM with nothing
   left to free. */
static int
options_copy(struct cntrfs_options *o, const struct cntrfs_config *c)
{
  bool failed = false;

  memset(o, 0, sizeof *o);
  o->read_only = c->read_only;
  o->confine_symlinks = c->confine_symlinks;
  o->debug = c->debug;
  o->max_threads = c->max_threads ? c->max_threads : DEFAULT_MAX_THREADS;
  /* A trailing slash of the prefix would double the target's leading one;
     "/" becomes the empty prefix. */
  o->symlink_prefix = dup_prefix(c->symlink_prefix, &o->symlink_prefix_len, &failed);
  /* For scripts, the empty prefix means "off". */
  o->exec_script_prefix = dup_prefix(c->exec_script_prefix, &o->exec_script_prefix_len, &failed);
  if (o->exec_script_prefix != NULL && o->exec_script_prefix_len == 0)
    {
      free(o->exec_script_prefix);
      o->exec_script_prefix = NULL;
    }
  o->interp_from = dup_opt(c->interp_from, &failed);
  o->interp_to = dup_opt(c->interp_to, &failed);
  if (o->interp_from != NULL)
    {
      o->interp_from_len = strlen(o->interp_from);
      o->interp_to_len = strlen(o->interp_to);
    }
  for (size_t i = 0; i < 1 + CNTRFS_MORE_FILES; i++)
    {
      const struct cntrfs_synthetic *f = i == 0 ? &c->synthetic : &c->more_files[i - 1];
      o->files[i] = (struct cntrfs_memory_file){
        .name = dup_opt(f->name, &failed), .data = f->data, .size = f->size, .mode = f->mode
      };
    }
  o->link_dir_name = dup_opt(c->link_dir_name, &failed);
  o->link_dir_target = dup_opt(c->link_dir_target, &failed);
  if (o->link_dir_target != NULL)
    o->link_dir_target_len = strlen(o->link_dir_target);
  if (failed)
    {
      options_free(o);
      return -ENOMEM;
    }
  return 0;
}

/* Raise the soft limit on open files to the hard one, and return how many
   idle inode fds to keep open: a quarter of it, leaving the rest to files
   the kernel has open and to what the process shares the table with. */
static size_t
raise_nofile_limit(void)
{
  struct rlimit rl;

  if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
    return IDLE_FDS_UNKNOWN;
  if (rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        {
          cntrfs_log_error("raising RLIMIT_NOFILE", errno);
          getrlimit(RLIMIT_NOFILE, &rl);
        }
    }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > NOFILE_CAP)
    return NOFILE_CAP / IDLE_FDS_SHARE;
  return rl.rlim_cur / IDLE_FDS_SHARE > IDLE_FDS_MIN ? (size_t)(rl.rlim_cur / IDLE_FDS_SHARE)
                                                     : IDLE_FDS_MIN;
}

static bool
valid_name(const char *n)
{
  return n[0] != '\0' && strchr(n, '/') == NULL && strcmp(n, ".") != 0 && strcmp(n, "..") != 0
         && strlen(n) <= NAME_MAX;
}

/* Whether the config is one cntrfs_new accepts (cntrfs.h): true, or false
   for EINVAL. */
static bool
valid_config(const struct cntrfs_config *c)
{
  const char *n = c->synthetic.name;
  const char *l = c->link_dir_name;

  if (c->source_fd < 0 || (c->scratch && c->scratch_fd < 0))
    return false;
  if ((c->interp_from == NULL) != (c->interp_to == NULL))
    return false;
  if (c->interp_from != NULL
      && (c->interp_from[0] == '\0' || strlen(c->interp_to) > strlen(c->interp_from)))
    return false;
  if (n != NULL && !valid_name(n))
    return false;
  if (n != NULL && c->synthetic.size > 0 && c->synthetic.data == NULL)
    return false;
  /* The more files: valid names, each distinct from every other one. */
  for (size_t i = 0; i < CNTRFS_MORE_FILES; i++)
    {
      const struct cntrfs_synthetic *f = &c->more_files[i];
      if (f->name == NULL)
        continue;
      if (!valid_name(f->name) || (f->size > 0 && f->data == NULL)
          || (n != NULL && strcmp(f->name, n) == 0) || (l != NULL && strcmp(f->name, l) == 0))
        return false;
      for (size_t j = 0; j < i; j++)
        if (c->more_files[j].name != NULL && strcmp(c->more_files[j].name, f->name) == 0)
          return false;
    }
  if ((l == NULL) != (c->link_dir_target == NULL))
    return false;
  if (l != NULL
      && (!valid_name(l) || (n != NULL && strcmp(l, n) == 0) || c->link_dir_target[0] == '\0'
          || strlen(c->link_dir_target) >= PATH_MAX))
    return false;
  return true;
}

/* 0, or a negative errno. */
static int
save_server_creds(struct cntrfs *fs)
{
  int n;

  /* setfsuid(-1) is invalid and so only reports the current value. */
  fs->server_fsuid = sys_setfsuid_thread((uid_t)-1);
  fs->server_fsgid = sys_setfsgid_thread((gid_t)-1);
  n = getgroups(0, NULL);
  if (n < 0)
    return neg_errno();
  fs->server_groups = calloc((size_t)n + 1, sizeof(gid_t));
  if (fs->server_groups == NULL)
    return -ENOMEM;
  n = getgroups(n, fs->server_groups);
  if (n < 0)
    return neg_errno();
  fs->server_ngroups = n;
  return 0;
}

int
cntrfs_cond_init_monotonic(pthread_cond_t *c)
{
  pthread_condattr_t ca;
  int err;

  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  err = pthread_cond_init(c, &ca);
  pthread_condattr_destroy(&ca);
  return err;
}

/* The locks and the condition variable: 0, or a negative errno with none
   of them left initialised. */
static int
init_sync(struct cntrfs *fs)
{
  int err;

  err = pthread_mutex_init(&fs->handles_lock, NULL);
  if (err != 0)
    return -err;
  err = pthread_mutex_init(&fs->lock, NULL);
  if (err != 0)
    {
      pthread_mutex_destroy(&fs->handles_lock);
      return -err;
    }
  err = cntrfs_cond_init_monotonic(&fs->cond);
  if (err != 0)
    {
      pthread_mutex_destroy(&fs->lock);
      pthread_mutex_destroy(&fs->handles_lock);
      return -err;
    }
  return 0;
}

/* The root's fd, for looking paths up in the layer at start. */
static int
root_fd_copy(struct cntrfs *fs)
{
  return fs->root->fd;
}

/* The host policy and the loader to mask (cntrfs.h: host_policy, loader):
   0, or a negative errno. */
static int
init_policy(struct cntrfs *fs, const struct cntrfs_config *c, int root_fd, const struct stat *root)
{
  struct stat home;
  bool have_home = false;

  if (c->host_policy && c->home != NULL)
    {
      const char *rel = c->home;
      while (*rel == '/')
        rel++;
      have_home = fstatat(root_fd, *rel ? rel : ".", &home, AT_SYMLINK_NOFOLLOW) == 0
                  && S_ISDIR(home.st_mode);
    }
  int err = policy_init(&fs->policy, c->host_policy, have_home ? &home : NULL, c->home_denied);
  if (err < 0)
    return err;
  fs->root->marks = policy_root_marks(&fs->policy, root);
  fs->root->has_marks = true;
  if (c->loader != NULL)
    {
      const char *rel = c->loader;
      struct stat st;
      while (*rel == '/')
        rel++;
      if (fstatat(root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        {
          fs->loader_dev = st.st_dev;
          fs->loader_ino = st.st_ino;
        }
    }
  return -pthread_mutex_init(&fs->loader_lock, NULL);
}

struct cntrfs *
cntrfs_new(const struct cntrfs_config *config)
{
  cleanup_close int root_fd = -1;
  struct cntrfs *fs;
  struct stat st;
  int err;

  if (config == NULL || !valid_config(config))
    {
      errno = EINVAL;
      return NULL;
    }
  /* Our own fd on the directory (works whether the caller's is O_PATH). */
  root_fd = openat(config->source_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return NULL;
  if (fstat(root_fd, &st) < 0)
    return NULL;

  fs = calloc(1, sizeof *fs);
  if (fs == NULL)
    return NULL;
  fs->proc_fd = -1;
  fs->ns_proc_fd = -1;
  fs->handles.next = &fs->handles;
  fs->handles.prev = &fs->handles;
  fs->root_mode = st.st_mode;
  virtual_init(fs);
  passthrough_init(fs, !config->no_passthrough);
  err = options_copy(&fs->opt, config);
  if (err < 0)
    goto fail;
  err = save_server_creds(fs);
  if (err < 0)
    goto fail;

  fs->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fs->proc_fd < 0)
    goto fail_errno;

  if (inode_table_init(&fs->inodes, raise_nofile_limit()) < 0)
    goto fail_errno;
  fs->root = inode_table_insert_pinned(&fs->inodes, &root_fd, &st);
  if (fs->root == NULL)
    goto fail_errno;
  /* Not being able to watch only shortens how long the kernel may cache. */
  fs->watch
      = config->no_watch ? NULL : cntrfs_watch_new(config->watch_delay_ms, &fs->inodes, fs->root);
  if (cntrfs_watch_dir(fs->watch, fs->root, &st))
    inode_table_set_watched(&fs->inodes, fs->root);

  err = init_policy(fs, config, root_fd_copy(fs), &st);
  if (err < 0)
    goto fail;
  /* A read-only layer changes nothing, and needs no place for changes. */
  if (config->scratch && !config->read_only)
    {
      err = union_init(fs, config->scratch_fd, &st);
      if (err < 0)
        goto fail;
    }
  err = init_sync(fs);
  if (err < 0)
    goto fail;
  return fs;

fail_errno:
  /* The inode table reports ENOMEM through errno. */
  err = errno > 0 ? -errno : -ENOMEM;
fail:
  policy_free(&fs->policy);
  cntrfs_watch_free(fs->watch);
  if (fs->inodes.buckets != NULL)
    inode_table_destroy(&fs->inodes);
  union_free(fs);
  if (fs->proc_fd >= 0)
    close(fs->proc_fd);
  free(fs->server_groups);
  options_free(&fs->opt);
  passthrough_destroy(fs);
  free(fs);
  errno = -err;
  return NULL;
}

int
cntrfs_kernel_options(struct cntrfs *fs, int fuse_fd, char *buf, size_t size)
{
  int n;

  if (fs == NULL || fuse_fd < 0)
    {
      errno = EINVAL;
      return -1;
    }
  n = snprintf(buf, size, "fd=%d,rootmode=%o,user_id=0,group_id=0,allow_other,default_permissions",
               fuse_fd, (unsigned)(S_IFDIR | (fs->root_mode & 07777)));
  if (n < 0)
    {
      errno = EINVAL;
      return -1;
    }
  return n;
}

static void
wake_handler(int sig)
{
  (void)sig;
}

static int
install_wake_handler(void)
{
  struct sigaction sa;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = wake_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: the blocked call must fail with EINTR */
  return sigaction(CNTRFS_WAKE_SIGNAL, &sa, NULL) < 0 ? neg_errno() : 0;
}

static int spawn_worker_locked(struct cntrfs *fs);

__thread bool cntrfs_thread_umask;

static void *
worker_main(void *arg)
{
  struct cntrfs_worker *w = arg;
  struct cntrfs *fs = w->fs;
  struct fuse_buf buf;
  sigset_t set;

  pthread_mutex_lock(&fs->lock);
  w->tid = gettid();
  pthread_mutex_unlock(&fs->lock);
  sigemptyset(&set);
  sigaddset(&set, CNTRFS_WAKE_SIGNAL);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);

  /* A private umask of 0: the kernel applies the caller's umask to the
     modes it sends, or (DONT_MASK) sends it for creds_enter to set around
     the one system call; ours must never apply on top.  umask is per
     fs_struct, so unshare it first; should that fail, keep the process
     umask (modes may be masked twice) rather than change it for the whole
     process. */
  if (unshare(CLONE_FS) == 0)
    {
      umask(0);
      cntrfs_thread_umask = true;
    }
  else
    cntrfs_log_error("unshare(CLONE_FS) in worker", errno);

  memset(&buf, 0, sizeof buf);
  while (!fuse_session_exited(fs->se))
    {
      int res = fuse_session_receive_buf(fs->se, &buf);

      if (res == -EINTR || res == -EAGAIN)
        continue;
      if (res <= 0)
        {
          /* ECONNABORTED: the kernel ended the connection (seen at
             unmount, racing the read), which is the end, not an error. */
          if (res < 0 && res != -ECONNABORTED)
            cntrfs_log_error("reading /dev/fuse", -res);
          if (res < 0)
            fuse_session_exit(fs->se);
          break;
        }

      pthread_mutex_lock(&fs->lock);
      fs->nidle--;
      if (fs->nidle == 0 && fs->nworkers < fs->opt.max_threads && !fs->stopping)
        spawn_worker_locked(fs);
      pthread_mutex_unlock(&fs->lock);

      fuse_session_process_buf(fs->se, &buf);

      pthread_mutex_lock(&fs->lock);
      fs->nidle++;
      pthread_mutex_unlock(&fs->lock);
    }
  free(buf.mem);

  pthread_mutex_lock(&fs->lock);
  w->done = true;
  if (!fs->stopping)
    fs->ended = true;
  pthread_cond_broadcast(&fs->cond);
  pthread_mutex_unlock(&fs->lock);
  return NULL;
}

/* Called with fs->lock held: 0, or a negative errno.  Workers start with
   every signal blocked (so the process's signals go to the caller's
   threads), and unblock only the wake signal. */
static int
spawn_worker_locked(struct cntrfs *fs)
{
  struct cntrfs_worker *w;
  sigset_t all, old;
  int err;

  w = calloc(1, sizeof *w);
  if (w == NULL)
    return -ENOMEM;
  w->fs = fs;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  err = pthread_create(&w->thread, NULL, worker_main, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err != 0)
    {
      free(w);
      cntrfs_log_error("starting a worker thread", err);
      return -err;
    }
  w->next = fs->workers;
  fs->workers = w;
  fs->nworkers++;
  fs->nidle++;
  return 0;
}

void
cntrfs_op_init(void *userdata, struct fuse_conn_info *conn)
{
  (void)userdata;
  /* What we want when the kernel offers it.  Splice moves reply data from
     the file to the kernel without copying through us.
     FLOCK_LOCKS forwards flock(2) so that it works between processes on the
     mount and the layer's own users.  CACHE_SYMLINKS keeps readlink results
     (they change only when the link is replaced, which is a new inode). */
  const unsigned want = FUSE_CAP_ASYNC_READ | FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_AUTO_INVAL_DATA
                        | FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE
                        | FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO
                        | FUSE_CAP_ASYNC_DIO | FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_POSIX_ACL
                        | FUSE_CAP_DONT_MASK;
  /* POSIX_ACL: the kernel enforces the layer's ACLs in its permission
     checks (without it, default_permissions looks at the mode bits only,
     and an ACL's grants and denials are lost) and caches them, so that
     ls -l does not ask for system.posix_acl_* of every file.  The file
     system below keeps the mode in step with the ACL and applies default
     ACLs; for that it needs the caller's umask unapplied: DONT_MASK (see
     creds_enter).
     What we never want, even where libfuse defaults to it:
     - EXPORT_SUPPORT: no lookups of "." / ".." (would need them to stay
       inside the layer, and NFS export is not a use case);
     - HANDLE_KILLPRIV: it asks the server to clear setuid and setgid on
       every write, whoever writes; its successor HANDLE_KILLPRIV_V2, which
       libfuse 3.14 does not know, is negotiated in devio.c (see
       cntrfs-killpriv.h);
     - SPLICE_READ: requests must be read, not spliced, so that devio.c
       sees their flags (cntrfs-devio.h);
     - WRITEBACK_CACHE: the kernel would trust its own size and mtime of
       regular files over the layer's, so a file that grows on the host
       (a log) would not grow in the session;
     - POSIX_LOCKS: without getlk/setlk handlers the kernel keeps POSIX
       locks itself, which is right for processes sharing this mount. */
  const unsigned never = FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_HANDLE_KILLPRIV | FUSE_CAP_SPLICE_READ
                         | FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_POSIX_LOCKS;

  conn->want = ((conn->want & ~never) | (want & conn->capable)) & conn->capable;
}

static struct fuse_session *
new_session(struct cntrfs *fs, const char *mount_options)
{
  const char *argv[SESSION_ARGS_MAX];
  struct fuse_args args;
  struct fuse_session *se;
  int argc = 0;

  argv[argc++] = "cntrfs";
  if (mount_options != NULL)
    {
      argv[argc++] = "-o";
      argv[argc++] = mount_options;
    }
  if (fs->opt.debug)
    argv[argc++] = "-d";
  args.argc = argc;
  args.argv = (char **)argv;
  args.allocated = 0;
  se = fuse_session_new(&args, &cntrfs_ops, sizeof cntrfs_ops, fs);
  fuse_opt_free_args(&args);
  if (se == NULL)
    errno = EINVAL; /* libfuse logged why */
  return se;
}

static int
start_workers(struct cntrfs *fs)
{
  int res;

  res = install_wake_handler();
  if (res < 0)
    return res;
  res = cntrfs_watch_start(fs->watch, fs->se, is_worker, fs);
  if (res < 0)
    return res;
  pthread_mutex_lock(&fs->lock);
  res = spawn_worker_locked(fs);
  pthread_mutex_unlock(&fs->lock);
  return res;
}

int
cntrfs_start(struct cntrfs *fs, int fuse_fd)
{
  char path[FD_PATH_SIZE];
  int err;

  if (fs == NULL || fuse_fd < 0 || fs->started)
    {
      if (fuse_fd >= 0)
        close(fuse_fd);
      errno = fs != NULL && fs->started ? EBUSY : EINVAL;
      return -1;
    }
  fs->started = true;
  fs->se = new_session(fs, NULL);
  if (fs->se == NULL)
    {
      close(fuse_fd);
      return -1;
    }
  /* libfuse adopts "/dev/fd/N" without mounting anything and without
     remembering a mount point: fuse_session_unmount then does nothing and
     fuse_session_destroy closes the fd (exactly once). */
  snprintf(path, sizeof path, "/dev/fd/%d", fuse_fd);
  if (fuse_session_mount(fs->se, path) != 0)
    {
      close(fuse_fd);
      fuse_session_destroy(fs->se);
      fs->se = NULL;
      errno = EBADF;
      return -1;
    }
  err = devio_take(fs);
  if (err == 0)
    err = start_workers(fs);
  if (err < 0)
    {
      cntrfs_stop(fs);
      errno = -err;
      return -1;
    }
  return 0;
}

int
cntrfs_mount(struct cntrfs *fs, const char *mountpoint, const char *extra_options)
{
  cleanup_free char *opts = NULL;
  const char *base = "allow_other,default_permissions,fsname=cntr,subtype=cntr";
  int err;

  if (fs == NULL || mountpoint == NULL || fs->started)
    {
      errno = fs != NULL && fs->started ? EBUSY : EINVAL;
      return -1;
    }
  if (extra_options != NULL && extra_options[0] != '\0')
    {
      if (asprintf(&opts, "%s,%s", base, extra_options) < 0)
        {
          opts = NULL;
          errno = ENOMEM;
          return -1;
        }
    }
  fs->started = true;
  fs->se = new_session(fs, opts != NULL ? opts : base);
  if (fs->se == NULL)
    return -1;
  errno = 0;
  if (fuse_session_mount(fs->se, mountpoint) != 0)
    {
      err = errno ? errno : EIO;
      fuse_session_destroy(fs->se);
      fs->se = NULL;
      errno = err;
      return -1;
    }
  err = devio_take(fs);
  if (err == 0)
    err = start_workers(fs);
  if (err < 0)
    {
      cntrfs_stop(fs);
      errno = -err;
      return -1;
    }
  return 0;
}

void
cntrfs_deadline_after_ms(struct timespec *t, long ms)
{
  clock_gettime(CLOCK_MONOTONIC, t);
  t->tv_sec += ms / MS_PER_S;
  t->tv_nsec += (ms % MS_PER_S) * NS_PER_MS;
  if (t->tv_nsec >= NS_PER_S)
    {
      t->tv_sec++;
      t->tv_nsec -= NS_PER_S;
    }
}

int
cntrfs_wait(struct cntrfs *fs, int timeout_ms)
{
  struct timespec deadline;
  int ended;

  if (fs == NULL)
    return 1;
  if (timeout_ms >= 0)
    cntrfs_deadline_after_ms(&deadline, timeout_ms);
  pthread_mutex_lock(&fs->lock);
  while (!fs->ended)
    {
      if (timeout_ms < 0)
        pthread_cond_wait(&fs->cond, &fs->lock);
      else if (pthread_cond_timedwait(&fs->cond, &fs->lock, &deadline) == ETIMEDOUT)
        break;
    }
  ended = fs->ended;
  pthread_mutex_unlock(&fs->lock);
  return ended ? 1 : 0;
}

static bool
all_workers_done_locked(struct cntrfs *fs)
{
  for (struct cntrfs_worker *w = fs->workers; w; w = w->next)
    if (!w->done)
      return false;
  return true;
}

void
cntrfs_stop(struct cntrfs *fs)
{
  struct cntrfs_worker *workers;

  if (fs == NULL)
    return;
  pthread_mutex_lock(&fs->lock);
  if (fs->stopped)
    {
      pthread_mutex_unlock(&fs->lock);
      return;
    }
  fs->stopping = true;
  pthread_mutex_unlock(&fs->lock);

  /* The watcher first: an invalidation it sends may wait for a worker. */
  cntrfs_watch_stop(fs->watch);
  if (fs->se != NULL)
    fuse_session_exit(fs->se);

  pthread_mutex_lock(&fs->lock);
  while (!all_workers_done_locked(fs))
    {
      struct timespec t;

      for (struct cntrfs_worker *w = fs->workers; w; w = w->next)
        if (!w->done)
          pthread_kill(w->thread, CNTRFS_WAKE_SIGNAL);
      cntrfs_deadline_after_ms(&t, STOP_RESEND_MS);
      pthread_cond_timedwait(&fs->cond, &fs->lock, &t);
    }
  workers = fs->workers;
  fs->workers = NULL;
  fs->nworkers = 0;
  fs->nidle = 0;
  pthread_mutex_unlock(&fs->lock);

  while (workers != NULL)
    {
      struct cntrfs_worker *next = workers->next;
      pthread_join(workers->thread, NULL);
      free(workers);
      workers = next;
    }

  if (fs->se != NULL)
    {
      /* For cntrfs_mount: closes the fd, then a lazy umount of the mount
         point (no access to the mount itself).  For cntrfs_start: nothing;
         fuse_session_destroy closes the adopted fd. */
      passthrough_dev_closed(fs);
      fuse_session_unmount(fs->se);
      fuse_session_destroy(fs->se);
      fs->se = NULL;
    }

  pthread_mutex_lock(&fs->lock);
  fs->stopped = true;
  fs->ended = true;
  pthread_cond_broadcast(&fs->cond);
  pthread_mutex_unlock(&fs->lock);
}

void
cntrfs_free(struct cntrfs *fs)
{
  if (fs == NULL)
    return;
  cntrfs_stop(fs);
  cntrfs_close_handles(fs);
  pthread_mutex_destroy(&fs->handles_lock);
  cntrfs_watch_free(fs->watch);
  inode_table_destroy(&fs->inodes);
  /* After the table: freeing its entries frees their union nodes. */
  union_free(fs);
  if (fs->proc_fd >= 0)
    close(fs->proc_fd);
  if (fs->ns_proc_fd >= 0)
    close(fs->ns_proc_fd);
  free(fs->group_map);
  pthread_cond_destroy(&fs->cond);
  pthread_mutex_destroy(&fs->lock);
  pthread_mutex_destroy(&fs->loader_lock);
  policy_free(&fs->policy);
  free(fs->server_groups);
  options_free(&fs->opt);
  passthrough_destroy(fs);
  free(fs);
}
