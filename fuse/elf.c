/* SPDX-License-Identifier: MIT */
/* The PT_INTERP rewrite (cntrfs-elf.h): the parser that finds the string,
   and the open/read of a file that presents it rewritten. */
#include "cntrfs-elf.h"
#include "cleanup.h"
#include "io.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fields are decoded by hand rather than through Elf64_Ehdr casts so that
   both byte orders work and nothing depends on the buffer's alignment. */
struct reader
{
  bool msb;
};

static uint16_t
get16(const struct reader *r, const unsigned char *p)
{
  if (r->msb)
    return (uint16_t)((p[0] << 8) | p[1]);
  return (uint16_t)((p[1] << 8) | p[0]);
}

static uint32_t
get32(const struct reader *r, const unsigned char *p)
{
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    v |= (uint32_t)p[r->msb ? 3 - i : i] << (8 * i);
  return v;
}

static uint64_t
get64(const struct reader *r, const unsigned char *p)
{
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[r->msb ? 7 - i : i] << (8 * i);
  return v;
}

/* 0 when all size bytes were read, 1 on a short read, -1 on error. */
static int
read_exact(elf_read_fn read_fn, void *ctx, void *buf, size_t size, uint64_t offset)
{
  size_t done = 0;
  while (done < size)
    {
      ssize_t n = read_fn(ctx, (char *)buf + done, size - done, offset + done);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (n == 0)
        return 1;
      done += (size_t)n;
    }
  return 0;
}

/* Bounds check without overflow: does [offset, offset + size) lie inside a
   file of file_size bytes? */
static bool
in_file(uint64_t offset, uint64_t size, uint64_t file_size)
{
  return offset <= file_size && size <= file_size - offset;
}

int
elf_find_interp(elf_read_fn read_fn, void *ctx, uint64_t file_size, struct elf_interp *out)
{
  unsigned char ehdr[sizeof(Elf64_Ehdr)];
  struct reader r;
  bool is64;
  uint64_t phoff;
  uint16_t phentsize, phnum, type;
  size_t min_entsize;
  int ret;

  if (file_size < sizeof(Elf32_Ehdr))
    return 0;
  ret = read_exact(read_fn, ctx, ehdr, file_size < sizeof ehdr ? sizeof(Elf32_Ehdr) : sizeof ehdr,
                   0);
  if (ret != 0)
    return ret < 0 ? -1 : 0;
  if (memcmp(ehdr, ELFMAG, SELFMAG) != 0 || ehdr[EI_VERSION] != EV_CURRENT)
    return 0;
  switch (ehdr[EI_CLASS])
    {
    case ELFCLASS32:
      is64 = false;
      break;
    case ELFCLASS64:
      is64 = true;
      if (file_size < sizeof(Elf64_Ehdr))
        return 0;
      break;
    default:
      return 0;
    }
  switch (ehdr[EI_DATA])
    {
    case ELFDATA2LSB:
      r.msb = false;
      break;
    case ELFDATA2MSB:
      r.msb = true;
      break;
    default:
      return 0;
    }

  type = get16(&r, ehdr + offsetof(Elf64_Ehdr, e_type)); /* same offset in both classes */
  if (type != ET_EXEC && type != ET_DYN)
    return 0;
  if (is64)
    {
      phoff = get64(&r, ehdr + offsetof(Elf64_Ehdr, e_phoff));
      phentsize = get16(&r, ehdr + offsetof(Elf64_Ehdr, e_phentsize));
      phnum = get16(&r, ehdr + offsetof(Elf64_Ehdr, e_phnum));
      min_entsize = sizeof(Elf64_Phdr);
    }
  else
    {
      phoff = get32(&r, ehdr + offsetof(Elf32_Ehdr, e_phoff));
      phentsize = get16(&r, ehdr + offsetof(Elf32_Ehdr, e_phentsize));
      phnum = get16(&r, ehdr + offsetof(Elf32_Ehdr, e_phnum));
      min_entsize = sizeof(Elf32_Phdr);
    }
  /* PN_XNUM moves the real count into section 0; no executable needs it. */
  if (phnum == 0 || phnum == PN_XNUM || phentsize < min_entsize)
    return 0;
  if (!in_file(phoff, (uint64_t)phnum * phentsize, file_size))
    return 0;

  for (uint16_t i = 0; i < phnum; i++)
    {
      unsigned char phdr[sizeof(Elf64_Phdr)];
      uint64_t p_offset, p_filesz;

      ret = read_exact(read_fn, ctx, phdr, min_entsize, phoff + (uint64_t)i * phentsize);
      if (ret != 0)
        return ret < 0 ? -1 : 0;
      if (get32(&r, phdr) != PT_INTERP)
        continue;
      if (is64)
        {
          p_offset = get64(&r, phdr + offsetof(Elf64_Phdr, p_offset));
          p_filesz = get64(&r, phdr + offsetof(Elf64_Phdr, p_filesz));
        }
      else
        {
          p_offset = get32(&r, phdr + offsetof(Elf32_Phdr, p_offset));
          p_filesz = get32(&r, phdr + offsetof(Elf32_Phdr, p_filesz));
        }
      /* As binfmt_elf: the first PT_INTERP counts, it must fit in a page
         and end in a NUL. */
      if (p_filesz < 2 || p_filesz > ELF_INTERP_MAX || !in_file(p_offset, p_filesz, file_size))
        return 0;
      ret = read_exact(read_fn, ctx, out->path, (size_t)p_filesz, p_offset);
      if (ret != 0)
        return ret < 0 ? -1 : 0;
      if (out->path[p_filesz - 1] != '\0')
        return 0;
      out->offset = p_offset;
      out->size = p_filesz;
      out->len = strlen(out->path);
      return 1;
    }
  return 0;
}

