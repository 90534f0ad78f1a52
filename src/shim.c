/* SPDX-License-Identifier: MIT */
/* The per-session images of the interpreter shim and the loader audit
   module (shim.h). */
#include "shim.h"

#include "log.h"
#include "shim/audit-config.h"
#include "shim/shim-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd copy of the embedded image src with the configuration block
   after magic filled with the strings, each '\0'-terminated, then zeros. */
static int
image_with_config(const char *what, const unsigned char *src, size_t src_size, const char *magic,
                  size_t block_size, const char *const *strings, size_t n, void **image,
                  size_t *size)
{
  const size_t magic_len = strlen(magic) + 1;
  if (src_size == 0)
    return cntr_fail(ENOSYS, "build the %s: none for this architecture", what);

  /* The build checked that the magic occurs once; check again, the block is
     about to be overwritten. */
  const unsigned char *block = memmem(src, src_size, magic, magic_len);
  if (!block || block + block_size > src + src_size
      || memmem(block + 1, src_size - (size_t)(block + 1 - src), magic, magic_len))
    return cntr_fail(EINVAL, "build the %s: no unique configuration block", what);

  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += strlen(strings[i]) + 1;
  if (total > block_size - magic_len)
    return cntr_fail(ENAMETOOLONG, "build the %s: its paths exceed %zu bytes", what,
                     block_size - magic_len);

  unsigned char *copy = malloc(src_size);
  if (!copy)
    return cntr_fail(errno, "build the %s", what);
  memcpy(copy, src, src_size);
  unsigned char *config = copy + (block - src) + magic_len;
  memset(config, 0, block_size - magic_len);
  for (size_t i = 0; i < n; i++)
    {
      size_t len = strlen(strings[i]) + 1;
      memcpy(config, strings[i], len);
      config += len;
    }
  *image = copy;
  *size = src_size;
  return 0;
}

int
shim_image_build(const struct shim_paths *paths, void **image, size_t *size)
{
  if (!paths->loader || !*paths->loader || !paths->library_path)
    return cntr_fail(EINVAL, "build the interpreter shim: no loader");
  const char *strings[]
      = { paths->loader, paths->library_path, paths->exec_dir ? paths->exec_dir : "",
          paths->audit ? paths->audit : "" };
  return image_with_config("interpreter shim", cntr_shim_image, cntr_shim_image_size,
                           CNTR_SHIM_CONFIG_MAGIC, CNTR_SHIM_CONFIG_SIZE, strings,
                           sizeof strings / sizeof *strings, image, size);
}

int
shim_audit_image_build(const char *base, const char *alias, const char *search,
                       const char *const *dirs, void **image, size_t *size)
{
  if (!base || base[0] != '/' || !alias || !search)
    return cntr_fail(EINVAL, "build the loader audit module: no base dir");
  size_t ndirs = 0;
  while (dirs && dirs[ndirs])
    ndirs++;
  const char **strings = calloc(ndirs + 4, sizeof *strings);
  if (!strings)
    return cntr_fail(errno, "build the loader audit module");
  size_t n = 0;
  strings[n++] = base;
  strings[n++] = alias;
  strings[n++] = search;
  for (size_t i = 0; i < ndirs; i++)
    if (dirs[i][0] == '/' && dirs[i][1]) /* never "/": it holds everything */
      strings[n++] = dirs[i];
  strings[n++] = "";
  int r
      = image_with_config("loader audit module", cntr_audit_image, cntr_audit_image_size,
                          CNTR_AUDIT_CONFIG_MAGIC, CNTR_AUDIT_CONFIG_SIZE, strings, n, image, size);
  free(strings);
  return r;
}

const char *
shim_default_interp(void)
{
#if defined(__x86_64__)
  return "/lib64/ld-linux-x86-64.so.2";
#elif defined(__aarch64__)
  return "/lib/ld-linux-aarch64.so.1";
#else
  errno = ENOSYS;
  return NULL;
#endif
}
