/* SPDX-License-Identifier: MIT */
/* The per-session image of the interpreter shim (shim.h). */
#include "shim.h"

#include "log.h"
#include "shim/shim-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
shim_image_build(const char *loader, const char *library_path, void **image, size_t *size)
{
  return shim_image_build_with_exec_dir(loader, library_path, "", image, size);
}

int
shim_image_build_with_exec_dir(const char *loader, const char *library_path, const char *exec_dir,
                               void **image, size_t *size)
{
  const unsigned char *src = cntr_shim_image;
  size_t src_size = cntr_shim_image_size;
  const size_t magic_len = sizeof CNTR_SHIM_CONFIG_MAGIC;

  if (src_size == 0)
    return cntr_fail(ENOSYS, "build the interpreter shim: none for this architecture");
  if (!loader || !*loader || !library_path || !exec_dir)
    return cntr_fail(EINVAL, "build the interpreter shim: no loader");

  /* The build checked that the magic occurs once; check again, the block is
     about to be overwritten. */
  const unsigned char *block = memmem(src, src_size, CNTR_SHIM_CONFIG_MAGIC, magic_len);
  if (!block || block + CNTR_SHIM_CONFIG_SIZE > src + src_size
      || memmem(block + 1, src_size - (size_t)(block + 1 - src), CNTR_SHIM_CONFIG_MAGIC, magic_len))
    return cntr_fail(EINVAL, "build the interpreter shim: no unique configuration block");

  size_t loader_len = strlen(loader) + 1;
  size_t path_len = strlen(library_path) + 1;
  size_t exec_dir_len = strlen(exec_dir) + 1;
  if (loader_len + path_len + exec_dir_len > CNTR_SHIM_CONFIG_SIZE - magic_len)
    return cntr_fail(ENAMETOOLONG,
                     "build the interpreter shim: loader and library path exceed %zu bytes",
                     (size_t)CNTR_SHIM_CONFIG_SIZE - magic_len);

  unsigned char *copy = malloc(src_size);
  if (!copy)
    return cntr_fail(errno, "build the interpreter shim");
  memcpy(copy, src, src_size);

  unsigned char *config = copy + (block - src) + magic_len;
  memset(config, 0, CNTR_SHIM_CONFIG_SIZE - magic_len);
  memcpy(config, loader, loader_len);
  memcpy(config + loader_len, library_path, path_len);
  memcpy(config + loader_len + path_len, exec_dir, exec_dir_len);

  *image = copy;
  *size = src_size;
  return 0;
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
