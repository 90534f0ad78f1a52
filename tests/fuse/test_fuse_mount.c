/* SPDX-License-Identifier: MIT */
/* Integration tests of the FUSE server on real mounts.  One program, one
   scenario per argument (each a ctest test):
     rw     passthrough semantics through a writable mount, changes made
            to the source directly shown at once (the watcher), symlink
            relocation, the synthetic file, the link directory, the
            interpreter rewrite, the "#!" rewrite on execve, then stop:
            ENOTCONN for open files, no leaked fds, mount gone;
     ro     read_only: every mutation answers EROFS; the "#!" rewrite to a
            prefix that does not exist;
     ns     cntrfs_restrict_to_mount_ns: a process in another mount
            namespace gets EACCES, this one is served;
     start  cntrfs_start on a /dev/fuse fd we mounted ourselves, and
            cntrfs_wait noticing the unmount;
     kill   SIGKILL of a serving process leaves a reader with ENOTCONN
            (no hang) and the mount can be detached;
     cycles 1000 mount/use/unmount cycles in one process leave the number
            of fds and threads and the heap in use where they were;
     scratch a union with a scratch layer (a detached tmpfs): the session
            changes, removes and renames lower files and directories, and
            the lower tree stays as it was, byte for byte and stat for
            stat; whiteouts, opaque directories, merged listings, copy-up
            keeping nodeids and inode numbers, scripts written there run.
   Needs root and /dev/fuse; otherwise prints "SKIP: ..." and exits 77.
   Every scenario removes its mounts and temporary files, also on failure. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <poll.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer runtime's (its header, sanitizer/allocator_interface.h,
   does not ship with every compiler package). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "cntrfs.h"
#include "cntrfs-elf.h"
#include "scratch.h"
#include "cntrfs-internal.h" /* white box: the inode table's size */

#define SKIP_CODE 77
#define PREFIX "/var/lib/cntr"
#define SYNTH_NAME "cntr-synth"
#define SYNTH_DATA "synthetic contents\n"
#define LINK_DIR "cntr-exec"
#define LINK_TARGET "/bin/cat" /* absolute: must come back without PREFIX */
#define NBIG 2000

static int failures;
static int checks;

#define CHECK(cond)                                                                                \
  do                                                                                               \
    {                                                                                              \
      checks++;                                                                                    \
      if (!(cond))                                                                                 \
        {                                                                                          \
          fprintf(stderr, "FAIL %s:%d: %s (errno: %s)\n", __FILE__, __LINE__, #cond,               \
                  strerror(errno));                                                                \
          failures++;                                                                              \
          return;                                                                                  \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* Failing call with a given errno. */
#define CHECK_ERR(call, err) CHECK((call) < 0 && errno == (err))

/* ---- environment ------------------------------------------------------ */

static char base[64]; /* short: base/ld must fit in the interpreter's space */
static char src[PATH_MAX], mnt[PATH_MAX];
static char interp_to[PATH_MAX];
/* exec_script_prefix: base/px in rw, holding the interpreters of the test
   scripts at px/i/; a directory that does not exist in ro. */
static char script_prefix[PATH_MAX];
static volatile sig_atomic_t have_mount;

static struct cntrfs *active_fs; /* stopped at exit, before detaching */

static void
cleanup(void)
{
  /* Stop first: this process is also a client of its own mount, and files
     it still has open there would otherwise wait for a server that is gone
     when exit closes them. */
  if (active_fs != NULL)
    cntrfs_stop(active_fs);
  active_fs = NULL;
  if (have_mount)
    umount2(mnt, MNT_DETACH);
  have_mount = 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)ftw;
  if (flag == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

static void
cleanup_files(void)
{
  cleanup();
  if (base[0] != '\0')
    nftw(base, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The watchdog: a process forked before anything is mounted (so it holds
   no /dev/fuse fd).  Should the test hang - in a FUSE request its own
   server no longer answers, say - it aborts the FUSE connections mounted
   under our directory through fusectl (the one thing that frees processes
   waiting in the kernel for a reply), kills the test, and in every case
   removes what the test left behind. */
#define WATCHDOG_SECONDS 120 /* CNTRFS_TEST_WATCHDOG overrides */

static void
abort_our_connections(void)
{
  char line[4096], mp[PATH_MAX], path[PATH_MAX];
  unsigned major, minor;
  bool mounted_ctl = false;
  FILE *f;

  if (access("/sys/fs/fuse/connections", F_OK) == 0
      && mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL) == 0)
    mounted_ctl = true;
  f = fopen("/proc/self/mountinfo", "re");
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    {
      if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &major, &minor, mp) != 3
          || strncmp(mp, base, strlen(base)) != 0)
        continue;
      snprintf(path, sizeof path, "/sys/fs/fuse/connections/%u/abort", minor);
      int fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          if (write(fd, "1", 1) < 0)
            {
            }
          close(fd);
        }
      umount2(mp, MNT_DETACH);
    }
  if (f != NULL)
    fclose(f);
  if (mounted_ctl)
    umount2("/sys/fs/fuse/connections", MNT_DETACH);
}

static int watchdog_fd = -1; /* the test holds the write end */

static void
start_watchdog(void)
{
  int p[2];
  pid_t parent = getpid();
  const char *env = getenv("CNTRFS_TEST_WATCHDOG");
  int seconds = env != NULL ? atoi(env) : WATCHDOG_SECONDS;

  if (pipe2(p, O_CLOEXEC) < 0)
    return;
  switch (fork())
    {
    case -1:
      close(p[0]);
      close(p[1]);
      return;
    case 0:
      {
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        close(p[1]);
        if (poll(&pfd, 1, seconds * 1000) == 0)
          {
            fprintf(stderr, "FAIL: timeout after %d s; aborting the FUSE connection\n", seconds);
            abort_our_connections();
            kill(parent, SIGKILL);
            /* the connection is gone: wait for the test to be reaped */
            for (int i = 0; i < 100 && kill(parent, 0) == 0; i++)
              usleep(50 * 1000);
          }
        abort_our_connections(); /* nothing left when all went well */
        nftw(base, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        _exit(0);
      }
    default:
      close(p[0]);
      watchdog_fd = p[1];
    }
}

static void
path_join(char *out, const char *dir, const char *name)
{
  int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

  if (n < 0 || n >= PATH_MAX)
    {
      fprintf(stderr, "path too long: %s/%s\n", dir, name);
      exit(1);
    }
}

/* Paths inside the mount and inside the source. */
static const char *
M(const char *name)
{
  static char buf[4][PATH_MAX];
  static int i;
  char *p = buf[i++ % 4];
  path_join(p, mnt, name);
  return p;
}

static const char *
S(const char *name)
{
  static char buf[4][PATH_MAX];
  static int i;
  char *p = buf[i++ % 4];
  path_join(p, src, name);
  return p;
}

static void
skip(const char *fmt, ...)
{
  va_list ap;

  printf("SKIP: ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  exit(SKIP_CODE);
}

/* In a forked child: die with the parent, and drop the parent's fds - one
   of them is its /dev/fuse fd, and a child holding it would keep the
   connection of a dead server alive, with its own requests stuck. */
static void
child_init(int keep)
{
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (keep > 3)
    close_range(3, (unsigned)keep - 1, 0);
  close_range(keep >= 3 ? (unsigned)keep + 1 : 3, ~0U, 0);
}

static int
count_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *de;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((de = readdir(d)) != NULL)
    {
      if (getenv("CNTRFS_TEST_FDS") != NULL)
        {
          char p[PATH_MAX], t[PATH_MAX];
          ssize_t l;
          snprintf(p, sizeof p, "/proc/self/fd/%s", de->d_name);
          l = readlink(p, t, sizeof t - 1);
          t[l < 0 ? 0 : l] = '\0';
          fprintf(stderr, "fd %s -> %s\n", de->d_name, t);
        }
      n++;
    }
  closedir(d);
  return n;
}

static bool
is_mounted(const char *path)
{
  char line[4096], needle[PATH_MAX + 2];
  FILE *f = fopen("/proc/self/mountinfo", "re");
  bool found = false;

  if (f == NULL)
    return false;
  snprintf(needle, sizeof needle, " %s ", path);
  while (fgets(line, sizeof line, f) != NULL)
    if (strstr(line, needle) != NULL)
      found = true;
  fclose(f);
  return found;
}

static int
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);
  ssize_t n;

  if (fd < 0)
    return -1;
  n = write(fd, data, len);
  if (fchmod(fd, mode) < 0)
    n = -1;
  if (close(fd) < 0 || n != (ssize_t)len)
    return -1;
  return 0;
}

/* Whole file into a malloc'd buffer; size in *len.  Without touching its
   atime, which the scratch scenario checks the lower tree keeps. */
static char *
read_file(const char *path, size_t *len)
{
  int fd = open(path, O_RDONLY | O_NOATIME | O_CLOEXEC);
  struct stat st;
  char *buf;
  size_t got = 0;

  if (fd < 0)
    return NULL;
  if (fstat(fd, &st) < 0)
    {
      close(fd);
      return NULL;
    }
  buf = malloc((size_t)st.st_size + 1);
  while (buf != NULL && got < (size_t)st.st_size)
    {
      ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
      if (n <= 0)
        break;
      got += (size_t)n;
    }
  close(fd);
  if (buf != NULL)
    buf[got] = '\0';
  *len = got;
  return buf;
}

static bool
file_is(const char *path, const char *content)
{
  size_t len;
  char *buf = read_file(path, &len);
  bool ok = buf != NULL && len == strlen(content) && memcmp(buf, content, len) == 0;

  free(buf);
  return ok;
}

static void
setup_dirs(const char *mnt_name)
{
  strcpy(base, "/tmp/cfsXXXXXX");
  if (mkdtemp(base) == NULL)
    {
      perror("mkdtemp");
      exit(1);
    }
  atexit(cleanup_files);
  path_join(src, base, "s");
  path_join(mnt, base, mnt_name);
  path_join(interp_to, base, "ld");
  path_join(script_prefix, base, "px");
  start_watchdog();
  /* mkdtemp made it 0700; other users must reach the mount */
  if (chmod(base, 0755) < 0 || mkdir(src, 0755) < 0 || mkdir(mnt, 0755) < 0)
    {
      perror("mkdir");
      exit(1);
    }
}

/* ---- fixtures --------------------------------------------------------- */

static struct elf_interp true_interp; /* of /bin/true; len 0 when static */

/* Scripts whose interpreters exist only under script_prefix (px/i/...),
   and one under the host's /bin. */
#define SC_CAT "#!/i/cat\nsecond line\n"
#define SC_ECHO "#! \t/i/echo hi  there\n"
#define SC_HOST "#!/bin/echo host\n"

static void
make_scripts(void)
{
  char line[512], path[PATH_MAX];
  size_t plen = strlen(script_prefix);
  int n;

  path_join(path, base, "px/i");
  if (mkdir(script_prefix, 0755) < 0 || mkdir(path, 0755) < 0
      || symlink("/bin/cat", strcat(path, "/cat")) < 0)
    goto fail;
  path_join(path, base, "px/i/echo");
  if (symlink("/bin/echo", path) < 0)
    goto fail;
  if (write_file(S("sc-cat"), SC_CAT, strlen(SC_CAT), 0755) < 0
      || write_file(S("sc-echo"), SC_ECHO, strlen(SC_ECHO), 0755) < 0
      || write_file(S("sc-host"), SC_HOST, strlen(SC_HOST), 0755) < 0)
    goto fail;
  /* already under the prefix: left alone (no second prefix) */
  n = snprintf(line, sizeof line, "#!%s/i/echo pre\n", script_prefix);
  if (write_file(S("sc-pre"), line, (size_t)n, 0755) < 0)
    goto fail;
  /* "#!/i/echo " and x's: rewritten to exactly 255 bytes and a newline
     (runs), and one byte longer (left alone: ENOENT) */
  n = snprintf(line, sizeof line, "#!/i/echo %0*d\n", (int)(255 - 2 - plen - 8), 0);
  if (write_file(S("sc-fit"), line, (size_t)n, 0755) < 0)
    goto fail;
  n = snprintf(line, sizeof line, "#!/i/echo %0*d\n", (int)(255 - 2 - plen - 8 + 1), 0);
  if (write_file(S("sc-long"), line, (size_t)n, 0755) < 0)
    goto fail;
  /* no newline within the kernel's 256 bytes */
  n = snprintf(line, sizeof line, "#!/i/echo %0300d", 0);
  if (write_file(S("sc-nonl"), line, (size_t)n, 0755) < 0)
    goto fail;
  return;
fail:
  perror("fixtures scripts");
  exit(1);
}

