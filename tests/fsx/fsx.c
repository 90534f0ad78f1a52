/* SPDX-License-Identifier: MIT */
/* fsx: a randomized file exerciser in the manner of the classic fsx.  It
   keeps a model of the file in memory, applies random operations (read,
   write, mmap read, mmap write, truncate, fallocate, hole punch, zero range,
   copy_file_range, reopen) to both the file and the model, and compares the
   touched range after each operation and the whole file every so often.

     fsx [-N OPS] [-S SEED] [-l MAXLEN] [-k] [-v] FILE

   On a mismatch it prints the seed, the operation, the first differing
   offset and the last operations, and exits 1; the same seed replays the
   same run.  Exit 0 when all operations agreed.  FILE is created (and
   truncated); with -k, what FILE holds (up to MAXLEN) is kept and is the
   model's start. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum op_kind
{
  OP_READ,
  OP_WRITE,
  OP_MAPREAD,
  OP_MAPWRITE,
  OP_TRUNCATE,
  OP_FALLOCATE,
  OP_KEEP_SIZE,
  OP_PUNCH,
  OP_ZERO,
  OP_COPY,
  OP_REOPEN,
  OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
  [OP_READ] = "read",
  [OP_WRITE] = "write",
  [OP_MAPREAD] = "mapread",
  [OP_MAPWRITE] = "mapwrite",
  [OP_TRUNCATE] = "truncate",
  [OP_FALLOCATE] = "fallocate",
  [OP_KEEP_SIZE] = "falloc_keep_size",
  [OP_PUNCH] = "punch_hole",
  [OP_ZERO] = "zero_range",
  [OP_COPY] = "copy_range",
  [OP_REOPEN] = "reopen",
};

/* Relative frequencies. */
static const unsigned weights[OP_COUNT] = {
  [OP_READ] = 20,    [OP_WRITE] = 24,    [OP_MAPREAD] = 8,   [OP_MAPWRITE] = 8,
  [OP_TRUNCATE] = 6, [OP_FALLOCATE] = 4, [OP_KEEP_SIZE] = 3, [OP_PUNCH] = 6,
  [OP_ZERO] = 6,     [OP_COPY] = 6,      [OP_REOPEN] = 1,
};

struct logent
{
  unsigned long n;
  enum op_kind op;
  long long off, len, off2, size_before, size_after;
};

#define LOGSIZE 32

struct fsx
{
  const char *path;
  int fd;
  uint64_t seed;
  uint64_t rng;
  unsigned long n;
  long long size;   /* the model's size */
  long long maxlen; /* the file never grows past this */
  char *good;       /* the model, maxlen bytes, zero past size */
  char *buf;        /* scratch, maxlen bytes */
  long pagesize;
  bool disabled[OP_COUNT]; /* operations the file system does not support */
  bool verbose;
  struct logent log[LOGSIZE];
  unsigned long logged;
};

static uint64_t
rnd(struct fsx *f)
{
  /* xorshift64*: fast and enough for choosing offsets. */
  f->rng ^= f->rng >> 12;
  f->rng ^= f->rng << 25;
  f->rng ^= f->rng >> 27;
  return f->rng * 2685821657736338717ULL;
}

static long long
rnd_below(struct fsx *f, long long n)
{
  return n > 0 ? (long long)(rnd(f) % (uint64_t)n) : 0;
}

static void
log_op(struct fsx *f, enum op_kind op, long long off, long long len, long long off2,
       long long before)
{
  struct logent *e = &f->log[f->logged++ % LOGSIZE];
  *e = (struct logent){ f->n, op, off, len, off2, before, f->size };
  if (f->verbose)
    printf("%lu %s off %lld len %lld off2 %lld size %lld -> %lld\n", e->n, op_names[op], off, len,
           off2, before, f->size);
}

