/* SPDX-License-Identifier: MIT */
/* The configuration block shared by the loader audit module
   (src/shim/audit.c), which reads it, and the session (src/shim.c), which
   fills it in the embedded image.

   Layout, CNTR_AUDIT_CONFIG_SIZE bytes in the module's .data:
     CNTR_AUDIT_CONFIG_MAGIC '\0' base '\0' alias '\0' search '\0'
     dir '\0' dir '\0' ... '\0' zeros...
   base: where the tools are in the session ("/var/lib/cntr"); alias: a
   second name for it ("" for none); search: the tools' library path as
   the session sees it, ':'-separated (where a library the loader looks for
   in its default directories is found); the dirs: the library directories
   whose paths name the tools' files, as the tools have them ("/usr/lib");
   an empty dir ends the list.  The magic occurs exactly once in the image
   (the build checks it). */
#ifndef CNTR_AUDIT_CONFIG_H
#define CNTR_AUDIT_CONFIG_H

#define CNTR_AUDIT_CONFIG_MAGIC "CNTR-AUDIT-CONFIG-v1"
#define CNTR_AUDIT_CONFIG_SIZE 4096

/* The embedded image, generated at build time (src/shim/embed.cmake). */
extern const unsigned char cntr_audit_image[];
extern const unsigned long cntr_audit_image_size;

#endif