static void
make_fixtures(void)
{
  char name[32], longt[4096];
  size_t len;
  char *buf;

  if (write_file(S("f0"), "zero", 4, 0644) < 0 || write_file(S(SYNTH_NAME), "REAL", 4, 0644) < 0
      || mkdir(S("big"), 0755) < 0 || symlink("/usr/bin/vi", S("abs")) < 0
      || mkdir(S(LINK_DIR), 0755) < 0 || write_file(S(LINK_DIR "/real"), "R", 1, 0644) < 0)
    {
      perror("fixtures");
      exit(1);
    }
  for (int i = 0; i < NBIG; i++)
    {
      snprintf(name, sizeof name, "big/f%04d", i);
      if (write_file(S(name), "", 0, 0644) < 0)
        {
          perror("fixtures big");
          exit(1);
        }
    }
  /* An absolute target that fits alone but not with the prefix. */
  memset(longt, 'a', sizeof longt);
  longt[0] = '/';
  longt[PATH_MAX - 8] = '\0';
  if (symlink(longt, S("longabs")) < 0)
    {
      perror("fixtures longabs");
      exit(1);
    }

  /* /bin/true three times: as is, with another interpreter, not executable */
  buf = read_file("/bin/true", &len);
  if (buf != NULL && elf_find_interp_buf(buf, len, &true_interp) == 1 && true_interp.len > 2)
    {
      if (write_file(S("true"), buf, len, 0755) < 0
          || write_file(S("true-noexec"), buf, len, 0644) < 0)
        exit(1);
      buf[true_interp.offset + true_interp.len - 1] ^= 1;
      if (write_file(S("true-other"), buf, len, 0755) < 0)
        exit(1);
      /* the rewritten interpreter leads to the real one */
      if (symlink(true_interp.path, interp_to) < 0)
        exit(1);
    }
  else
    true_interp.len = 0;
  free(buf);
  make_scripts();
}

/* new_fs without the watcher: the kernel's caches expire after
   CNTRFS_TIMEOUT, which some tests wait out. */
static bool unwatched;
/* new_fs with this scratch layer, when >= 0. */
static int scratch_fd = -1;
/* new_fs with the host policy (cntrfs_config.host_policy). */
static bool host_policy;

static struct cntrfs *
new_fs(bool read_only)
{
  struct cntrfs_config cfg;
  int dirfd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct cntrfs *fs;

  memset(&cfg, 0, sizeof cfg);
  cfg.source_fd = dirfd;
  cfg.read_only = read_only;
  cfg.symlink_prefix = PREFIX "/";
  if (true_interp.len > 0)
    {
      cfg.interp_from = true_interp.path;
      cfg.interp_to = interp_to;
    }
  cfg.synthetic.name = SYNTH_NAME;
  cfg.synthetic.data = SYNTH_DATA;
  cfg.synthetic.size = strlen(SYNTH_DATA);
  cfg.synthetic.mode = 0555;
  cfg.link_dir_name = LINK_DIR;
  cfg.link_dir_target = LINK_TARGET;
  cfg.exec_script_prefix = script_prefix;
  cfg.debug = getenv("CNTRFS_DEBUG") != NULL;
  cfg.no_watch = unwatched;
  cfg.scratch = scratch_fd >= 0;
  cfg.scratch_fd = scratch_fd;
  cfg.host_policy = host_policy;
  fs = cntrfs_new(&cfg);
  close(dirfd); /* cntrfs keeps its own */
  if (fs == NULL)
    {
      perror("cntrfs_new");
      exit(1);
    }
  active_fs = fs;
  return fs;
}

static void
free_fs(struct cntrfs *fs)
{
  if (active_fs == fs)
    active_fs = NULL;
  cntrfs_free(fs);
}

static void
mount_fs(struct cntrfs *fs)
{
  if (cntrfs_mount(fs, mnt, NULL) < 0)
    {
      perror("cntrfs_mount");
      exit(1);
    }
  have_mount = 1;
}

/* ---- rw scenario ------------------------------------------------------ */

static void
t_config_validation(void)
{
  struct cntrfs_config cfg;

  memset(&cfg, 0, sizeof cfg);
  cfg.source_fd = -1;
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL);
  cfg.source_fd = 0;
  cfg.interp_from = "/a";
  cfg.interp_to = "/longer";
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL);
  cfg.interp_to = NULL;
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL);
  cfg.interp_from = NULL;
  cfg.synthetic.name = "a/b";
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL);
  cfg.synthetic.name = NULL;
  cfg.link_dir_name = "x";
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL); /* no target */
  cfg.link_dir_target = "";
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL);
  cfg.link_dir_target = "/t";
  cfg.link_dir_name = "..";
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL);
  cfg.link_dir_name = "x";
  cfg.synthetic.name = "x";
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL); /* same name twice */

  /* A scratch layer needs its fd, and one that takes whiteouts. */
  memset(&cfg, 0, sizeof cfg);
  cfg.source_fd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cfg.scratch = true;
  cfg.scratch_fd = -1;
  CHECK(cntrfs_new(&cfg) == NULL && errno == EINVAL);
  cfg.scratch_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct cntrfs *fs = cntrfs_new(&cfg);
  int err = errno;
  close(cfg.scratch_fd);
  close(cfg.source_fd);
  errno = err;
  CHECK(fs == NULL);
}

