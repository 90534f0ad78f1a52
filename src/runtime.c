/* SPDX-License-Identifier: MIT */
/* Target resolution across runtimes: the table, the syntax, matching and
   the error messages.  The backends are in runtime-<name>.c. */
#include "runtime.h"
#include "cleanup.h"
#include "log.h"
#include "proc-exec.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* runtimes.def says why in this order. */
const struct runtime_backend *const runtime_table[RUNTIME_COUNT] = {
#define RUNTIME(name) &runtime_##name,
#include "runtimes.def"
#undef RUNTIME
};

const struct runtime_backend *
runtime_by_name(const char *name)
{
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    if (!strcmp(runtime_table[i]->name, name))
      return runtime_table[i];
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* What the table says to users */

static void
append(char *buf, size_t size, const char *sep, const char *s)
{
  size_t len = strlen(buf);
  if (len < size)
    snprintf(buf + len, size - len, "%s%s", len ? sep : "", s);
}

/* The names of the backends (only those that list: LISTING), ", "-separated. */
static const char *
join_names(char *buf, size_t size, bool listing)
{
  *buf = '\0';
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    if (!listing || runtime_table[i]->list)
      append(buf, size, ", ", runtime_table[i]->name);
  return buf;
}

const char *
runtime_names(char *buf, size_t size)
{
  return join_names(buf, size, true);
}

/* After an unknown runtime name. */
static void
hint_known(void)
{
  char names[RUNTIME_NAMES_MAX];
  cntr_hint("known: %s", join_names(names, sizeof names, false));
}

/* --help's entries: "  LABEL", their text from this column on. */
#define HELP_TEXT_COLUMN 18

void
runtime_print_target_syntax(FILE *out)
{
  const int label = HELP_TEXT_COLUMN - 2;
  char names[RUNTIME_NAMES_MAX], schemes[1024] = "";
  fprintf(out, "TARGET is one of:\n");
  /* Those that resolve what they are given take it without a scheme too. */
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    if (runtime_table[i]->resolve)
      fprintf(out, "  %-*s%s\n", label, runtime_table[i]->syntax, runtime_table[i]->summary);
  fprint_wrapped(out, HELP_TEXT_COLUMN,
                 "  %-*sa container's name, ID or unique ID prefix, looked up in %s, in that order",
                 label, "NAME, ID", runtime_names(names, sizeof names));
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    {
      const struct runtime_backend *b = runtime_table[i];
      char s[128];
      snprintf(s, sizeof s, "%s://%s", b->name, strchr(b->syntax, '/') ? b->syntax : "");
      append(schemes, sizeof schemes, ", ", s);
    }
  fprint_wrapped(out, HELP_TEXT_COLUMN, "  %-*sin that runtime only: %s", label, "SCHEME://NAME",
                 schemes);
}

/* ---------------------------------------------------------------------- */
/* Lists */

int
runtime_set(char **field, const char *s)
{
  char *c = s ? strdup(s) : NULL;
  if (s && !c)
    return -1;
  free(*field);
  *field = c;
  return 0;
}

struct runtime_entry *
runtime_list_add(struct runtime_list *l, const struct runtime_backend *rt, const char *name,
                 const char *id)
{
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 8;
      struct runtime_entry *v = realloc(l->v, cap * sizeof *v);
      if (!v)
        return NULL;
      l->v = v;
      l->cap = cap;
    }
  struct runtime_entry *e = &l->v[l->n];
  memset(e, 0, sizeof *e);
  e->rt = rt;
  e->name = strdup(name);
  e->id = strdup(id ? id : name);
  if (!e->name || !e->id)
    {
      free(e->name);
      free(e->id);
      errno = ENOMEM;
      return NULL;
    }
  l->n++;
  return e;
}

void
runtime_list_free(struct runtime_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      struct runtime_entry *e = &l->v[i];
      free(e->name);
      free(e->id);
      free(e->ns);
      free(e->state);
      free(e->cgroup_key);
    }
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

void
runtime_list_all(const struct runtime_ctx *ctx, const struct runtime_backend *const *sel, size_t n,
                 bool warn, struct runtime_listing *out)
{
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n && out->n < RUNTIME_COUNT; i++)
    {
      if (!sel[i]->list)
        continue;
      struct runtime_asked *a = &out->v[out->n++];
      a->rt = sel[i];
      a->status = sel[i]->list(ctx, &a->list);
      if (a->status < 0)
        {
          a->failure = strdup(cntr_error_message());
          if (warn)
            cntr_warn("%s", cntr_error_message());
          else
            cntr_debug("%s: %s", sel[i]->name, cntr_error_message());
          cntr_error_clear();
        }
      else if (a->status == RUNTIME_ABSENT && !warn)
        cntr_debug("%s: not installed or not running", sel[i]->name);
    }
}

