/* SPDX-License-Identifier: MIT */
/* systemd-nspawn machines.  With systemd-machined, the machines it
   registered: /run/systemd/machines/NAME ("LEADER=PID").  Without it
   (--register=no, or no systemd as PID 1), the running systemd-nspawn
   processes themselves: the machine name from their command line
   (-M/--machine, else the basename of -D/--directory or -i/--image), the
   container's init is their child. */
#include "cleanup.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
base_name(const char *path, size_t *len)
{
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/')
    n--;
  const char *b = path;
  for (size_t i = 0; i < n; i++)
    if (path[i] == '/' && i + 1 < n)
      b = path + i + 1;
  *len = n - (size_t)(b - path);
  return b;
}

char *
runtime_nspawn_machine_name(const char *cmdline, size_t len)
{
  cleanup_free char *dir = NULL, *image = NULL;
  const char *end = cmdline + len;
  const char *a = cmdline;
  a += strnlen(a, (size_t)(end - a)) + 1; /* argv[0] */
  while (a < end)
    {
      const char *next = a + strnlen(a, (size_t)(end - a)) + 1;
      const char *val = next < end ? next : NULL;
      const char *v = NULL;
      bool consumes = false;
      enum
      {
        NONE,
        MACHINE,
        DIRECTORY,
        IMAGE
      } which
          = NONE;
      if (!strcmp(a, "--"))
        break;
      if (!strcmp(a, "-M") || !strcmp(a, "--machine"))
        which = MACHINE, v = val, consumes = true;
      else if (!strncmp(a, "--machine=", 10))
        which = MACHINE, v = a + 10;
      else if (!strncmp(a, "-M", 2))
        which = MACHINE, v = a + 2;
      else if (!strcmp(a, "-D") || !strcmp(a, "--directory"))
        which = DIRECTORY, v = val, consumes = true;
      else if (!strncmp(a, "--directory=", 12))
        which = DIRECTORY, v = a + 12;
      else if (!strncmp(a, "-D", 2))
        which = DIRECTORY, v = a + 2;
      else if (!strcmp(a, "-i") || !strcmp(a, "--image"))
        which = IMAGE, v = val, consumes = true;
      else if (!strncmp(a, "--image=", 8))
        which = IMAGE, v = a + 8;
      else if (a[0] != '-')
        break; /* the command: the rest are its arguments */
      if (which == MACHINE && v && *v)
        return strdup(v);
      if (which == DIRECTORY && v)
        {
          free(dir);
          dir = strdup(v);
        }
      if (which == IMAGE && v)
        {
          free(image);
          image = strdup(v);
        }
      a = consumes && val ? val + strnlen(val, (size_t)(end - val)) + 1 : next;
    }
  const char *from = dir ? dir : image;
  if (!from)
    {
      errno = ENOENT;
      return NULL;
    }
  size_t n;
  const char *b = base_name(from, &n);
  if (image && !dir && n > 4 && !strncmp(b + n - 4, ".raw", 4))
    n -= 4;
  return strndup(b, n);
}

static bool
have_pid(const struct runtime_list *l, size_t from, pid_t pid)
{
  for (size_t i = from; i < l->n; i++)
    if (l->v[i].pid == pid)
      return true;
  return false;
}

static int
add(struct runtime_list *out, const char *name, pid_t pid)
{
  struct runtime_entry *e = runtime_list_add(out, &runtime_nspawn, name, NULL);
  if (!e)
    return cntr_fail(ENOMEM, "nspawn");
  e->running = runtime_pid_alive(pid);
  e->pid = e->running ? pid : 0;
  e->start_time = e->running ? runtime_pid_start_time(pid) : 0;
  return runtime_set(&e->state, e->running ? "running" : "stopped") < 0
             ? cntr_fail(ENOMEM, "nspawn")
             : 0;
}

static int
machined_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  cleanup_free char *path = runtime_path(ctx, "/run/systemd/machines");
  cleanup_closedir DIR *d = path ? opendir(path) : NULL;
  if (!d)
    return 0;
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (de->d_name[0] == '.' || strchr(de->d_name, ':'))
        continue; /* "unit:..." are links from units to machines */
      cleanup_free char *f = xasprintf("%s/%s", path, de->d_name);
      cleanup_free char *text = NULL;
      if (!f || read_file_at(AT_FDCWD, f, &text, NULL) < 0)
        continue;
      cleanup_free char *class = NULL, *leader = NULL;
      for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        {
          if (!strncmp(line, "CLASS=", 6))
            class = strdup(line + 6);
          else if (!strncmp(line, "LEADER=", 7))
            leader = strdup(line + 7);
        }
      unsigned long pid;
      if (!leader || parse_ulong(leader, &pid) < 0 || (class && strcmp(class, "container")))
        continue;
      if (add(out, de->d_name, (pid_t)pid) < 0)
        return -1;
    }
  return 0;
}

/* The first child of PID (the container's init for systemd-nspawn). */
static pid_t
first_child(pid_t pid)
{
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
  cleanup_free char *text = NULL;
  unsigned long c;
  if (read_file_at(AT_FDCWD, path, &text, NULL) < 0)
    return 0;
  text[strcspn(text, " \n")] = '\0';
  return parse_ulong(text, &c) == 0 ? (pid_t)c : 0;
}

static int
process_list(struct runtime_list *out, size_t registered)
{
  cleanup_closedir DIR *d = opendir("/proc");
  if (!d)
    return cntr_fail(errno, "open /proc");
  struct dirent *de;
  while ((de = readdir(d)))
    {
      unsigned long pid;
      if (parse_ulong(de->d_name, &pid) < 0)
        continue;
      char path[64];
      cleanup_free char *comm = NULL, *cmdline = NULL;
      size_t len = 0;
      snprintf(path, sizeof path, "/proc/%lu/comm", pid);
      if (read_file_at(AT_FDCWD, path, &comm, NULL) < 0 || strcmp(comm, "systemd-nspawn\n"))
        continue;
      snprintf(path, sizeof path, "/proc/%lu/cmdline", pid);
      if (read_file_at(AT_FDCWD, path, &cmdline, &len) < 0)
        continue;
      cleanup_free char *name = runtime_nspawn_machine_name(cmdline, len);
      pid_t child = first_child((pid_t)pid);
      if (!name || child <= 0 || have_pid(out, registered, child))
        continue;
      if (add(out, name, child) < 0)
        return -1;
    }
  return 0;
}

static int
nspawn_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  if (!runtime_have_cli("systemd-nspawn"))
    return RUNTIME_ABSENT;
  size_t first = out->n;
  if (machined_list(ctx, out) < 0)
    return -1;
  return process_list(out, first);
}

const struct runtime_backend runtime_nspawn = {
  .name = "nspawn",
  .summary = "systemd-nspawn: machined's machines, or the systemd-nspawn processes",
  .syntax = "MACHINE",
  .list = nspawn_list,
};
