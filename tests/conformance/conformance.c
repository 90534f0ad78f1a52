/* SPDX-License-Identifier: MIT */
/* conformance: runs one list of file system cases on a native directory and
   on a `cntr mount` of another (fresh, empty) directory of the same file
   system, and compares what happened.

     conformance [--scratch] CNTR_BINARY [FILTER]

   Each case runs in a fresh subdirectory of each side and writes a
   transcript: one line per step with the return value or errno name and the
   attributes that must match (type, mode, nlink, size, owner, selected
   times, contents as a hash).  Inode numbers, devices and unchanged times
   differ between two directories by nature and are not compared.  The two
   transcripts must be identical: "ok - NAME", or "FAIL - NAME: native X,
   cntr Y" with the first differing step.

   The list runs twice: as root, and in a child that dropped to uid/gid
   65534 with no supplementary groups, in directories root prepared
   (owners, modes, sticky and setgid bits) the same way on both sides.

   Why a second directory rather than the mounted one's own source: a case
   then sees only what the mount did, and the native run cannot warm or
   disturb the mount's caches.

   --scratch runs the list against `cntr mount --scratch` (a union whose
   changes go to a private tmpfs): the native side is then a tmpfs too, so
   that what differs is the union's doing, not the file system's; and the
   cases with a preparation have it made in the source (the lower layer),
   so that they change, remove and rename lower files - copy-ups,
   whiteouts - while the rest make theirs in the upper layer.  Cases a
   union cannot pass (struct case_def: scratch_skip says why) are skipped.

   Needs root and /dev/fuse (exit 77 otherwise).  Everything runs in a
   private mount namespace; cntr serves in the foreground as our child with
   PDEATHSIG, so a crash of this program leaves no mount and no server. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define SKIP_CODE 77
#define NOBODY 65534
#define BIGDIR_ENTRIES 100000

/* ---- transcripts ------------------------------------------------------ */

struct run
{
  char *buf;
  size_t len, cap;
  int dfd; /* the case's directory */
};

static void __attribute__((format(printf, 2, 3))) rec(struct run *r, const char *fmt, ...)
{
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof line - 2)
    n = sizeof line - 2;
  line[n++] = '\n';
  if (r->len + (size_t)n + 1 > r->cap)
    {
      size_t cap = (r->cap + (size_t)n + 1) * 2;
      char *b = realloc(r->buf, cap);
      if (b == NULL)
        return;
      r->buf = b;
      r->cap = cap;
    }
  memcpy(r->buf + r->len, line, (size_t)n);
  r->len += (size_t)n;
  r->buf[r->len] = '\0';
}

static const char *
errname(int e)
{
  const char *n = strerrorname_np(e);
  return n != NULL ? n : "E?";
}

/* A call that returns >= 0 on success: records "ok" or the errno name. */
static long
chk(struct run *r, const char *what, long ret)
{
  if (ret < 0)
    rec(r, "%s: %s", what, errname(errno));
  else
    rec(r, "%s: ok", what);
  return ret;
}

/* chk of an open, closing what it opened. */
static void
chk_open(struct run *r, const char *what, int fd)
{
  chk(r, what, fd);
  if (fd >= 0)
    close(fd);
}

/* The same, recording the value itself on success. */
static long
val(struct run *r, const char *what, long ret)
{
  if (ret < 0)
    rec(r, "%s: %s", what, errname(errno));
  else
    rec(r, "%s: %ld", what, ret);
  return ret;
}

static const char *
type_name(mode_t m)
{
  switch (m & S_IFMT)
    {
    case S_IFREG:
      return "reg";
    case S_IFDIR:
      return "dir";
    case S_IFLNK:
      return "lnk";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "sock";
    case S_IFCHR:
      return "chr";
    case S_IFBLK:
      return "blk";
    default:
      return "?";
    }
}

static void
rec_statbuf(struct run *r, const char *what, const struct stat *st)
{
  rec(r, "%s: %s mode=%04o nlink=%lu size=%lld uid=%u gid=%u rdev=%u:%u", what,
      type_name(st->st_mode), (unsigned)(st->st_mode & 07777), (unsigned long)st->st_nlink,
      (long long)st->st_size, (unsigned)st->st_uid, (unsigned)st->st_gid, major(st->st_rdev),
      minor(st->st_rdev));
}

/* lstat-like by default; flags 0 follows. */
static void
st_at(struct run *r, const char *what, const char *path, int flags)
{
  struct stat st;
  if (fstatat(r->dfd, path, &st, flags) < 0)
    rec(r, "%s: %s", what, errname(errno));
  else
    rec_statbuf(r, what, &st);
}

static void
st_fd(struct run *r, const char *what, int fd)
{
  struct stat st;
  if (fstat(fd, &st) < 0)
    rec(r, "%s: %s", what, errname(errno));
  else
    rec_statbuf(r, what, &st);
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ c[i]) * 1099511628211ULL;
  return h;
}

/* Contents of an open file from offset 0: length and hash. */
static void
rec_fd_data(struct run *r, const char *what, int fd)
{
  static char buf[1 << 16];
  uint64_t h = 1469598103934665603ULL;
  long long total = 0;
  for (;;)
    {
      ssize_t n = pread(fd, buf, sizeof buf, total);
      if (n < 0)
        {
          rec(r, "%s: read %s", what, errname(errno));
          return;
        }
      if (n == 0)
        break;
      h = fnv(h, buf, (size_t)n);
      total += n;
    }
  rec(r, "%s: %lld bytes hash %016llx", what, total, (unsigned long long)h);
}

static void
rec_data(struct run *r, const char *what, const char *path)
{
  int fd = openat(r->dfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      rec(r, "%s: open %s", what, errname(errno));
      return;
    }
  rec_fd_data(r, what, fd);
  close(fd);
}

