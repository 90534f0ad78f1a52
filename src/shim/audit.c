/* SPDX-License-Identifier: MIT */
/* The loader audit module: keeps the tools' programs from loading the
   target's shared objects.

   The tools' loader runs with the tools' library directories first, but
   whatever it does not find there it looks for in its built-in directories
   (/lib/x86_64-linux-gnu, /usr/lib, ...), and programs dlopen absolute
   paths compiled into them (glibc's gconv modules, gdb's libthread_db) or
   read from the target (an NSS module named in the target's
   /etc/nsswitch.conf): in a session all of those name the target's files,
   so the target's code would run in the session.  The shim passes this
   module to the loader with --audit; glibc asks its la_objsearch before
   opening any candidate path, and it answers with the same path under the
   tools' base dir for every path in a system library directory.  Other
   paths (a library the user named under /app) are left alone.

   Freestanding: no libc (the module is loaded into a link-map namespace of
   its own, before any libc), no relocations, as the shim. */

#include "audit-config.h"
#include "freestanding.h"

#include <link.h>
#include <stdint.h>

#define PATH_BYTES 4096

/* Filled by the session (audit-config.h); initialised, so in .data. */
__attribute__((used, aligned(16))) static char audit_config[CNTR_AUDIT_CONFIG_SIZE]
    = CNTR_AUDIT_CONFIG_MAGIC;

/* The answer of la_objsearch; the loader uses it before it asks again
   (searches run under its load lock). */
static char answer[PATH_BYTES];

/* path is dir or below it ("/usr/lib" holds "/usr/lib/x", not "/usr/libx"). */
static int
is_within(const char *path, const char *dir)
{
  unsigned long n = str_len(dir);
  if (n == 0)
    return 0;
  for (unsigned long i = 0; i < n; i++)
    if (path[i] != dir[i])
      return 0;
  return path[n] == '\0' || path[n] == '/';
}

/* The absolute path in with "//", "." and ".." resolved lexically (".."
   stops at "/"), so that no spelling gets around is_within; 0, or -1 if it
   does not fit. */
static int
normalise(const char *in, char *out, unsigned long size)
{
  unsigned long len = 0;
  while (*in)
    {
      while (*in == '/')
        in++;
      if (!*in)
        break;
      const char *end = in;
      while (*end && *end != '/')
        end++;
      unsigned long n = (unsigned long)(end - in);
      if (n == 1 && in[0] == '.')
        ;
      else if (n == 2 && in[0] == '.' && in[1] == '.')
        while (len > 0 && out[--len] != '/')
          ;
      else
        {
          if (len + 1 + n + 1 > size)
            return -1;
          out[len++] = '/';
          for (unsigned long i = 0; i < n; i++)
            out[len++] = in[i];
        }
      in = end;
    }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return 0;
}

__attribute__((visibility("default"))) unsigned int la_version(unsigned int version);
__attribute__((visibility("default"))) char *la_objsearch(const char *name, uintptr_t *cookie,
                                                          unsigned int flag);

unsigned int
la_version(unsigned int version)
{
  /* Version 1 has la_objsearch; every loader that audits knows it. */
  return version >= 1 ? 1 : 0;
}

char *
la_objsearch(const char *name, uintptr_t *cookie, unsigned int flag)
{
  (void)cookie;
  (void)flag;
  /* A bare name is still to be searched for; a relative path is the
     program's own choice, in its working directory. */
  if (name[0] != '/')
    return (char *)name;

  /* Hide the block's origin from the optimiser: its content is written into
     the image after compilation. */
  const char *config = audit_config;
  __asm__("" : "+r"(config));
  const char *base = config + sizeof CNTR_AUDIT_CONFIG_MAGIC;
  const char *alias = base + str_len(base) + 1;
  const char *dirs = alias + str_len(alias) + 1;
  if (!*base)
    return (char *)name;

  char path[PATH_BYTES];
  if (normalise(name, path, sizeof path) < 0)
    return 0;
  if (is_within(path, base) || is_within(path, alias))
    return (char *)name;
  for (const char *dir = dirs; *dir; dir += str_len(dir) + 1)
    if (is_within(path, dir))
      {
        unsigned long base_len = str_len(base), path_len = str_len(path);
        if (base_len + path_len + 1 > sizeof answer)
          return 0;
        *str_put(str_put(answer, base), path) = '\0';
        return answer;
      }
  return (char *)name;
}
