/* SPDX-License-Identifier: MIT */
/* The configuration block shared by the shim (src/shim/shim.c), which reads
   it, and the session (src/shim.c), which fills it in the embedded image.

   Layout, CNTR_SHIM_CONFIG_SIZE bytes in the shim's .data:
     CNTR_SHIM_CONFIG_MAGIC '\0' loader '\0' library_path '\0' exec_dir '\0' audit '\0'
     zeros...
   exec_dir may be empty: then the shim executes the loader by its own path;
   audit may be empty: then the loader audits nothing.
   The magic occurs exactly once in the image (the build checks it), so the
   session finds the block without parsing ELF sections. */
#ifndef CNTR_SHIM_CONFIG_H
#define CNTR_SHIM_CONFIG_H

#define CNTR_SHIM_CONFIG_MAGIC "CNTR-SHIM-CONFIG-v1"
#define CNTR_SHIM_CONFIG_SIZE 4096

/* The embedded image, generated at build time (src/shim/embed.cmake). */
extern const unsigned char cntr_shim_image[];
extern const unsigned long cntr_shim_image_size;

#endif