static int
mkfile(struct run *r, const char *path, const char *data, mode_t mode)
{
  int fd = openat(r->dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -1;
  size_t len = strlen(data);
  ssize_t n = write(fd, data, len);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

/* ---- cases ------------------------------------------------------------ */

static void
c_open_flags(struct run *r)
{
  int fd = (int)chk(r, "create excl", openat(r->dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0640));
  if (fd >= 0)
    {
      val(r, "write", write(fd, "hello", 5));
      close(fd);
    }
  st_at(r, "stat f", "f", AT_SYMLINK_NOFOLLOW);
  chk(r, "create excl again", openat(r->dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0640));
  fd = (int)chk(r, "open append", openat(r->dfd, "f", O_WRONLY | O_APPEND));
  if (fd >= 0)
    {
      val(r, "lseek 0", lseek(fd, 0, SEEK_SET));
      val(r, "append write", write(fd, "world", 5));
      val(r, "offset after append", lseek(fd, 0, SEEK_CUR));
      close(fd);
    }
  rec_data(r, "after append", "f");
  fd = (int)chk(r, "open trunc", openat(r->dfd, "f", O_RDWR | O_TRUNC));
  if (fd >= 0)
    {
      st_fd(r, "fstat after trunc", fd);
      close(fd);
    }
  fd = (int)chk(r, "create no excl existing", openat(r->dfd, "f", O_RDWR | O_CREAT, 0600));
  if (fd >= 0)
    close(fd);
  st_at(r, "mode kept", "f", AT_SYMLINK_NOFOLLOW);
  chk(r, "open missing", openat(r->dfd, "missing", O_RDONLY));
  chk(r, "mkdir d", mkdirat(r->dfd, "d", 0755));
  chk(r, "create on dir", openat(r->dfd, "d", O_RDWR | O_CREAT, 0600));
  chk(r, "write-open dir", openat(r->dfd, "d", O_WRONLY));
  chk(r, "O_DIRECTORY on file", openat(r->dfd, "f", O_RDONLY | O_DIRECTORY));
  chk(r, "symlink l", symlinkat("f", r->dfd, "l"));
  chk(r, "O_NOFOLLOW on symlink", openat(r->dfd, "l", O_RDONLY | O_NOFOLLOW));
  chk(r, "O_CREAT|O_EXCL on symlink", openat(r->dfd, "l", O_RDWR | O_CREAT | O_EXCL, 0600));
  chk(r, "symlink dangling", symlinkat("nowhere", r->dfd, "dl"));
  fd = (int)chk(r, "O_CREAT through dangling symlink",
                openat(r->dfd, "dl", O_RDWR | O_CREAT, 0600));
  if (fd >= 0)
    close(fd);
  st_at(r, "created through dangling link", "nowhere", AT_SYMLINK_NOFOLLOW);
  chk(r, "file as dir", openat(r->dfd, "f/x", O_RDONLY));
  fd = (int)chk(r, "O_DIRECT", openat(r->dfd, "direct", O_RDWR | O_CREAT | O_DIRECT, 0600));
  if (fd >= 0)
    {
      void *p = NULL;
      if (posix_memalign(&p, 4096, 4096) == 0)
        {
          memset(p, 'd', 4096);
          val(r, "O_DIRECT write", pwrite(fd, p, 4096, 0));
          free(p);
        }
      close(fd);
    }
  rec_data(r, "O_DIRECT data", "direct");
}

static void
c_tmpfile(struct run *r)
{
  int fd = (int)chk(r, "O_TMPFILE", openat(r->dfd, ".", O_TMPFILE | O_RDWR, 0600));
  if (fd < 0)
    return;
  val(r, "write", write(fd, "tmp", 3));
  st_fd(r, "fstat", fd);
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  chk(r, "linkat", linkat(AT_FDCWD, p, r->dfd, "linked", AT_SYMLINK_FOLLOW));
  st_at(r, "stat linked", "linked", AT_SYMLINK_NOFOLLOW);
  rec_data(r, "data", "linked");
  close(fd);
  fd = (int)chk(r, "O_TMPFILE|O_EXCL", openat(r->dfd, ".", O_TMPFILE | O_RDWR | O_EXCL, 0600));
  if (fd >= 0)
    {
      snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
      chk(r, "linkat of O_EXCL tmpfile", linkat(AT_FDCWD, p, r->dfd, "x", AT_SYMLINK_FOLLOW));
      close(fd);
    }
}

static void
c_read_write(struct run *r)
{
  static char model[20000], buf[20000];
  for (size_t i = 0; i < sizeof model; i++)
    model[i] = (char)(i * 7 + 3);
  int fd = (int)chk(r, "create", openat(r->dfd, "f", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  val(r, "write", write(fd, model, 10000));
  val(r, "offset", lseek(fd, 0, SEEK_CUR));
  memset(model + 5000, 'x', 3000);
  val(r, "pwrite middle", pwrite(fd, model + 5000, 3000, 5000));
  val(r, "pwrite extends", pwrite(fd, model + 9000, 11000, 9000));
  val(r, "pread all", pread(fd, buf, sizeof buf, 0));
  rec(r, "contents %s", memcmp(buf, model, sizeof model) == 0 ? "match" : "differ");
  val(r, "pread at 19990", pread(fd, buf, 100, 19990));
  val(r, "pread past EOF", pread(fd, buf, 100, 30000));
  val(r, "pwrite negative", pwrite(fd, "a", 1, -1));
  val(r, "pread negative", pread(fd, buf, 1, -1));
  val(r, "read at end", read(fd, buf, 10));
  close(fd);
  fd = (int)chk(r, "open rdonly", openat(r->dfd, "f", O_RDONLY));
  if (fd >= 0)
    {
      val(r, "write on rdonly fd", write(fd, "a", 1));
      close(fd);
    }
  fd = (int)chk(r, "open wronly", openat(r->dfd, "f", O_WRONLY));
  if (fd >= 0)
    {
      val(r, "read on wronly fd", read(fd, buf, 1));
      close(fd);
    }
  st_at(r, "stat", "f", AT_SYMLINK_NOFOLLOW);
}

static void
c_truncate(struct run *r)
{
  mkfile(r, "f", "0123456789", 0644);
  int fd = (int)chk(r, "open", openat(r->dfd, "f", O_RDWR));
  if (fd < 0)
    return;
  chk(r, "ftruncate grow", ftruncate(fd, 100));
  st_fd(r, "fstat", fd);
  rec_data(r, "grown", "f");
  chk(r, "ftruncate shrink", ftruncate(fd, 3));
  rec_data(r, "shrunk", "f");
  chk(r, "ftruncate negative", ftruncate(fd, -1));
  close(fd);
  fd = (int)chk(r, "open rdonly", openat(r->dfd, "f", O_RDONLY));
  if (fd >= 0)
    {
      chk(r, "ftruncate on rdonly fd", ftruncate(fd, 0));
      close(fd);
    }
  int cwd = open(".", O_PATH | O_CLOEXEC);
  if (fchdir(r->dfd) == 0)
    {
      chk(r, "truncate path", truncate("f", 4096));
      chk(r, "truncate dir", truncate(".", 0));
      chk(r, "truncate missing", truncate("missing", 0));
      if (cwd >= 0 && fchdir(cwd) < 0)
        rec(r, "fchdir back failed");
    }
  if (cwd >= 0)
    close(cwd);
  st_at(r, "stat", "f", AT_SYMLINK_NOFOLLOW);
  rec_data(r, "data", "f");
}

static void
c_sparse(struct run *r)
{
  int fd = (int)chk(r, "create", openat(r->dfd, "f", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  val(r, "pwrite at 1 MiB", pwrite(fd, "end", 3, 1 << 20));
  st_fd(r, "fstat", fd);
  char buf[4096];
  memset(buf, 1, sizeof buf);
  val(r, "pread hole", pread(fd, buf, sizeof buf, 4096));
  bool zero = true;
  for (size_t i = 0; i < sizeof buf; i++)
    zero = zero && buf[i] == 0;
  rec(r, "hole reads zeros: %d", zero);
  fsync(fd);
  struct stat st;
  if (fstat(fd, &st) == 0)
    rec(r, "blocks small: %d", st.st_blocks <= 64);
  close(fd);
}

static void
c_sparse_4g(struct run *r)
{
  const off_t at = 5LL << 30;
  int fd = (int)chk(r, "create", openat(r->dfd, "big", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  val(r, "pwrite past 5 GiB", pwrite(fd, "far", 3, at + 4096));
  val(r, "pwrite across 4 GiB", pwrite(fd, "wrap", 4, (4LL << 30) - 2));
  st_fd(r, "fstat", fd);
  char buf[8] = { 0 };
  val(r, "pread across 4 GiB", pread(fd, buf, 4, (4LL << 30) - 2));
  rec(r, "data %.4s", buf);
  val(r, "pread far", pread(fd, buf, 8, at + 4096));
  rec(r, "data %.3s", buf);
  val(r, "SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
  val(r, "SEEK_HOLE 4G", lseek(fd, 4LL << 30, SEEK_HOLE));
  val(r, "SEEK_DATA 4G+8192", lseek(fd, (4LL << 30) + 8192, SEEK_DATA));
  val(r, "SEEK_END", lseek(fd, 0, SEEK_END));
  chk(r, "ftruncate to 6 GiB", ftruncate(fd, 6LL << 30));
  st_fd(r, "fstat", fd);
  fsync(fd);
  struct stat st;
  if (fstat(fd, &st) == 0)
    rec(r, "blocks small: %d", st.st_blocks <= 256);
  close(fd);
}

static void
c_seek_data_hole(struct run *r)
{
  int fd = (int)chk(r, "create", openat(r->dfd, "f", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  char blk[4096];
  memset(blk, 'a', sizeof blk);
  val(r, "write block 0", pwrite(fd, blk, sizeof blk, 0));
  val(r, "write at 1 MiB", pwrite(fd, blk, sizeof blk, 1 << 20));
  chk(r, "ftruncate 2 MiB", ftruncate(fd, 2 << 20));
  fsync(fd);
  val(r, "SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
  val(r, "SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
  val(r, "SEEK_DATA 4096", lseek(fd, 4096, SEEK_DATA));
  val(r, "SEEK_HOLE 1M", lseek(fd, 1 << 20, SEEK_HOLE));
  val(r, "SEEK_DATA 1M+4096", lseek(fd, (1 << 20) + 4096, SEEK_DATA));
  val(r, "SEEK_HOLE 1M+4096", lseek(fd, (1 << 20) + 4096, SEEK_HOLE));
  val(r, "SEEK_DATA at size", lseek(fd, 2 << 20, SEEK_DATA));
  val(r, "SEEK_HOLE at size", lseek(fd, 2 << 20, SEEK_HOLE));
  val(r, "SEEK_DATA negative", lseek(fd, -1, SEEK_DATA));
  val(r, "SEEK_SET", lseek(fd, 123, SEEK_SET));
  val(r, "SEEK_CUR", lseek(fd, 7, SEEK_CUR));
  val(r, "SEEK_END", lseek(fd, -1, SEEK_END));
  val(r, "SEEK_SET negative", lseek(fd, -5, SEEK_SET));
  close(fd);
}

static void
c_fallocate(struct run *r)
{
  int fd = (int)chk(r, "create", openat(r->dfd, "f", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  char blk[16384];
  memset(blk, 'z', sizeof blk);
  val(r, "write", pwrite(fd, blk, sizeof blk, 0));
  chk(r, "fallocate extend", fallocate(fd, 0, 0, 65536));
  st_fd(r, "after extend", fd);
  chk(r, "fallocate KEEP_SIZE", fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536));
  st_fd(r, "after KEEP_SIZE", fd);
  chk(r, "PUNCH_HOLE|KEEP_SIZE",
      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
  rec_fd_data(r, "after punch", fd);
  chk(r, "PUNCH_HOLE alone", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
  chk(r, "ZERO_RANGE", fallocate(fd, FALLOC_FL_ZERO_RANGE, 12288, 2048));
  rec_fd_data(r, "after zero range", fd);
  chk(r, "fallocate bad len", fallocate(fd, 0, 0, 0));
  close(fd);
  fd = (int)chk(r, "open rdonly", openat(r->dfd, "f", O_RDONLY));
  if (fd >= 0)
    {
      chk(r, "fallocate on rdonly fd", fallocate(fd, 0, 0, 4096));
      close(fd);
    }
}

/* The kernel's FUSE client passes only KEEP_SIZE, PUNCH_HOLE and ZERO_RANGE
   to the server and answers EOPNOTSUPP for the other modes itself. */
static void
c_fallocate_collapse_insert(struct run *r)
{
  int fd = (int)chk(r, "create", openat(r->dfd, "f", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  char blk[16384];
  memset(blk, 'z', sizeof blk);
  for (int i = 0; i < 4; i++)
    blk[i * 4096] = (char)('a' + i);
  val(r, "write", pwrite(fd, blk, sizeof blk, 0));
  chk(r, "COLLAPSE_RANGE", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 4096, 4096));
  st_fd(r, "after collapse", fd);
  rec_fd_data(r, "after collapse", fd);
  chk(r, "INSERT_RANGE", fallocate(fd, FALLOC_FL_INSERT_RANGE, 4096, 4096));
  st_fd(r, "after insert", fd);
  close(fd);
}

static void
c_copy_file_range(struct run *r)
{
  char data[20000];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (char)(i % 251);
  int in = (int)chk(r, "create in", openat(r->dfd, "in", O_RDWR | O_CREAT, 0644));
  int out = (int)chk(r, "create out", openat(r->dfd, "out", O_RDWR | O_CREAT, 0644));
  if (in < 0 || out < 0)
    goto out;
  val(r, "write in", write(in, data, sizeof data));
  loff_t oi = 1000, oo = 50;
  val(r, "copy_file_range", copy_file_range(in, &oi, out, &oo, 5000, 0));
  rec(r, "offsets %lld %lld", (long long)oi, (long long)oo);
  rec_fd_data(r, "out", out);
  val(r, "copy past end", copy_file_range(in, &oi, out, &oo, 50000, 0));
  rec_fd_data(r, "out", out);
  oi = 30000;
  val(r, "copy from EOF", copy_file_range(in, &oi, out, &oo, 10, 0));
  val(r, "copy bad flags", copy_file_range(in, NULL, out, NULL, 10, 1));
  val(r, "lseek in", lseek(in, 100, SEEK_SET));
  val(r, "copy with file offsets", copy_file_range(in, NULL, out, NULL, 100, 0));
  val(r, "in offset", lseek(in, 0, SEEK_CUR));
  val(r, "out offset", lseek(out, 0, SEEK_CUR));
  rec_fd_data(r, "out", out);
out:
  if (in >= 0)
    close(in);
  if (out >= 0)
    close(out);
}

static void
c_mmap_shared(struct run *r)
{
  int fd = (int)chk(r, "create", openat(r->dfd, "f", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  chk(r, "ftruncate", ftruncate(fd, 3 * 4096));
  char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  rec(r, "mmap: %s", p == MAP_FAILED ? errname(errno) : "ok");
  if (p != MAP_FAILED)
    {
      memcpy(p + 10, "shared", 6);
      memcpy(p + 4096 + 100, "page2", 5);
      char buf[8] = { 0 };
      val(r, "pread same fd", pread(fd, buf, 6, 10));
      rec(r, "sees %.6s", buf);
      int fd2 = openat(r->dfd, "f", O_RDONLY);
      if (fd2 >= 0)
        {
          memset(buf, 0, sizeof buf);
          val(r, "pread other fd", pread(fd2, buf, 5, 4096 + 100));
          rec(r, "sees %.5s", buf);
          close(fd2);
        }
      chk(r, "msync", msync(p, 3 * 4096, MS_SYNC));
      val(r, "pwrite", pwrite(fd, "WRITE", 5, 8192));
      rec(r, "mapping sees write: %.5s", p + 8192);
      munmap(p, 3 * 4096);
    }
  close(fd);
  rec_data(r, "data", "f");
  fd = openat(r->dfd, "f", O_RDONLY);
  if (fd >= 0)
    {
      p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      rec(r, "shared writable map of rdonly fd: %s", p == MAP_FAILED ? errname(errno) : "ok");
      if (p != MAP_FAILED)
        munmap(p, 3 * 4096);
      close(fd);
    }
}

static void
c_mkdir_rmdir(struct run *r)
{
  chk(r, "mkdir", mkdirat(r->dfd, "d", 0750));
  st_at(r, "stat d", "d", AT_SYMLINK_NOFOLLOW);
  chk(r, "mkdir exists", mkdirat(r->dfd, "d", 0755));
  chk(r, "mkdir sub", mkdirat(r->dfd, "d/sub", 0755));
  st_at(r, "nlink of d", "d", AT_SYMLINK_NOFOLLOW);
  st_at(r, "nlink of case dir", ".", AT_SYMLINK_NOFOLLOW);
  chk(r, "rmdir non-empty", unlinkat(r->dfd, "d", AT_REMOVEDIR));
  mkfile(r, "file", "x", 0644);
  chk(r, "rmdir file", unlinkat(r->dfd, "file", AT_REMOVEDIR));
  chk(r, "unlink dir", unlinkat(r->dfd, "d", 0));
  chk(r, "rmdir dot", unlinkat(r->dfd, "d/sub/.", AT_REMOVEDIR));
  chk(r, "rmdir missing", unlinkat(r->dfd, "nope", AT_REMOVEDIR));
  chk(r, "mkdir in missing", mkdirat(r->dfd, "nope/x", 0755));
  chk(r, "mkdir under file", mkdirat(r->dfd, "file/x", 0755));
  chk(r, "rmdir sub", unlinkat(r->dfd, "d/sub", AT_REMOVEDIR));
  st_at(r, "nlink of d after", "d", AT_SYMLINK_NOFOLLOW);
  chk(r, "rmdir d", unlinkat(r->dfd, "d", AT_REMOVEDIR));
  st_at(r, "d gone", "d", AT_SYMLINK_NOFOLLOW);
  chk(r, "mkdir odd mode", mkdirat(r->dfd, "m", 07777));
  st_at(r, "stat m", "m", AT_SYMLINK_NOFOLLOW);
}

static void
c_rename(struct run *r)
{
  mkfile(r, "a", "AAAA", 0644);
  mkfile(r, "b", "BB", 0600);
  chk(r, "file over file", renameat(r->dfd, "a", r->dfd, "b"));
  st_at(r, "a gone", "a", AT_SYMLINK_NOFOLLOW);
  st_at(r, "b", "b", AT_SYMLINK_NOFOLLOW);
  rec_data(r, "b data", "b");
  mkdirat(r->dfd, "d1", 0755);
  mkfile(r, "d1/in", "in", 0644);
  mkdirat(r->dfd, "d2", 0700);
  chk(r, "dir over empty dir", renameat(r->dfd, "d1", r->dfd, "d2"));
  st_at(r, "d2", "d2", AT_SYMLINK_NOFOLLOW);
  st_at(r, "d2/in", "d2/in", AT_SYMLINK_NOFOLLOW);
  mkdirat(r->dfd, "d3", 0755);
  chk(r, "dir over non-empty dir", renameat(r->dfd, "d3", r->dfd, "d2"));
  chk(r, "file over dir", renameat(r->dfd, "b", r->dfd, "d3"));
  chk(r, "dir over file", renameat(r->dfd, "d3", r->dfd, "b"));
  chk(r, "dir into itself", renameat(r->dfd, "d2", r->dfd, "d2/sub"));
  chk(r, "missing source", renameat(r->dfd, "none", r->dfd, "x"));
  chk(r, "same name", renameat(r->dfd, "b", r->dfd, "b"));
  mkfile(r, "c", "CCC", 0644);
  chk(r, "NOREPLACE existing", renameat2(r->dfd, "c", r->dfd, "b", RENAME_NOREPLACE));
  chk(r, "NOREPLACE new", renameat2(r->dfd, "c", r->dfd, "c2", RENAME_NOREPLACE));
  st_at(r, "c2", "c2", AT_SYMLINK_NOFOLLOW);
  chk(r, "EXCHANGE file/dir", renameat2(r->dfd, "c2", r->dfd, "d2", RENAME_EXCHANGE));
  st_at(r, "c2 now", "c2", AT_SYMLINK_NOFOLLOW);
  st_at(r, "d2 now", "d2", AT_SYMLINK_NOFOLLOW);
  st_at(r, "c2/in", "c2/in", AT_SYMLINK_NOFOLLOW);
  chk(r, "EXCHANGE with missing", renameat2(r->dfd, "c2", r->dfd, "zz", RENAME_EXCHANGE));
  chk(r, "EXCHANGE|NOREPLACE",
      renameat2(r->dfd, "c2", r->dfd, "d2", RENAME_EXCHANGE | RENAME_NOREPLACE));
  int fd = openat(r->dfd, "b", O_RDONLY);
  chk(r, "rename open file", renameat(r->dfd, "b", r->dfd, "moved"));
  if (fd >= 0)
    {
      rec_fd_data(r, "open fd after rename", fd);
      close(fd);
    }
  chk(r, "rename across dirs", renameat(r->dfd, "moved", r->dfd, "c2/moved"));
  st_at(r, "c2/moved", "c2/moved", AT_SYMLINK_NOFOLLOW);
  st_at(r, "nlink c2", "c2", AT_SYMLINK_NOFOLLOW);
  chk(r, "symlink", symlinkat("c2", r->dfd, "ln"));
  chk(r, "rename symlink", renameat(r->dfd, "ln", r->dfd, "ln2"));
  st_at(r, "ln2", "ln2", AT_SYMLINK_NOFOLLOW);
}

static void
c_link(struct run *r)
{
  mkfile(r, "f", "data", 0644);
  chk(r, "link", linkat(r->dfd, "f", r->dfd, "g", 0));
  st_at(r, "f", "f", AT_SYMLINK_NOFOLLOW);
  st_at(r, "g", "g", AT_SYMLINK_NOFOLLOW);
  chk(r, "link again", linkat(r->dfd, "f", r->dfd, "h", 0));
  int fd = openat(r->dfd, "h", O_RDONLY);
  if (fd >= 0)
    {
      st_fd(r, "fstat h", fd);
      close(fd);
    }
  chk(r, "link exists", linkat(r->dfd, "f", r->dfd, "g", 0));
  chk(r, "link missing", linkat(r->dfd, "none", r->dfd, "x", 0));
  mkdirat(r->dfd, "d", 0755);
  chk(r, "link dir", linkat(r->dfd, "d", r->dfd, "d2", 0));
  chk(r, "unlink f", unlinkat(r->dfd, "f", 0));
  st_at(r, "g after unlink", "g", AT_SYMLINK_NOFOLLOW);
  chk(r, "rename g over h (same inode)", renameat(r->dfd, "g", r->dfd, "h"));
  st_at(r, "g still there", "g", AT_SYMLINK_NOFOLLOW);
  chk(r, "symlink", symlinkat("h", r->dfd, "s"));
  chk(r, "link symlink itself", linkat(r->dfd, "s", r->dfd, "s2", 0));
  st_at(r, "s2", "s2", AT_SYMLINK_NOFOLLOW);
  chk(r, "link following symlink", linkat(r->dfd, "s", r->dfd, "h2", AT_SYMLINK_FOLLOW));
  st_at(r, "h2", "h2", AT_SYMLINK_NOFOLLOW);
  chk(r, "mkdir sub", mkdirat(r->dfd, "d/sub", 0755));
  st_at(r, "dir nlink", "d", AT_SYMLINK_NOFOLLOW);
}

static void
c_unlink_open(struct run *r)
{
  int fd = (int)chk(r, "create", openat(r->dfd, "f", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  val(r, "write", write(fd, "before", 6));
  chk(r, "unlink", unlinkat(r->dfd, "f", 0));
  st_fd(r, "fstat after unlink", fd);
  st_at(r, "stat after unlink", "f", AT_SYMLINK_NOFOLLOW);
  val(r, "write after unlink", pwrite(fd, "after", 5, 6));
  rec_fd_data(r, "data", fd);
  chk(r, "ftruncate after unlink", ftruncate(fd, 2));
  st_fd(r, "fstat", fd);
  chk(r, "unlink again", unlinkat(r->dfd, "f", 0));
  int fd2 = (int)chk(r, "recreate", openat(r->dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0600));
  if (fd2 >= 0)
    {
      st_fd(r, "new file", fd2);
      close(fd2);
    }
  st_fd(r, "old still", fd);
  close(fd);
}

static void
c_symlink(struct run *r)
{
  char buf[PATH_MAX];
  mkfile(r, "target", "T", 0640);
  mkdirat(r->dfd, "dir", 0755);
  chk(r, "relative", symlinkat("target", r->dfd, "rel"));
  chk(r, "relative up", symlinkat("../target", r->dfd, "dir/up"));
  chk(r, "absolute", symlinkat("/nonexistent/abs/path", r->dfd, "abs"));
  chk(r, "absolute existing", symlinkat("/", r->dfd, "root"));
  ssize_t n = readlinkat(r->dfd, "rel", buf, sizeof buf);
  rec(r, "readlink rel: %.*s", n < 0 ? 0 : (int)n, buf);
  n = readlinkat(r->dfd, "abs", buf, sizeof buf);
  rec(r, "readlink abs: %.*s", n < 0 ? 0 : (int)n, buf);
  n = readlinkat(r->dfd, "dir/up", buf, sizeof buf);
  rec(r, "readlink up: %.*s", n < 0 ? 0 : (int)n, buf);
  val(r, "readlink short buffer", readlinkat(r->dfd, "abs", buf, 4));
  rec(r, "short: %.4s", buf);
  st_at(r, "lstat rel", "rel", AT_SYMLINK_NOFOLLOW);
  st_at(r, "stat rel", "rel", 0);
  st_at(r, "stat up", "dir/up", 0);
  rec_data(r, "through up", "dir/up");
  st_at(r, "lstat abs", "abs", AT_SYMLINK_NOFOLLOW);
  st_at(r, "stat abs", "abs", 0);
  st_at(r, "stat root (via /)", "root", 0);
  chk(r, "exists", symlinkat("x", r->dfd, "rel"));
  val(r, "readlink on file", readlinkat(r->dfd, "target", buf, sizeof buf));
  val(r, "readlink missing", readlinkat(r->dfd, "missing", buf, sizeof buf));
  chk(r, "loop a", symlinkat("loopb", r->dfd, "loopa"));
  chk(r, "loop b", symlinkat("loopa", r->dfd, "loopb"));
  chk(r, "open loop", openat(r->dfd, "loopa", O_RDONLY));
  char longt[PATH_MAX];
  memset(longt, 'l', PATH_MAX - 1);
  longt[PATH_MAX - 1] = '\0';
  chk(r, "target of PATH_MAX-1", symlinkat(longt, r->dfd, "long"));
  n = readlinkat(r->dfd, "long", buf, sizeof buf);
  rec(r, "readlink long: %zd", n);
  st_at(r, "lstat long", "long", AT_SYMLINK_NOFOLLOW);
  longt[PATH_MAX - 2] = '\0';
  chk(r, "target of PATH_MAX-2", symlinkat(longt, r->dfd, "long2"));
  n = readlinkat(r->dfd, "long2", buf, sizeof buf);
  rec(r, "readlink long2: %zd", n);
  chk(r, "empty target", symlinkat("", r->dfd, "empty"));
}

static void
c_mknod(struct run *r)
{
  chk(r, "mkfifo", mkfifoat(r->dfd, "fifo", 0640));
  st_at(r, "fifo", "fifo", AT_SYMLINK_NOFOLLOW);
  int fd = (int)chk(r, "open fifo nonblock", openat(r->dfd, "fifo", O_RDONLY | O_NONBLOCK));
  if (fd >= 0)
    {
      int w = (int)chk(r, "open fifo for write", openat(r->dfd, "fifo", O_WRONLY | O_NONBLOCK));
      if (w >= 0)
        {
          val(r, "write fifo", write(w, "pipe", 4));
          char buf[8] = { 0 };
          val(r, "read fifo", read(fd, buf, sizeof buf));
          close(w);
        }
      close(fd);
    }
  chk(r, "mknod socket", mknodat(r->dfd, "sock", S_IFSOCK | 0600, 0));
  st_at(r, "sock", "sock", AT_SYMLINK_NOFOLLOW);
  chk(r, "mknod regular", mknodat(r->dfd, "reg", S_IFREG | 0604, 0));
  st_at(r, "reg", "reg", AT_SYMLINK_NOFOLLOW);
  chk(r, "mknod char", mknodat(r->dfd, "null", S_IFCHR | 0666, makedev(1, 3)));
  st_at(r, "null", "null", AT_SYMLINK_NOFOLLOW);
  chk(r, "mknod block", mknodat(r->dfd, "blk", S_IFBLK | 0600, makedev(7, 200)));
  st_at(r, "blk", "blk", AT_SYMLINK_NOFOLLOW);
  chk(r, "mknod exists", mknodat(r->dfd, "fifo", S_IFIFO | 0600, 0));
  chk(r, "mknod bad type", mknodat(r->dfd, "bad", 0170000 | 0600, 0));
  /* A socket bound by name (bind creates the node through mknod). */
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int cwd = open(".", O_PATH | O_CLOEXEC);
  if (s >= 0 && cwd >= 0 && fchdir(r->dfd) == 0)
    {
      struct sockaddr_un a = { .sun_family = AF_UNIX };
      strcpy(a.sun_path, "bound");
      chk(r, "bind", bind(s, (struct sockaddr *)&a, sizeof a));
      chk(r, "listen", listen(s, 1));
      int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (c >= 0)
        {
          chk(r, "connect", connect(c, (struct sockaddr *)&a, sizeof a));
          close(c);
        }
      if (fchdir(cwd) < 0)
        rec(r, "fchdir back failed");
    }
  if (s >= 0)
    close(s);
  if (cwd >= 0)
    close(cwd);
  st_at(r, "bound", "bound", AT_SYMLINK_NOFOLLOW);
}

/* cntr mount mounts nodev (libfuse's default, and what a view of a
   container's files should be): device nodes can be made, not opened. */
static void
c_device_open(struct run *r)
{
  chk(r, "mknod char", mknodat(r->dfd, "null", S_IFCHR | 0666, makedev(1, 3)));
  int fd = (int)chk(r, "open char device", openat(r->dfd, "null", O_WRONLY));
  if (fd >= 0)
    {
      val(r, "write to it", write(fd, "x", 1));
      close(fd);
    }
}

static void
rec_times(struct run *r, const char *what, const char *path, int flags)
{
  struct stat st;
  if (fstatat(r->dfd, path, &st, flags) < 0)
    {
      rec(r, "%s: %s", what, errname(errno));
      return;
    }
  rec(r, "%s: atime %lld.%09ld mtime %lld.%09ld", what, (long long)st.st_atim.tv_sec,
      st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void
rec_recent(struct run *r, const char *what, const char *path)
{
  struct stat st;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (fstatat(r->dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      rec(r, "%s: %s", what, errname(errno));
      return;
    }
  rec(r, "%s: atime recent %d mtime recent %d ctime recent %d", what,
      now.tv_sec - st.st_atim.tv_sec < 10, now.tv_sec - st.st_mtim.tv_sec < 10,
      now.tv_sec - st.st_ctim.tv_sec < 10);
}

static void
c_attrs(struct run *r)
{
  mkfile(r, "f", "attr", 0644);
  chk(r, "chmod 0600", fchmodat(r->dfd, "f", 0600, 0));
  st_at(r, "f", "f", AT_SYMLINK_NOFOLLOW);
  chk(r, "chmod 04755", fchmodat(r->dfd, "f", 04755, 0));
  st_at(r, "f", "f", AT_SYMLINK_NOFOLLOW);
  chk(r, "chown 1000:1000", fchownat(r->dfd, "f", 1000, 1000, 0));
  st_at(r, "f after chown", "f", AT_SYMLINK_NOFOLLOW);
  chk(r, "chown -1:2000", fchownat(r->dfd, "f", (uid_t)-1, 2000, 0));
  st_at(r, "f", "f", AT_SYMLINK_NOFOLLOW);
  chk(r, "chmod 02755", fchmodat(r->dfd, "f", 02755, 0));
  st_at(r, "f", "f", AT_SYMLINK_NOFOLLOW);
  int fd = openat(r->dfd, "f", O_WRONLY);
  if (fd >= 0)
    {
      val(r, "write to setgid file", write(fd, "w", 1));
      close(fd);
    }
  st_at(r, "f after write", "f", AT_SYMLINK_NOFOLLOW);
  chk(r, "symlink", symlinkat("f", r->dfd, "l"));
  chk(r, "lchown", fchownat(r->dfd, "l", 3000, 3000, AT_SYMLINK_NOFOLLOW));
  st_at(r, "l", "l", AT_SYMLINK_NOFOLLOW);
  st_at(r, "f via l", "l", 0);
  chk(r, "chmod symlink itself", fchmodat(r->dfd, "l", 0600, AT_SYMLINK_NOFOLLOW));
  struct timespec ts[2] = { { 1000000000, 123456789 }, { 1200000000, 987654321 } };
  chk(r, "utimensat ns", utimensat(r->dfd, "f", ts, 0));
  rec_times(r, "times", "f", 0);
  struct timespec om[2] = { { 0, UTIME_OMIT }, { 1300000000, 5 } };
  chk(r, "utimensat OMIT atime", utimensat(r->dfd, "f", om, 0));
  rec_times(r, "times", "f", 0);
  struct timespec om2[2] = { { 1100000000, 7 }, { 0, UTIME_OMIT } };
  chk(r, "utimensat OMIT mtime", utimensat(r->dfd, "f", om2, 0));
  rec_times(r, "times", "f", 0);
  struct timespec both[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
  chk(r, "utimensat OMIT both", utimensat(r->dfd, "f", both, 0));
  rec_times(r, "times", "f", 0);
  struct timespec nowm[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
  chk(r, "utimensat NOW mtime", utimensat(r->dfd, "f", nowm, 0));
  rec_recent(r, "recent", "f");
  chk(r, "utimensat NULL", utimensat(r->dfd, "f", NULL, 0));
  rec_recent(r, "recent", "f");
  chk(r, "utimensat symlink itself", utimensat(r->dfd, "l", ts, AT_SYMLINK_NOFOLLOW));
  rec_times(r, "symlink times", "l", AT_SYMLINK_NOFOLLOW);
  struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
  chk(r, "utimensat bad nsec", utimensat(r->dfd, "f", bad, 0));
  struct timespec neg[2] = { { -1, 5 }, { -100000, 0 } };
  chk(r, "utimensat negative", utimensat(r->dfd, "f", neg, 0));
  rec_times(r, "times", "f", 0);
  fd = openat(r->dfd, "f", O_RDWR);
  if (fd >= 0)
    {
      chk(r, "fchmod", fchmod(fd, 0640));
      chk(r, "futimens", futimens(fd, ts));
      st_fd(r, "fstat", fd);
      close(fd);
    }
  rec_times(r, "times", "f", 0);
  mkdirat(r->dfd, "d", 0755);
  chk(r, "chmod dir 01777", fchmodat(r->dfd, "d", 01777, 0));
  st_at(r, "d", "d", AT_SYMLINK_NOFOLLOW);
}

static void
rec_list(struct run *r, const char *what, const char *path, bool follow)
{
  char buf[4096];
  char p[PATH_MAX];
  snprintf(p, sizeof p, "/proc/self/fd/%d/%s", r->dfd, path);
  ssize_t n = follow ? listxattr(p, buf, sizeof buf) : llistxattr(p, buf, sizeof buf);
  if (n < 0)
    {
      rec(r, "%s: %s", what, errname(errno));
      return;
    }
  /* Names in sorted order: the order is the file system's, not a promise. */
  const char *names[64];
  int k = 0;
  for (ssize_t i = 0; i < n && k < 64; i += (ssize_t)strlen(buf + i) + 1)
    names[k++] = buf + i;
  for (int i = 0; i < k; i++)
    for (int j = i + 1; j < k; j++)
      if (strcmp(names[j], names[i]) < 0)
        {
          const char *t = names[i];
          names[i] = names[j];
          names[j] = t;
        }
  char out[1024] = "";
  for (int i = 0; i < k; i++)
    {
      strncat(out, names[i], sizeof out - strlen(out) - 2);
      strncat(out, " ", sizeof out - strlen(out) - 1);
    }
  rec(r, "%s: %zd bytes: %s", what, n, out);
}

static void
c_xattr(struct run *r)
{
  char p[PATH_MAX], l[PATH_MAX], d[PATH_MAX], buf[256];
  mkfile(r, "f", "x", 0644);
  chk(r, "symlink", symlinkat("f", r->dfd, "l"));
  mkdirat(r->dfd, "d", 0755);
  snprintf(p, sizeof p, "/proc/self/fd/%d/f", r->dfd);
  snprintf(l, sizeof l, "/proc/self/fd/%d/l", r->dfd);
  snprintf(d, sizeof d, "/proc/self/fd/%d/d", r->dfd);
  rec_list(r, "list empty", "f", true);
  chk(r, "set user.a", setxattr(p, "user.a", "v1", 2, 0));
  chk(r, "set user.b empty", setxattr(p, "user.b", "", 0, 0));
  chk(r, "CREATE existing", setxattr(p, "user.a", "v2", 2, XATTR_CREATE));
  chk(r, "REPLACE missing", setxattr(p, "user.c", "v2", 2, XATTR_REPLACE));
  chk(r, "REPLACE existing", setxattr(p, "user.a", "v22", 3, XATTR_REPLACE));
  val(r, "get size", getxattr(p, "user.a", NULL, 0));
  memset(buf, 0, sizeof buf);
  val(r, "get", getxattr(p, "user.a", buf, sizeof buf));
  rec(r, "value %s", buf);
  val(r, "get too small", getxattr(p, "user.a", buf, 1));
  val(r, "get empty", getxattr(p, "user.b", buf, sizeof buf));
  val(r, "get missing", getxattr(p, "user.zz", buf, sizeof buf));
  rec_list(r, "list", "f", true);
  char small[4];
  val(r, "list too small", listxattr(p, small, sizeof small));
  val(r, "list size", listxattr(p, NULL, 0));
  chk(r, "remove", removexattr(p, "user.a"));
  chk(r, "remove missing", removexattr(p, "user.a"));
  rec_list(r, "list after remove", "f", true);
  chk(r, "bad namespace", setxattr(p, "bogus.a", "v", 1, 0));
  chk(r, "set trusted.t", setxattr(p, "trusted.t", "tv", 2, 0));
  val(r, "get trusted.t", getxattr(p, "trusted.t", buf, sizeof buf));
  char big[65536];
  memset(big, 'v', sizeof big);
  chk(r, "set big value", setxattr(p, "user.big", big, 4000, 0));
  val(r, "get big value", getxattr(p, "user.big", big, sizeof big));
  chk(r, "set too big value", setxattr(p, "user.huge", big, sizeof big, 0));
  char longname[300] = "user.";
  memset(longname + 5, 'n', 250);
  longname[255] = '\0';
  chk(r, "set 255-byte name", setxattr(p, longname, "v", 1, 0));
  memset(longname + 5, 'n', 260);
  longname[265] = '\0';
  chk(r, "set 265-byte name", setxattr(p, longname, "v", 1, 0));
  /* On a symlink: the link itself, not its target.  ext4 refuses user.*
     on symlinks with EPERM; trusted.* is allowed for root. */
  chk(r, "lsetxattr user on symlink", lsetxattr(l, "user.s", "v", 1, 0));
  chk(r, "lsetxattr trusted on symlink", lsetxattr(l, "trusted.s", "sv", 2, 0));
  val(r, "lgetxattr trusted on symlink", lgetxattr(l, "trusted.s", buf, sizeof buf));
  val(r, "getxattr trusted via symlink (target)", getxattr(l, "trusted.s", buf, sizeof buf));
  rec_list(r, "llist symlink", "l", false);
  rec_list(r, "list through symlink", "l", true);
  chk(r, "lremovexattr on symlink", lremovexattr(l, "trusted.s"));
  chk(r, "set on dir", setxattr(d, "user.d", "dv", 2, 0));
  rec_list(r, "list dir", "d", true);
  chk(r, "security.capability",
      setxattr(p, "security.capability",
               "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
               20, 0));
  val(r, "get security.capability", getxattr(p, "security.capability", buf, sizeof buf));
  int fd = openat(r->dfd, "f", O_WRONLY);
  if (fd >= 0)
    {
      val(r, "write", write(fd, "y", 1));
      close(fd);
    }
  val(r, "capability after write", getxattr(p, "security.capability", buf, sizeof buf));
}

static void
c_names(struct run *r)
{
  char n255[256], n256[257], other[256];
  memset(n255, 'a', 255);
  n255[255] = '\0';
  memset(n256, 'b', 256);
  n256[256] = '\0';
  memset(other, 'c', 255);
  other[255] = '\0';
  int fd = (int)chk(r, "create 255", openat(r->dfd, n255, O_RDWR | O_CREAT, 0644));
  if (fd >= 0)
    close(fd);
  st_at(r, "stat 255", n255, AT_SYMLINK_NOFOLLOW);
  chk(r, "create 256", openat(r->dfd, n256, O_RDWR | O_CREAT, 0644));
  chk(r, "stat 256", fstatat(r->dfd, n256, &(struct stat){ 0 }, 0));
  chk(r, "mkdir 256", mkdirat(r->dfd, n256, 0755));
  chk(r, "symlink 256", symlinkat("x", r->dfd, n256));
  chk(r, "rename to 256", renameat(r->dfd, n255, r->dfd, n256));
  chk(r, "rename 255 to 255", renameat(r->dfd, n255, r->dfd, other));
  chk(r, "link 255", linkat(r->dfd, other, r->dfd, n255, 0));
  chk(r, "mkdir 255", mkdirat(r->dfd, "d", 0755));
  char sub[300];
  snprintf(sub, sizeof sub, "d/%s", other);
  chk(r, "symlink 255 name, 255 target", symlinkat(other, r->dfd, sub));
  int dfd = openat(r->dfd, ".", O_RDONLY | O_DIRECTORY);
  DIR *dp = dfd >= 0 ? fdopendir(dfd) : NULL;
  int found = 0, count = 0;
  if (dp != NULL)
    {
      struct dirent *de;
      while ((de = readdir(dp)) != NULL)
        {
          count++;
          if (strlen(de->d_name) == 255)
            found++;
        }
      closedir(dp);
    }
  rec(r, "readdir: %d entries, %d of 255 bytes", count, found);
  chk(r, "utf-8 name", mkdirat(r->dfd, "\xc3\xa9t\xc3\xa9 \xe2\x98\x83", 0755));
  chk(r, "name with newline", mkdirat(r->dfd, "a\nb", 0755));
  st_at(r, "utf-8", "\xc3\xa9t\xc3\xa9 \xe2\x98\x83", AT_SYMLINK_NOFOLLOW);
}

static void
c_path_max(struct run *r)
{
  /* Relative paths from the case directory, so both sides pass the same
     strings: 19 components of 200 bytes, then a name that brings the
     string to PATH_MAX - 1 bytes (the limit, with its NUL). */
  char path[PATH_MAX + 16] = "";
  char comp[201];
  memset(comp, 'p', 200);
  comp[200] = '\0';
  int ok = 1;
  for (int i = 0; i < 19; i++)
    {
      if (i)
        strcat(path, "/");
      strcat(path, comp);
      if (mkdirat(r->dfd, path, 0755) < 0)
        ok = 0;
    }
  rec(r, "mkdir chain (%zu bytes): %d", strlen(path), ok);
  size_t len = strlen(path);
  size_t fill = PATH_MAX - 1 - len - 1;
  path[len] = '/';
  memset(path + len + 1, 'q', fill);
  path[len + 1 + fill] = '\0';
  rec(r, "path length %zu", strlen(path));
  int fd = (int)chk(r, "create at PATH_MAX-1", openat(r->dfd, path, O_RDWR | O_CREAT, 0644));
  if (fd >= 0)
    close(fd);
  st_at(r, "stat at PATH_MAX-1", path, AT_SYMLINK_NOFOLLOW);
  char longer[PATH_MAX + 16];
  snprintf(longer, sizeof longer, "%sQ", path);
  chk(r, "create at PATH_MAX", openat(r->dfd, longer, O_RDWR | O_CREAT, 0644));
  chk(r, "stat at PATH_MAX", fstatat(r->dfd, longer, &(struct stat){ 0 }, 0));
  path[len] = '\0';
  int deep = openat(r->dfd, path, O_RDONLY | O_DIRECTORY);
  rec(r, "open deep dir: %s", deep >= 0 ? "ok" : errname(errno));
  if (deep >= 0)
    {
      chk(r, "create below deep dir", mkdirat(deep, comp, 0755));
      char cwd[PATH_MAX];
      int back = open(".", O_PATH | O_CLOEXEC);
      if (fchdir(deep) == 0)
        {
          /* The absolute path is longer than PATH_MAX on both sides. */
          rec(r, "getcwd: %s", getcwd(cwd, sizeof cwd) ? "ok" : errname(errno));
          if (back >= 0 && fchdir(back) < 0)
            rec(r, "fchdir back failed");
        }
      if (back >= 0)
        close(back);
      close(deep);
    }
}

static void
big_dir(struct run *r, int entries)
{
  int dfd = (int)chk(r, "mkdir", mkdirat(r->dfd, "big", 0755));
  dfd = openat(r->dfd, "big", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    {
      rec(r, "open big: %s", errname(errno));
      return;
    }
  int fails = 0, first_err = 0;
  char name[32];
  for (int i = 0; i < entries; i++)
    {
      snprintf(name, sizeof name, "entry-%06d", i);
      int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0)
        {
          /* Past the first failure the rest would fail the same way. */
          fails = entries - i;
          first_err = errno;
          break;
        }
      close(fd);
    }
  rec(r, "create %d entries: %d not created, error %s", entries, fails,
      first_err ? errname(first_err) : "none");
  int dup = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dp = dup >= 0 ? fdopendir(dup) : NULL;
  if (dp == NULL)
    {
      rec(r, "opendir: %s", errname(errno));
      close(dfd);
      return;
    }
  /* Remember telldir at some positions and the entry that followed;
     seekdir back must give the same entry again. */
  enum
  {
    NMARK = 5
  };
  const int at[NMARK] = { 0, 1, 777, entries / 2, entries - 3 };
  long pos[NMARK];
  char next[NMARK][256];
  int n = 0, mark = 0, bad = 0;
  memset(next, 0, sizeof next);
  for (;;)
    {
      long here = telldir(dp);
      errno = 0;
      struct dirent *de = readdir(dp);
      if (de == NULL)
        {
          if (errno)
            rec(r, "readdir: %s", errname(errno));
          break;
        }
      if (mark < NMARK && n == at[mark])
        {
          pos[mark] = here;
          snprintf(next[mark], sizeof next[mark], "%s", de->d_name);
          mark++;
        }
      n++;
    }
  rec(r, "readdir count %d", n);
  for (int i = mark - 1; i >= 0; i--)
    {
      seekdir(dp, pos[i]);
      struct dirent *de = readdir(dp);
      if (de == NULL || strcmp(de->d_name, next[i]) != 0)
        bad++;
    }
  rec(r, "seekdir/telldir: %d marks, %d unstable", mark, bad);
  rewinddir(dp);
  int again = 0;
  while (readdir(dp) != NULL)
    again++;
  rec(r, "after rewinddir %d", again);
  closedir(dp);
  /* Remove through the same path so the server can drop what it holds. */
  int ufails = 0;
  for (int i = 0; i < entries; i++)
    {
      snprintf(name, sizeof name, "entry-%06d", i);
      if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
        ufails++;
    }
  rec(r, "unlink all: %d failed", ufails);
  close(dfd);
  chk(r, "rmdir", unlinkat(r->dfd, "big", AT_REMOVEDIR));
}

/* Below the open-file limit: the listing, telldir and seekdir through the
   mount. */
static void
c_dir_10k(struct run *r)
{
  big_dir(r, 10000);
}

static void
c_bigdir(struct run *r)
{
  big_dir(r, BIGDIR_ENTRIES);
}

struct writer
{
  int fd;
  int id;
};

#define WRITERS 4
#define REGION (256 * 1024)
#define CHUNK 4096

static void *
writer_main(void *arg)
{
  struct writer *w = arg;
  char buf[CHUNK];
  for (int off = 0; off < REGION; off += CHUNK)
    {
      for (int i = 0; i < CHUNK; i++)
        buf[i] = (char)(w->id * 31 + (off + i) / 512);
      if (pwrite(w->fd, buf, CHUNK, (off_t)w->id * REGION + off) != CHUNK)
        return (void *)1;
    }
  return NULL;
}

static void
c_concurrent_writers(struct run *r)
{
  int fd = (int)chk(r, "create", openat(r->dfd, "f", O_RDWR | O_CREAT, 0644));
  if (fd < 0)
    return;
  pthread_t t[WRITERS];
  struct writer w[WRITERS];
  int fds[WRITERS];
  int errors = 0;
  for (int i = 0; i < WRITERS; i++)
    {
      /* Half share the fd, half have their own. */
      fds[i] = i % 2 ? openat(r->dfd, "f", O_WRONLY | O_CLOEXEC) : fd;
      w[i] = (struct writer){ .fd = fds[i] >= 0 ? fds[i] : fd, .id = i };
      if (pthread_create(&t[i], NULL, writer_main, &w[i]) != 0)
        errors++;
    }
  for (int i = 0; i < WRITERS; i++)
    {
      void *res = NULL;
      pthread_join(t[i], &res);
      if (res != NULL)
        errors++;
      if (fds[i] != fd && fds[i] >= 0)
        close(fds[i]);
    }
  rec(r, "writer errors %d", errors);
  st_fd(r, "fstat", fd);
  int bad = 0;
  static char buf[REGION];
  for (int id = 0; id < WRITERS; id++)
    {
      if (pread(fd, buf, REGION, (off_t)id * REGION) != REGION)
        {
          bad++;
          continue;
        }
      for (int i = 0; i < REGION; i++)
        if (buf[i] != (char)(id * 31 + i / 512))
          {
            bad++;
            break;
          }
    }
  rec(r, "regions wrong: %d", bad);
  close(fd);
  rec_data(r, "data", "f");
}

/* ---- cases that need prepared directories ------------------------------ */

/* Preparations run as root in the case directory, the same on both sides,
   before the case runs (as root or as 65534). */
static int
prep_chown(int dfd, const char *path, uid_t u, gid_t g, mode_t mode)
{
  if (fchownat(dfd, path, u, g, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  return fchmodat(dfd, path, mode, 0);
}

static int
prep_file(int dfd, const char *path, uid_t u, gid_t g, mode_t mode)
{
  int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, "fixture", 7) != 7)
    {
      if (fd >= 0)
        close(fd);
      return -1;
    }
  close(fd);
  return prep_chown(dfd, path, u, g, mode);
}

static int
prep_sticky(int dfd)
{
  int res = prep_chown(dfd, ".", 0, 0, 01777);
  res |= prep_file(dfd, "rootfile", 0, 0, 0666);
  res |= prep_file(dfd, "userfile", NOBODY, NOBODY, 0644);
  res |= mkdirat(dfd, "rootdir", 0777);
  res |= prep_chown(dfd, "rootdir", 0, 0, 0777);
  return res;
}

static void
c_sticky(struct run *r)
{
  chk(r, "unlink other's file", unlinkat(r->dfd, "rootfile", 0));
  chk(r, "rename other's file", renameat(r->dfd, "rootfile", r->dfd, "x"));
  chk(r, "rename over other's file", renameat(r->dfd, "userfile", r->dfd, "rootfile"));
  chk(r, "rmdir other's dir", unlinkat(r->dfd, "rootdir", AT_REMOVEDIR));
  int fd = (int)chk(r, "write other's 0666 file", openat(r->dfd, "rootfile", O_WRONLY));
  if (fd >= 0)
    close(fd);
  chk(r, "create own", mkfile(r, "mine", "m", 0644));
  st_at(r, "mine", "mine", AT_SYMLINK_NOFOLLOW);
  chk(r, "rename own", renameat(r->dfd, "mine", r->dfd, "mine2"));
  chk(r, "unlink own", unlinkat(r->dfd, "mine2", 0));
  chk(r, "unlink userfile", unlinkat(r->dfd, "userfile", 0));
  st_at(r, "rootfile", "rootfile", AT_SYMLINK_NOFOLLOW);
  st_at(r, "dir", ".", AT_SYMLINK_NOFOLLOW);
}

static int
prep_setgid(int dfd)
{
  int res = mkdirat(dfd, "sg", 0755);
  res |= prep_chown(dfd, "sg", NOBODY, 100, 02775);
  res |= mkdirat(dfd, "plain", 0755);
  res |= prep_chown(dfd, "plain", NOBODY, 100, 0775);
  return res;
}

static void
c_setgid(struct run *r)
{
  st_at(r, "sg", "sg", AT_SYMLINK_NOFOLLOW);
  chk(r, "create in sg", mkfile(r, "sg/f", "f", 0664));
  st_at(r, "sg/f", "sg/f", AT_SYMLINK_NOFOLLOW);
  chk(r, "mkdir in sg", mkdirat(r->dfd, "sg/d", 0775));
  st_at(r, "sg/d", "sg/d", AT_SYMLINK_NOFOLLOW);
  chk(r, "mkdir in sg/d", mkdirat(r->dfd, "sg/d/e", 0700));
  st_at(r, "sg/d/e", "sg/d/e", AT_SYMLINK_NOFOLLOW);
  chk(r, "mknod fifo in sg", mkfifoat(r->dfd, "sg/p", 0660));
  st_at(r, "sg/p", "sg/p", AT_SYMLINK_NOFOLLOW);
  chk(r, "symlink in sg", symlinkat("f", r->dfd, "sg/l"));
  st_at(r, "sg/l", "sg/l", AT_SYMLINK_NOFOLLOW);
  chk(r, "chmod g+s on own file, group not ours", fchmodat(r->dfd, "sg/f", 02775, 0));
  st_at(r, "sg/f", "sg/f", AT_SYMLINK_NOFOLLOW);
  chk(r, "create in plain", mkfile(r, "plain/f", "f", 0664));
  st_at(r, "plain/f", "plain/f", AT_SYMLINK_NOFOLLOW);
  chk(r, "mkdir 02755 in plain", mkdirat(r->dfd, "plain/d", 02755));
  st_at(r, "plain/d", "plain/d", AT_SYMLINK_NOFOLLOW);
}

static int
prep_perms(int dfd)
{
  int res = mkdirat(dfd, "rodir", 0755);
  res |= prep_file(dfd, "rodir/f", 0, 0, 0666);
  res |= prep_chown(dfd, "rodir", 0, 0, 0555);
  res |= mkdirat(dfd, "noexec", 0755);
  res |= prep_file(dfd, "noexec/f", 0, 0, 0644);
  res |= prep_chown(dfd, "noexec", 0, 0, 0644);
  res |= mkdirat(dfd, "noread", 0755);
  res |= prep_file(dfd, "noread/f", 0, 0, 0644);
  res |= prep_chown(dfd, "noread", 0, 0, 0311);
  res |= prep_file(dfd, "private", 0, 0, 0600);
  res |= prep_file(dfd, "rofile", 0, 0, 0644);
  res |= prep_file(dfd, "rwfile", 0, 0, 0666);
  res |= prep_file(dfd, "xfile", 0, 0, 0711);
  res |= prep_file(dfd, "grpfile", 0, NOBODY, 0060);
  res |= prep_file(dfd, "ownfile", NOBODY, NOBODY, 0644);
  res |= prep_file(dfd, "own_noperm", NOBODY, NOBODY, 0000);
  return res;
}

/* POSIX ACLs, in the kernel's xattr form (linux/posix_acl_xattr.h): a
   version word, then (tag, permissions, id) entries. */
enum
{
  ACL_XATTR_VERSION = 2,
  TAG_USER_OBJ = 0x01,
  TAG_USER = 0x02,
  TAG_GROUP_OBJ = 0x04,
  TAG_MASK = 0x10,
  TAG_OTHER = 0x20,
  NO_ID = -1
};

struct acl_entry_x
{
  uint16_t tag;
  uint16_t perm;
  uint32_t id;
};

static int
set_acl(int dfd, const char *path, const char *xname, const struct acl_entry_x *e, size_t n)
{
  unsigned char buf[4 + 8 * sizeof *e];
  uint32_t version = ACL_XATTR_VERSION;
  char p[PATH_MAX];

  memcpy(buf, &version, 4);
  memcpy(buf + 4, e, n * sizeof *e);
  snprintf(p, sizeof p, "/proc/self/fd/%d/%s", dfd, path);
  return setxattr(p, xname, buf, 4 + n * sizeof *e, 0);
}

static int
prep_acl(int dfd)
{
  /* 65534 may read aclfile through a named-user entry (mode 0600 alone
     would refuse), and not acldeny (mode 0644 alone would allow). */
  const struct acl_entry_x grant[] = {
    { TAG_USER_OBJ, 6, (uint32_t)NO_ID },  { TAG_USER, 4, NOBODY },
    { TAG_GROUP_OBJ, 0, (uint32_t)NO_ID }, { TAG_MASK, 4, (uint32_t)NO_ID },
    { TAG_OTHER, 0, (uint32_t)NO_ID },
  };
  const struct acl_entry_x deny[] = {
    { TAG_USER_OBJ, 6, (uint32_t)NO_ID },  { TAG_USER, 0, NOBODY },
    { TAG_GROUP_OBJ, 4, (uint32_t)NO_ID }, { TAG_MASK, 4, (uint32_t)NO_ID },
    { TAG_OTHER, 4, (uint32_t)NO_ID },
  };
  /* acldir: 65534 may create in it, and what is created inherits. */
  const struct acl_entry_x dir[] = {
    { TAG_USER_OBJ, 7, (uint32_t)NO_ID },  { TAG_USER, 7, NOBODY },
    { TAG_GROUP_OBJ, 5, (uint32_t)NO_ID }, { TAG_MASK, 7, (uint32_t)NO_ID },
    { TAG_OTHER, 5, (uint32_t)NO_ID },
  };
  int res = prep_file(dfd, "aclfile", 0, 0, 0600);
  res |= set_acl(dfd, "aclfile", "system.posix_acl_access", grant, 5);
  res |= prep_file(dfd, "acldeny", 0, 0, 0644);
  res |= set_acl(dfd, "acldeny", "system.posix_acl_access", deny, 5);
  res |= mkdirat(dfd, "acldir", 0755);
  res |= set_acl(dfd, "acldir", "system.posix_acl_access", dir, 5);
  /* 65534's own, in a group that is not 65534's. */
  res |= prep_file(dfd, "aclsgid", NOBODY, 0, 02775);
  res |= set_acl(dfd, "acldir", "system.posix_acl_default", dir, 5);
  return res;
}

static void
rec_acl(struct run *r, const char *what, const char *path, const char *xname)
{
  unsigned char buf[256];
  char p[PATH_MAX], hex[2 * sizeof buf + 1];
  ssize_t n;

  snprintf(p, sizeof p, "/proc/self/fd/%d/%s", r->dfd, path);
  n = getxattr(p, xname, buf, sizeof buf);
  if (n < 0)
    {
      rec(r, "%s: %s", what, errname(errno));
      return;
    }
  for (ssize_t i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", buf[i]);
  rec(r, "%s: %s", what, hex);
}

/* ACLs are enforced as the file system below enforces them, default ACLs
   are inherited, and the umask is ignored where one applies. */
static void
c_acl(struct run *r)
{
  mode_t old;

  chk_open(r, "read aclfile (named user entry)", openat(r->dfd, "aclfile", O_RDONLY | O_CLOEXEC));
  chk_open(r, "write aclfile", openat(r->dfd, "aclfile", O_WRONLY | O_CLOEXEC));
  chk_open(r, "read acldeny (named user entry, no rights)",
           openat(r->dfd, "acldeny", O_RDONLY | O_CLOEXEC));
  st_at(r, "aclfile", "aclfile", AT_SYMLINK_NOFOLLOW);
  rec_acl(r, "aclfile access ACL", "aclfile", "system.posix_acl_access");
  old = umask(077);
  chk(r, "create in acldir, umask 077", mkfile(r, "acldir/f", "f", 0666));
  chk(r, "mkdir in acldir, umask 077", mkdirat(r->dfd, "acldir/d", 0777));
  umask(old);
  st_at(r, "acldir/f", "acldir/f", AT_SYMLINK_NOFOLLOW);
  st_at(r, "acldir/d", "acldir/d", AT_SYMLINK_NOFOLLOW);
  rec_acl(r, "acldir/f access ACL", "acldir/f", "system.posix_acl_access");
  rec_acl(r, "acldir/d default ACL", "acldir/d", "system.posix_acl_default");
  old = umask(077);
  chk(r, "create outside acldir, umask 077", mkfile(r, "plainf", "f", 0666));
  umask(old);
  st_at(r, "plainf", "plainf", AT_SYMLINK_NOFOLLOW);
  /* An access ACL clears setgid unless the caller is in the file's group
     or has CAP_FSETID (root keeps it; 65534, the owner, does not). */
  const struct acl_entry_x named[] = {
    { TAG_USER_OBJ, 7, (uint32_t)NO_ID },  { TAG_USER, 7, 1 },
    { TAG_GROUP_OBJ, 5, (uint32_t)NO_ID }, { TAG_MASK, 7, (uint32_t)NO_ID },
    { TAG_OTHER, 5, (uint32_t)NO_ID },
  };
  chk(r, "set ACL on own setgid file, group not ours",
      set_acl(r->dfd, "aclsgid", "system.posix_acl_access", named, 5));
  st_at(r, "aclsgid", "aclsgid", AT_SYMLINK_NOFOLLOW);
}

static void
c_perms(struct run *r)
{
  char buf[64], p[PATH_MAX];
  chk(r, "read private", openat(r->dfd, "private", O_RDONLY));
  chk(r, "write rofile", openat(r->dfd, "rofile", O_WRONLY));
  chk(r, "O_TRUNC rofile", openat(r->dfd, "rofile", O_RDONLY | O_TRUNC));
  int fd = (int)chk(r, "write rwfile", openat(r->dfd, "rwfile", O_WRONLY));
  if (fd >= 0)
    close(fd);
  chk(r, "open own 0000 file", openat(r->dfd, "own_noperm", O_RDONLY));
  chk(r, "read grpfile (group only)", openat(r->dfd, "grpfile", O_RDONLY));
  chk(r, "create in rodir", openat(r->dfd, "rodir/new", O_WRONLY | O_CREAT, 0644));
  chk(r, "mkdir in rodir", mkdirat(r->dfd, "rodir/d", 0755));
  chk(r, "unlink in rodir", unlinkat(r->dfd, "rodir/f", 0));
  chk(r, "rename out of rodir", renameat(r->dfd, "rodir/f", r->dfd, "out"));
  chk(r, "symlink in rodir", symlinkat("x", r->dfd, "rodir/l"));
  chk(r, "link into rodir", linkat(r->dfd, "ownfile", r->dfd, "rodir/h", 0));
  fd = (int)chk(r, "write file in rodir", openat(r->dfd, "rodir/f", O_WRONLY));
  if (fd >= 0)
    close(fd);
  chk(r, "stat in noexec", fstatat(r->dfd, "noexec/f", &(struct stat){ 0 }, 0));
  chk(r, "list noexec", openat(r->dfd, "noexec", O_RDONLY | O_DIRECTORY));
  chk(r, "list noread", openat(r->dfd, "noread", O_RDONLY | O_DIRECTORY));
  chk(r, "stat in noread", fstatat(r->dfd, "noread/f", &(struct stat){ 0 }, 0));
  chk(r, "chmod other's", fchmodat(r->dfd, "rofile", 0777, 0));
  chk(r, "chmod own", fchmodat(r->dfd, "ownfile", 0640, 0));
  chk(r, "chown own to root", fchownat(r->dfd, "ownfile", 0, (gid_t)-1, 0));
  chk(r, "chgrp own to a group not ours", fchownat(r->dfd, "ownfile", (uid_t)-1, 0, 0));
  chk(r, "chown own to self", fchownat(r->dfd, "ownfile", NOBODY, NOBODY, 0));
  chk(r, "chown other's", fchownat(r->dfd, "rofile", NOBODY, NOBODY, 0));
  struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
  chk(r, "utimes other's", utimensat(r->dfd, "rwfile", ts, 0));
  chk(r, "utimes now other's writable", utimensat(r->dfd, "rwfile", NULL, 0));
  chk(r, "utimes now other's read-only", utimensat(r->dfd, "rofile", NULL, 0));
  chk(r, "utimes own", utimensat(r->dfd, "ownfile", ts, 0));
  int cwd = open(".", O_PATH | O_CLOEXEC);
  if (cwd >= 0 && fchdir(r->dfd) == 0)
    {
      chk(r, "truncate rofile", truncate("rofile", 0));
      chk(r, "truncate rwfile", truncate("rwfile", 3));
      chk(r, "access rofile W", access("rofile", W_OK));
      chk(r, "access rofile R", access("rofile", R_OK));
      chk(r, "access xfile X", access("xfile", X_OK));
      chk(r, "access rofile X", access("rofile", X_OK));
      chk(r, "faccessat eaccess private", faccessat(AT_FDCWD, "private", R_OK, AT_EACCESS));
      if (fchdir(cwd) < 0)
        rec(r, "fchdir back failed");
    }
  if (cwd >= 0)
    close(cwd);
  snprintf(p, sizeof p, "/proc/self/fd/%d/rofile", r->dfd);
  chk(r, "setxattr user on other's", setxattr(p, "user.x", "v", 1, 0));
  val(r, "getxattr user on other's", getxattr(p, "user.x", buf, sizeof buf));
  chk(r, "setxattr trusted", setxattr(p, "trusted.x", "v", 1, 0));
  snprintf(p, sizeof p, "/proc/self/fd/%d/ownfile", r->dfd);
  chk(r, "setxattr user on own", setxattr(p, "user.x", "v", 1, 0));
  chk(r, "mknod char", mknodat(r->dfd, "dev", S_IFCHR | 0666, makedev(1, 3)));
  chk(r, "mknod fifo", mkfifoat(r->dfd, "fifo", 0644));
  chk(r, "chmod own setgid group not ours", fchmodat(r->dfd, "ownfile", 02755, 0));
  st_at(r, "ownfile", "ownfile", AT_SYMLINK_NOFOLLOW);
  st_at(r, "rwfile", "rwfile", AT_SYMLINK_NOFOLLOW);
}

/* ---- privilege bits and writers ---------------------------------------- */

/* Files that every writer may write but only root owns: a write, truncate
   or fallocate by a caller without CAP_FSETID drops setuid, and setgid where
   group-execute is set or the caller is not in the file's group (since
   Linux 6.2); root keeps them.  The server writes as root, so this is its
   doing.  Each operation gets files of its own, with both setgid kinds.
   Before FUSE_HANDLE_KILLPRIV_V2 the mount kept the bits on O_DIRECT writes
   and O_TRUNC opens, and setgid without group-execute on every change. */
static const char *const kp_ops[]
    = { "write", "odirect", "falloc", "punch", "zero", "ftruncate", "otrunc", "copy_range" };
static const mode_t kp_modes[] = { 06777, 02666 };
#define KP_NOPS (sizeof kp_ops / sizeof kp_ops[0])
#define KP_NMODES (sizeof kp_modes / sizeof kp_modes[0])
#define KP_BLOCK 4096

static int
prep_killpriv(int dfd)
{
  char name[64];
  int res = prep_file(dfd, "kp_src", 0, 0, 0644);
  for (int pass = 0; pass < 2; pass++)
    for (size_t o = 0; o < KP_NOPS; o++)
      for (size_t m = 0; m < KP_NMODES; m++)
        {
          snprintf(name, sizeof name, "%s_%s_%04o", pass ? "kq" : "kp", kp_ops[o],
                   (unsigned)kp_modes[m]);
          res |= prep_file(dfd, name, 0, 0, kp_modes[m]);
        }
  return res;
}

static long
kp_apply(struct run *r, const char *op, const char *name)
{
  int flags = strcmp(op, "otrunc") == 0 ? O_WRONLY | O_TRUNC : O_RDWR;
  if (strcmp(op, "odirect") == 0)
    flags |= O_DIRECT;
  int fd = openat(r->dfd, name, flags | O_CLOEXEC);
  if (fd < 0)
    return -1;
  long res = 0;
  if (strcmp(op, "write") == 0)
    res = pwrite(fd, "x", 1, 0);
  else if (strcmp(op, "odirect") == 0)
    {
      void *blk = NULL;
      if (posix_memalign(&blk, KP_BLOCK, KP_BLOCK) != 0)
        res = -1;
      else
        {
          memset(blk, 'd', KP_BLOCK);
          res = pwrite(fd, blk, KP_BLOCK, 0);
          free(blk);
        }
    }
  else if (strcmp(op, "falloc") == 0)
    res = fallocate(fd, 0, 0, 2 * KP_BLOCK);
  else if (strcmp(op, "punch") == 0)
    res = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4);
  else if (strcmp(op, "zero") == 0)
    res = fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4);
  else if (strcmp(op, "ftruncate") == 0)
    res = ftruncate(fd, 3);
  else if (strcmp(op, "copy_range") == 0)
    {
      int in = openat(r->dfd, "kp_src", O_RDONLY | O_CLOEXEC);
      off_t off_in = 0, off_out = 0;
      res = in < 0 ? -1 : copy_file_range(in, &off_in, fd, &off_out, 7, 0);
      if (in >= 0)
        close(in);
    }
  int saved = errno;
  close(fd);
  errno = saved;
  return res;
}

/* Drop CAP_FSETID from this process's effective and permitted sets. */
static int
drop_fsetid(void)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

  if (syscall(SYS_capget, &h, d) < 0)
    return -1;
  d[0].effective &= ~(1u << CAP_FSETID);
  d[0].permitted &= ~(1u << CAP_FSETID);
  d[0].inheritable &= ~(1u << CAP_FSETID);
  return (int)syscall(SYS_capset, &h, d);
}

/* Each operation on its files, the first of each pair (prefix "kp_") as
   the case's user, the second ("kq_") by that user without CAP_FSETID, in
   a child: for root that is a caller of uid 0 that must lose the bits. */
static void
c_killpriv(struct run *r)
{
  char name[64], what[96];
  for (int pass = 0; pass < 2; pass++)
    for (size_t o = 0; o < KP_NOPS; o++)
      for (size_t m = 0; m < KP_NMODES; m++)
        {
          snprintf(name, sizeof name, "%s_%s_%04o", pass ? "kq" : "kp", kp_ops[o],
                   (unsigned)kp_modes[m]);
          snprintf(what, sizeof what, "%s on %04o%s", kp_ops[o], (unsigned)kp_modes[m],
                   pass ? " without CAP_FSETID" : "");
          if (pass == 0)
            {
              chk(r, what, kp_apply(r, kp_ops[o], name));
              st_at(r, name, name, AT_SYMLINK_NOFOLLOW);
              continue;
            }
          fflush(stdout);
          pid_t child = fork();
          if (child == 0)
            _exit(drop_fsetid() == 0 && kp_apply(r, kp_ops[o], name) >= 0 ? 0 : errno);
          int status = 0;
          if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status))
            rec(r, "%s: child failed", what);
          else if (WEXITSTATUS(status) != 0)
            rec(r, "%s: %s", what, errname(WEXITSTATUS(status)));
          else
            rec(r, "%s: ok", what);
          st_at(r, name, name, AT_SYMLINK_NOFOLLOW);
        }
}

/* ---- the table -------------------------------------------------------- */

static int
prep_reader(int dfd)
{
  return prep_file(dfd, "rfile", 0, 0, 0666);
}

/* A file opened for writing while it is open for reading: the reader sees
   what was written. */
static void
c_reader(struct run *r)
{
  char buf[64];
  int rfd = openat(r->dfd, "rfile", O_RDONLY | O_CLOEXEC);
  chk(r, "open for reading", rfd);
  int wfd = openat(r->dfd, "rfile", O_WRONLY | O_APPEND | O_CLOEXEC);
  chk(r, "open for writing while open for reading", wfd);
  if (wfd >= 0)
    {
      val(r, "append", write(wfd, "+more", 5));
      close(wfd);
    }
  if (rfd >= 0)
    {
      ssize_t n = pread(rfd, buf, sizeof buf - 1, 0);
      buf[n > 0 ? n : 0] = '\0';
      rec(r, "read through the first fd: %zd \"%s\"", n, buf);
      close(rfd);
    }
}

struct case_def
{
  const char *name;
  void (*fn)(struct run *r);
  int (*prep)(int dfd); /* as root, before the case; NULL for none */
  bool root_only;       /* not repeated as 65534 (slow, or meaningless) */
  /* A known difference: a mismatch is reported "xfail", a match "ok". */
  const char *xfail;
  /* Why a union cannot pass it: skipped with --scratch (NULL: run). */
  const char *scratch_skip;
  /* A known difference with --scratch only. */
  const char *scratch_xfail;
};

static const struct case_def cases[] = {
  { "open_flags", c_open_flags, NULL, false, NULL },
  { "tmpfile", c_tmpfile, NULL, false,
    "libfuse 3.14 has no tmpfile operation: the kernel answers EOPNOTSUPP" },
  { "read_write", c_read_write, NULL, false, NULL },
  { "truncate", c_truncate, NULL, false, NULL },
  { "sparse", c_sparse, NULL, false, NULL },
  { "sparse_5g", c_sparse_4g, NULL, false, NULL },
  { "seek_data_hole", c_seek_data_hole, NULL, false, NULL },
  { "fallocate", c_fallocate, NULL, false, NULL },
  { "fallocate_collapse_insert", c_fallocate_collapse_insert, NULL, false,
    "the kernel's FUSE client refuses COLLAPSE_RANGE and INSERT_RANGE (EOPNOTSUPP)" },
  { "copy_file_range", c_copy_file_range, NULL, false, NULL },
  { "mmap_shared", c_mmap_shared, NULL, false, NULL },
  { "mkdir_rmdir", c_mkdir_rmdir, NULL, false, NULL },
  { "rename", c_rename, NULL, false, NULL },
  { "link", c_link, NULL, false, NULL },
  { "unlink_open", c_unlink_open, NULL, false, NULL },
  { "symlink", c_symlink, NULL, false, NULL },
  { "mknod", c_mknod, NULL, false, NULL },
  { "device_open", c_device_open, NULL, false,
    "cntr mount mounts nodev: opening a device node is EACCES" },
  { "attrs", c_attrs, NULL, false, NULL },
  { "xattr", c_xattr, NULL, false, NULL },
  { "names", c_names, NULL, false, NULL },
  { "path_max", c_path_max, NULL, false, NULL },
  { "concurrent_writers", c_concurrent_writers, NULL, false, NULL },
  { "sticky", c_sticky, prep_sticky, false, NULL,
    "the case directory (prepared in the source, then changed: merged) reports st_nlink 1, as "
    "overlayfs, and the upper directory's st_size, which counts its whiteouts" },
  { "setgid", c_setgid, prep_setgid, false, NULL,
    "a directory prepared in the source reports the source file system's st_size (4096 on ext4, "
    "not the native tmpfs's)" },
  { "perms", c_perms, prep_perms, false, NULL },
  { "acl", c_acl, prep_acl, false, NULL },
  { "killpriv", c_killpriv, prep_killpriv, false, NULL },
  { "reader", c_reader, prep_reader, false, NULL, NULL,
    "a file of the source that the kernel passes through to it (FUSE passthrough) cannot be "
    "copied up while it is open: ETXTBSY, since the kernel takes one backing file per inode" },
  { "dir_10k", c_dir_10k, NULL, false, NULL },
  { "bigdir_100k", c_bigdir, NULL, true, NULL },
};
#define NCASES (sizeof cases / sizeof cases[0])

/* ---- running ------------------------------------------------------------ */

static char work[PATH_MAX];
static char mnt[PATH_MAX + 8];
static char src_dir[PATH_MAX + 16];
static char native_dir[PATH_MAX + 16];
static pid_t server = -1;
static bool mounted;
static bool scratch; /* --scratch */
static bool native_tmpfs;

static void
die(const char *what)
{
  fprintf(stderr, "conformance: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* The first line where the transcripts differ, for the report. */
static void
first_difference(const char *a, const char *b, char *out, size_t size)
{
  int line = 1;
  while (*a && *b)
    {
      size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
      if (la != lb || memcmp(a, b, la) != 0)
        {
          snprintf(out, size, "step %d: native \"%.*s\", cntr \"%.*s\"", line, (int)la, a, (int)lb,
                   b);
          return;
        }
      a += la + (a[la] ? 1 : 0);
      b += lb + (b[lb] ? 1 : 0);
      line++;
    }
  size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
  snprintf(out, size, "step %d: native \"%.*s\", cntr \"%.*s\"", line, (int)la, *a ? a : "(end)",
           (int)lb, *b ? b : "(end)");
}

struct tally
{
  int passed, failed, xfailed, skipped;
};

/* The case directories of one phase: SIDE/PHASE/NAME. */
static int
case_dir(const char *side, const char *phase, const char *name, bool create, uid_t owner)
{
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", side, phase);
  if (create)
    {
      if (mkdir(p, 0755) < 0 && errno != EEXIST)
        return -1;
    }
  snprintf(p, sizeof p, "%s/%s/%s", side, phase, name);
  if (create)
    {
      if (mkdir(p, 0755) < 0)
        return -1;
      if (chown(p, owner, owner) < 0)
        return -1;
    }
  return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool
selected(const struct case_def *c, const char *filter, bool as_user)
{
  if (as_user && c->root_only)
    return false;
  return filter == NULL || strstr(c->name, filter) != NULL;
}

/* Where the cntr side of a case is prepared: through the mount, or with
   --scratch for a case with a preparation, in the source (the union's
   lower layer). */
static const char *
prepared_side(const struct case_def *c)
{
  return scratch && c->prep != NULL ? src_dir : mnt;
}

/* As root: make the case directories of a phase on both sides and run the
   preparations.  Returns a bitmap of cases whose preparation failed. */
static void
prepare_phase(const char *phase, const char *filter, bool as_user, const char *native,
              bool *prep_failed)
{
  /* With --scratch, the phase's directory exists in the source before the
     mount is asked about it: a merged directory, from its first lookup on
     (one made through the mount first would be the session's own, which
     the source's of the same name could not join for as long as the
     kernel keeps it). */
  if (scratch)
    {
      char p[PATH_MAX + 64];
      snprintf(p, sizeof p, "%s/%s", src_dir, phase);
      if (mkdir(p, 0755) < 0 && errno != EEXIST)
        die("mkdir in the source");
    }
  for (size_t i = 0; i < NCASES; i++)
    {
      const char *sides[2] = { native, prepared_side(&cases[i]) };
      prep_failed[i] = false;
      if (!selected(&cases[i], filter, as_user) || (scratch && cases[i].scratch_skip != NULL))
        continue;
      for (int s = 0; s < 2; s++)
        {
          int dfd = case_dir(sides[s], phase, cases[i].name, true, as_user ? NOBODY : 0);
          if (dfd < 0 || (cases[i].prep != NULL && cases[i].prep(dfd) < 0))
            prep_failed[i] = true;
          if (dfd >= 0)
            close(dfd);
        }
    }
}

static void
run_phase(const char *phase, const char *filter, bool as_user, const char *native,
          const bool *prep_failed, struct tally *t)
{
  const char *sides[2] = { native, mnt };
  for (size_t i = 0; i < NCASES; i++)
    {
      const struct case_def *c = &cases[i];
      if (!selected(c, filter, as_user))
        continue;
      if (scratch && c->scratch_skip != NULL)
        {
          t->skipped++;
          printf("skip - %s%s # scratch: %s\n", c->name, as_user ? " (as 65534)" : "",
                 c->scratch_skip);
          continue;
        }
      struct run runs[2];
      memset(runs, 0, sizeof runs);
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      for (int s = 0; s < 2; s++)
        {
          runs[s].dfd = case_dir(sides[s], phase, c->name, false, 0);
          if (runs[s].dfd < 0)
            rec(&runs[s], "open case dir: %s", errname(errno));
          else
            {
              c->fn(&runs[s]);
              close(runs[s].dfd);
            }
          if (runs[s].buf == NULL)
            rec(&runs[s], "(no steps)");
        }
      clock_gettime(CLOCK_MONOTONIC, &t1);
      double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
      char diff[2600] = "";
      bool same = !prep_failed[i] && strcmp(runs[0].buf, runs[1].buf) == 0;
      if (prep_failed[i])
        snprintf(diff, sizeof diff, "preparation failed");
      else if (!same)
        first_difference(runs[0].buf, runs[1].buf, diff, sizeof diff);
      const char *tag = as_user ? " (as 65534)" : "";
      const char *xfail = c->xfail != NULL ? c->xfail : scratch ? c->scratch_xfail : NULL;
      if (same)
        {
          t->passed++;
          printf("ok - %s%s%s (%.1f s)\n", c->name, tag, xfail ? " # expected failure passed" : "",
                 secs);
        }
      else if (xfail != NULL)
        {
          t->xfailed++;
          printf("xfail - %s%s: %s # known: %s\n", c->name, tag, diff, xfail);
        }
      else
        {
          t->failed++;
          printf("FAIL - %s%s: %s\n", c->name, tag, diff);
        }
      if (getenv("CONFORMANCE_VERBOSE") != NULL)
        printf("--- native\n%s--- cntr\n%s---\n", runs[0].buf, runs[1].buf);
      fflush(stdout);
      free(runs[0].buf);
      free(runs[1].buf);
    }
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

static bool
is_fuse(const char *path)
{
  struct statfs sf;
  return statfs(path, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC;
}

static void
cleanup(void)
{
  /* cntr -f unmounts on SIGTERM and exits; a detach covers a server that
     did not. */
  if (server > 0)
    {
      int status;
      kill(server, SIGTERM);
      for (int i = 0; i < 100 && server > 0; i++)
        {
          if (waitpid(server, &status, WNOHANG) == server)
            server = -1;
          else
            usleep(50000);
        }
      if (server > 0)
        {
          kill(server, SIGKILL);
          waitpid(server, &status, 0);
          server = -1;
        }
    }
  if (mounted && is_fuse(mnt))
    umount2(mnt, MNT_DETACH);
  mounted = false;
  if (native_tmpfs)
    umount2(native_dir, MNT_DETACH);
  native_tmpfs = false;
  if (work[0] != '\0')
    nftw(work, rm_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  work[0] = '\0';
}

static void
on_signal(int sig)
{
  (void)sig;
  cleanup();
  _exit(1);
}

static void
start_server(const char *cntr, const char *src)
{
  server = fork();
  if (server < 0)
    die("fork");
  if (server == 0)
    {
      /* Should this program die, cntr unmounts and exits. */
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (scratch)
        execl(cntr, cntr, "mount", "-f", "--scratch", src, mnt, (char *)NULL);
      else
        execl(cntr, cntr, "mount", "-f", src, mnt, (char *)NULL);
      fprintf(stderr, "conformance: exec %s: %s\n", cntr, strerror(errno));
      _exit(127);
    }
  for (int i = 0; i < 100; i++)
    {
      if (is_fuse(mnt))
        {
          mounted = true;
          return;
        }
      int status;
      if (waitpid(server, &status, WNOHANG) == server)
        {
          server = -1;
          fprintf(stderr, "conformance: cntr mount exited (status %d)\n", status);
          cleanup();
          exit(1);
        }
      usleep(50000);
    }
  fprintf(stderr, "conformance: %s did not get mounted\n", mnt);
  cleanup();
  exit(1);
}

int
main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "--scratch") == 0)
    {
      scratch = true;
      argv++;
      argc--;
    }
  if (argc < 2 || argc > 3)
    {
      fprintf(stderr, "usage: %s [--scratch] CNTR_BINARY [CASE_FILTER]\n", argv[0]);
      return 2;
    }
  const char *cntr = argv[1];
  const char *filter = argc > 2 ? argv[2] : NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (geteuid() != 0)
    {
      printf("SKIP: needs root (mounts, chown, the 65534 phase)\n");
      return SKIP_CODE;
    }
  int fusefd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fusefd < 0)
    {
      printf("SKIP: /dev/fuse cannot be opened: %s\n", strerror(errno));
      return SKIP_CODE;
    }
  close(fusefd);
  if (access(cntr, X_OK) < 0)
    {
      printf("SKIP: cntr binary %s: %s\n", cntr, strerror(errno));
      return SKIP_CODE;
    }
  /* Our mount stays ours: nobody else sees it, and it goes when we do. */
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    die("private mount namespace");
  umask(022);

  const char *tmp = getenv("TMPDIR");
  snprintf(work, sizeof work, "%s/conformance.XXXXXX", tmp != NULL ? tmp : "/tmp");
  if (mkdtemp(work) == NULL)
    die("mkdtemp");
  atexit(cleanup);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
  /* 65534 must reach the case directories. */
  if (chmod(work, 0755) < 0)
    die("chmod work dir");
  char *native = native_dir, *src = src_dir;
  snprintf(native, sizeof native_dir, "%s/native", work);
  snprintf(src, sizeof src_dir, "%s/src", work);
  snprintf(mnt, sizeof mnt, "%s/mnt", work);
  if (mkdir(native, 0755) < 0 || mkdir(src, 0755) < 0 || mkdir(mnt, 0755) < 0)
    die("mkdir");
  /* What a union writes lands on its tmpfs: compared with a native one. */
  if (scratch)
    {
      if (mount("tmpfs", native, "tmpfs", 0, "mode=0755") < 0)
        die("mount a tmpfs for the native side");
      native_tmpfs = true;
      printf("# --scratch: cntr mount --scratch, the native side on a tmpfs\n");
    }
  struct statfs a, b;
  if (statfs(native, &a) == 0 && statfs(src, &b) == 0)
    printf("# native and source on file system type 0x%lx\n", (unsigned long)a.f_type);
  start_server(cntr, src);

  struct tally t = { 0 };
  bool prep_failed[NCASES];

  printf("# as root\n");
  prepare_phase("root", filter, false, native, prep_failed);
  run_phase("root", filter, false, native, prep_failed, &t);

  printf("# as uid/gid 65534, no supplementary groups\n");
  prepare_phase("user", filter, true, native, prep_failed);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    die("pipe");
  pid_t child = fork();
  if (child < 0)
    die("fork");
  if (child == 0)
    {
      close(fds[0]);
      struct tally u = { 0 };
      if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0
          || setresuid(NOBODY, NOBODY, NOBODY) < 0)
        {
          fprintf(stderr, "conformance: drop to 65534: %s\n", strerror(errno));
          _exit(1);
        }
      /* Dropping uid 0 cleared the dumpable flag, which makes /proc/self/fd
         root's; set it back so the case can use its own fd links. */
      prctl(PR_SET_DUMPABLE, 1);
      run_phase("user", filter, true, native, prep_failed, &u);
      if (write(fds[1], &u, sizeof u) != sizeof u)
        _exit(1);
      _exit(0);
    }
  close(fds[1]);
  struct tally u = { 0 };
  ssize_t n = read(fds[0], &u, sizeof u);
  close(fds[0]);
  int status;
  waitpid(child, &status, 0);
  if (n != sizeof u || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    {
      printf("FAIL - the 65534 phase did not finish (status 0x%x)\n", status);
      t.failed++;
    }
  t.passed += u.passed;
  t.failed += u.failed;
  t.xfailed += u.xfailed;
  t.skipped += u.skipped;

  printf("%d passed, %d failed", t.passed, t.failed);
  if (t.xfailed)
    printf(", %d known differences (xfail)", t.xfailed);
  if (t.skipped)
    printf(", %d skipped (--scratch)", t.skipped);
  printf("\n");
  cleanup();
  return t.failed ? 1 : 0;
}