void
runtime_listing_free(struct runtime_listing *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      runtime_list_free(&l->v[i].list);
      free(l->v[i].failure);
      l->v[i].failure = NULL;
    }
  l->n = 0;
}

/* ---------------------------------------------------------------------- */
/* Helpers for backends */

bool
runtime_have_cli(const char *name)
{
  cleanup_free char *p = exec_find_in_path(name);
  return p != NULL;
}

char *
runtime_path(const struct runtime_ctx *ctx, const char *path)
{
  return xasprintf("%s%s", ctx->root ? ctx->root : "", path);
}

bool
runtime_path_exists(const struct runtime_ctx *ctx, const char *path, bool is_socket)
{
  cleanup_free char *p = runtime_path(ctx, path);
  struct stat st;
  if (!p || stat(p, &st) < 0)
    return false;
  return !is_socket || S_ISSOCK(st.st_mode);
}

int
runtime_cli(const struct runtime_ctx *ctx, char *const argv[], char **out)
{
  struct exec_result r;
  int timeout = ctx->timeout_ms > 0 ? ctx->timeout_ms : RUNTIME_DEFAULT_TIMEOUT_MS;
  if (exec_capture(argv, timeout, &r) < 0)
    return -1;
  if (r.status != 0)
    {
      /* The first line of what it said is the reason. */
      char *msg = r.err;
      msg += strspn(msg, " \n");
      msg[strcspn(msg, "\n")] = '\0';
      cntr_fail(0, "%s %s: %s", argv[0], argv[1] ? argv[1] : "",
                *msg ? msg : "failed without a message");
      exec_result_free(&r);
      return -1;
    }
  free(r.err);
  *out = r.out;
  return 0;
}

/* /proc/PID/stat of a live process; -1 when it is gone. */
static int
read_stat(pid_t pid, struct proc_stat *st)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  cleanup_free char *text = NULL;
  if (read_file_at(AT_FDCWD, path, &text, NULL) < 0)
    return -1;
  return proc_parse_stat(text, st);
}

unsigned long long
runtime_pid_start_time(pid_t pid)
{
  struct proc_stat st;
  return read_stat(pid, &st) == 0 ? st.start_time : 0;
}

bool
runtime_pid_alive(pid_t pid)
{
  struct proc_stat st;
  return pid > 0 && read_stat(pid, &st) == 0 && st.state != 'Z' && st.state != 'X';
}

char *
runtime_kv_get(const char *text, const char *key)
{
  size_t klen = strlen(key);
  for (const char *line = text; line && *line;)
    {
      const char *end = strchrnul(line, '\n');
      if (!strncasecmp(line, key, klen) && line[klen] == ':')
        {
          const char *v = line + klen + 1;
          v += strspn(v, " \t");
          const char *ve = end;
          while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
            ve--;
          return strndup(v, (size_t)(ve - v));
        }
      line = *end ? end + 1 : end;
    }
  return NULL;
}

int
runtime_parse_lxc_info(const char *text, struct runtime_entry *e)
{
  cleanup_free char *state = runtime_kv_get(text, "State");
  if (!state)
    state = runtime_kv_get(text, "Status");
  if (!state)
    {
      errno = EINVAL;
      return -1;
    }
  cleanup_free char *pid = runtime_kv_get(text, "PID");
  unsigned long p = 0;
  if (pid && parse_ulong(pid, &p) < 0)
    p = 0;
  for (char *c = state; *c; c++)
    *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
  e->running = !strcmp(state, "running") && p > 0;
  e->pid = e->running ? (pid_t)p : 0;
  return runtime_set(&e->state, state);
}

bool
runtime_cgroup_matches(const char *cgroups, const char *key)
{
  if (!cgroups || !key || !*key)
    return false;
  /* Lines "ID:CONTROLLERS:PATH": look at the paths only. */
  size_t klen = strlen(key);
  for (const char *line = cgroups; *line;)
    {
      const char *end = strchrnul(line, '\n');
      const char *c = memchr(line, ':', (size_t)(end - line));
      c = c ? memchr(c + 1, ':', (size_t)(end - c - 1)) : NULL;
      if (c)
        for (const char *p = c + 1; p + klen <= end; p++)
          if (!memcmp(p, key, klen))
            return true;
      line = *end ? end + 1 : end;
    }
  return false;
}

/* ---------------------------------------------------------------------- */
/* Syntax */

bool
runtime_spec_is_pid(const char *spec)
{
  unsigned long v;
  return parse_ulong(spec, &v) == 0;
}

