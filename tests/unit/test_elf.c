/* SPDX-License-Identifier: MIT */
/* The PT_INTERP finder on hand-built ELF images: well-formed ones of every
   class and byte order, and hostile ones that must be rejected (never read
   out of bounds: run under ASan); and the open/read of a file served with
   its interpreter rewritten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cntrfs-elf.h"

#define INTERP "/lib64/ld-linux-x86-64.so.2"

struct image
{
  unsigned char data[8192];
  size_t size;
  bool msb;
  bool is64;
};

static void
put(struct image *im, size_t off, uint64_t v, int bytes)
{
  for (int i = 0; i < bytes; i++)
    {
      int shift = 8 * (im->msb ? bytes - 1 - i : i);
      im->data[off + (size_t)i] = (unsigned char)(v >> shift);
    }
}

/* Offsets of the fields we set, per class. */
static size_t
phdr_size(const struct image *im)
{
  return im->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

static size_t
ehdr_size(const struct image *im)
{
  return im->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

static void
set_phdr(struct image *im, size_t index, uint32_t type, uint64_t offset, uint64_t filesz)
{
  size_t base = ehdr_size(im) + index * phdr_size(im);

  put(im, base, type, 4);
  if (im->is64)
    {
      put(im, base + offsetof(Elf64_Phdr, p_offset), offset, 8);
      put(im, base + offsetof(Elf64_Phdr, p_filesz), filesz, 8);
      put(im, base + offsetof(Elf64_Phdr, p_memsz), filesz, 8);
    }
  else
    {
      put(im, base + offsetof(Elf32_Phdr, p_offset), offset, 4);
      put(im, base + offsetof(Elf32_Phdr, p_filesz), filesz, 4);
      put(im, base + offsetof(Elf32_Phdr, p_memsz), filesz, 4);
    }
}

static void
set_phoff(struct image *im, uint64_t phoff)
{
  if (im->is64)
    put(im, offsetof(Elf64_Ehdr, e_phoff), phoff, 8);
  else
    put(im, offsetof(Elf32_Ehdr, e_phoff), phoff, 4);
}

static void
set_phnum(struct image *im, uint16_t phnum)
{
  put(im, im->is64 ? offsetof(Elf64_Ehdr, e_phnum) : offsetof(Elf32_Ehdr, e_phnum), phnum, 2);
}

static void
set_phentsize(struct image *im, uint16_t n)
{
  put(im, im->is64 ? offsetof(Elf64_Ehdr, e_phentsize) : offsetof(Elf32_Ehdr, e_phentsize), n, 2);
}

/* An executable with PT_PHDR, PT_INTERP (-> interp), PT_LOAD, the string
   right after the program headers. */
static size_t
build(struct image *im, bool is64, bool msb, const char *interp)
{
  size_t phoff, stroff, len = strlen(interp) + 1;

  memset(im, 0, sizeof *im);
  im->is64 = is64;
  im->msb = msb;
  memcpy(im->data, ELFMAG, SELFMAG);
  im->data[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
  im->data[EI_DATA] = msb ? ELFDATA2MSB : ELFDATA2LSB;
  im->data[EI_VERSION] = EV_CURRENT;
  put(im, offsetof(Elf64_Ehdr, e_type), ET_DYN, 2);
  put(im, offsetof(Elf64_Ehdr, e_machine), is64 ? EM_X86_64 : EM_386, 2);
  phoff = ehdr_size(im);
  set_phoff(im, phoff);
  set_phentsize(im, (uint16_t)phdr_size(im));
  set_phnum(im, 3);
  stroff = phoff + 3 * phdr_size(im);
  set_phdr(im, 0, PT_PHDR, phoff, 3 * phdr_size(im));
  set_phdr(im, 1, PT_INTERP, stroff, len);
  set_phdr(im, 2, PT_LOAD, 0, stroff + len);
  memcpy(im->data + stroff, interp, len);
  im->size = stroff + len + 16;
  return stroff;
}

static void
expect_interp(struct image *im, size_t stroff, const char *interp)
{
  struct elf_interp ei;

  assert_int_equal(elf_find_interp_buf(im->data, im->size, &ei), 1);
  assert_string_equal(ei.path, interp);
  assert_int_equal(ei.offset, stroff);
  assert_int_equal(ei.len, strlen(interp));
  assert_int_equal(ei.size, strlen(interp) + 1);
}

static void
expect_none(struct image *im)
{
  struct elf_interp ei;

  assert_int_equal(elf_find_interp_buf(im->data, im->size, &ei), 0);
}

static void
test_valid_64_lsb(void **state)
{
  struct image im;
  size_t off = build(&im, true, false, INTERP);

  (void)state;
  expect_interp(&im, off, INTERP);
}

static void
test_valid_64_msb(void **state)
{
  struct image im;
  size_t off = build(&im, true, true, "/lib/ld64.so.1");

  (void)state;
  expect_interp(&im, off, "/lib/ld64.so.1");
}

static void
test_valid_32_lsb(void **state)
{
  struct image im;
  size_t off = build(&im, false, false, "/lib/ld-linux.so.2");

  (void)state;
  expect_interp(&im, off, "/lib/ld-linux.so.2");
}

static void
test_valid_32_msb(void **state)
{
  struct image im;
  size_t off = build(&im, false, true, "/lib/ld.so.1");

  (void)state;
  expect_interp(&im, off, "/lib/ld.so.1");
}

static void
test_no_interp(void **state)
{
  struct image im;

  (void)state;
  build(&im, true, false, INTERP);
  set_phdr(&im, 1, PT_NOTE, 0, 4);
  expect_none(&im);
}

static void
test_not_elf(void **state)
{
  struct image im;

  (void)state;
  build(&im, true, false, INTERP);
  im.data[1] = 'X';
  expect_none(&im);
  memcpy(im.data, "#!/bin/sh\necho hi\n", 18);
  expect_none(&im);
}

static void
test_bad_class_and_type(void **state)
{
  struct image im;

  (void)state;
  build(&im, true, false, INTERP);
  im.data[EI_CLASS] = 7;
  expect_none(&im);
  build(&im, true, false, INTERP);
  im.data[EI_DATA] = 0;
  expect_none(&im);
  build(&im, true, false, INTERP);
  put(&im, offsetof(Elf64_Ehdr, e_type), ET_REL, 2);
  expect_none(&im);
}

static void
test_truncated(void **state)
{
  struct image im;
  struct elf_interp ei;
  size_t off = build(&im, true, false, INTERP);

  (void)state;
  /* Every prefix of the file: header cut, program headers cut, string cut.
     Only prefixes that hold the whole string may succeed. */
  for (size_t n = 0; n < im.size; n++)
    {
      int r = elf_find_interp_buf(im.data, n, &ei);
      if (n >= off + strlen(INTERP) + 1)
        assert_int_equal(r, 1);
      else
        assert_int_equal(r, 0);
    }
}

static void
test_phdrs_beyond_file(void **state)
{
  struct image im;

  (void)state;
  build(&im, true, false, INTERP);
  set_phoff(&im, im.size - 10);
  expect_none(&im);
  /* offset + size overflowing 64 bits must not wrap around */
  build(&im, true, false, INTERP);
  set_phoff(&im, UINT64_MAX - 8);
  expect_none(&im);
  build(&im, true, false, INTERP);
  set_phnum(&im, 0xfff0);
  expect_none(&im);
  build(&im, true, false, INTERP);
  set_phnum(&im, PN_XNUM);
  expect_none(&im);
  build(&im, true, false, INTERP);
  set_phentsize(&im, 8);
  expect_none(&im);
}

static void
test_interp_beyond_file(void **state)
{
  struct image im;

  (void)state;
  build(&im, true, false, INTERP);
  set_phdr(&im, 1, PT_INTERP, im.size - 4, 28);
  expect_none(&im);
  build(&im, true, false, INTERP);
  set_phdr(&im, 1, PT_INTERP, UINT64_MAX - 2, 28);
  expect_none(&im);
  build(&im, false, false, INTERP);
  set_phdr(&im, 1, PT_INTERP, 0xfffffff0u, 0x20);
  expect_none(&im);
  /* sizes the kernel refuses */
  build(&im, true, false, INTERP);
  set_phdr(&im, 1, PT_INTERP, 0, 5000);
  im.size = 6000;
  expect_none(&im);
  build(&im, true, false, INTERP);
  set_phdr(&im, 1, PT_INTERP, 0, 1);
  expect_none(&im);
}

static void
test_interp_not_nul_terminated(void **state)
{
  struct image im;
  size_t off = build(&im, true, false, INTERP);

  (void)state;
  /* segment one byte short: its last byte is the final '2', not the NUL */
  set_phdr(&im, 1, PT_INTERP, off, strlen(INTERP));
  expect_none(&im);
}

static void
test_interp_embedded_nul(void **state)
{
  struct image im;
  size_t off = build(&im, true, false, INTERP);
  struct elf_interp ei;

  (void)state;
  /* A padded segment (string, NUL, more NULs) is fine, len is strlen. */
  set_phdr(&im, 1, PT_INTERP, off, strlen(INTERP) + 9);
  assert_int_equal(elf_find_interp_buf(im.data, im.size, &ei), 1);
  assert_int_equal(ei.len, strlen(INTERP));
  assert_int_equal(ei.size, strlen(INTERP) + 9);
}

static void
test_first_interp_counts(void **state)
{
  struct image im;
  size_t off = build(&im, true, false, INTERP);

  (void)state;
  set_phdr(&im, 0, PT_INTERP, off + 6, strlen(INTERP) + 1 - 6);
  expect_interp(&im, off + 6, INTERP + 6);
}

static ssize_t
failing_read(void *ctx, void *buf, size_t size, uint64_t offset)
{
  (void)ctx;
  (void)buf;
  (void)size;
  (void)offset;
  errno = EIO;
  return -1;
}

static void
test_read_error(void **state)
{
  struct elf_interp ei;

  (void)state;
  errno = 0;
  assert_int_equal(elf_find_interp(failing_read, NULL, 4096, &ei), -1);
  assert_int_equal(errno, EIO);
}

/* Flip bytes of a valid image at random (fixed seed): nothing may crash,
   and a success must describe a string inside the file. */
static void
test_mutations(void **state)
{
  struct image im, orig;
  struct elf_interp ei;

  (void)state;
  build(&orig, true, false, INTERP);
  srand(42);
  for (int round = 0; round < 20000; round++)
    {
      im = orig;
      for (int k = 0; k < 4; k++)
        {
          size_t pos = (size_t)rand() % (orig.size);
          im.data[pos] = (unsigned char)rand();
        }
      if (elf_find_interp_buf(im.data, im.size, &ei) == 1)
        {
          assert_true(ei.offset + ei.size <= im.size);
          assert_true(ei.len < ei.size);
        }
    }
}

static ssize_t
fd_read(void *ctx, void *buf, size_t size, uint64_t offset)
{
  return pread(*(int *)ctx, buf, size, (off_t)offset);
}

static void
test_real_binary(void **state)
{
  struct elf_interp ei;
  struct stat st;
  int fd = open("/bin/true", O_RDONLY | O_CLOEXEC);

  (void)state;
  if (fd < 0 || fstat(fd, &st) < 0)
    skip();
  assert_int_equal(elf_find_interp(fd_read, &fd, (uint64_t)st.st_size, &ei), 1);
  assert_true(ei.len > 0 && ei.path[0] == '/');
  close(fd);
}

/* A memfd holding the image, with the given mode. */
static int
image_fd(const struct image *im, mode_t mode)
{
  int fd = memfd_create("elf", MFD_CLOEXEC);

  assert_true(fd >= 0);
  assert_int_equal(write(fd, im->data, im->size), (ssize_t)im->size);
  assert_int_equal(fchmod(fd, mode), 0);
  return fd;
}

#define SHORT "/var/lib/cntr/.i"

static void
test_interp_open(void **state)
{
  struct elf_interp_patch p;
  struct image im;
  size_t off = build(&im, true, false, INTERP);
  int fd;

  (void)state;
  fd = image_fd(&im, 0755);
  assert_int_equal(elf_interp_open(fd, INTERP, strlen(INTERP), SHORT, strlen(SHORT), &p), 1);
  assert_int_equal(p.offset, off);
  assert_int_equal(p.len, strlen(INTERP) + 1);
  assert_ptr_equal(p.to, SHORT);
  assert_int_equal(p.to_len, strlen(SHORT));
  /* Another interpreter is left alone. */
  assert_int_equal(elf_interp_open(fd, "/lib/ld.so", 10, SHORT, strlen(SHORT), &p), 0);
  close(fd);

  /* Not executable, or not an ELF: served as they are. */
  fd = image_fd(&im, 0644);
  assert_int_equal(elf_interp_open(fd, INTERP, strlen(INTERP), SHORT, strlen(SHORT), &p), 0);
  close(fd);
  im.data[0] = 'x';
  fd = image_fd(&im, 0755);
  assert_int_equal(elf_interp_open(fd, INTERP, strlen(INTERP), SHORT, strlen(SHORT), &p), 0);
  close(fd);
}

static void
test_interp_read(void **state)
{
  struct elf_interp_patch p;
  struct image im, want;
  size_t off = build(&im, true, false, INTERP);
  char buf[sizeof im.data];
  int fd;

  (void)state;
  want = im;
  memset(want.data + off, 0, strlen(INTERP) + 1);
  memcpy(want.data + off, SHORT, strlen(SHORT));
  fd = image_fd(&im, 0755);
  assert_int_equal(elf_interp_open(fd, INTERP, strlen(INTERP), SHORT, strlen(SHORT), &p), 1);

  /* Which reads touch the string: [off, off + len). */
  assert_false(elf_interp_covers(&p, 0, off));
  assert_true(elf_interp_covers(&p, 0, off + 1));
  assert_true(elf_interp_covers(&p, off + p.len - 1, 1));
  assert_false(elf_interp_covers(&p, off + p.len, 4096));

  /* The whole file, and every split of it around the string, reads as
     the rewritten image; a read past the end is short. */
  assert_int_equal(elf_interp_read(&p, fd, buf, sizeof buf, 0), (ssize_t)im.size);
  assert_memory_equal(buf, want.data, im.size);
  for (size_t at = off - 3; at <= off + p.len + 3; at++)
    {
      assert_int_equal(elf_interp_read(&p, fd, buf, 5, at), 5);
      assert_memory_equal(buf, want.data + at, 5);
    }
  assert_int_equal(elf_interp_read(&p, fd, buf, 64, im.size - 2), 2);
  close(fd);

  /* A read failing: a negative errno. */
  assert_int_equal(elf_interp_read(&p, -1, buf, 8, off), -EBADF);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_64_lsb),
    cmocka_unit_test(test_valid_64_msb),
    cmocka_unit_test(test_valid_32_lsb),
    cmocka_unit_test(test_valid_32_msb),
    cmocka_unit_test(test_no_interp),
    cmocka_unit_test(test_not_elf),
    cmocka_unit_test(test_bad_class_and_type),
    cmocka_unit_test(test_truncated),
    cmocka_unit_test(test_phdrs_beyond_file),
    cmocka_unit_test(test_interp_beyond_file),
    cmocka_unit_test(test_interp_not_nul_terminated),
    cmocka_unit_test(test_interp_embedded_nul),
    cmocka_unit_test(test_first_interp_counts),
    cmocka_unit_test(test_read_error),
    cmocka_unit_test(test_mutations),
    cmocka_unit_test(test_real_binary),
    cmocka_unit_test(test_interp_open),
    cmocka_unit_test(test_interp_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
