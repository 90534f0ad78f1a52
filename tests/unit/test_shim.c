/* SPDX-License-Identifier: MIT */
/* The shim image: the embedded program is fit to be an interpreter, and
   shim_image_build writes exactly its configuration block; the audit
   module answers la_objsearch as configured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shim.h"
#include "shim/audit-config.h"
#include "shim/shim-config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC_LEN (sizeof CNTR_SHIM_CONFIG_MAGIC)

static int
build(const char *loader, const char *library_path, void **image, size_t *size)
{
  struct shim_paths paths = { .loader = loader, .library_path = library_path };
  return shim_image_build(&paths, image, size);
}

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
  assert_int_equal(build(loader, path, &image, &size), 0);
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
  assert_int_equal(build("/a-long-loader-path/ld.so", "/x:/y:/z", &a, &size_a), 0);
  assert_int_equal(build("/l", "", &b, &size_b), 0);
  size_t offset = 0;
  assert_int_equal(count_magic(b, size_b, &offset), 1);
  const char *config = (const char *)b + offset + MAGIC_LEN;
  assert_string_equal(config, "/l");
  assert_string_equal(config + 3, "");
  assert_int_equal(config[4], 0);
  assert_int_equal(config[5], 0);
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
  /* Exactly fits: loader + NUL, then three empty strings. */
  loader[room - 4] = '\0';
  assert_int_equal(build(loader, "", &image, &size), 0);
  size_t offset = 0;
  assert_int_equal(count_magic(image, size, &offset), 1);
  assert_string_equal((const char *)image + offset + MAGIC_LEN, loader);
  free(image);

  /* One byte more does not. */
  image = (void *)1;
  errno = 0;
  assert_int_equal(build(loader, "x", &image, &size), -1);
  assert_int_equal(errno, ENAMETOOLONG);
  assert_ptr_equal(image, (void *)1);

  loader[room - 4] = 'l';
  loader[room - 3] = '\0';
  errno = 0;
  assert_int_equal(build(loader, "", &image, &size), -1);
  assert_int_equal(errno, ENAMETOOLONG);
  free(loader);
}

static void
test_build_exec_dir_and_audit_follow_library_path(void **state)
{
  (void)state;
  void *image = NULL;
  size_t size = 0;
  struct shim_paths paths = { "/b/ld.so", "/b/lib", "/b/.cntr-exec", "/b/.cntr-audit.so" };
  assert_int_equal(shim_image_build(&paths, &image, &size), 0);
  size_t offset = 0;
  assert_int_equal(count_magic(image, size, &offset), 1);
  const char *config = (const char *)image + offset + MAGIC_LEN;
  assert_string_equal(config, "/b/ld.so");
  config += sizeof "/b/ld.so";
  assert_string_equal(config, "/b/lib");
  config += sizeof "/b/lib";
  assert_string_equal(config, "/b/.cntr-exec");
  config += sizeof "/b/.cntr-exec";
  assert_string_equal(config, "/b/.cntr-audit.so");
  free(image);
  paths.library_path = NULL;
  assert_int_equal(shim_image_build(&paths, &image, &size), -1);
  assert_int_equal(errno, EINVAL);
}

static void
test_build_no_loader(void **state)
{
  (void)state;
  void *image = NULL;
  size_t size = 0;
  errno = 0;
  assert_int_equal(build("", "/lib", &image, &size), -1);
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

/* The audit module, configured and loaded for real. */
struct audit
{
  void *handle;
  unsigned int (*version)(unsigned int);
  char *(*objsearch)(const char *, uintptr_t *, unsigned int);
};

static void
audit_load(struct audit *a, const void *image, size_t size)
{
  int fd = memfd_create("cntr-audit", MFD_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, image, size), (ssize_t)size);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  a->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  close(fd);
  assert_non_null(a->handle);
  *(void **)&a->version = dlsym(a->handle, "la_version");
  *(void **)&a->objsearch = dlsym(a->handle, "la_objsearch");
  assert_non_null(a->version);
  assert_non_null(a->objsearch);
}

static void
assert_answer_for(const struct audit *a, unsigned int flag, const char *name, const char *want)
{
  uintptr_t cookie = 0;
  char *got = a->objsearch(name, &cookie, flag);
  if (!want)
    {
      assert_null(got);
      return;
    }
  assert_non_null(got);
  if (!strcmp(want, name))
    assert_ptr_equal(got, name); /* left alone, not copied */
  else
    assert_string_equal(got, want);
}

#define LA_RUNPATH 0x04 /* LA_SER_RUNPATH of <link.h> */
#define LA_CONFIG 0x08
#define LA_DEFAULT 0x40
#define assert_answer(a, name, want) assert_answer_for(a, LA_RUNPATH, name, want)