int
runtime_parse_scheme(const char *spec, const struct runtime_backend **backend, const char **rest)
{
  *backend = NULL;
  *rest = spec;
  const char *sep = strstr(spec, "://");
  if (!sep)
    return 0;
  cleanup_free char *scheme = strndup(spec, (size_t)(sep - spec));
  if (!scheme)
    return cntr_fail(ENOMEM, "target '%s'", spec);
  *backend = runtime_by_name(scheme);
  if (!*backend)
    {
      cntr_fail(0, "target '%s': unknown runtime '%s'", spec, scheme);
      hint_known();
      return -1;
    }
  *rest = sep + 3;
  if (!**rest)
    return cntr_fail(0, "target '%s': no container name after '%s://'", spec, scheme);
  return 0;
}

int
runtime_parse_types(const char *types, const struct runtime_backend **out, size_t max)
{
  size_t n = 0;
  if (!types)
    {
      for (; n < RUNTIME_COUNT && n < max; n++)
        out[n] = runtime_table[n];
      return (int)n;
    }
  const char *p = types;
  while (*p)
    {
      size_t len = strcspn(p, ", ");
      if (len)
        {
          cleanup_free char *name = strndup(p, len);
          if (!name)
            return cntr_fail(ENOMEM, "--type");
          const struct runtime_backend *b = runtime_by_name(name);
          if (!b)
            {
              cntr_fail(0, "--type %s: unknown runtime '%s'", types, name);
              hint_known();
              return -1;
            }
          bool dup = false;
          for (size_t i = 0; i < n; i++)
            dup |= out[i] == b;
          if (!dup)
            {
              if (n == max)
                return cntr_fail(0, "--type %s: too many runtimes", types);
              out[n++] = b;
            }
        }
      p += len;
      p += strspn(p, ", ");
    }
  if (n == 0)
    return cntr_fail(0, "--type '%s': no runtime named", types);
  return (int)n;
}

/* ---------------------------------------------------------------------- */
/* Matching */

static char *
short_id(const struct runtime_entry *e, char buf[13])
{
  snprintf(buf, 13, "%s", e->id);
  return buf;
}

/* "docker container web (id 0123456789ab, pid 42)" */
static void
describe(const struct runtime_entry *e, char *buf, size_t size)
{
  char sid[13];
  char where[256] = "";
  if (e->ns)
    snprintf(where, sizeof where, " in %s", e->ns);
  if (strcmp(e->name, e->id))
    {
      if (e->running)
        snprintf(buf, size, "%s container %s%s (id %s, pid %d)", e->rt->name, e->name, where,
                 short_id(e, sid), e->pid);
      else
        snprintf(buf, size, "%s container %s%s (id %s, %s)", e->rt->name, e->name, where,
                 short_id(e, sid), e->state ? e->state : "stopped");
    }
  else if (e->running)
    snprintf(buf, size, "%s container %s%s (pid %d)", e->rt->name, e->name, where, e->pid);
  else
    snprintf(buf, size, "%s container %s%s (%s)", e->rt->name, e->name, where,
             e->state ? e->state : "stopped");
}

/* Whether b is the same container as a, listed by another runtime. */
static bool
same_container(const struct runtime_entry *a, const struct runtime_entry *b)
{
  if (a->running && b->running)
    return a->pid == b->pid;
  return !a->running && !b->running && !strcmp(a->id, b->id);
}

#define MAX_MATCHES 16

static size_t
collect(const char *key, const char *ns, bool prefix, const struct runtime_listing *l,
        const struct runtime_entry **m)
{
  size_t found = 0, klen = strlen(key);
  for (size_t i = 0; i < l->n; i++)
    for (size_t j = 0; j < l->v[i].list.n; j++)
      {
        const struct runtime_entry *e = &l->v[i].list.v[j];
        if (ns && (!e->ns || strcmp(e->ns, ns)))
          continue;
        bool hit = prefix ? e->generated_id && klen > 0 && !strncmp(e->id, key, klen)
                          : !strcmp(e->name, key) || !strcmp(e->id, key);
        if (!hit)
          continue;
        bool dup = false;
        for (size_t k = 0; k < found && !dup; k++)
          dup = same_container(m[k], e);
        if (!dup && found < MAX_MATCHES)
          m[found++] = e;
      }
  return found;
}