static void
dump_log(const struct fsx *f)
{
  unsigned long start = f->logged > LOGSIZE ? f->logged - LOGSIZE : 0;
  fprintf(stderr, "last %lu operations (op: off len [off2] size before -> after):\n",
          f->logged - start);
  for (unsigned long i = start; i < f->logged; i++)
    {
      const struct logent *e = &f->log[i % LOGSIZE];
      fprintf(stderr, "  %6lu %-16s 0x%llx 0x%llx", e->n, op_names[e->op], e->off, e->len);
      if (e->op == OP_COPY)
        fprintf(stderr, " -> 0x%llx", e->off2);
      fprintf(stderr, "  size 0x%llx -> 0x%llx\n", e->size_before, e->size_after);
    }
}

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(struct fsx *f, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "fsx: FAILED at operation %lu (seed %" PRIu64 ", file %s): ", f->n, f->seed,
          f->path);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  dump_log(f);
  fprintf(stderr, "replay: fsx -N %lu -S %" PRIu64 " FILE\n", f->n + 1, f->seed);
  exit(1);
}

#define FAIL(f, ...) fail((f), __VA_ARGS__)

/* Compare got (len bytes read from offset off) with the model. */
static void
check_bytes(struct fsx *f, const char *what, const char *got, long long off, long long len)
{
  if (memcmp(got, f->good + off, (size_t)len) == 0)
    return;
  long long i = 0;
  while (i < len && got[i] == f->good[off + i])
    i++;
  long long j = i;
  while (j < len && got[j] != f->good[off + j])
    j++;
  FAIL(f,
       "%s: data differs at offset 0x%llx (%lld bytes differ from there): expected 0x%02x, "
       "got 0x%02x",
       what, off + i, j - i, (unsigned char)f->good[off + i], (unsigned char)got[i]);
}

static void
check_size(struct fsx *f, const char *what)
{
  struct stat st;
  if (fstat(f->fd, &st) < 0)
    FAIL(f, "%s: fstat: %s", what, strerror(errno));
  if (st.st_size != f->size)
    FAIL(f, "%s: size is 0x%llx, expected 0x%llx", what, (long long)st.st_size, f->size);
}

static void
check_range(struct fsx *f, const char *what, long long off, long long len)
{
  if (off >= f->size)
    return;
  if (off + len > f->size)
    len = f->size - off;
  ssize_t n = pread(f->fd, f->buf, (size_t)len, off);
  if (n < 0)
    FAIL(f, "%s: pread back: %s", what, strerror(errno));
  if (n != len)
    FAIL(f, "%s: short pread back: %zd of %lld at 0x%llx", what, n, len, off);
  check_bytes(f, what, f->buf, off, len);
}

static void
check_all(struct fsx *f, const char *what)
{
  check_size(f, what);
  check_range(f, what, 0, f->size);
  char c;
  if (pread(f->fd, &c, 1, f->size) != 0)
    FAIL(f, "%s: data past the end", what);
}

static void
fill(struct fsx *f, char *p, long long len)
{
  /* Bytes that tell operations apart: a per-operation value mixed with the
     position. */
  unsigned char base = (unsigned char)(f->n * 7 + 1);
  for (long long i = 0; i < len; i++)
    p[i] = (char)(base + (unsigned char)i * 13 + (unsigned char)(i >> 8));
}

/* A random range: mostly small, sometimes large, sometimes page-aligned. */
static void
pick_range(struct fsx *f, long long *off, long long *len, long long limit)
{
  long long maxlen = rnd_below(f, 4) == 0 ? f->maxlen : 65536;
  *off = rnd_below(f, limit > 0 ? limit : 1);
  *len = 1 + rnd_below(f, maxlen);
  if (rnd_below(f, 4) == 0)
    {
      *off &= ~(f->pagesize - 1);
      *len = (*len + f->pagesize - 1) & ~(f->pagesize - 1);
    }
  if (*off + *len > f->maxlen)
    *len = f->maxlen - *off;
  if (*len <= 0)
    *len = 1, *off = f->maxlen - 1;
}

static void
grow_model(struct fsx *f, long long end)
{
  if (end > f->size)
    {
      memset(f->good + f->size, 0, (size_t)(end - f->size));
      f->size = end;
    }
}