struct buf_ctx
{
  const unsigned char *data;
  size_t size;
};

static ssize_t
buf_read(void *ctx, void *buf, size_t size, uint64_t offset)
{
  const struct buf_ctx *b = ctx;
  if (offset >= b->size)
    return 0;
  if (size > b->size - offset)
    size = b->size - (size_t)offset;
  memcpy(buf, b->data + offset, size);
  return (ssize_t)size;
}

int
elf_find_interp_buf(const void *buf, size_t size, struct elf_interp *out)
{
  struct buf_ctx b = { buf, size };
  return elf_find_interp(buf_read, &b, size, out);
}

/* ---- serving a rewritten file ------------------------------------------ */

static ssize_t
pread_cb(void *ctx, void *buf, size_t size, uint64_t offset)
{
  return pread(*(int *)ctx, buf, size, (off_t)offset);
}

int
elf_interp_open(int fd, const char *from, size_t from_len, const char *to, size_t to_len,
                struct elf_interp_patch *p)
{
  struct elf_interp ei;
  struct stat st;

  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
    return 0;
  if (elf_find_interp(pread_cb, &fd, (uint64_t)st.st_size, &ei) != 1)
    return 0;
  if (ei.len != from_len || memcmp(ei.path, from, ei.len) != 0)
    return 0;
  p->offset = ei.offset;
  p->len = ei.len + 1;
  p->to = to;
  p->to_len = to_len;
  return 1;
}

bool
elf_interp_covers(const struct elf_interp_patch *p, uint64_t off, size_t size)
{
  return off < p->offset + p->len && off + size > p->offset;
}

ssize_t
elf_interp_read(const struct elf_interp_patch *p, int fd, void *buf, size_t size, uint64_t off)
{
  char *out = buf;
  ssize_t got = pread_full(fd, buf, size, (off_t)off);

  if (got < 0)
    return errno > 0 ? -errno : -EIO;
  for (uint64_t at = off; at < off + (uint64_t)got; at++)
    {
      if (at < p->offset || at >= p->offset + p->len)
        continue;
      size_t i = (size_t)(at - p->offset);
      out[at - off] = i < p->to_len ? p->to[i] : '\0';
    }
  return got;
}

int
elf_mask_string_find(int fd, const char *string, struct elf_interp_patch *p)
{
  struct stat st;
  size_t len = strlen(string);

  if (fstat(fd, &st) < 0)
    return errno > 0 ? -errno : -EIO;
  if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > ELF_MASK_FILE_MAX)
    return 0;
  cleanup_free char *buf = malloc((size_t)st.st_size);
  if (buf == NULL)
    return -ENOMEM;
  ssize_t n = pread_full(fd, buf, (size_t)st.st_size, 0);
  if (n < 0)
    return errno > 0 ? -errno : -EIO;
  /* "\0string\0": the string itself, not the tail of a longer one. */
  for (const char *at = buf; (at = memmem(at, (size_t)(buf + n - at), string, len + 1)) != NULL;
       at++)
    if (at > buf && at[-1] == '\0')
      {
        *p = (struct elf_interp_patch){
          .offset = (uint64_t)(at - buf), .len = 1, .to = "", .to_len = 0
        };
        return 1;
      }
  return 0;
}

bool
elf_mask_string_still(int fd, const char *string, const struct elf_interp_patch *p)
{
  size_t len = strlen(string) + 1;
  char buf[256];

  if (p->len == 0 || len > sizeof buf)
    return false;
  return pread_full(fd, buf, len, (off_t)p->offset) == (ssize_t)len && !memcmp(buf, string, len);
}