int
runtime_pick(const char *spec, const char *want, const struct runtime_listing *l,
             const struct runtime_entry **out)
{
  /* NS/NAME (containerd namespace, CRI pod): the part before the last '/'. */
  cleanup_free char *ns = NULL;
  const char *key = want;
  const char *slash = strrchr(want, '/');
  if (slash)
    {
      ns = strndup(want, (size_t)(slash - want));
      if (!ns)
        return cntr_fail(ENOMEM, "target '%s'", spec);
      key = slash + 1;
    }
  const struct runtime_entry *m[MAX_MATCHES];
  bool by_prefix = false;
  size_t found = collect(key, ns, false, l, m);
  if (found == 0)
    {
      found = collect(key, ns, true, l, m);
      by_prefix = true;
    }

  if (found == 0)
    {
      char asked[512] = "", absent[512] = "", failed[1024] = "";
      for (size_t i = 0; i < l->n; i++)
        {
          const struct runtime_asked *a = &l->v[i];
          if (a->status == 0)
            append(asked, sizeof asked, ", ", a->rt->name);
          else if (a->status == RUNTIME_ABSENT)
            append(absent, sizeof absent, ", ", a->rt->name);
          else
            {
              char f[512];
              snprintf(f, sizeof f, "%s (%s)", a->rt->name, a->failure ? a->failure : "failed");
              append(failed, sizeof failed, "; ", f);
            }
        }
      char why[2048];
      snprintf(why, sizeof why, "no such container (asked: %s", *asked ? asked : "none");
      if (*failed)
        {
          append(why, sizeof why, "; ", "failed: ");
          append(why, sizeof why, "", failed);
        }
      if (*absent)
        {
          append(why, sizeof why, "; ", "not installed or not running: ");
          append(why, sizeof why, "", absent);
        }
      append(why, sizeof why, "", ")");
      cntr_fail(0, "target '%s': %s", spec, why);
      cntr_hint("give a PID, a container name or ID, or SCHEME://NAME; 'cntr ps' lists the "
                "containers cntr can attach to");
      return -1;
    }

  if (found > 1)
    {
      char list[2048] = "", schemes[1024] = "";
      bool one_runtime = true;
      for (size_t i = 0; i < found; i++)
        {
          char d[512], s[512];
          describe(m[i], d, sizeof d);
          append(list, sizeof list, "; ", d);
          one_runtime &= m[i]->rt == m[0]->rt;
          if (m[i]->ns)
            snprintf(s, sizeof s, "%s://%s/%s", m[i]->rt->name, m[i]->ns, m[i]->name);
          else
            snprintf(s, sizeof s, "%s://%s", m[i]->rt->name, m[i]->name);
          append(schemes, sizeof schemes, " or ", s);
        }
      if (by_prefix && one_runtime)
        {
          cntr_fail(0, "target '%s': ID prefix is ambiguous: %s", spec, list);
          cntr_hint("give more of the ID, or the name");
        }
      else
        {
          cntr_fail(0, "target '%s': ambiguous, there is more than one: %s", spec, list);
          cntr_hint("pick one: %s", schemes);
        }
      return -1;
    }

  const struct runtime_entry *e = m[0];
  if (!e->running)
    {
      char d[512];
      describe(e, d, sizeof d);
      cntr_fail(0, "target '%s': %s is not running", spec, d);
      cntr_hint("start it first; 'cntr ps' lists the containers cntr can attach to");
      return -1;
    }
  *out = e;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Resolution */

void
runtime_target_free(struct runtime_target *t)
{
  free(t->name);
  free(t->id);
  free(t->cgroup_key);
  t->name = t->id = t->cgroup_key = NULL;
}

int
runtime_resolve(const struct runtime_ctx *ctx, const char *spec, const char *types,
                struct runtime_target *out)
{
  memset(out, 0, sizeof *out);
  const struct runtime_backend *scheme;
  const char *want;
  if (runtime_parse_scheme(spec, &scheme, &want) < 0)
    return -1;

  /* The scheme's backend, or those of --type, or all. */
  const struct runtime_backend *sel[RUNTIME_COUNT];
  int n = 1;
  if (scheme)
    sel[0] = scheme;
  else if ((n = runtime_parse_types(types, sel, RUNTIME_COUNT)) < 0)
    return -1;

  /* Those that resolve what they are given first (a plain number is a
     PID: PIDs are what cntr took first, and an ID prefix that is all
     digits is better given as docker://123); then the others list. */
  size_t listing = 0;
  for (int i = 0; i < n; i++)
    listing += sel[i]->list != NULL;
  for (int i = 0; i < n; i++)
    if (sel[i]->resolve)
      {
        int rc = sel[i]->resolve(ctx, spec, want, listing == 0, out);
        if (rc != RUNTIME_DECLINED)
          return rc;
      }

  struct runtime_listing l;
  runtime_list_all(ctx, sel, (size_t)n, false, &l);
  const struct runtime_entry *e = NULL;
  int rc = runtime_pick(spec, want, &l, &e);
  if (rc == 0)
    {
      cntr_debug("target '%s' is %s container %s (id %s), pid %d", spec, e->rt->name, e->name,
                 e->id, e->pid);
      out->pid = e->pid;
      out->runtime = e->rt->name;
      out->start_time = e->start_time;
      if (runtime_set(&out->name, e->name) < 0 || runtime_set(&out->id, e->id) < 0
          || runtime_set(&out->cgroup_key, e->cgroup_key) < 0)
        {
          runtime_target_free(out);
          rc = cntr_fail(ENOMEM, "target '%s'", spec);
        }
    }
  runtime_listing_free(&l);
  return rc;
}