static void
shrink_model(struct fsx *f, long long size)
{
  if (size < f->size)
    memset(f->good + size, 0, (size_t)(f->size - size));
  f->size = size;
}

static void
op_read(struct fsx *f)
{
  long long off, len;
  if (f->size == 0)
    {
      log_op(f, OP_READ, 0, 0, 0, 0);
      return;
    }
  pick_range(f, &off, &len, f->size);
  if (off + len > f->size)
    len = f->size - off;
  log_op(f, OP_READ, off, len, 0, f->size);
  ssize_t n = pread(f->fd, f->buf, (size_t)len, off);
  if (n != len)
    FAIL(f, "read: %zd of %lld bytes at 0x%llx (%s)", n, len, off,
         n < 0 ? strerror(errno) : "short");
  check_bytes(f, "read", f->buf, off, len);
}

static void
op_write(struct fsx *f)
{
  long long off, len, before = f->size;
  pick_range(f, &off, &len, f->maxlen);
  fill(f, f->buf, len);
  ssize_t n = pwrite(f->fd, f->buf, (size_t)len, off);
  if (n != len)
    FAIL(f, "write: %zd of %lld bytes at 0x%llx (%s)", n, len, off,
         n < 0 ? strerror(errno) : "short");
  grow_model(f, off + len);
  memcpy(f->good + off, f->buf, (size_t)len);
  log_op(f, OP_WRITE, off, len, 0, before);
  check_range(f, "write", off, len);
}

static void
op_mapread(struct fsx *f)
{
  long long off, len;
  if (f->size == 0)
    {
      log_op(f, OP_MAPREAD, 0, 0, 0, 0);
      return;
    }
  pick_range(f, &off, &len, f->size);
  if (off + len > f->size)
    len = f->size - off;
  log_op(f, OP_MAPREAD, off, len, 0, f->size);
  long long pg = off & ~(f->pagesize - 1);
  size_t maplen = (size_t)(off + len - pg);
  char *p = mmap(NULL, maplen, PROT_READ, MAP_SHARED, f->fd, pg);
  if (p == MAP_FAILED)
    FAIL(f, "mapread: mmap: %s", strerror(errno));
  check_bytes(f, "mapread", p + (off - pg), off, len);
  munmap(p, maplen);
}

static void
op_mapwrite(struct fsx *f)
{
  long long off, len, before = f->size;
  pick_range(f, &off, &len, f->maxlen);
  /* A mapping cannot extend a file: grow it first, as fsx does. */
  if (off + len > f->size)
    {
      if (ftruncate(f->fd, off + len) < 0)
        FAIL(f, "mapwrite: ftruncate: %s", strerror(errno));
      grow_model(f, off + len);
    }
  long long pg = off & ~(f->pagesize - 1);
  size_t maplen = (size_t)(off + len - pg);
  char *p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, pg);
  if (p == MAP_FAILED)
    FAIL(f, "mapwrite: mmap: %s", strerror(errno));
  fill(f, f->good + off, len);
  memcpy(p + (off - pg), f->good + off, (size_t)len);
  if (msync(p, maplen, MS_SYNC) < 0)
    FAIL(f, "mapwrite: msync: %s", strerror(errno));
  munmap(p, maplen);
  log_op(f, OP_MAPWRITE, off, len, 0, before);
  check_range(f, "mapwrite", off, len);
}

static void
op_truncate(struct fsx *f)
{
  long long before = f->size;
  long long size = rnd_below(f, f->maxlen + 1);
  if (ftruncate(f->fd, size) < 0)
    FAIL(f, "truncate to 0x%llx: %s", size, strerror(errno));
  if (size > f->size)
    grow_model(f, size);
  else
    shrink_model(f, size);
  log_op(f, OP_TRUNCATE, size, 0, 0, before);
  check_size(f, "truncate");
  if (size > before)
    check_range(f, "truncate", before, size - before);
}

/* Returns false when the file system does not support the mode (the op is
   then disabled for the rest of the run, and says so once). */