static void
test_audit_takes_system_libraries_from_the_tools(void **state)
{
  (void)state;
  const char *dirs[] = { "/lib", "/usr/lib", "/opt/tools/lib", "/", NULL };
  void *image = NULL;
  size_t size = 0;
  assert_int_equal(
      shim_audit_image_build("/var/lib/cntr", "/.cntr", "/nonexistent", dirs, &image, &size), 0);
  assert_int_equal(size, cntr_audit_image_size);
  struct audit a;
  audit_load(&a, image, size);
  free(image);

  /* Names still to be searched for, and relative paths: untouched. */
  assert_answer(&a, "libnss_evil.so.2", "libnss_evil.so.2");
  assert_answer(&a, "lib/x.so", "lib/x.so");
  /* The target's system libraries are the tools'. */
  assert_answer(&a, "/lib/x86_64-linux-gnu/libnss_evil.so.2",
                "/var/lib/cntr/lib/x86_64-linux-gnu/libnss_evil.so.2");
  assert_answer(&a, "/usr/lib/x86_64-linux-gnu/gconv/EVIL.so",
                "/var/lib/cntr/usr/lib/x86_64-linux-gnu/gconv/EVIL.so");
  assert_answer(&a, "/opt/tools/lib/y.so", "/var/lib/cntr/opt/tools/lib/y.so");
  /* Spelled around: normalised before the check. */
  assert_answer(&a, "/app/../usr/lib/evil.so", "/var/lib/cntr/usr/lib/evil.so");
  assert_answer(&a, "//usr/./lib//evil.so", "/var/lib/cntr/usr/lib/evil.so");
  assert_answer(&a, "/var/lib/cntr/../../../usr/lib/evil.so", "/var/lib/cntr/usr/lib/evil.so");
  /* The tools' own paths, and what the user names elsewhere. */
  assert_answer(&a, "/var/lib/cntr/usr/lib/libc.so.6", "/var/lib/cntr/usr/lib/libc.so.6");
  assert_answer(&a, "/.cntr/usr/lib/libc.so.6", "/.cntr/usr/lib/libc.so.6");
  assert_answer(&a, "/app/lib/x.so", "/app/lib/x.so");
  assert_answer(&a, "/usr/libexec/x.so", "/usr/libexec/x.so");
  assert_answer(&a, "/var/lib/cntrx/usr/lib/x.so", "/var/lib/cntrx/usr/lib/x.so");
  /* "/" was not taken as a library directory. */
  assert_answer(&a, "/srv/x.so", "/srv/x.so");
  /* The target's ld.so.cache: never. */
  assert_answer_for(&a, LA_CONFIG, "/usr/lib/libc.so.6", NULL);
  assert_answer_for(&a, LA_CONFIG, "/var/lib/cntr/usr/lib/libc.so.6", NULL);
  /* Too long to answer: refused, never passed on. */
  char *longname = malloc(5000);
  assert_non_null(longname);
  memset(longname, 'a', 4999);
  memcpy(longname, "/usr/lib/", 9);
  longname[4999] = '\0';
  assert_answer(&a, longname, NULL);
  free(longname);
  dlclose(a.handle);
}

/* A library looked for in the default directories is the first of its
   name in the tools' library path, or none; la_version stands aside in a
   program that is not the tools'. */
static void
test_audit_searches_the_tools_library_path(void **state)
{
  (void)state;
  char dir[] = "/tmp/cntr-test-audit-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char a_dir[64], b_dir[64], lib[96];
  snprintf(a_dir, sizeof a_dir, "%s/a", dir);
  snprintf(b_dir, sizeof b_dir, "%s/b", dir);
  assert_int_equal(mkdir(a_dir, 0755), 0);
  assert_int_equal(mkdir(b_dir, 0755), 0);
  snprintf(lib, sizeof lib, "%s/libonly-b.so.1", b_dir);
  FILE *f = fopen(lib, "w");
  assert_non_null(f);
  fclose(f);
  char search[160];
  snprintf(search, sizeof search, "%s:%s", a_dir, b_dir);
  /* The test program itself is "the tools'" when base holds it. */
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  assert_true(n > 0);
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  const char *dirs[] = { "/usr/lib", NULL };
  void *image = NULL;
  size_t size = 0;
  assert_int_equal(shim_audit_image_build(exe, "", search, dirs, &image, &size), 0);
  struct audit a;
  audit_load(&a, image, size);
  free(image);
  assert_int_equal(a.version(2), 1);
  assert_int_equal(a.version(0), 0);
  assert_answer_for(&a, LA_DEFAULT, "/lib/x86_64-linux-gnu/libonly-b.so.1", lib);
  assert_answer_for(&a, LA_DEFAULT, "/usr/lib/glibc-hwcaps/x86-64-v3/libonly-b.so.1", lib);
  assert_answer_for(&a, LA_DEFAULT, "/lib/libnss_evil.so.2", NULL);
  dlclose(a.handle);

  assert_int_equal(shim_audit_image_build("/var/lib/cntr", "", search, dirs, &image, &size), 0);
  audit_load(&a, image, size);
  free(image);
  assert_int_equal(a.version(2), 0);
  dlclose(a.handle);
  unlink(lib);
  rmdir(a_dir);
  rmdir(b_dir);
  rmdir(dir);
}

static void
test_audit_unconfigured_changes_nothing(void **state)
{
  (void)state;
  struct audit a;
  audit_load(&a, cntr_audit_image, cntr_audit_image_size);
  assert_int_equal(a.version(2), 0);
  assert_answer(&a, "/usr/lib/x.so", "/usr/lib/x.so");
  dlclose(a.handle);
  void *image = NULL;
  size_t size = 0;
  assert_int_equal(shim_audit_image_build("relative", "", "", NULL, &image, &size), -1);
  assert_int_equal(errno, EINVAL);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_embedded_image_is_an_interpreter),
    cmocka_unit_test(test_build_writes_config),
    cmocka_unit_test(test_build_twice_overwrites),
    cmocka_unit_test(test_build_too_long),
    cmocka_unit_test(test_build_exec_dir_and_audit_follow_library_path),
    cmocka_unit_test(test_build_no_loader),
    cmocka_unit_test(test_default_interp),
    cmocka_unit_test(test_audit_takes_system_libraries_from_the_tools),
    cmocka_unit_test(test_audit_searches_the_tools_library_path),
    cmocka_unit_test(test_audit_unconfigured_changes_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
