/* SPDX-License-Identifier: MIT */
/* The PT_INTERP rewrite of ELF executables: finding the string (32 and 64
   bit, either byte order), and serving an open file with the string
   replaced.

   The finder is pure parsing: the bytes come from a caller-supplied read
   callback, so the same code serves files (pread) and unit tests
   (buffers).  Every offset and size taken from the file is checked against
   the file size, so a hostile file yields "no interpreter", never a crash.
   Error convention: the finder returns -1 with errno set; the open/read
   functions return a negative errno. */
#ifndef CNTR_FUSE_ELF_H
#define CNTR_FUSE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel refuses interpreters longer than a page (binfmt_elf), so do we. */
#define ELF_INTERP_MAX 4096

/* Reads up to size bytes at offset into buf; returns the number read (less
   than size only at end of file) or -1 with errno set. */
typedef ssize_t (*elf_read_fn)(void *ctx, void *buf, size_t size, uint64_t offset);

struct elf_interp
{
  uint64_t offset; /* file offset of the string */
  uint64_t size;   /* p_filesz: the bytes the segment reserves, NUL included */
  size_t len;      /* strlen (path) */
  char path[ELF_INTERP_MAX];
};

/* Returns 1 and fills *out when the file is an ELF executable or shared
   object with a well-formed PT_INTERP (inside the file, at most
   ELF_INTERP_MAX bytes, its last byte NUL as the kernel requires), 0 when it
   is not an ELF, is malformed or has no PT_INTERP, -1 with errno set when a
   read failed. */
int elf_find_interp(elf_read_fn read_fn, void *ctx, uint64_t file_size, struct elf_interp *out);

/* The same on a buffer holding the whole file. */
int elf_find_interp_buf(const void *buf, size_t size, struct elf_interp *out);

/* An open file whose PT_INTERP string reads as another one. */
struct elf_interp_patch
{
  uint64_t offset; /* of the string in the file */
  size_t len;      /* bytes rewritten: the string and its NUL */
  const char *to;  /* what they read as, NUL-padded; not owned */
  size_t to_len;   /* strlen (to), less than len */
};

/* fd is a file open for reading.  When it is an executable (some x bit)
   regular file, an ELF whose PT_INTERP is from (from_len bytes), fills *p
   to present to (to_len <= from_len) instead and returns 1; returns 0
   otherwise, also when reading it failed: the file is then served as it
   is. */
int elf_interp_open(int fd, const char *from, size_t from_len, const char *to, size_t to_len,
                    struct elf_interp_patch *p);

/* Whether a read of size bytes at off includes a byte of the string; the
   other reads are the file's own bytes. */
bool elf_interp_covers(const struct elf_interp_patch *p, uint64_t off, size_t size);

/* Read up to size bytes at off (fewer only at end of file) into buf, with
   the string rewritten: how many, or a negative errno. */
ssize_t elf_interp_read(const struct elf_interp_patch *p, int fd, void *buf, size_t size,
                        uint64_t off);

/* The string (NUL-terminated, not empty) of a file, where it starts after
   a NUL, to read as an empty string: its first byte as NUL.  Fills *p and
   returns 1 when the file (at most ELF_MASK_FILE_MAX bytes) has it, 0 when
   not, a negative errno when reading failed. */
#define ELF_MASK_FILE_MAX (16u << 20)
int elf_mask_string_find(int fd, const char *string, struct elf_interp_patch *p);
/* Whether the string is still where p says (the file may have been
   replaced). */
bool elf_mask_string_still(int fd, const char *string, const struct elf_interp_patch *p);

#endif