static bool
try_fallocate(struct fsx *f, enum op_kind op, int mode, long long off, long long len)
{
  if (fallocate(f->fd, mode, off, len) == 0)
    return true;
  if (errno == EOPNOTSUPP)
    {
      printf("fsx: %s not supported here, disabled\n", op_names[op]);
      f->disabled[op] = true;
      return false;
    }
  FAIL(f, "%s 0x%llx 0x%llx: %s", op_names[op], off, len, strerror(errno));
}

static void
op_fallocate(struct fsx *f, enum op_kind op)
{
  long long off, len, before = f->size;
  pick_range(f, &off, &len, f->maxlen);
  switch (op)
    {
    case OP_FALLOCATE:
      if (!try_fallocate(f, op, 0, off, len))
        return;
      grow_model(f, off + len);
      break;
    case OP_KEEP_SIZE:
      if (!try_fallocate(f, op, FALLOC_FL_KEEP_SIZE, off, len))
        return;
      break;
    case OP_PUNCH:
      if (!try_fallocate(f, op, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
        return;
      if (off < f->size)
        memset(f->good + off, 0, (size_t)((off + len > f->size ? f->size : off + len) - off));
      break;
    case OP_ZERO:
      if (!try_fallocate(f, op, FALLOC_FL_ZERO_RANGE, off, len))
        return;
      grow_model(f, off + len);
      memset(f->good + off, 0, (size_t)len);
      break;
    case OP_READ:
    case OP_WRITE:
    case OP_MAPREAD:
    case OP_MAPWRITE:
    case OP_TRUNCATE:
    case OP_COPY:
    case OP_REOPEN:
    case OP_COUNT:
      return;
    }
  log_op(f, op, off, len, 0, before);
  check_size(f, op_names[op]);
  check_range(f, op_names[op], off, len);
}

static void
op_copy(struct fsx *f)
{
  long long before = f->size;
  if (f->size < 2)
    {
      log_op(f, OP_COPY, 0, 0, 0, before);
      return;
    }
  /* Source inside the file, destination anywhere, not overlapping (the
     kernel refuses overlapping copies within one file). */
  long long len = 1 + rnd_below(f, f->size / 2 < 65536 ? f->size / 2 : 65536);
  long long src = rnd_below(f, f->size - len + 1);
  long long dst = rnd_below(f, f->maxlen - len + 1);
  if (dst < src + len && src < dst + len)
    {
      log_op(f, OP_COPY, src, 0, dst, before);
      return;
    }
  loff_t in = src, out = dst;
  long long done = 0;
  while (done < len)
    {
      ssize_t n = copy_file_range(f->fd, &in, f->fd, &out, (size_t)(len - done), 0);
      if (n < 0 && (errno == EOPNOTSUPP || errno == EXDEV || errno == ENOSYS))
        {
          printf("fsx: copy_file_range not supported here (%s), disabled\n", strerror(errno));
          f->disabled[OP_COPY] = true;
          if (done == 0)
            return;
          break;
        }
      if (n <= 0)
        FAIL(f, "copy_file_range 0x%llx -> 0x%llx 0x%llx: %s", src, dst, len,
             n < 0 ? strerror(errno) : "returned 0");
      done += n;
    }
  grow_model(f, dst + done);
  memmove(f->good + dst, f->good + src, (size_t)done);
  log_op(f, OP_COPY, src, done, dst, before);
  check_size(f, "copy_range");
  check_range(f, "copy_range", dst, done);
}

static void
op_reopen(struct fsx *f)
{
  if (close(f->fd) < 0)
    FAIL(f, "close: %s", strerror(errno));
  f->fd = open(f->path, O_RDWR | O_CLOEXEC);
  if (f->fd < 0)
    FAIL(f, "reopen: %s", strerror(errno));
  log_op(f, OP_REOPEN, 0, 0, 0, f->size);
  check_all(f, "reopen");
}

static enum op_kind
pick_op(struct fsx *f)
{
  unsigned total = 0;
  for (int i = 0; i < OP_COUNT; i++)
    total += f->disabled[i] ? 0 : weights[i];
  unsigned r = (unsigned)rnd_below(f, total);
  for (int i = 0; i < OP_COUNT; i++)
    {
      if (f->disabled[i])
        continue;
      if (r < weights[i])
        return (enum op_kind)i;
      r -= weights[i];
    }
  return OP_READ;
}

/* -k: the file's contents, cut to maxlen, are where the model starts. */
static int
load_existing(struct fsx *f)
{
  while (f->size < f->maxlen)
    {
      ssize_t n = pread(f->fd, f->good + f->size, (size_t)(f->maxlen - f->size), f->size);
      if (n < 0)
        {
          fprintf(stderr, "fsx: reading %s: %s\n", f->path, strerror(errno));
          return -1;
        }
      if (n == 0)
        break;
      f->size += n;
    }
  if (ftruncate(f->fd, f->size) < 0)
    {
      fprintf(stderr, "fsx: truncating %s: %s\n", f->path, strerror(errno));
      return -1;
    }
  check_all(f, "initial contents");
  return 0;
}

static void
usage(const char *argv0)
{
  fprintf(stderr, "usage: %s [-N OPS] [-S SEED] [-l MAXLEN] [-k] [-v] FILE\n", argv0);
  exit(2);
}

int
main(int argc, char **argv)
{
  struct fsx f = { .maxlen = 256 * 1024 };
  unsigned long ops = 10000;
  bool have_seed = false, keep = false;
  int opt;
  while ((opt = getopt(argc, argv, "N:S:l:kv")) != -1)
    switch (opt)
      {
      case 'k':
        keep = true;
        break;
      case 'N':
        ops = strtoul(optarg, NULL, 0);
        break;
      case 'S':
        f.seed = strtoull(optarg, NULL, 0);
        have_seed = true;
        break;
      case 'l':
        f.maxlen = strtoll(optarg, NULL, 0);
        break;
      case 'v':
        f.verbose = true;
        break;
      default:
        usage(argv[0]);
      }
  if (optind != argc - 1 || f.maxlen < 2)
    usage(argv[0]);
  if (!have_seed)
    {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      f.seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
    }
  f.path = argv[optind];
  f.rng = f.seed * 0x9E3779B97F4A7C15ULL + 1;
  f.pagesize = sysconf(_SC_PAGESIZE);
  f.good = calloc(1, (size_t)f.maxlen);
  f.buf = malloc((size_t)f.maxlen);
  if (f.good == NULL || f.buf == NULL)
    {
      fprintf(stderr, "fsx: out of memory\n");
      return 1;
    }
  f.fd = open(f.path, O_RDWR | O_CREAT | (keep ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
  if (f.fd < 0)
    {
      fprintf(stderr, "fsx: %s: %s\n", f.path, strerror(errno));
      return 1;
    }
  if (keep && load_existing(&f) < 0)
    return 1;
  printf("fsx: %lu operations on %s, seed %" PRIu64 ", max length %lld\n", ops, f.path, f.seed,
         f.maxlen);
  fflush(stdout);
  for (f.n = 0; f.n < ops; f.n++)
    {
      enum op_kind op = pick_op(&f);
      switch (op)
        {
        case OP_READ:
          op_read(&f);
          break;
        case OP_WRITE:
          op_write(&f);
          break;
        case OP_MAPREAD:
          op_mapread(&f);
          break;
        case OP_MAPWRITE:
          op_mapwrite(&f);
          break;
        case OP_TRUNCATE:
          op_truncate(&f);
          break;
        case OP_FALLOCATE:
        case OP_KEEP_SIZE:
        case OP_PUNCH:
        case OP_ZERO:
          op_fallocate(&f, op);
          break;
        case OP_COPY:
          op_copy(&f);
          break;
        case OP_REOPEN:
          op_reopen(&f);
          break;
        case OP_COUNT:
          break;
        }
      if (f.n % 1000 == 999)
        check_all(&f, "periodic check");
    }
  check_all(&f, "final check");
  close(f.fd);
  printf("fsx: all %lu operations agreed (seed %" PRIu64 ")\n", ops, f.seed);
  free(f.good);
  free(f.buf);
  return 0;
}