static void
t_file_io(void)
{
  char buf[64];
  struct stat st;
  int fd;

  fd = open(M("f"), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
  CHECK(fd >= 0);
  CHECK(write(fd, "hello", 5) == 5);
  CHECK(pread(fd, buf, sizeof buf, 0) == 5 && memcmp(buf, "hello", 5) == 0);
  CHECK(close(fd) == 0);
  CHECK(file_is(S("f"), "hello"));
  CHECK(stat(S("f"), &st) == 0 && (st.st_mode & 07777) == 0640);
  CHECK_ERR(open(M("f"), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640), EEXIST);

  fd = open(M("f"), O_WRONLY | O_APPEND | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(write(fd, " world", 6) == 6);
  CHECK(close(fd) == 0);
  CHECK(file_is(M("f"), "hello world"));
  CHECK(file_is(S("f"), "hello world"));

  fd = open(M("f"), O_RDWR | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(ftruncate(fd, 5) == 0);
  CHECK(fstat(fd, &st) == 0 && st.st_size == 5);
  CHECK(close(fd) == 0);
  CHECK(file_is(S("f"), "hello"));
  CHECK(truncate(M("f"), 2) == 0);
  CHECK(stat(M("f"), &st) == 0 && st.st_size == 2);
  CHECK(file_is(S("f"), "he"));
  fd = open(M("f"), O_WRONLY | O_TRUNC | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(close(fd) == 0);
  CHECK(stat(S("f"), &st) == 0 && st.st_size == 0);
  CHECK(write_file(M("f"), "hello", 5, 0644) == 0);
  CHECK(file_is(M("f0"), "zero"));
  CHECK_ERR(open(M("missing"), O_RDONLY), ENOENT);
}

/* A caller's umask is applied once (by the kernel), not again by the
   server, whose own umask (022 here) differs. */
static void
t_umask(void)
{
  struct stat st;
  pid_t pid;
  int status;

  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      child_init(-1);
      umask(0);
      int fd = open(M("um"), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
      _exit(fd >= 0 && mkdir(M("umd"), 0777) == 0 && mknod(M("umn"), S_IFIFO | 0666, 0) == 0 ? 0
                                                                                             : 1);
    }
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(stat(S("um"), &st) == 0 && (st.st_mode & 07777) == 0666);
  CHECK(stat(S("umd"), &st) == 0 && (st.st_mode & 07777) == 0777);
  CHECK(stat(S("umn"), &st) == 0 && (st.st_mode & 07777) == 0666);
}

/* New files belong to the caller; the caller's supplementary groups count. */
static void
t_creds(void)
{
  struct stat st;
  pid_t pid;
  int status;

  CHECK(mkdir(M("pub"), 0755) == 0 && chmod(M("pub"), 0777) == 0);
  CHECK(mkdir(M("priv"), 0755) == 0);
  CHECK(mkdir(M("grp"), 0755) == 0 && chown(M("grp"), 0, 777) == 0 && chmod(M("grp"), 0770) == 0);

  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      gid_t g = 777;
      child_init(-1);
      if (setgroups(1, &g) < 0 || setgid(1234) < 0 || setuid(4321) < 0)
        _exit(2);
      if (close(open(M("pub/mine"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) < 0)
        _exit(3);
      if (mkdir(M("pub/minedir"), 0755) < 0 || symlink("x", M("pub/minelink")) < 0)
        _exit(4);
      errno = 0;
      if (open(M("priv/no"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644) >= 0 || errno != EACCES)
        _exit(5);
      /* allowed through group 777 only: the server must act with it too */
      if (close(open(M("grp/viagroup"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) < 0)
        _exit(6);
      _exit(0);
    }
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
  errno = 0;
  if (WEXITSTATUS(status) != 0)
    fprintf(stderr, "creds child failed at step %d\n", WEXITSTATUS(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(stat(S("pub/mine"), &st) == 0 && st.st_uid == 4321 && st.st_gid == 1234);
  CHECK(stat(S("pub/minedir"), &st) == 0 && st.st_uid == 4321 && st.st_gid == 1234);
  CHECK(lstat(S("pub/minelink"), &st) == 0 && st.st_uid == 4321);
  CHECK(stat(S("grp/viagroup"), &st) == 0 && st.st_uid == 4321);
  /* and the server went back to being root */
  CHECK(close(open(M("priv/rootfile"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0);
  CHECK(stat(S("priv/rootfile"), &st) == 0 && st.st_uid == 0 && st.st_gid == 0);
}

static void
t_dirs_and_rename(void)
{
  struct stat st;

  CHECK(mkdir(M("d"), 0755) == 0);
  CHECK(stat(S("d"), &st) == 0 && S_ISDIR(st.st_mode));
  CHECK_ERR(mkdir(M("d"), 0755), EEXIST);
  CHECK(rename(M("d"), M("d2")) == 0);
  CHECK_ERR(stat(S("d"), &st), ENOENT);
  CHECK(stat(S("d2"), &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(write_file(M("d2/inner"), "i", 1, 0644) == 0);
  CHECK_ERR(rmdir(M("d2")), ENOTEMPTY);
  CHECK(unlink(M("d2/inner")) == 0);
  CHECK(rmdir(M("d2")) == 0);
  CHECK_ERR(stat(S("d2"), &st), ENOENT);
  CHECK_ERR(stat(M("d2"), &st), ENOENT);

  CHECK(write_file(M("ra"), "A", 1, 0644) == 0);
  CHECK(write_file(M("rb"), "B", 1, 0644) == 0);
  CHECK_ERR(renameat2(AT_FDCWD, M("ra"), AT_FDCWD, M("rb"), RENAME_NOREPLACE), EEXIST);
  CHECK(file_is(M("rb"), "B"));
  CHECK(renameat2(AT_FDCWD, M("ra"), AT_FDCWD, M("rb"), RENAME_EXCHANGE) == 0);
  CHECK(file_is(M("ra"), "B") && file_is(M("rb"), "A"));
  CHECK(file_is(S("ra"), "B") && file_is(S("rb"), "A"));
  CHECK(renameat2(AT_FDCWD, M("ra"), AT_FDCWD, M("rc"), RENAME_NOREPLACE) == 0);
  CHECK(file_is(S("rc"), "B"));
  CHECK(rename(M("rc"), M("rb")) == 0);
  CHECK(file_is(M("rb"), "B"));
  CHECK_ERR(stat(M("rc"), &st), ENOENT);
}

static void
t_links(void)
{
  struct stat a, b;

  CHECK(write_file(M("h"), "x", 1, 0644) == 0);
  CHECK(link(M("h"), M("h2")) == 0);
  CHECK(stat(M("h"), &a) == 0 && a.st_nlink == 2);
  CHECK(stat(M("h2"), &b) == 0 && b.st_ino == a.st_ino && b.st_nlink == 2);
  CHECK(stat(S("h"), &a) == 0 && a.st_nlink == 2);
  CHECK_ERR(link(M("h"), M("h2")), EEXIST);
  CHECK(unlink(M("h2")) == 0);
  CHECK(stat(M("h"), &a) == 0 && a.st_nlink == 1);
  CHECK(stat(S("h"), &a) == 0 && a.st_nlink == 1);
  /* a hard link to a symlink is a link to the symlink itself */
  CHECK(symlink("h", M("hs")) == 0);
  CHECK(link(M("hs"), M("hs2")) == 0);
  CHECK(lstat(S("hs2"), &a) == 0 && S_ISLNK(a.st_mode) && a.st_nlink == 2);
}

static void
t_symlinks(void)
{
  char buf[PATH_MAX];
  struct stat st;
  ssize_t n;

  CHECK(symlink("rel-target", M("rel")) == 0);
  n = readlink(M("rel"), buf, sizeof buf);
  CHECK(n == 10 && memcmp(buf, "rel-target", 10) == 0);
  n = readlink(S("rel"), buf, sizeof buf);
  CHECK(n == 10 && memcmp(buf, "rel-target", 10) == 0);
  CHECK(lstat(M("rel"), &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 10);

  n = readlink(M("abs"), buf, sizeof buf);
  CHECK(n == (ssize_t)strlen(PREFIX "/usr/bin/vi")
        && memcmp(buf, PREFIX "/usr/bin/vi", (size_t)n) == 0);

  CHECK(symlink("/abs/x", M("absx")) == 0);
  n = readlink(S("absx"), buf, sizeof buf);
  CHECK(n == 6 && memcmp(buf, "/abs/x", 6) == 0);
  n = readlink(M("absx"), buf, sizeof buf);
  CHECK(n == (ssize_t)strlen(PREFIX "/abs/x") && memcmp(buf, PREFIX "/abs/x", (size_t)n) == 0);

  CHECK_ERR(readlink(M("longabs"), buf, sizeof buf), ENAMETOOLONG);
  CHECK_ERR(readlink(M("f0"), buf, sizeof buf), EINVAL);
}

static void
t_fifo(void)
{
  struct stat st;

  CHECK(mkfifo(M("fifo"), 0600) == 0);
  CHECK(lstat(S("fifo"), &st) == 0 && S_ISFIFO(st.st_mode));
  CHECK(lstat(M("fifo"), &st) == 0 && S_ISFIFO(st.st_mode));
  CHECK(mknod(M("regnode"), S_IFREG | 0600, 0) == 0);
  CHECK(lstat(S("regnode"), &st) == 0 && S_ISREG(st.st_mode));
  CHECK(mknod(M("null"), S_IFCHR | 0600, makedev(1, 3)) == 0);
  CHECK(lstat(S("null"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
}

static void
t_xattr(void)
{
  char buf[256];
  ssize_t n;

  if (setxattr(S("f0"), "user.probe", "1", 1, 0) < 0 && errno == ENOTSUP)
    {
      printf("note: source has no user xattrs, xattr checks skipped\n");
      return;
    }
  CHECK(setxattr(M("f"), "user.cntr", "val", 3, 0) == 0);
  n = getxattr(S("f"), "user.cntr", buf, sizeof buf);
  CHECK(n == 3 && memcmp(buf, "val", 3) == 0);
  CHECK(getxattr(M("f"), "user.cntr", NULL, 0) == 3);
  n = getxattr(M("f"), "user.cntr", buf, sizeof buf);
  CHECK(n == 3 && memcmp(buf, "val", 3) == 0);
  CHECK_ERR(getxattr(M("f"), "user.cntr", buf, 1), ERANGE);
  CHECK_ERR(setxattr(M("f"), "user.cntr", "v", 1, XATTR_CREATE), EEXIST);
  n = listxattr(M("f"), buf, sizeof buf);
  CHECK(n > 0 && memmem(buf, (size_t)n, "user.cntr", 10) != NULL);
  CHECK(listxattr(M("f"), NULL, 0) == n);
  CHECK(removexattr(M("f"), "user.cntr") == 0);
  CHECK_ERR(getxattr(S("f"), "user.cntr", buf, sizeof buf), ENODATA);
  CHECK_ERR(getxattr(M("f"), "user.cntr", buf, sizeof buf), ENODATA);
  /* on a directory too (reopened via /proc, not via a path walk) */
  CHECK(setxattr(M("big"), "user.dir", "d", 1, 0) == 0);
  CHECK(getxattr(S("big"), "user.dir", buf, sizeof buf) == 1);
}

static void
t_attrs(void)
{
  struct stat st, target_before, target_after;
  struct timespec ts[2];
  time_t now = time(NULL);

  CHECK(chmod(M("f"), 0604) == 0);
  CHECK(stat(S("f"), &st) == 0 && (st.st_mode & 07777) == 0604);
  CHECK(stat(M("f"), &st) == 0 && (st.st_mode & 07777) == 0604);
  CHECK(chown(M("f"), 1234, 5678) == 0);
  CHECK(stat(S("f"), &st) == 0 && st.st_uid == 1234 && st.st_gid == 5678);
  CHECK(chown(M("f"), (uid_t)-1, 42) == 0);
  CHECK(stat(S("f"), &st) == 0 && st.st_uid == 1234 && st.st_gid == 42);
  CHECK(chown(M("f"), 0, 0) == 0);

  ts[0].tv_sec = 1000;
  ts[0].tv_nsec = 5;
  ts[1].tv_sec = 2000;
  ts[1].tv_nsec = 7;
  CHECK(utimensat(AT_FDCWD, M("f"), ts, 0) == 0);
  CHECK(stat(S("f"), &st) == 0 && st.st_atim.tv_sec == 1000 && st.st_atim.tv_nsec == 5
        && st.st_mtim.tv_sec == 2000 && st.st_mtim.tv_nsec == 7);
  ts[0].tv_sec = 3000;
  ts[0].tv_nsec = 0;
  ts[1].tv_nsec = UTIME_OMIT;
  CHECK(utimensat(AT_FDCWD, M("f"), ts, 0) == 0);
  CHECK(stat(S("f"), &st) == 0 && st.st_atim.tv_sec == 3000 && st.st_mtim.tv_sec == 2000);
  ts[0].tv_nsec = UTIME_OMIT;
  ts[1].tv_nsec = UTIME_NOW;
  CHECK(utimensat(AT_FDCWD, M("f"), ts, 0) == 0);
  CHECK(stat(S("f"), &st) == 0 && st.st_atim.tv_sec == 3000 && st.st_mtim.tv_sec >= now);

  /* symlinks themselves: lchown, utimensat(AT_SYMLINK_NOFOLLOW) */
  CHECK(write_file(M("ltarget"), "t", 1, 0644) == 0);
  CHECK(symlink("ltarget", M("lnk")) == 0);
  CHECK(stat(S("ltarget"), &target_before) == 0);
  CHECK(lchown(M("lnk"), 77, 88) == 0);
  CHECK(lstat(S("lnk"), &st) == 0 && st.st_uid == 77 && st.st_gid == 88);
  ts[0].tv_sec = 4000;
  ts[0].tv_nsec = 0;
  ts[1].tv_sec = 5000;
  ts[1].tv_nsec = 0;
  CHECK(utimensat(AT_FDCWD, M("lnk"), ts, AT_SYMLINK_NOFOLLOW) == 0);
  CHECK(lstat(S("lnk"), &st) == 0 && st.st_mtim.tv_sec == 5000);
  CHECK(stat(S("ltarget"), &target_after) == 0 && target_after.st_uid == target_before.st_uid
        && target_after.st_mtim.tv_sec == target_before.st_mtim.tv_sec);
}

static void
t_readdir(void)
{
  static bool seen[NBIG];
  struct dirent *de;
  int n = 0, dots = 0;
  DIR *d;

  memset(seen, 0, sizeof seen);
  d = opendir(M("big"));
  CHECK(d != NULL);
  while ((de = readdir(d)) != NULL)
    {
      int i;
      struct stat st;

      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
        {
          dots++;
          continue;
        }
      if (sscanf(de->d_name, "f%d", &i) != 1 || i < 0 || i >= NBIG || seen[i])
        {
          fprintf(stderr, "unexpected or repeated entry %s\n", de->d_name);
          closedir(d);
          CHECK(false);
        }
      seen[i] = true;
      if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)
          || de->d_type != DT_REG)
        {
          closedir(d);
          CHECK(false);
        }
      n++;
    }
  closedir(d);
  CHECK(n == NBIG && dots == 2);

  /* the synthetic file is not listed, even though the source has the name */
  d = opendir(mnt);
  CHECK(d != NULL);
  n = 0;
  while ((de = readdir(d)) != NULL)
    {
      if (strcmp(de->d_name, SYNTH_NAME) == 0)
        n = -1000;
      if (strcmp(de->d_name, "f0") == 0)
        n++;
    }
  closedir(d);
  CHECK(n == 1);
}

/* echo 2 > /proc/sys/vm/drop_caches: the kernel forgets unused inodes. */
static bool
drop_caches(void)
{
  int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  bool ok;

  if (fd < 0)
    return false;
  sync();
  ok = write(fd, "2", 1) == 1;
  close(fd);
  return ok;
}

/* Lookup counting: after readdirplus and lookups of 2000 entries the table
   holds them; once the kernel forgets them (drop_caches evicts unused
   inodes and sends FORGETs), the table shrinks back.  A count raised twice
   (or never lowered) keeps entries forever. */
static void
t_forget(struct cntrfs *fs)
{
  size_t before = inode_table_count(&fs->inodes), after = before;

  CHECK(before >= NBIG);
  for (int i = 0; i < 500 && after > 50; i++)
    {
      CHECK(drop_caches());
      usleep(10 * 1000);
      after = inode_table_count(&fs->inodes);
    }
  if (after > 50)
    fprintf(stderr, "inode table: %zu before, %zu after dropping caches\n", before, after);
  CHECK(after <= 50);
  /* and everything still works with fresh lookups */
  CHECK(file_is(M("big/f0007"), ""));
  CHECK(file_is(M("f0"), "zero"));
}

static void
t_mmap(void)
{
  char buf[16];
  void *p;
  int fd;

  fd = open(M("mm"), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  CHECK(fd >= 0);
  CHECK(ftruncate(fd, 8192) == 0);
  p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(p != MAP_FAILED);
  memcpy((char *)p + 4096, "mmapdata", 8);
  CHECK(msync(p, 8192, MS_SYNC) == 0);
  CHECK(munmap(p, 8192) == 0);
  CHECK(close(fd) == 0);

  fd = open(M("mm"), O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(pread(fd, buf, 8, 4096) == 8 && memcmp(buf, "mmapdata", 8) == 0);
  close(fd);
  fd = open(S("mm"), O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(pread(fd, buf, 8, 4096) == 8 && memcmp(buf, "mmapdata", 8) == 0);
  close(fd);
}

static void
t_sparse(void)
{
  off_t data_m, hole_m, data_s, hole_s;
  int fd, sfd;

  fd = open(M("sparse"), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  CHECK(fd >= 0);
  CHECK(pwrite(fd, "x", 1, 1 << 20) == 1);
  CHECK(fsync(fd) == 0);
  sfd = open(S("sparse"), O_RDONLY | O_CLOEXEC);
  CHECK(sfd >= 0);
  data_s = lseek(sfd, 0, SEEK_DATA);
  hole_s = lseek(sfd, 0, SEEK_HOLE);
  close(sfd);
  data_m = lseek(fd, 0, SEEK_DATA);
  hole_m = lseek(fd, 0, SEEK_HOLE);
  CHECK(data_m == data_s && hole_m == hole_s);
  if (data_s == 0)
    printf("note: source file system does not report holes\n");
  else
    CHECK(data_m > 0 && data_m <= (1 << 20) && hole_m == 0);
  CHECK_ERR(lseek(fd, (1 << 20) + 10, SEEK_DATA), ENXIO);
  CHECK(lseek(fd, 5, SEEK_SET) == 5);
  close(fd);

  fd = open(M("falloc"), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  CHECK(fd >= 0);
  CHECK(fallocate(fd, 0, 0, 65536) == 0);
  close(fd);
  struct stat st;
  CHECK(stat(S("falloc"), &st) == 0 && st.st_size == 65536);
}

static void
t_synthetic(void)
{
  struct stat st;
  char buf[64];
  int fd;
  ssize_t n;

  CHECK(stat(M(SYNTH_NAME), &st) == 0);
  CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0555 && st.st_uid == 0
        && st.st_size == (off_t)strlen(SYNTH_DATA));
  fd = open(M(SYNTH_NAME), O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  n = read(fd, buf, sizeof buf);
  CHECK(n == (ssize_t)strlen(SYNTH_DATA) && memcmp(buf, SYNTH_DATA, (size_t)n) == 0);
  CHECK(pread(fd, buf, 4, 10) == 4 && memcmp(buf, SYNTH_DATA + 10, 4) == 0);
  CHECK(pread(fd, buf, 4, 1000) == 0);
  close(fd);
  CHECK_ERR(open(M(SYNTH_NAME), O_WRONLY | O_CLOEXEC), EROFS);
  CHECK_ERR(unlink(M(SYNTH_NAME)), EROFS);
  CHECK_ERR(chmod(M(SYNTH_NAME), 0777), EROFS);
  CHECK_ERR(rename(M("f0"), M(SYNTH_NAME)), EROFS);
  CHECK_ERR(mkdir(M(SYNTH_NAME), 0755), EEXIST);
  CHECK_ERR(open(M(SYNTH_NAME "/x"), O_RDONLY), ENOTDIR);
  CHECK(file_is(S(SYNTH_NAME), "REAL"));
}

static bool
range_is(const char *buf, size_t off, const char *want, size_t len)
{
  for (size_t i = 0; i < len; i++)
    {
      char c = i < strlen(want) ? want[i] : '\0';
      if (buf[off + i] != c)
        return false;
    }
  return true;
}

/* A file of the source read through the mount (read, and mapped) keeps its
   atime, even where relatime would set it (an atime older than the
   mtime): read-only and lower layers are never written.  Passed through,
   the kernel reads the source's file itself, with the reader's open
   flags: only the server's read-only, noatime view keeps it from setting
   the atime. */
static void
t_source_atime_kept(void)
{
  struct timespec t[2] = { { 1000000000, 0 }, { 1500000000, 0 } };
  struct stat st;
  char buf[16];
  int fd;

  CHECK(write_file(S("atime"), "atime-data", 10, 0644) == 0);
  CHECK(utimensat(AT_FDCWD, S("atime"), t, 0) == 0);
  fd = open(M("atime"), O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(read(fd, buf, sizeof buf) == 10 && memcmp(buf, "atime-data", 10) == 0);
  void *p = mmap(NULL, 10, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(p != MAP_FAILED && memcmp(p, "atime-data", 10) == 0);
  if (p != MAP_FAILED)
    munmap(p, 10);
  close(fd);
  CHECK(stat(S("atime"), &st) == 0 && st.st_atim.tv_sec == t[0].tv_sec);
}

/* Passed through, what a read returns is the source's file as it is now,
   even when a change made to it directly kept its size and mtime (which
   the server's page cache would not notice without the watcher). */
static void
t_passthrough_reads_source(void)
{
  struct stat st;
  char buf[8];
  int fd;

  if (!cntrfs_passthrough(active_fs))
    {
      /* An older kernel, or CNTR_NO_PASSTHROUGH: nothing to check. */
      printf("note: passthrough %s, reads go through the server\n",
             cntrfs_passthrough_describe(active_fs));
      return;
    }
  CHECK(write_file(S("coherent"), "AAAA", 4, 0644) == 0);
  CHECK(stat(S("coherent"), &st) == 0);
  fd = open(M("coherent"), O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0 && pread(fd, buf, 4, 0) == 4 && memcmp(buf, "AAAA", 4) == 0);
  int w = open(S("coherent"), O_WRONLY | O_CLOEXEC);
  CHECK(w >= 0 && pwrite(w, "BBBB", 4, 0) == 4);
  close(w);
  struct timespec same[2] = { st.st_atim, st.st_mtim };
  CHECK(utimensat(AT_FDCWD, S("coherent"), same, 0) == 0);
  CHECK(pread(fd, buf, 4, 0) == 4 && memcmp(buf, "BBBB", 4) == 0);
  close(fd);
}

static void
t_interp(void)
{
  size_t lm, ls, off = (size_t)true_interp.offset, len = true_interp.len + 1;
  char *bm = NULL, *bs = NULL, small[8];
  pid_t pid;
  int status, fd;
  void *p;

  if (true_interp.len == 0)
    {
      printf("note: /bin/true has no PT_INTERP, interpreter checks skipped\n");
      return;
    }
  bm = read_file(M("true"), &lm);
  bs = read_file(S("true"), &ls);
  if (bm == NULL || bs == NULL || lm != ls)
    {
      free(bm);
      free(bs);
      CHECK(false);
    }
  /* Passed through, a read sees the file's own bytes: only an execve gets
     the rewritten string (checked below).  Through the server, every read
     and mapping. */
  bool through_server = !cntrfs_passthrough(active_fs);
  bool patched = range_is(bm, off, through_server ? interp_to : true_interp.path, len);
  bool original = range_is(bs, off, true_interp.path, len);
  bool rest_same
      = memcmp(bm, bs, off) == 0 && memcmp(bm + off + len, bs + off + len, ls - off - len) == 0;
  free(bm);
  free(bs);
  CHECK(patched);
  CHECK(original);
  CHECK(rest_same);

  /* a small read in the middle of the string */
  fd = open(M("true"), O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(pread(fd, small, 4, (off_t)off + 2) == 4
        && memcmp(small, (through_server ? interp_to : true_interp.path) + 2, 4) == 0);
  /* mappings see the page cache, hence the same bytes too */
  p = mmap(NULL, off + len, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(p != MAP_FAILED);
  CHECK(range_is(p, off, through_server ? interp_to : true_interp.path, len));
  munmap(p, off + len);
  close(fd);

  /* other interpreter, not executable: untouched */
  bm = read_file(M("true-other"), &lm);
  bs = read_file(S("true-other"), &ls);
  bool same = bm != NULL && bs != NULL && lm == ls && memcmp(bm, bs, lm) == 0;
  free(bm);
  free(bs);
  CHECK(same);
  bm = read_file(M("true-noexec"), &lm);
  bs = read_file(S("true-noexec"), &ls);
  same = bm != NULL && bs != NULL && lm == ls && memcmp(bm, bs, lm) == 0;
  free(bm);
  free(bs);
  CHECK(same);

  /* and the kernel runs it through the rewritten interpreter path */
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      child_init(-1);
      execl(M("true"), "true", (char *)NULL);
      _exit(127);
    }
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* ...which must exist for that: break it, and exec fails */
  CHECK(unlink(interp_to) == 0);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      child_init(-1);
      execl(M("true"), "true", (char *)NULL);
      _exit(errno == ENOENT ? 42 : 127);
    }
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 42);
  CHECK(symlink(true_interp.path, interp_to) == 0);
}

/* Runs path with argv, its stdout into out (NUL-terminated); returns the
   exit status, 42 when execve failed with ENOENT, -1 on a setup error. */
static int
run_capture(const char *path, char *const argv[], char *out, size_t size)
{
  size_t got = 0;
  int p[2], status;
  pid_t pid;

  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      child_init(p[1]);
      if (dup2(p[1], 1) < 0)
        _exit(43);
      execv(path, argv);
      _exit(errno == ENOENT ? 42 : 43);
    }
  close(p[1]);
  for (;;)
    {
      ssize_t n = read(p[0], out + got, size - 1 - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (size_t)n;
    }
  out[got] = '\0';
  close(p[0]);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

static int
run_script(const char *name, char *out, size_t size)
{
  char *const argv[] = { (char *)name, NULL };
  return run_capture(M(name), argv, out, size);
}

static bool
same_as_source(const char *name)
{
  size_t lm, ls;
  char *bm = read_file(M(name), &lm);
  char *bs = read_file(S(name), &ls);
  struct stat a, b;
  bool same = bm != NULL && bs != NULL && lm == ls && memcmp(bm, bs, lm) == 0
              && stat(M(name), &a) == 0 && stat(S(name), &b) == 0 && a.st_size == b.st_size;

  free(bm);
  free(bs);
  return same;
}

/* The link directory: every name a symlink to LINK_TARGET, verbatim. */
static void
t_link_dir(void)
{
  char buf[PATH_MAX], out[256], want[PATH_MAX], longname[NAME_MAX + 2];
  struct stat st, st2, root;
  struct dirent *de;
  DIR *d;
  int n = 0;

  CHECK(stat(M(LINK_DIR), &st) == 0);
  CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0555 && st.st_uid == 0 && st.st_gid == 0);
  CHECK(st.st_ino == (ino_t)UINT64_MAX - 2);
  CHECK(lstat(M(LINK_DIR "/ps"), &st) == 0);
  CHECK(S_ISLNK(st.st_mode) && (st.st_mode & 07777) == 0777 && st.st_uid == 0
        && st.st_size == (off_t)strlen(LINK_TARGET) && st.st_ino == (ino_t)UINT64_MAX - 3);
  CHECK(lstat(M(LINK_DIR "/other name"), &st2) == 0 && st2.st_ino == st.st_ino);
  /* wins over the real entry of the same name, and its contents */
  CHECK(lstat(M(LINK_DIR "/real"), &st2) == 0 && S_ISLNK(st2.st_mode));
  CHECK(readlink(M(LINK_DIR "/ps"), buf, sizeof buf) == (ssize_t)strlen(LINK_TARGET)
        && memcmp(buf, LINK_TARGET, strlen(LINK_TARGET)) == 0);
  memset(longname, 'n', NAME_MAX);
  longname[NAME_MAX] = '\0';
  snprintf(want, sizeof want, "%s/%s/%s", mnt, LINK_DIR, longname);
  CHECK(readlink(want, buf, sizeof buf) == (ssize_t)strlen(LINK_TARGET));
  longname[NAME_MAX] = 'n';
  longname[NAME_MAX + 1] = '\0';
  snprintf(want, sizeof want, "%s/%s/%s", mnt, LINK_DIR, longname);
  CHECK_ERR(lstat(want, &st2), ENAMETOOLONG);
  CHECK(stat(M(LINK_DIR "/.."), &st2) == 0 && stat(mnt, &root) == 0 && st2.st_ino == root.st_ino);

  /* empty listing; not listed in the root */
  d = opendir(M(LINK_DIR));
  CHECK(d != NULL);
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      n++;
    else
      n += 100;
  closedir(d);
  CHECK(n == 200);
  d = opendir(mnt);
  CHECK(d != NULL);
  n = 0;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, LINK_DIR) == 0)
      n++;
  closedir(d);
  CHECK(n == 0);

  /* nothing changes inside it, nor it */
  CHECK_ERR(unlink(M(LINK_DIR "/ps")), EROFS);
  /* two names of one inode: rename(2) succeeds doing nothing (the kernel
     does not ask us) */
  CHECK(rename(M(LINK_DIR "/ps"), M(LINK_DIR "/pt")) == 0);
  CHECK_ERR(rename(M("f0"), M(LINK_DIR "/f0")), EROFS);
  CHECK_ERR(rename(M(LINK_DIR "/ps"), M("ps")), EROFS);
  CHECK_ERR(mkdir(M(LINK_DIR "/d"), 0755), EEXIST);
  CHECK_ERR(symlink("x", M(LINK_DIR "/s")), EEXIST);
  CHECK_ERR(link(M("f0"), M(LINK_DIR "/h")), EEXIST);
  CHECK_ERR(link(M(LINK_DIR "/ps"), M("hardps")), EROFS);
  CHECK_ERR(open(M(LINK_DIR "/c"), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644), EEXIST);
  CHECK_ERR(lchown(M(LINK_DIR "/ps"), 1, 1), EROFS);
  CHECK_ERR(lsetxattr(M(LINK_DIR "/ps"), "trusted.x", "1", 1, 0), EROFS);
  CHECK_ERR(rmdir(M(LINK_DIR)), EROFS);
  CHECK_ERR(chmod(M(LINK_DIR), 0777), EROFS);
  CHECK_ERR(setxattr(M(LINK_DIR), "user.x", "1", 1, 0), EROFS);
  CHECK_ERR(mkdir(M(LINK_DIR), 0755), EEXIST);
  CHECK_ERR(rename(M(LINK_DIR), M("moved")), EROFS);
  CHECK_ERR(rename(M("f0"), M(LINK_DIR)), EISDIR);
  CHECK_ERR(open(M(LINK_DIR), O_WRONLY | O_CLOEXEC), EISDIR);
  CHECK(access(M(LINK_DIR), R_OK | X_OK) == 0);
  CHECK(file_is(S(LINK_DIR "/real"), "R"));

  /* what it is for: the kernel names a process after the exec path */
  {
    char *const argv[] = { "hello-comm", "/proc/self/comm", NULL };
    CHECK(run_capture(M(LINK_DIR "/hello-comm"), argv, out, sizeof out) == 0);
    CHECK(strcmp(out, "hello-comm\n") == 0);
  }
}

/* "#!" lines are rewritten for execve(2), and for nothing else. */
static void
t_scripts(void)
{
  char out[1024], want[PATH_MAX + 64];

  /* The interpreter exists only under the prefix; it reads the script
     through an ordinary open, which must see the original. */
  CHECK(run_script("sc-cat", out, sizeof out) == 0);
  CHECK(strcmp(out, SC_CAT) == 0);
  CHECK(same_as_source("sc-cat"));
  /* blanks before the interpreter; arguments kept */
  CHECK(run_script("sc-echo", out, sizeof out) == 0);
  snprintf(want, sizeof want, "hi  there %s\n", M("sc-echo"));
  CHECK(strcmp(out, want) == 0);
  CHECK(same_as_source("sc-echo"));
  /* already under the prefix */
  CHECK(run_script("sc-pre", out, sizeof out) == 0);
  snprintf(want, sizeof want, "pre %s\n", M("sc-pre"));
  CHECK(strcmp(out, want) == 0);
  /* the longest line that fits the kernel's buffer, and one byte more */
  CHECK(run_script("sc-fit", out, sizeof out) == 0);
  CHECK(out[0] == '0' && strstr(out, M("sc-fit")) != NULL);
  CHECK(run_script("sc-long", out, sizeof out) == 42);
  CHECK(run_script("sc-nonl", out, sizeof out) == 42);
  /* every absolute interpreter moves: /bin/echo is not under px */
  CHECK(run_script("sc-host", out, sizeof out) == 42);
  CHECK(same_as_source("sc-host"));
  CHECK(same_as_source("sc-fit"));
  /* ELF executables are not scripts: still run */
  if (true_interp.len > 0)
    CHECK(run_script("true", out, sizeof out) == 0);
}

static void
t_copy_file_range(void)
{
  loff_t oi = 0, oo = 0;
  int in, out;

  CHECK(write_file(M("cfr-in"), "copy me", 7, 0644) == 0);
  in = open(M("cfr-in"), O_RDONLY | O_CLOEXEC);
  out = open(M("cfr-out"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  CHECK(in >= 0 && out >= 0);
  CHECK(copy_file_range(in, &oi, out, &oo, 7, 0) == 7);
  close(in);
  close(out);
  CHECK(file_is(S("cfr-out"), "copy me"));
}

static void
t_flock(void)
{
  int a = open(M("f0"), O_RDONLY | O_CLOEXEC);
  int b = open(M("f0"), O_RDONLY | O_CLOEXEC);

  CHECK(a >= 0 && b >= 0);
  CHECK(flock(a, LOCK_EX) == 0);
  CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  CHECK(flock(a, LOCK_UN) == 0);
  CHECK(flock(b, LOCK_EX | LOCK_NB) == 0);
  close(a);
  close(b);
}

static void
on_usr1(int sig)
{
  (void)sig;
}

/* A flock(2) waiting in the server occupies a worker: others must keep
   serving, and a signal to the waiting caller must interrupt the wait. */
static void
t_flock_blocking(void)
{
  struct timespec t0, t1;
  int a, status, ready[2];
  pid_t pid;
  char c;

  a = open(M("f0"), O_RDONLY | O_CLOEXEC);
  CHECK(a >= 0);
  CHECK(flock(a, LOCK_EX) == 0);
  CHECK(pipe2(ready, O_CLOEXEC) == 0);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      struct sigaction sa;
      int b;

      child_init(ready[1]);
      b = open(M("f0"), O_RDONLY | O_CLOEXEC);

      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_usr1; /* no SA_RESTART */
      sigaction(SIGUSR1, &sa, NULL);
      if (b < 0 || write(ready[1], "r", 1) != 1)
        _exit(1);
      if (flock(b, LOCK_EX) == 0)
        _exit(2);
      _exit(errno == EINTR ? 0 : 3);
    }
  close(ready[1]);
  CHECK(read(ready[0], &c, 1) == 1);
  close(ready[0]);
  usleep(200 * 1000);
  /* the file system still answers */
  for (int i = 0; i < 50; i++)
    CHECK(file_is(M("f0"), "zero"));
  CHECK(waitpid(pid, &status, WNOHANG) == 0); /* still waiting for the lock */
  CHECK(kill(pid, SIGUSR1) == 0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      pid_t r = waitpid(pid, &status, WNOHANG);
      CHECK(r >= 0);
      if (r == pid)
        break;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      if (t1.tv_sec - t0.tv_sec > 5)
        {
          /* unlock first: the waiter's request can only end with the wait */
          flock(a, LOCK_UN);
          kill(pid, SIGKILL);
          waitpid(pid, &status, 0);
          close(a);
          fprintf(stderr, "flock waiter was not interrupted\n");
          CHECK(false);
        }
      usleep(10 * 1000);
    }
  flock(a, LOCK_UN);
  close(a);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Changes made to the source directly show through the mount within
   WATCH_WAIT_MS: well before the kernel's CNTRFS_TIMEOUT (1 s) would let
   it ask again, so only the watcher's invalidations can explain it. */
#define WATCH_WAIT_MS 500

static bool
has_entry(const char *dir, const char *name)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  bool found = false;

  if (d == NULL)
    return false;
  while (!found && (de = readdir(d)) != NULL)
    found = strcmp(de->d_name, name) == 0;
  closedir(d);
  return found;
}

/* Poll cond every 5 ms for up to WATCH_WAIT_MS. */
#define SHOWS_SOON(cond)                                                                           \
  ({                                                                                               \
    bool shown_ = false;                                                                           \
    for (int ms_ = 0; ms_ <= WATCH_WAIT_MS && !(shown_ = (cond)); ms_ += 5)                        \
      usleep(5000);                                                                                \
    shown_;                                                                                        \
  })

/* fanotify marks this process holds (the server runs in it), from
   /proc/self/fdinfo. */
static int
count_marks(void)
{
  DIR *d = opendir("/proc/self/fdinfo");
  struct dirent *de;
  char line[512], path[PATH_MAX];
  int n = 0;

  if (d == NULL)
    return -1;
  while ((de = readdir(d)) != NULL)
    {
      FILE *f;

      if (de->d_name[0] == '.')
        continue;
      snprintf(path, sizeof path, "/proc/self/fdinfo/%s", de->d_name);
      f = fopen(path, "re");
      if (f == NULL)
        continue;
      while (fgets(line, sizeof line, f) != NULL)
        n += strncmp(line, "fanotify ino:", 13) == 0;
      fclose(f);
    }
  closedir(d);
  return n;
}

static void
t_watch(void)
{
  struct stat st;
  int marks;

  CHECK(write_file(S("w-file"), "a", 1, 0644) == 0 && mkdir(S("w-dir"), 0755) == 0);
  /* Fetch everything into the kernel's caches through the mount first. */
  CHECK(file_is(M("w-file"), "a"));
  CHECK(stat(M("w-new"), &st) < 0 && errno == ENOENT); /* a negative entry */
  CHECK(!has_entry(M("w-dir"), "x"));

  CHECK(write_file(S("w-file"), "bb", 2, 0644) == 0);
  CHECK(SHOWS_SOON(file_is(M("w-file"), "bb")));
  CHECK(chmod(S("w-file"), 0600) == 0);
  CHECK(SHOWS_SOON(stat(M("w-file"), &st) == 0 && (st.st_mode & 07777) == 0600));
  CHECK(write_file(S("w-new"), "n", 1, 0644) == 0);
  CHECK(SHOWS_SOON(file_is(M("w-new"), "n")));
  CHECK(unlink(S("w-new")) == 0);
  CHECK(SHOWS_SOON(stat(M("w-new"), &st) < 0 && errno == ENOENT));
  CHECK(write_file(S("w-dir/x"), "x", 1, 0644) == 0);
  CHECK(SHOWS_SOON(has_entry(M("w-dir"), "x")));
  CHECK(rename(S("w-dir/x"), S("w-dir/y")) == 0);
  CHECK(SHOWS_SOON(!has_entry(M("w-dir"), "x") && file_is(M("w-dir/y"), "x")));

  /* Marks are per directory the kernel holds, and go when it forgets
     them: nothing outside what the session looked at is watched. */
  marks = count_marks();
  CHECK(marks >= 2); /* the root and w-dir */
  CHECK(drop_caches());
  CHECK(SHOWS_SOON(count_marks() < marks));
}

static void
t_statfs_access(void)
{
  struct statvfs sv;

  CHECK(statvfs(mnt, &sv) == 0 && sv.f_bsize > 0 && sv.f_blocks > 0);
  CHECK(access(M("f0"), R_OK | W_OK) == 0);
  CHECK(access(M(SYNTH_NAME), X_OK) == 0);
}

static int
scenario_rw(void)
{
  struct cntrfs *fs;
  int fds_before, fd;
  char buf[4];

  setup_dirs("m");
  make_fixtures();
  t_config_validation();
  fds_before = count_fds();
  fs = new_fs(false);
  mount_fs(fs);
  if (!is_mounted(mnt))
    {
      fprintf(stderr, "FAIL: %s not in mountinfo\n", mnt);
      failures++;
    }

  t_file_io();
  t_watch();
  t_umask();
  t_creds();
  t_dirs_and_rename();
  t_links();
  t_symlinks();
  t_fifo();
  t_xattr();
  t_attrs();
  t_readdir();
  t_forget(fs);
  t_mmap();
  t_sparse();
  t_synthetic();
  t_link_dir();
  t_interp();
  t_scripts();
  t_copy_file_range();
  t_flock();
  t_flock_blocking();
  t_statfs_access();

  /* Stop while a file is open: it answers ENOTCONN, nothing hangs.
     O_DIRECT, so that the read asks the server: pages already in the cache
     may still be read while the attributes are valid. */
  fd = open(M("f0"), O_RDONLY | O_DIRECT | O_CLOEXEC);
  cntrfs_stop(fs);
  have_mount = 0;
  checks++;
  errno = 0;
  if (fd < 0 || pread(fd, buf, 1, 0) >= 0 || errno != ENOTCONN)
    {
      fprintf(stderr, "FAIL: read after stop: %s\n", strerror(errno));
      failures++;
    }
  if (fd >= 0)
    close(fd);
  cntrfs_stop(fs); /* twice is fine */
  checks++;
  if (cntrfs_wait(fs, 0) != 1)
    {
      fprintf(stderr, "FAIL: cntrfs_wait after stop\n");
      failures++;
    }
  free_fs(fs);
  checks += 2;
  if (is_mounted(mnt))
    {
      fprintf(stderr, "FAIL: %s still mounted after stop\n", mnt);
      failures++;
    }
  if (count_fds() != fds_before)
    {
      fprintf(stderr, "FAIL: %d fds before, %d after\n", fds_before, count_fds());
      failures++;
    }
  return 0;
}

/* ---- ro scenario ------------------------------------------------------ */

static void
t_read_only(void)
{
  struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };
  struct stat st;
  int fd;

  CHECK(file_is(M("f0"), "zero"));
  CHECK_ERR(open(M("f0"), O_WRONLY | O_CLOEXEC), EROFS);
  CHECK_ERR(open(M("f0"), O_RDWR | O_CLOEXEC), EROFS);
  CHECK_ERR(open(M("f0"), O_RDONLY | O_TRUNC | O_CLOEXEC), EROFS);
  CHECK_ERR(open(M("new"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644), EROFS);
  CHECK_ERR(mkdir(M("newdir"), 0755), EROFS);
  CHECK_ERR(mkfifo(M("newfifo"), 0644), EROFS);
  CHECK_ERR(symlink("x", M("newlink")), EROFS);
  CHECK_ERR(link(M("f0"), M("newhard")), EROFS);
  CHECK_ERR(unlink(M("f0")), EROFS);
  CHECK_ERR(rmdir(M("big")), EROFS);
  CHECK_ERR(rename(M("f0"), M("f1")), EROFS);
  CHECK_ERR(chmod(M("f0"), 0600), EROFS);
  CHECK_ERR(chown(M("f0"), 1, 1), EROFS);
  CHECK_ERR(truncate(M("f0"), 0), EROFS);
  CHECK_ERR(utimensat(AT_FDCWD, M("f0"), ts, 0), EROFS);
  CHECK_ERR(setxattr(M("f0"), "user.x", "1", 1, 0), EROFS);
  CHECK_ERR(removexattr(M("f0"), "user.x"), EROFS);
  CHECK(file_is(S("f0"), "zero"));
  CHECK(stat(S("newdir"), &st) < 0 && errno == ENOENT);
  /* negative lookups are cached, and still right */
  CHECK_ERR(stat(M("nothere"), &st), ENOENT);
  CHECK_ERR(stat(M("nothere"), &st), ENOENT);
  /* reading works, symlinks relocate, the synthetic file is there */
  fd = open(M("f0"), O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  close(fd);
  CHECK(file_is(M(SYNTH_NAME), SYNTH_DATA));
  CHECK_ERR(unlink(M(LINK_DIR "/ps")), EROFS);
  CHECK(readlink(M(LINK_DIR "/ps"), (char[16]){ 0 }, 16) == (ssize_t)strlen(LINK_TARGET));
}

/* With a prefix that does not exist, every rewritten script fails to run
   - one that runs without the rewrite (/bin/echo) included. */
static void
t_scripts_missing_prefix(void)
{
  char out[256];

  CHECK(run_script("sc-host", out, sizeof out) == 42);
  CHECK(run_script("sc-cat", out, sizeof out) == 42);
  CHECK(same_as_source("sc-host"));
  CHECK(file_is(M("sc-host"), SC_HOST));
}

static int
scenario_ro(void)
{
  struct cntrfs *fs;
  int fds_before;

  setup_dirs("r");
  make_fixtures();
  strcpy(script_prefix, "/nonexistent-prefix");
  fds_before = count_fds();
  fs = new_fs(true);
  mount_fs(fs);
  t_read_only();
  t_interp();
  t_source_atime_kept();
  t_scripts_missing_prefix();
  free_fs(fs);
  have_mount = 0;
  checks += 2;
  if (is_mounted(mnt))
    {
      fprintf(stderr, "FAIL: %s still mounted after free\n", mnt);
      failures++;
    }
  if (count_fds() != fds_before)
    {
      fprintf(stderr, "FAIL: %d fds before, %d after\n", fds_before, count_fds());
      failures++;
    }
  return 0;
}

/* ---- start scenario --------------------------------------------------- */

static void
t_start(void)
{
  struct cntrfs *fs;
  char opts[256];
  struct stat st;
  int fds_before, fuse_fd;

  fds_before = count_fds();
  fs = new_fs(false);
  fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  CHECK(fuse_fd >= 0);
  CHECK(cntrfs_kernel_options(fs, fuse_fd, opts, sizeof opts) > 0);
  CHECK(strstr(opts, "rootmode=40755") != NULL && strstr(opts, "default_permissions") != NULL);
  CHECK(mount("cntr", mnt, "fuse.cntr", MS_NOSUID | MS_NODEV, opts) == 0);
  have_mount = 1;
  CHECK(cntrfs_start(fs, fuse_fd) == 0);
  CHECK(cntrfs_start(fs, open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 && errno == EBUSY);
  CHECK(file_is(M("f0"), "zero"));
  CHECK(stat(M(SYNTH_NAME), &st) == 0);
  CHECK(cntrfs_wait(fs, 50) == 0);
  /* Unmounting ends the connection; the server notices. */
  CHECK(umount2(mnt, 0) == 0);
  have_mount = 0;
  CHECK(cntrfs_wait(fs, 10000) == 1);
  free_fs(fs);
  CHECK(count_fds() == fds_before);
  CHECK(!is_mounted(mnt));

  /* Stop with the mount still in place: it stays, dead (ENOTCONN). */
  fs = new_fs(false);
  fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  CHECK(fuse_fd >= 0);
  CHECK(cntrfs_kernel_options(fs, fuse_fd, opts, sizeof opts) > 0);
  CHECK(mount("cntr", mnt, "fuse.cntr", MS_NOSUID | MS_NODEV, opts) == 0);
  have_mount = 1;
  CHECK(cntrfs_start(fs, fuse_fd) == 0);
  CHECK(file_is(M("f0"), "zero"));
  free_fs(fs);
  CHECK_ERR(stat(M("f0"), &st), ENOTCONN);
  CHECK(umount2(mnt, MNT_DETACH) == 0);
  have_mount = 0;
  CHECK(count_fds() == fds_before);
}

static int
scenario_start(void)
{
  setup_dirs("f");
  make_fixtures();
  t_start();
  return 0;
}

/* ---- ns scenario ------------------------------------------------------ */

/* In a child in a new mount namespace (a copy of ours, the mount
   included): every way in answers EACCES.  The parent has just looked up
   the root, f0 and big, so that the kernel sends OPEN / OPENDIR for those
   without asking anything else; the other names were never looked up, so
   that the kernel has no cached entry to answer from.  Exit status: the
   number of the first step that did not fail as it should. */
static int
foreign_child(void)
{
  struct stat st;
  struct statvfs sv;
  char buf[64];

  if (unshare(CLONE_NEWNS) < 0)
    return 100;
  errno = 0;
  if (stat(M("ns-a"), &st) == 0 || errno != EACCES)
    return 1;
  errno = 0;
  if (open(M("f0"), O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
    return 2;
  errno = 0;
  if (opendir(M("big")) != NULL || errno != EACCES)
    return 3;
  errno = 0;
  if (opendir(mnt) != NULL || errno != EACCES)
    return 10;
  errno = 0;
  if (statvfs(mnt, &sv) == 0 || errno != EACCES)
    return 4;
  errno = 0;
  if (readlink(M("ns-link"), buf, sizeof buf) >= 0 || errno != EACCES)
    return 5;
  errno = 0;
  if (mkdir(M("ns-dir"), 0755) == 0 || errno != EACCES)
    return 6;
  errno = 0;
  if (open(M("ns-new"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644) >= 0 || errno != EACCES)
    return 7;
  errno = 0;
  if (stat(M(SYNTH_NAME "x"), &st) == 0 || errno != EACCES)
    return 8;
  errno = 0;
  if (lgetxattr(mnt, "user.x", buf, sizeof buf) >= 0 || errno != EACCES)
    return 9;
  return 0;
}

/* A refused process walking through a directory of the layer that the
   session mounted something on, once the kernel's entry for it has timed
   out: the kernel asks to revalidate it, and must not be told anything
   that makes it drop the dentry - that would detach the mount, in every
   namespace. */
static void
t_restrict_mountpoint(void)
{
  struct stat before, after, root;
  int status;
  pid_t pid;

  CHECK(mkdir(M("ns-mp"), 0755) == 0);
  CHECK(mount("tmpfs", M("ns-mp"), "tmpfs", 0, "size=64k") == 0);
  CHECK(stat(M("ns-mp"), &before) == 0 && stat(mnt, &root) == 0 && before.st_dev != root.st_dev);
  usleep(1500 * 1000);          /* past CNTRFS_TIMEOUT */
  CHECK(stat(mnt, &root) == 0); /* the root's attributes are fresh again */
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      struct stat st;
      child_init(-1);
      if (unshare(CLONE_NEWNS) < 0)
        _exit(100);
      errno = 0;
      _exit(stat(M("ns-mp/x"), &st) < 0 && (errno == ENOMEM || errno == EACCES) ? 0 : 1);
    }
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(stat(M("ns-mp"), &after) == 0);
  umount2(M("ns-mp"), MNT_DETACH);
  CHECK(after.st_dev == before.st_dev);
}

/* A file opened here stays readable through its fd in another mount
   namespace, past the attribute timeout (reads then ask the server for
   the size, with the handle).  fstat(2) does not pass the handle: it is
   refused there once the attributes time out (again: the read refreshed
   them, and a read from the page cache leaves them valid). */
static void
t_restrict_handles(void)
{
  int fd, status;
  pid_t pid;

  fd = open(M("f0"), O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      struct stat st;
      char buf[8];
      child_init(fd);
      if (unshare(CLONE_NEWNS) < 0)
        _exit(100);
      usleep(1500 * 1000); /* past CNTRFS_TIMEOUT */
      if (pread(fd, buf, sizeof buf, 0) != 4 || memcmp(buf, "zero", 4) != 0)
        _exit(1);
      usleep(1500 * 1000);
      errno = 0;
      if (fstat(fd, &st) == 0 || errno != EACCES)
        _exit(2);
      _exit(0);
    }
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
  close(fd);
  if (WEXITSTATUS(status) != 0)
    fprintf(stderr, "handle child failed at step %d\n", WEXITSTATUS(status));
  CHECK(WEXITSTATUS(status) == 0);
}

static void
t_restrict(void)
{
  struct cntrfs *fs;
  struct stat ns, st;
  char opts[256];
  int fuse_fd, status, n = 0;
  struct dirent *de;
  pid_t pid;
  DIR *d;

  CHECK(write_file(S("ns-a"), "a", 1, 0644) == 0 && symlink("t", S("ns-link")) == 0);
  CHECK(stat("/proc/self/ns/mnt", &ns) == 0);
  /* As cntr attach does: mount(2) with the fd, then restrict, start. */
  unwatched = true;
  fs = new_fs(false);
  unwatched = false;
  fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  CHECK(fuse_fd >= 0);
  CHECK(cntrfs_kernel_options(fs, fuse_fd, opts, sizeof opts) > 0);
  CHECK(mount("cntr", mnt, "fuse.cntr", MS_NOSUID | MS_NODEV, opts) == 0);
  have_mount = 1;
  CHECK(cntrfs_restrict_to_mount_ns(fs, ns.st_dev, ns.st_ino) == 0);
  CHECK(cntrfs_start(fs, fuse_fd) == 0);
  CHECK(cntrfs_restrict_to_mount_ns(fs, ns.st_dev, ns.st_ino) < 0 && errno == EBUSY);

  CHECK(stat(mnt, &st) == 0 && stat(M("f0"), &st) == 0 && stat(M("big"), &st) == 0);
  /* Unwatched: through the server, a change that keeps size and mtime
     could stay unseen for the cache's lifetime; passed through, never. */
  t_passthrough_reads_source();
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      child_init(-1);
      _exit(foreign_child());
    }
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
  if (WEXITSTATUS(status) != 0)
    fprintf(stderr, "foreign child: step %d was not refused\n", WEXITSTATUS(status));
  CHECK(WEXITSTATUS(status) == 0);

  /* This namespace is served, after the refusals too, by any process. */
  CHECK(file_is(M("f0"), "zero"));
  CHECK(stat(M("ns-a"), &st) == 0 && st.st_size == 1);
  d = opendir(M("big"));
  CHECK(d != NULL);
  while ((de = readdir(d)) != NULL)
    n++;
  closedir(d);
  CHECK(n == NBIG + 2);
  CHECK(mkdir(M("ns-dir"), 0755) == 0);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0)
    {
      child_init(-1);
      _exit(file_is(M("ns-link2"), "") || errno == ENOENT ? (file_is(M("ns-a"), "a") ? 0 : 2) : 1);
    }
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

  t_restrict_mountpoint();
  t_restrict_handles();

  CHECK(umount2(mnt, 0) == 0);
  have_mount = 0;
  CHECK(cntrfs_wait(fs, 10000) == 1);
  free_fs(fs);
}

static int
scenario_ns(void)
{
  setup_dirs("n");
  make_fixtures();
  t_restrict();
  return 0;
}

/* ---- kill scenario ---------------------------------------------------- */

static void
t_kill(void)
{
  int ready[2], status;
  pid_t server, reader;
  char c;
  struct timespec t0, t1;

  CHECK(pipe2(ready, O_CLOEXEC) == 0);
  server = fork();
  CHECK(server >= 0);
  if (server == 0)
    {
      child_init(ready[1]);
      struct cntrfs *fs = new_fs(false);
      if (cntrfs_mount(fs, mnt, NULL) < 0)
        _exit(1);
      if (write(ready[1], "s", 1) != 1)
        _exit(1);
      for (;;)
        pause();
    }
  have_mount = 1;
  CHECK(read(ready[0], &c, 1) == 1 && c == 's');

  reader = fork();
  CHECK(reader >= 0);
  if (reader == 0)
    {
      char buf[1];
      child_init(ready[1]);
      /* O_DIRECT: every read goes to the server */
      int fd = open(M("f0"), O_RDONLY | O_DIRECT | O_CLOEXEC);
      if (fd < 0 || write(ready[1], "r", 1) != 1)
        _exit(1);
      while (pread(fd, buf, 1, 0) == 1)
        ;
      /* The request in flight may end with ECONNABORTED; the next one
         finds the connection gone. */
      errno = 0;
      if (pread(fd, buf, 1, 0) >= 0)
        _exit(3);
      _exit(errno == ENOTCONN ? 0 : 2);
    }
  CHECK(read(ready[0], &c, 1) == 1 && c == 'r');
  usleep(100 * 1000);
  CHECK(kill(server, SIGKILL) == 0);
  CHECK(waitpid(server, &status, 0) == server && WIFSIGNALED(status));

  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      pid_t r = waitpid(reader, &status, WNOHANG);
      CHECK(r >= 0);
      if (r == reader)
        break;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      if (t1.tv_sec - t0.tv_sec > 10)
        {
          kill(reader, SIGKILL);
          waitpid(reader, &status, 0);
          fprintf(stderr, "reader hung after the server was killed\n");
          CHECK(false);
        }
      usleep(10 * 1000);
    }
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(is_mounted(mnt));
  CHECK(umount2(mnt, MNT_DETACH) == 0);
  have_mount = 0;
  CHECK(!is_mounted(mnt));
  close(ready[0]);
  close(ready[1]);
}

static int
scenario_kill(void)
{
  setup_dirs("k");
  make_fixtures();
  t_kill();
  return 0;
}

/* ---- cycles scenario -------------------------------------------------- */

/* Bytes the allocator has handed out and not got back.  Under ASan, its
   own count: mallinfo2 does not see ASan's heap, and RSS grows with its
   quarantine. */
static size_t
heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

static int
count_threads(void)
{
  DIR *d = opendir("/proc/self/task");
  struct dirent *de;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((de = readdir(d)) != NULL)
    n += de->d_name[0] != '.';
  closedir(d);
  return n;
}

/* One session: mount, use (lookups, a read, a listing, a write), unmount
   as a user would, wait for the server to notice, free. */
static bool
one_cycle(bool read_only)
{
  struct cntrfs *fs = new_fs(read_only);
  struct stat st;
  bool ok;
  DIR *d;

  mount_fs(fs);
  ok = file_is(M("f0"), "zero") && stat(M(SYNTH_NAME), &st) == 0;
  d = opendir(mnt);
  ok = ok && d != NULL && readdir(d) != NULL;
  if (d != NULL)
    closedir(d);
  if (!read_only)
    ok = ok && write_file(M("cycle"), "x", 1, 0644) == 0 && unlink(M("cycle")) == 0;
  ok = umount2(mnt, 0) == 0 && ok;
  have_mount = 0;
  ok = cntrfs_wait(fs, 10000) == 1 && ok;
  free_fs(fs);
  return ok;
}

static void
t_cycles(void)
{
  enum
  {
    WARMUP = 20,
    CYCLES = 1000
  };
  size_t heap_before, heap_after;
  int fds_before, threads_before, bad = 0;

  /* Let libc and the sanitizer runtime make their one-time allocations. */
  for (int i = 0; i < WARMUP; i++)
    one_cycle(i % 2);
  fds_before = count_fds();
  threads_before = count_threads();
  heap_before = heap_in_use();
  for (int i = 0; i < CYCLES; i++)
    bad += !one_cycle(i % 2);
  heap_after = heap_in_use();
  printf("cycles: %d, failed %d; fds %d -> %d; threads %d -> %d; heap in use %zu -> %zu bytes\n",
         CYCLES, bad, fds_before, count_fds(), threads_before, count_threads(), heap_before,
         heap_after);
  CHECK(bad == 0);
  CHECK(count_fds() == fds_before);
  CHECK(count_threads() == threads_before);
  /* A leak of even one small allocation per cycle would be 16 KiB or more;
     allow libc a little bookkeeping that does not scale with cycles. */
  CHECK(heap_after <= heap_before + 8192);
  CHECK(!is_mounted(mnt));
}

static int
scenario_cycles(void)
{
  setup_dirs("c");
  make_fixtures();
  t_cycles();
  return 0;
}

/* ---- scratch scenario ------------------------------------------------- */

/* The lower tree as text, one line a file: path, mode, owner, size, link
   count, inode number, the three times, a hash of its data or its
   target, its xattrs. */
struct snapshot
{
  char *buf;
  size_t len, cap;
};

static struct snapshot *snap_into;

static void __attribute__((format(printf, 1, 2))) snap_add(const char *fmt, ...)
{
  char line[PATH_MAX + 512];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if (snap_into->len + (size_t)n + 1 > snap_into->cap)
    {
      size_t cap = (snap_into->cap + (size_t)n + 1) * 2;
      char *b = realloc(snap_into->buf, cap);
      if (b == NULL)
        return;
      snap_into->buf = b;
      snap_into->cap = cap;
    }
  memcpy(snap_into->buf + snap_into->len, line, (size_t)n + 1);
  snap_into->len += (size_t)n;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

static int
snap_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  char buf[4096], names[1024];
  uint64_t h = 1469598103934665603ULL, xh = h;
  ssize_t n, xn;

  (void)flag;
  (void)ftw;
  if (S_ISREG(st->st_mode))
    {
      /* O_NOATIME: reading must not itself change what is compared. */
      int fd = open(path, O_RDONLY | O_NOATIME | O_CLOEXEC);
      while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
        h = fnv(h, buf, (size_t)n);
      if (fd >= 0)
        close(fd);
    }
  else if (S_ISLNK(st->st_mode) && (n = readlink(path, buf, sizeof buf)) > 0)
    h = fnv(h, buf, (size_t)n);
  xn = llistxattr(path, names, sizeof names);
  for (ssize_t i = 0; i < xn; i += (ssize_t)strlen(names + i) + 1)
    {
      n = lgetxattr(path, names + i, buf, sizeof buf);
      xh = fnv(fnv(xh, names + i, strlen(names + i)), buf, n > 0 ? (size_t)n : 0);
    }
  snap_add("%s %o %u:%u %lld %lu %lu %lld.%09ld %lld.%09ld %lld.%09ld %016llx %016llx\n",
           path + strlen(src), (unsigned)st->st_mode, (unsigned)st->st_uid, (unsigned)st->st_gid,
           (long long)st->st_size, (unsigned long)st->st_nlink, (unsigned long)st->st_ino,
           (long long)st->st_atim.tv_sec, st->st_atim.tv_nsec, (long long)st->st_mtim.tv_sec,
           st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec,
           (unsigned long long)h, (unsigned long long)xh);
  return 0;
}

static void
snapshot_take(struct snapshot *s)
{
  memset(s, 0, sizeof *s);
  snap_into = s;
  nftw(src, snap_entry, 32, FTW_PHYS | FTW_MOUNT);
}

/* The first line where two snapshots differ, to stderr. */
static void
snapshot_diff(const struct snapshot *a, const struct snapshot *b)
{
  const char *p = a->buf, *q = b->buf;

  while (p != NULL && q != NULL && *p && *q)
    {
      size_t lp = strcspn(p, "\n"), lq = strcspn(q, "\n");
      if (lp != lq || memcmp(p, q, lp) != 0)
        {
          fprintf(stderr, "lower tree changed:\n  before: %.*s\n  after:  %.*s\n", (int)lp, p,
                  (int)lq, q);
          return;
        }
      p += lp + (p[lp] ? 1 : 0);
      q += lq + (q[lq] ? 1 : 0);
    }
  fprintf(stderr, "lower tree changed: one listing is longer\n");
}

#define LBIGM 300

/* The lower tree the union is made of (besides the fixtures). */
static void
make_lower(void)
{
  char name[64];
  struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

  if (write_file(S("lf"), "lower\n", 6, 0644) < 0 || mkdir(S("ld"), 0755) < 0
      || write_file(S("ld/a"), "A", 1, 0644) < 0 || write_file(S("ld/b"), "B", 1, 0644) < 0
      || mkdir(S("ld/sub"), 0755) < 0 || write_file(S("ld/sub/c"), "C", 1, 0644) < 0
      || mkdir(S("lrm"), 0755) < 0 || write_file(S("lrm/x"), "X", 1, 0644) < 0
      || mkdir(S("lrm/y"), 0755) < 0 || write_file(S("lrm/y/z"), "Z", 1, 0644) < 0
      || symlink("lf", S("lsym")) < 0 || write_file(S("lh1"), "hard", 4, 0644) < 0
      || link(S("lh1"), S("lh2")) < 0 || write_file(S("lren"), "R", 1, 0644) < 0
      || write_file(S("lren2"), "R2", 2, 0644) < 0 || write_file(S("lxa"), "XA", 2, 0644) < 0
      || write_file(S("lxb"), "XB", 2, 0644) < 0 || mkdir(S("lmv"), 0755) < 0
      || write_file(S("lmv/in"), "in", 2, 0644) < 0
      || write_file(S("ltrunc"), "0123456789", 10, 0644) < 0
      || write_file(S("lnode"), "old", 3, 0644) < 0 || write_file(S("lxattr"), "x", 1, 0644) < 0
      || mkdir(S("lbigm"), 0755) < 0 || mkdir(S("lrew"), 0755) < 0
      || write_file(S("lrew/1"), "1", 1, 0644) < 0 || write_file(S("lrew/2"), "2", 1, 0644) < 0
      || write_file(S("lcc"), "base\n", 5, 0644) < 0
      || write_file(S("lsecret"), "s3cret", 6, 0600) < 0)
    {
      perror("lower fixtures");
      exit(1);
    }
  for (int i = 0; i < LBIGM; i++)
    {
      snprintf(name, sizeof name, "lbigm/n%03d", i);
      if (write_file(S(name), "", 0, 0644) < 0)
        exit(1);
    }
  (void)setxattr(S("lxattr"), "user.keep", "k", 1, 0);
  /* Times in the past: a read through the mount that touched the lower
     file's atime would show (relatime updates an atime older than the
     mtime). */
  utimensat(AT_FDCWD, S("lf"), old, 0);
}

static ino_t
ino_of(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0 ? st.st_ino : 0;
}

/* Writes, appends, truncations and creations change the view only. */
static void
t_u_write(void)
{
  ino_t ino = ino_of(M("lf"));
  int fd;

  CHECK(ino != 0 && ino == ino_of(S("lf")));
  CHECK(file_is(M("lf"), "lower\n"));
  fd = open(M("lf"), O_WRONLY | O_APPEND | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(write(fd, "more\n", 5) == 5);
  CHECK(close(fd) == 0);
  CHECK(file_is(M("lf"), "lower\nmore\n"));
  CHECK(file_is(S("lf"), "lower\n"));
  /* the same inode number before and after the copy-up */
  CHECK(ino_of(M("lf")) == ino);
  CHECK(write_file(M("lnew"), "new\n", 4, 0640) == 0);
  CHECK(file_is(M("lnew"), "new\n"));
  CHECK_ERR(access(S("lnew"), F_OK), ENOENT);
  fd = open(M("ld/a"), O_WRONLY | O_TRUNC | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(write(fd, "AA", 2) == 2);
  CHECK(close(fd) == 0);
  CHECK(file_is(M("ld/a"), "AA"));
  CHECK(truncate(M("ltrunc"), 4) == 0);
  CHECK(file_is(M("ltrunc"), "0123"));
  fd = open(M("ltrunc"), O_RDWR | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(ftruncate(fd, 2) == 0);
  CHECK(close(fd) == 0);
  CHECK(file_is(M("ltrunc"), "01"));
}

/* chmod, chown, utimes of lower files, a directory and a symlink. */
static void
t_u_attrs(void)
{
  struct timespec ts[2] = { { 1234, 5 }, { 5678, 9 } };
  ino_t ino = ino_of(M("ld/b"));
  char buf[PATH_MAX];
  struct stat st;
  ssize_t n;

  CHECK(chmod(M("ld/b"), 0600) == 0);
  CHECK(chown(M("ld/b"), 1234, 5678) == 0);
  CHECK(utimensat(AT_FDCWD, M("ld/b"), ts, 0) == 0);
  CHECK(stat(M("ld/b"), &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == 1234
        && st.st_gid == 5678 && st.st_mtim.tv_sec == 5678 && st.st_mtim.tv_nsec == 9
        && st.st_ino == ino);
  CHECK(file_is(M("ld/b"), "B"));
  /* a lower directory: copied up, still listing the lower entries */
  CHECK(chmod(M("ld"), 0750) == 0);
  CHECK(stat(M("ld"), &st) == 0 && (st.st_mode & 07777) == 0750 && st.st_ino == ino_of(S("ld")));
  CHECK(has_entry(M("ld"), "b") && has_entry(M("ld"), "sub") && file_is(M("ld/sub/c"), "C"));
  CHECK(lchown(M("lsym"), 77, 88) == 0);
  CHECK(lstat(M("lsym"), &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid == 77);
  n = readlink(M("lsym"), buf, sizeof buf);
  CHECK(n == 2 && memcmp(buf, "lf", 2) == 0);
}

static void
t_u_xattr(void)
{
  char buf[1024];
  ssize_t n;

  if (getxattr(S("lxattr"), "user.keep", buf, sizeof buf) != 1)
    {
      printf("note: source has no user xattrs, xattr checks skipped\n");
      return;
    }
  CHECK(setxattr(M("lnode"), "user.u", "v", 1, 0) == 0);
  CHECK(getxattr(M("lnode"), "user.u", buf, sizeof buf) == 1 && buf[0] == 'v');
  CHECK_ERR(getxattr(S("lnode"), "user.u", buf, sizeof buf), ENODATA);
  /* the union's own markers are not the session's */
  n = listxattr(M("lnode"), buf, sizeof buf);
  CHECK(n > 0 && memmem(buf, (size_t)n, "trusted.cntr", 12) == NULL);
  CHECK(listxattr(M("lnode"), NULL, 0) == n);
  CHECK_ERR(getxattr(M("lnode"), "trusted.cntr.origin", buf, sizeof buf), ENODATA);
  CHECK_ERR(setxattr(M("lnode"), "trusted.cntr.opaque", "y", 1, 0), EPERM);
  CHECK(removexattr(M("lnode"), "user.u") == 0);
  /* a copy-up keeps the lower file's xattrs */
  CHECK(chmod(M("lxattr"), 0600) == 0);
  CHECK(getxattr(M("lxattr"), "user.keep", buf, sizeof buf) == 1 && buf[0] == 'k');
}

/* Removed lower names are whiteouts: gone from lookups and listings. */
static void
t_u_unlink(void)
{
  struct stat st;

  CHECK(unlink(M("ld/a")) == 0);
  CHECK_ERR(stat(M("ld/a"), &st), ENOENT);
  CHECK(!has_entry(M("ld"), "a"));
  CHECK(write_file(M("ld/a"), "again", 5, 0644) == 0);
  CHECK(file_is(M("ld/a"), "again"));
  CHECK(unlink(M("lsym")) == 0);
  CHECK_ERR(lstat(M("lsym"), &st), ENOENT);
  /* the whiteout format is the union's */
  CHECK_ERR(mknod(M("wh"), S_IFCHR | 0600, makedev(0, 0)), EPERM);
  CHECK(mknod(M("null"), S_IFCHR | 0600, makedev(1, 3)) == 0);
}

static int
count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  int n = 0;

  if (d == NULL)
    return -1;
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n - 2;
}

/* rmdir sees merged contents; a directory made again is empty. */
static void
t_u_rmdir(void)
{
  struct stat st;

  CHECK_ERR(rmdir(M("lrm")), ENOTEMPTY);
  CHECK_ERR(rmdir(M("lrm/y")), ENOTEMPTY);
  CHECK(unlink(M("lrm/y/z")) == 0);
  CHECK(rmdir(M("lrm/y")) == 0);
  CHECK_ERR(rmdir(M("lrm")), ENOTEMPTY);
  CHECK(unlink(M("lrm/x")) == 0);
  CHECK(rmdir(M("lrm")) == 0);
  CHECK_ERR(stat(M("lrm"), &st), ENOENT);
  CHECK(mkdir(M("lrm"), 0700) == 0);
  CHECK(count_entries(M("lrm")) == 0);
  CHECK_ERR(stat(M("lrm/x"), &st), ENOENT);
  CHECK(stat(M("lrm"), &st) == 0 && (st.st_mode & 07777) == 0700);
  CHECK(unlink(M("ld/sub/c")) == 0);
  CHECK(rmdir(M("ld/sub")) == 0);
}

static void
t_u_rename(void)
{
  struct stat st;

  CHECK(rename(M("lren"), M("lren-moved")) == 0);
  CHECK_ERR(stat(M("lren"), &st), ENOENT);
  CHECK(file_is(M("lren-moved"), "R"));
  /* a lower directory does not move: mv copies it instead */
  CHECK_ERR(rename(M("lmv"), M("lmv2")), EXDEV);
  CHECK(mkdir(M("udir"), 0755) == 0 && write_file(M("udir/f"), "uf", 2, 0644) == 0);
  CHECK(rename(M("udir"), M("udir2")) == 0);
  CHECK(file_is(M("udir2/f"), "uf"));
  CHECK_ERR(renameat2(AT_FDCWD, M("lren2"), AT_FDCWD, M("lf"), RENAME_NOREPLACE), EEXIST);
  CHECK(renameat2(AT_FDCWD, M("lxa"), AT_FDCWD, M("lxb"), RENAME_EXCHANGE) == 0);
  CHECK(file_is(M("lxa"), "XB") && file_is(M("lxb"), "XA"));
  CHECK(rename(M("lren2"), M("ltrunc")) == 0);
  CHECK(file_is(M("ltrunc"), "R2"));
  CHECK_ERR(stat(M("lren2"), &st), ENOENT);
  /* a directory moved where a lower one was removed hides its entries */
  CHECK(mkdir(M("udir3"), 0755) == 0 && write_file(M("udir3/in"), "i", 1, 0644) == 0);
  CHECK(rename(M("udir3"), M("ld/sub")) == 0);
  CHECK(count_entries(M("ld/sub")) == 1 && file_is(M("ld/sub/in"), "i"));
  CHECK_ERR(stat(M("ld/sub/c"), &st), ENOENT);
}

struct linux_dirent64_head
{
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
};

/* A merged listing read in many small getdents64 calls: every entry once,
   no whiteout; and telldir positions that seekdir finds again. */
static void
t_u_readdir(void)
{
  static char seen[LBIGM + 100];
  char buf[256], name[64], mark[NAME_MAX + 1] = "";
  int fd, total = 0, calls = 0;
  long pos = -1;
  struct dirent *de;
  DIR *d;

  for (int i = 0; i < 50; i++)
    {
      snprintf(name, sizeof name, "lbigm/u%03d", i);
      CHECK(write_file(M(name), "u", 1, 0644) == 0);
    }
  for (int i = 0; i < LBIGM; i += 3)
    {
      snprintf(name, sizeof name, "lbigm/n%03d", i);
      CHECK(unlink(M(name)) == 0);
    }
  CHECK(write_file(M("lbigm/n001"), "copied", 6, 0644) == 0);
  memset(seen, 0, sizeof seen);
  fd = open(M("lbigm"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(fd >= 0);
  for (;;)
    {
      long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n <= 0)
        break;
      calls++;
      for (long off = 0; off < n;)
        {
          struct linux_dirent64_head h;
          const char *nm;
          int i;

          memcpy(&h, buf + off, sizeof h);
          nm = buf + off + offsetof(struct dirent, d_name);
          off += h.d_reclen;
          if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
            continue;
          if (sscanf(nm, "n%d", &i) == 1 && i >= 0 && i < LBIGM && i % 3 != 0 && !seen[i])
            seen[i] = 1;
          else if (sscanf(nm, "u%d", &i) == 1 && i >= 0 && i < 50 && !seen[LBIGM + i])
            seen[LBIGM + i] = 1;
          else
            {
              fprintf(stderr, "unexpected or repeated entry %s\n", nm);
              close(fd);
              CHECK(false);
            }
          total++;
        }
    }
  close(fd);
  CHECK(calls > 10);
  CHECK(total == LBIGM - LBIGM / 3 + 50);
  CHECK(file_is(M("lbigm/n001"), "copied") && file_is(S("lbigm/n001"), ""));
  d = opendir(M("lbigm"));
  CHECK(d != NULL);
  for (int i = 0; (de = readdir(d)) != NULL; i++)
    if (i == 120)
      {
        snprintf(mark, sizeof mark, "%s", de->d_name);
        pos = telldir(d);
        de = readdir(d);
        snprintf(mark, sizeof mark, "%s", de != NULL ? de->d_name : "");
      }
  CHECK(pos >= 0);
  seekdir(d, pos);
  de = readdir(d);
  CHECK(de != NULL && strcmp(de->d_name, mark) == 0);
  closedir(d);
}

/* A lower directory open while its names are removed: listed again from
   the start, it has none of them (rm -r and find -delete do this). */
static void
t_u_rewind(void)
{
  struct dirent *de;
  int n = 0;
  DIR *d = opendir(M("lrew"));

  CHECK(d != NULL);
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] != '.')
      n++;
  CHECK(n == 2);
  CHECK(unlink(M("lrew/1")) == 0 && unlink(M("lrew/2")) == 0);
  rewinddir(d);
  n = 0;
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] != '.')
      n++;
  closedir(d);
  CHECK(n == 0);
  CHECK(rmdir(M("lrew")) == 0);
}

/* Writers racing to copy up one lower file: it is copied once, and every
   write lands in the copy. */
static void
t_u_concurrent(void)
{
  enum
  {
    WRITERS = 6
  };
  pid_t pids[WRITERS];
  size_t len;
  char *data;
  int status, lines = 0;

  for (int i = 0; i < WRITERS; i++)
    {
      pids[i] = fork();
      CHECK(pids[i] >= 0);
      if (pids[i] == 0)
        {
          char line[8];
          int fd, n;

          child_init(-1);
          fd = open(M("lcc"), O_WRONLY | O_APPEND | O_CLOEXEC);
          n = snprintf(line, sizeof line, "w%d\n", i);
          _exit(fd >= 0 && write(fd, line, (size_t)n) == n && close(fd) == 0 ? 0 : 1);
        }
    }
  for (int i = 0; i < WRITERS; i++)
    CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  data = read_file(M("lcc"), &len);
  CHECK(data != NULL);
  for (size_t i = 0; i < len; i++)
    lines += data[i] == '\n';
  bool kept = strncmp(data, "base\n", 5) == 0;
  free(data);
  CHECK(kept && lines == WRITERS + 1);
}

/* A file opened for reading before another open writes it reads the new
   data (the nodeid follows the copy, and so does the open file); inode
   numbers stay, also once the kernel forgot the inode. */
static void
t_u_nodeid(void)
{
  ino_t ino = ino_of(M("lnode")), lf_ino = ino_of(S("lf"));
  char buf[8] = { 0 };
  struct stat st;
  int r, w;

  r = open(M("lnode"), O_RDONLY | O_CLOEXEC);
  CHECK(r >= 0);
  CHECK(pread(r, buf, sizeof buf, 0) == 3 && memcmp(buf, "old", 3) == 0);
  w = open(M("lnode"), O_WRONLY | O_TRUNC | O_CLOEXEC);
  CHECK(w >= 0);
  CHECK(write(w, "newer", 5) == 5);
  CHECK(close(w) == 0);
  CHECK(pread(r, buf, sizeof buf, 0) == 5 && memcmp(buf, "newer", 5) == 0);
  CHECK(drop_caches());
  CHECK(pread(r, buf, sizeof buf, 0) == 5 && memcmp(buf, "newer", 5) == 0);
  CHECK(fstat(r, &st) == 0 && st.st_ino == ino && st.st_size == 5);
  close(r);
  CHECK(file_is(S("lnode"), "old"));
  CHECK(drop_caches());
  CHECK(ino_of(M("lnode")) == ino && ino_of(M("lf")) == lf_ino);
}

/* A copy-up breaks a lower hard link; a link made in the view links the
   copy. */
static void
t_u_links(void)
{
  struct stat a, b;

  CHECK(stat(M("lh1"), &a) == 0 && a.st_nlink == 2);
  CHECK(write_file(M("lh1"), "hard+x", 6, 0644) == 0);
  CHECK(file_is(M("lh1"), "hard+x") && file_is(M("lh2"), "hard"));
  CHECK(link(M("lf"), M("lf-link")) == 0);
  CHECK(stat(M("lf"), &a) == 0 && stat(M("lf-link"), &b) == 0 && a.st_ino == b.st_ino
        && a.st_nlink == 2 && b.st_nlink == 2);
  CHECK(file_is(M("lf-link"), "lower\nmore\n"));
}

/* What the session writes runs as the tools do: a script's "#!" line and
   an ELF's interpreter are rewritten for it too. */
static void
t_u_exec(void)
{
  const char script[] = "#!/i/cat\nscripted\n";
  char out[256];
  size_t len;
  char *bin;

  CHECK(write_file(M("uscript"), script, strlen(script), 0755) == 0);
  CHECK(run_script("uscript", out, sizeof out) == 0 && strcmp(out, script) == 0);
  if (true_interp.len == 0)
    return;
  bin = read_file("/bin/true", &len);
  CHECK(bin != NULL);
  int res = write_file(M("utrue"), bin, len, 0755);
  free(bin);
  CHECK(res == 0);
  CHECK(run_script("utrue", out, sizeof out) == 0);
}

/* With the host policy: what the session may not read of the lower tree
   it cannot copy up to read it there (a copy-up reads the file); what it
   writes is its own, whatever its mode. */
static void
t_u_policy(void)
{
  char buf[16];
  int fd;

  CHECK_ERR(open(M("lsecret"), O_RDONLY | O_CLOEXEC), EACCES);
  CHECK_ERR(open(M("lsecret"), O_WRONLY | O_CLOEXEC), EACCES);
  CHECK_ERR(chmod(M("lsecret"), 0644), EACCES);
  CHECK_ERR(open(M("lsecret"), O_RDONLY | O_CLOEXEC), EACCES);
  /* replacing it whole reads nothing of it */
  fd = open(M("lsecret"), O_WRONLY | O_TRUNC | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(write(fd, "mine", 4) == 4);
  CHECK(close(fd) == 0);
  CHECK(file_is(M("lsecret"), "mine"));
  CHECK(write_file(M("umine"), "own", 3, 0600) == 0);
  CHECK(file_is(M("umine"), "own"));
  fd = open(S("lsecret"), O_RDONLY | O_NOATIME | O_CLOEXEC);
  CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 6 && memcmp(buf, "s3cret", 6) == 0);
  close(fd);
}

/* A read-only layer with a scratch: the scratch is not used. */
static void
t_u_read_only(void)
{
  char path[64];

  CHECK_ERR(open(M("lf"), O_WRONLY | O_CLOEXEC), EROFS);
  CHECK_ERR(mkdir(M("ro-dir"), 0755), EROFS);
  CHECK_ERR(unlink(M("lf")), EROFS);
  CHECK(file_is(M("lf"), "lower\n"));
  snprintf(path, sizeof path, "/proc/self/fd/%d", scratch_fd);
  CHECK(count_entries(path) == 0);
}

/* Host-side changes of lower files and directories still show. */
static void
t_u_host_changes(void)
{
  CHECK(write_file(S("ld/hostnew"), "h", 1, 0644) == 0);
  CHECK(SHOWS_SOON(has_entry(M("ld"), "hostnew")));
  CHECK(write_file(S("f0"), "host", 4, 0644) == 0);
  CHECK(SHOWS_SOON(file_is(M("f0"), "host")));
}

/* Another scratch layer for new_fs (scratch_fd), checked. */
static bool
fresh_scratch(void)
{
  scratch_fd = scratch_open(NULL);
  checks++;
  if (scratch_fd >= 0)
    return true;
  fprintf(stderr, "FAIL: another scratch tmpfs: %s\n", strerror(errno));
  failures++;
  return false;
}

static int
scenario_scratch(void)
{
  struct snapshot before, after;
  struct cntrfs *fs;
  int fds_before;

  setup_dirs("u");
  make_fixtures();
  make_lower();
  fds_before = count_fds();
  scratch_fd = scratch_open(NULL);
  if (scratch_fd < 0)
    skip("no detached tmpfs for a scratch layer: %s", strerror(errno));
  fs = new_fs(false);
  close(scratch_fd); /* the server keeps its own */
  scratch_fd = -1;
  mount_fs(fs);
  t_source_atime_kept();
  /* Twice: the first walk's reads set the directories' atimes (relatime),
     the second records them settled. */
  snapshot_take(&before);
  free(before.buf);
  snapshot_take(&before);

  t_u_write();
  t_u_attrs();
  t_u_xattr();
  t_u_unlink();
  t_u_rmdir();
  t_u_rename();
  t_u_readdir();
  t_u_rewind();
  t_u_concurrent();
  t_u_nodeid();
  t_u_links();
  t_u_exec();
  t_interp();
  t_scripts();

  snapshot_take(&after);
  checks++;
  if (before.buf == NULL || after.buf == NULL || strcmp(before.buf, after.buf) != 0)
    {
      snapshot_diff(&before, &after);
      failures++;
    }
  free(before.buf);
  free(after.buf);
  t_u_host_changes();
  free_fs(fs);
  have_mount = 0;

  /* Again with the host policy, on a fresh scratch. */
  if (!fresh_scratch())
    return 0;
  host_policy = true;
  fs = new_fs(false);
  close(scratch_fd);
  scratch_fd = -1;
  mount_fs(fs);
  t_u_policy();
  free_fs(fs);
  have_mount = 0;
  host_policy = false;

  /* read_only wins over a scratch layer: EROFS, and nothing in it. */
  if (!fresh_scratch())
    return 0;
  fs = new_fs(true);
  mount_fs(fs);
  t_u_read_only();
  free_fs(fs);
  have_mount = 0;
  close(scratch_fd);
  scratch_fd = -1;
  checks++;
  if (count_fds() != fds_before)
    {
      fprintf(stderr, "FAIL: %d fds before, %d after\n", fds_before, count_fds());
      failures++;
    }
  return 0;
}

int
main(int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*run)(void);
  } scenarios[] = {
    { "rw", scenario_rw },           { "ro", scenario_ro },     { "start", scenario_start },
    { "ns", scenario_ns },           { "kill", scenario_kill }, { "cycles", scenario_cycles },
    { "scratch", scenario_scratch },
  };
  int fd;

  if (argc != 2)
    {
      fprintf(stderr, "usage: %s rw|ro|start|ns|kill|cycles|scratch\n", argv[0]);
      return 2;
    }
  if (geteuid() != 0)
    skip("not root");
  fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    skip("/dev/fuse unavailable: %s", strerror(errno));
  close(fd);

  setvbuf(stdout, NULL, _IOLBF, 0);
  umask(022);
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
    if (strcmp(argv[1], scenarios[i].name) == 0)
      {
        scenarios[i].run();
        printf("%s: %d checks, %d failed\n", argv[1], checks, failures);
        return failures ? 1 : 0;
      }
  fprintf(stderr, "unknown scenario %s\n", argv[1]);
  return 2;
}
