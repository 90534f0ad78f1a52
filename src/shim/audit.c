/* SPDX-License-Identifier: MIT */
/* The loader audit module: keeps the tools' programs from loading the
   target's shared objects, and finds the tools' ones.

   The tools' loader looks for what a program needs in its built-in
   directories (/lib/x86_64-linux-gnu, /usr/lib, ...) and in /etc/ld.so.cache,
   and programs dlopen absolute paths compiled into them (glibc's gconv
   modules, gdb's libthread_db) or read from the target (an NSS module named
   in the target's /etc/nsswitch.conf): in a session all of those name the
   target's files, so the target's code would run in the session.  The
   shim names this module in LD_AUDIT (or --audit); glibc asks its
   la_objsearch before it opens any candidate path, and it answers:
   - a candidate from the ld.so.cache (the target's file): none;
   - one of the default directories: the library of that name in the tools'
     library path (the shim sets no LD_LIBRARY_PATH), or none;
   - any other path in a system library directory: the same path under the
     tools' base dir;
   - the tools' own paths, and paths elsewhere (a library the user named
     under /app): as they are.
   In a program that is not the tools' (a program of the target, which
   inherited LD_AUDIT from a tools shell) it stands aside: la_version
   declines, and the loader unloads it.

   Freestanding: no libc (the module is loaded into a link-map namespace of
   its own, before any libc), no relocations, as the shim. */

#include "audit-config.h"
#include "freestanding.h"
#include "syscall.h"

#include <link.h>
#include <stdint.h>

#define PATH_BYTES 4096

/* Filled by the session (audit-config.h); initialised, so in .data. */
__attribute__((used, aligned(16))) static char audit_config[CNTR_AUDIT_CONFIG_SIZE]
    = CNTR_AUDIT_CONFIG_MAGIC;

/* The answer of la_objsearch; the loader uses it before it asks again
   (searches run under its load lock). */
static char answer[PATH_BYTES];

struct config
{
  const char *base, *alias, *search, *dirs;
};

static struct config
config(void)
{
  /* Hide the block's origin from the optimiser: its content is written into
     the image after compilation. */
  const char *c = audit_config;
  __asm__("" : "+r"(c));
  struct config k;
  k.base = c + sizeof CNTR_AUDIT_CONFIG_MAGIC;
  k.alias = k.base + str_len(k.base) + 1;
  k.search = k.alias + str_len(k.alias) + 1;
  k.dirs = k.search + str_len(k.search) + 1;
  return k;
}

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

/* The first DIR/name of the ':'-separated search that exists, in answer. */
static char *
search_tools(const char *search, const char *name)
{
  unsigned long nlen = str_len(name);
  for (const char *d = search; *d;)
    {
      const char *end = d;
      while (*end && *end != ':')
        end++;
      unsigned long dlen = (unsigned long)(end - d);
      if (dlen > 0 && dlen + 1 + nlen + 1 <= sizeof answer)
        {
          char *p = answer;
          for (unsigned long i = 0; i < dlen; i++)
            *p++ = d[i];
          *p++ = '/';
          *str_put(p, name) = '\0';
          if (raw_syscall4(NR_faccessat, AT_FDCWD, (long)answer, F_OK, 0) == 0)
            return answer;
        }
      d = *end ? end + 1 : end;
    }
  return 0;
}

__attribute__((visibility("default"))) unsigned int la_version(unsigned int version);
__attribute__((visibility("default"))) char *la_objsearch(const char *name, uintptr_t *cookie,
                                                          unsigned int flag);

unsigned int
la_version(unsigned int version)
{
  struct config k = config();
  if (version < 1 || !*k.base)
    return 0;
  /* Whose program is this?  /proc/self/exe is the tools' program run in
     place, or the tools' loader run by path; a session without /proc runs
     the tools'.  Version 1 has la_objsearch, which every loader knows. */
  char exe[PATH_BYTES];
  long n = raw_syscall4(NR_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)exe, sizeof exe - 1);
  if (n < 0)
    return n == -2 /* ENOENT: no /proc */ ? 1 : 0;
  exe[n] = '\0';
  return is_within(exe, k.base) || is_within(exe, k.alias) ? 1 : 0;
}

char *
la_objsearch(const char *name, uintptr_t *cookie, unsigned int flag)
{
  (void)cookie;
  struct config k = config();
  /* The target's ld.so.cache names the target's files. */
  if (flag & LA_SER_CONFIG)
    return 0;
  /* A bare name is still to be searched for; a relative path is the
     program's own choice, in its working directory. */
  if (name[0] != '/')
    return (char *)name;

  char path[PATH_BYTES];
  if (normalise(name, path, sizeof path) < 0)
    return 0;
  if (is_within(path, k.base) || is_within(path, k.alias))
    return (char *)name;
  if (flag & LA_SER_DEFAULT)
    {
      const char *base_name = path;
      for (const char *c = path; *c; c++)
        if (*c == '/')
          base_name = c + 1;
      return search_tools(k.search, base_name);
    }
  for (const char *dir = k.dirs; *dir; dir += str_len(dir) + 1)
    if (is_within(path, dir))
      {
        if (str_len(k.base) + str_len(path) + 1 > sizeof answer)
          return 0;
        *str_put(str_put(answer, k.base), path) = '\0';
        return answer;
      }
  return (char *)name;
}
