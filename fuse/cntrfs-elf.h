/* SPDX-License-Identifier: MIT */
/* Finding the PT_INTERP string of an ELF file (32 and 64 bit, either byte
   order).  Pure parsing: the bytes come from a caller-supplied read callback,
   so the same code serves files (pread) and unit tests (buffers).  Every
   offset and size taken from the file is checked against the file size, so
   a hostile file yields "no interpreter", never a crash. */
#ifndef CNTR_FUSE_ELF_H
#define CNTR_FUSE_ELF_H

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

#endif
