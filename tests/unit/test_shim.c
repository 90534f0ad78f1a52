/* SPDX-License-Identifier: MIT */
/* The shim image: the embedded program is fit to be an interpreter, and
   shim_image_build writes exactly its configuration block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shim.h"
#include "shim/shim-config.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_LEN (sizeof CNTR_SHIM_CONFIG_MAGIC)

static size_t
count_magic(const unsigned char *image, size_t size, size_t *offset)
{
  size_t n = 0;
  const unsigned char *p = image;
  while ((p = memmem(p, size - (size_t)(p - image), CNTR_SHIM_CONFIG_MAGIC, MAGIC_LEN)))
    {
      if (n++ == 0)
        *offset = (size_t)(p - image);
      p++;
    }
  return n;
}

static void
test_embedded_image_is_an_interpreter(void **state)
{
  (void)state;
  assert_true(cntr_shim_image_size > sizeof(Elf64_Ehdr));
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)cntr_shim_image;
  assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
  assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS64);
  /* Mapped at a random base: it must be position independent. */
  assert_int_equal(eh->e_type, ET_DYN);
#if defined(__x86_64__)
  assert_int_equal(eh->e_machine, EM_X86_64);
#elif defined(__aarch64__)
  assert_int_equal(eh->e_machine, EM_AARCH64);
#endif
  assert_true(eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) <= cntr_shim_image_size);
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(cntr_shim_image + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; i++)
    assert_int_not_equal(ph[i].p_type, PT_INTERP);

  size_t offset = 0;
  assert_int_equal(count_magic(cntr_shim_image, cntr_shim_image_size, &offset), 1);
  assert_true(offset + CNTR_SHIM_CONFIG_SIZE <= cntr_shim_image_size);
  /* Unconfigured: the shim refuses to run rather than exec "". */
  assert_int_equal(cntr_shim_image[offset + MAGIC_LEN], 0);
}

static void
test_build_writes_config(void **state)
{
  (void)state;
  void *image = NULL;
  size_t size = 0;
  const char *loader = "/var/lib/cntr/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
  const char *path = "/var/lib/cntr/usr/lib/x86_64-linux-gnu:/var/lib/cntr/usr/lib";
  assert_int_equal(shim_image_build(loader, path, &image, &size), 0);
  assert_non_null(image);
  assert_int_equal(size, cntr_shim_image_size);

  const unsigned char *img = image;
  size_t offset = 0;
  assert_int_equal(count_magic(img, size, &offset), 1);
  const char *config = (const char *)img + offset + MAGIC_LEN;
  assert_string_equal(config, loader);
  assert_string_equal(config + strlen(loader) + 1, path);
  size_t used = MAGIC_LEN + strlen(loader) + 1 + strlen(path) + 1;
  for (size_t i = used; i < CNTR_SHIM_CONFIG_SIZE; i++)
    assert_int_equal(img[offset + i], 0);

  /* Nothing else changed, and the embedded image is left alone. */
  assert_memory_equal(img, cntr_shim_image, offset + MAGIC_LEN);
  size_t end = offset + CNTR_SHIM_CONFIG_SIZE;
  assert_memory_equal(img + end, cntr_shim_image + end, size - end);
  assert_int_equal(cntr_shim_image[offset + MAGIC_LEN], 0);
  free(image);
}

static void
test_build_twice_overwrites(void **state)
{
  (void)state;
  void *a = NULL, *b = NULL;
  size_t size_a = 0, size_b = 0;
  assert_int_equal(shim_image_build("/a-long-loader-path/ld.so", "/x:/y:/z", &a, &size_a), 0);
  assert_int_equal(shim_image_build("/l", "", &b, &size_b), 0);
  size_t offset = 0;
  assert_int_equal(count_magic(b, size_b, &offset), 1);
  const char *config = (const char *)b + offset + MAGIC_LEN;
  assert_string_equal(config, "/l");
  assert_string_equal(config + 3, "");
  assert_int_equal(config[4], 0);
  free(a);
  free(b);
}

static void
test_build_too_long(void **state)
{
  (void)state;
  size_t room = CNTR_SHIM_CONFIG_SIZE - MAGIC_LEN;
  char *loader = malloc(room);
  assert_non_null(loader);
  memset(loader, 'l', room);
  loader[0] = '/';

  void *image = (void *)1;
  size_t size = 0;
  /* Exactly fits: loader + NUL + "" + NUL + "" + NUL. */
  loader[room - 3] = '\0';
  assert_int_equal(shim_image_build(loader, "", &image, &size), 0);
  size_t offset = 0;
  assert_int_equal(count_magic(image, size, &offset), 1);
  assert_string_equal((const char *)image + offset + MAGIC_LEN, loader);
  free(image);

  /* One byte more does not. */
  image = (void *)1;
  errno = 0;
  assert_int_equal(shim_image_build(loader, "x", &image, &size), -1);
  assert_int_equal(errno, ENAMETOOLONG);
  assert_ptr_equal(image, (void *)1);

  loader[room - 3] = 'l';
  loader[room - 2] = '\0';
  errno = 0;
  assert_int_equal(shim_image_build(loader, "", &image, &size), -1);
  assert_int_equal(errno, ENAMETOOLONG);
  free(loader);
}

static void
test_build_exec_dir_follows_library_path(void **state)
{
  (void)state;
  void *image = NULL;
  size_t size = 0;
  assert_int_equal(
      shim_image_build_with_exec_dir("/b/ld.so", "/b/lib", "/b/.cntr-exec", &image, &size), 0);
  size_t offset = 0;
  assert_int_equal(count_magic(image, size, &offset), 1);
  const char *config = (const char *)image + offset + MAGIC_LEN;
  assert_string_equal(config, "/b/ld.so");
  assert_string_equal(config + sizeof "/b/ld.so", "/b/lib");
  assert_string_equal(config + sizeof "/b/ld.so" + sizeof "/b/lib", "/b/.cntr-exec");
  free(image);
  assert_int_equal(shim_image_build_with_exec_dir("/b/ld.so", "/b/lib", NULL, &image, &size), -1);
  assert_int_equal(errno, EINVAL);
}

static void
test_build_no_loader(void **state)
{
  (void)state;
  void *image = NULL;
  size_t size = 0;
  errno = 0;
  assert_int_equal(shim_image_build("", "/lib", &image, &size), -1);
  assert_int_equal(errno, EINVAL);
  assert_null(image);
}

static void
test_default_interp(void **state)
{
  (void)state;
#if defined(__x86_64__)
  assert_string_equal(shim_default_interp(), "/lib64/ld-linux-x86-64.so.2");
#elif defined(__aarch64__)
  assert_string_equal(shim_default_interp(), "/lib/ld-linux-aarch64.so.1");
#else
  skip();
#endif
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_embedded_image_is_an_interpreter),
    cmocka_unit_test(test_build_writes_config),
    cmocka_unit_test(test_build_twice_overwrites),
    cmocka_unit_test(test_build_too_long),
    cmocka_unit_test(test_build_exec_dir_follows_library_path),
    cmocka_unit_test(test_build_no_loader),
    cmocka_unit_test(test_default_interp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
