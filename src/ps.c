/* SPDX-License-Identifier: MIT */
#include "ps.h"
#include "cleanup.h"
#include "log.h"
#include "ns.h"
#include "runtime.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libmount.h>
#include <stdio.h>
#include <string.h>

struct row
{
  const struct runtime_entry *e;
  char label[512]; /* NS/NAME where the runtime has namespaces or pods */
  int read_only;   /* 1, 0, -1 unknown */
  int userns;
};

/* Whether the mount at the process's / is read-only (the last one mounted
   there is what it sees). */
static int
root_read_only(pid_t pid)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mountinfo", pid);
  struct libmnt_table *tb = mnt_new_table();
  int ro = -1;
  if (tb && mnt_table_parse_file(tb, path) == 0)
    {
      struct libmnt_fs *fs = mnt_table_find_target(tb, "/", MNT_ITER_BACKWARD);
      const char *opts = fs ? mnt_fs_get_vfs_options(fs) : NULL;
      if (opts)
        ro = mnt_optstr_get_option(opts, "ro", NULL, NULL) == 0;
    }
  mnt_unref_table(tb);
  return ro;
}

/* 1 when the process runs in a user namespace other than ours, 0 when in
   ours, -1 unknown. */
static int
in_user_namespace(pid_t pid)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", pid);
  cleanup_close int proc_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int ours = proc_fd < 0 ? -1 : ns_is_ours(proc_fd, NS_USER);
  return ours < 0 ? -1 : !ours;
}

static const char *
yes_no(int v)
{
  return v < 0 ? "?" : v ? "yes" : "no";
}

static void
print_table(const struct row *rows, size_t n)
{
  int wr = 7, wn = 4;
  for (size_t i = 0; i < n; i++)
    {
      int a = (int)strlen(rows[i].e->rt->name), b = (int)strlen(rows[i].label);
      wr = a > wr ? a : wr;
      wn = b > wn ? b : wn;
    }
  printf("%-*s  %-*s  %-12s  %7s  %-8s  %s\n", wr, "RUNTIME", wn, "NAME", "ID", "PID", "READONLY",
         "USERNS");
  for (size_t i = 0; i < n; i++)
    printf("%-*s  %-*s  %-12.12s  %7d  %-8s  %s\n", wr, rows[i].e->rt->name, wn, rows[i].label,
           rows[i].e->id, rows[i].e->pid, yes_no(rows[i].read_only), yes_no(rows[i].userns));
}

static int
print_json(const struct row *rows, size_t n)
{
  json_object *arr = json_object_new_array();
  if (!arr)
    return cntr_fail(ENOMEM, "ps");
  for (size_t i = 0; i < n; i++)
    {
      const struct runtime_entry *e = rows[i].e;
      json_object *o = json_object_new_object();
      if (!o)
        {
          json_object_put(arr);
          return cntr_fail(ENOMEM, "ps");
        }
      json_object_object_add(o, "runtime", json_object_new_string(e->rt->name));
      json_object_object_add(o, "name", json_object_new_string(e->name));
      json_object_object_add(o, "namespace", e->ns ? json_object_new_string(e->ns) : NULL);
      json_object_object_add(o, "id", json_object_new_string(e->id));
      json_object_object_add(o, "pid", json_object_new_int(e->pid));
      json_object_object_add(o, "read_only",
                             rows[i].read_only < 0 ? NULL
                                                   : json_object_new_boolean(rows[i].read_only));
      json_object_object_add(o, "user_namespace",
                             rows[i].userns < 0 ? NULL : json_object_new_boolean(rows[i].userns));
      json_object_array_add(arr, o);
    }
  printf("%s\n",
         json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                                 | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(arr);
  return 0;
}

int
cntr_ps(const struct ps_options *o)
{
  const struct runtime_ctx ctx = { .root = "", .timeout_ms = RUNTIME_DEFAULT_TIMEOUT_MS };
  const struct runtime_backend *sel[RUNTIME_COUNT];
  int n = runtime_parse_types(o->types, sel, RUNTIME_COUNT);
  if (n < 0)
    return -1;
  /* One runtime failing does not hide the others: a warning each. */
  struct runtime_listing l;
  runtime_list_all(&ctx, sel, (size_t)n, true, &l);

  struct row *rows = NULL;
  size_t nrows = 0;
  int rc = 0;
  for (size_t i = 0; i < l.n && rc == 0; i++)
    for (size_t j = 0; j < l.v[i].list.n; j++)
      {
        const struct runtime_entry *e = &l.v[i].list.v[j];
        if (!e->running)
          continue;
        /* The same process listed by two runtimes (docker's containers in
           containerd's moby namespace, podman's in runc's state): the
           first in the table names it. */
        bool dup = false;
        for (size_t k = 0; k < nrows && !dup; k++)
          dup = rows[k].e->pid == e->pid;
        if (dup)
          continue;
        struct row *r = realloc(rows, (nrows + 1) * sizeof *rows);
        if (!r)
          {
            rc = cntr_fail(ENOMEM, "ps");
            break;
          }
        rows = r;
        r = &rows[nrows++];
        r->e = e;
        if (e->ns)
          snprintf(r->label, sizeof r->label, "%s/%s", e->ns, e->name);
        else
          snprintf(r->label, sizeof r->label, "%s", e->name);
        r->read_only = root_read_only(e->pid);
        r->userns = in_user_namespace(e->pid);
      }
  if (rc == 0)
    {
      if (o->json)
        rc = print_json(rows, nrows);
      else
        print_table(rows, nrows);
    }
  free(rows);
  runtime_listing_free(&l);
  if (rc < 0)
    return -1;
  if (fflush(stdout) != 0 || ferror(stdout))
    return cntr_fail(errno ? errno : EIO, "ps: write the list");
  return 0;
}
