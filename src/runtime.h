/* SPDX-License-Identifier: MIT */
/* Container runtimes: turn what a user types into one host PID.

   Target syntax (attach, exec, mount; runtime_print_target_syntax() says it
   for --help):
     4242             a PID (a plain number is always a PID, unless a scheme or
                      --type names runtimes: then it is a name or ID prefix)
     NAME | ID | ID-PREFIX
                      tried in every runtime of runtime_table that lists, in
                      that order (or only in those given with --type)
     SCHEME://NAME    one runtime only; the scheme is the backend's name

   Each runtime is one backend (one file, runtime-<name>.c, and one line in
   runtimes.def) that lists the containers it knows, running or not, through
   its CLI where installed and/or its documented state files, or that
   resolves what it is given itself (pid).  Matching (exact name, exact ID,
   then a unique prefix of a generated ID), ambiguity and error wording live
   in runtime.c and are the same for all.

   Error convention: -1 with the error recorded by cntr_fail(). */
#ifndef CNTR_RUNTIME_H
#define CNTR_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct runtime_backend;
struct runtime_target;

/* What every backend is given. */
struct runtime_ctx
{
  const char *root; /* prefix of state paths (/run/...): "" here, a fake tree in tests */
  int timeout_ms;   /* for each CLI call */
};

#define RUNTIME_DEFAULT_TIMEOUT_MS 5000

/* One container as a runtime reports it. */
struct runtime_entry
{
  const struct runtime_backend *rt;
  char *name;  /* what users call it (equals id where the runtime has no names) */
  char *id;    /* full ID */
  char *ns;    /* containerd namespace, CRI pod name; NULL when none */
  char *state; /* the runtime's word for its state ("running", "exited") */
  pid_t pid;   /* host PID of its init process, > 0 when running */
  bool running;
  bool generated_id;             /* id is generated (hex): unique prefixes of it are accepted */
  char *cgroup_key;              /* found in /proc/PID/cgroup of its processes; NULL: unknown */
  unsigned long long start_time; /* /proc/PID/stat start time, 0 when unknown */
};

struct runtime_list
{
  struct runtime_entry *v;
  size_t n, cap;
};

/* Append an entry with copies of name and id (id NULL: same as name). */
struct runtime_entry *runtime_list_add(struct runtime_list *l, const struct runtime_backend *rt,
                                       const char *name, const char *id);
void runtime_list_free(struct runtime_list *l);
/* Copy s into *field (replacing what is there); -1 (ENOMEM) on failure. */
int runtime_set(char **field, const char *s);

/* A backend's list(): append every container it knows.  Returns 0, -1 when
   the runtime is there but failed (recorded), or RUNTIME_ABSENT when
   neither its CLI (with its daemon) nor its state is on this machine, which
   it must find out without waiting. */
#define RUNTIME_ABSENT 1
/* A backend's resolve(): WANT is not for it (see resolve below). */
#define RUNTIME_DECLINED 2

struct runtime_backend
{
  const char *name;    /* also its scheme */
  const char *summary; /* one line: what it finds and how */
  /* What follows its scheme: "NAME", "ID", "[POD/]NAME" ...  --help shows
     it after SCHEME:// where it qualifies the name (has a '/'). */
  const char *syntax;
  /* NULL for a backend that lists nothing: it is not asked for a bare
     name, and `cntr ps` does not show it. */
  int (*list)(const struct runtime_ctx *ctx, struct runtime_list *out);
  /* For a backend that resolves WANT (SPEC without its scheme) itself: it
     is asked before any backend lists, and returns 0 (*out filled), -1
     (recorded) or RUNTIME_DECLINED when WANT is not its syntax and other
     backends, that list, may find it; ALONE says there are none, and then
     it does not decline.  NULL for the others. */
  int (*resolve)(const struct runtime_ctx *ctx, const char *spec, const char *want, bool alone,
                 struct runtime_target *out);
};

/* The backends (runtimes.def), in that order. */
#define RUNTIME(name) extern const struct runtime_backend runtime_##name;
#include "runtimes.def"
#undef RUNTIME

enum
{
#define RUNTIME(name) RUNTIME_INDEX_##name,
#include "runtimes.def"
#undef RUNTIME
  RUNTIME_COUNT
};

extern const struct runtime_backend *const runtime_table[RUNTIME_COUNT];
const struct runtime_backend *runtime_by_name(const char *name);

/* For --help: the "TARGET is one of:" lines, from the table. */
void runtime_print_target_syntax(FILE *out);
/* The runtimes a bare name is looked up in, in that order, comma-separated
   ("docker, podman, ..., runc") into buf; returns buf. */
#define RUNTIME_NAMES_MAX 256
const char *runtime_names(char *buf, size_t size);

/* The resolved target. */
struct runtime_target
{
  pid_t pid;
  const char *runtime; /* backend name, "pid" for a plain PID */
  char *name, *id;     /* NULL for a plain PID */
  char *cgroup_key;    /* see runtime_entry */
  unsigned long long start_time;
};

/* Resolve SPEC (see the syntax above); TYPES is NULL or a comma-separated
   list of backend names that restricts a bare name (--type). */
int runtime_resolve(const struct runtime_ctx *ctx, const char *spec, const char *types,
                    struct runtime_target *out);
void runtime_target_free(struct runtime_target *t);

/* The pure parts, for unit tests and for runtime_resolve. */

/* Split "scheme://rest": *backend NULL when SPEC has no scheme (rest = spec).
   Fails for an unknown scheme. */
int runtime_parse_scheme(const char *spec, const struct runtime_backend **backend,
                         const char **rest);
/* Parse a --type list into backends (at most max), NULL: every backend of
   the table; returns their number. */
int runtime_parse_types(const char *types, const struct runtime_backend **out, size_t max);
/* Whether SPEC is a plain PID (decimal digits). */
bool runtime_spec_is_pid(const char *spec);
/* What every backend asked said: its containers and whether it is there. */
struct runtime_asked
{
  const struct runtime_backend *rt;
  struct runtime_list list;
  int status;    /* list()'s: 0, -1 failed, or RUNTIME_ABSENT */
  char *failure; /* status -1: the error it recorded (NULL: out of memory) */
};

struct runtime_listing
{
  struct runtime_asked v[RUNTIME_COUNT];
  size_t n;
};

/* Ask every backend of SEL[0..n) that lists, in that order.  One failing
   does not stop the others: its error is taken out of the record into the
   listing, and said at once as a warning (WARN, for `cntr ps`, which shows
   what the others found) or only with -v (resolution, whose error names
   the failures). */
void runtime_list_all(const struct runtime_ctx *ctx, const struct runtime_backend *const *sel,
                      size_t n, bool warn, struct runtime_listing *out);
void runtime_listing_free(struct runtime_listing *l);

/* Resolve WANT in the listing, in its order.  On success *out points into
   it. */
int runtime_pick(const char *spec, const char *want, const struct runtime_listing *l,
                 const struct runtime_entry **out);
/* Whether the PID's /proc/PID/cgroup text CGROUPS names the container. */
bool runtime_cgroup_matches(const char *cgroups, const char *key);

/* Helpers for backends. */

/* Run a CLI (argv[0] looked up in PATH) with the context's timeout; on
   success *out is its stdout.  Fails (recorded, with the first line of its
   stderr) when it cannot run, times out or exits non-zero. */
int runtime_cli(const struct runtime_ctx *ctx, char *const argv[], char **out);
/* Whether NAME is an executable in PATH. */
bool runtime_have_cli(const char *name);
/* Whether ctx->root + PATH exists (and, for is_socket, is a socket). */
bool runtime_path_exists(const struct runtime_ctx *ctx, const char *path, bool is_socket);
/* ctx->root + path, malloc'd. */
char *runtime_path(const struct runtime_ctx *ctx, const char *path);
/* /proc/PID/stat start time (field 22), 0 if the process is gone. */
unsigned long long runtime_pid_start_time(pid_t pid);
/* Whether PID is a live (non-zombie) process. */
bool runtime_pid_alive(pid_t pid);
/* "Key: value" lines (lxc-info, lxc info, incus info): the value of KEY at
   top level (no indentation), malloc'd, or NULL. */
char *runtime_kv_get(const char *text, const char *key);

/* docker and podman: list through `CLI ps -aq` + `CLI inspect -f`. */
int runtime_docker_like_list(const struct runtime_ctx *ctx, const struct runtime_backend *rt,
                             const char *cli, struct runtime_list *out);
/* A JSON file under ctx->root: the string member KEY of its top object. */
char *runtime_json_file_string(const struct runtime_ctx *ctx, const char *path, const char *key);

/* Format parsers of the backends, exposed for tests. */

/* docker/podman: lines "ID<TAB>NAME<TAB>STATUS<TAB>PID" from inspect -f. */
int runtime_parse_inspect_lines(const struct runtime_backend *rt, const char *text,
                                struct runtime_list *out);
/* nerdctl inspect (docker-compatible JSON array). */
int runtime_parse_docker_json(const struct runtime_backend *rt, const char *json,
                              struct runtime_list *out);
/* crictl ps -a -o json / crictl inspect -o json. */
int runtime_parse_crictl_ps(const char *json, struct runtime_list *out);
int runtime_parse_crictl_inspect(const char *json, pid_t *pid);
/* ctr task ls: "TASK PID STATUS" table. */
int runtime_parse_ctr_tasks(const char *text, const char *ns, struct runtime_list *out);
/* lxc-info -s -p / lxc info / incus info: fill e's state and pid. */
int runtime_parse_lxc_info(const char *text, struct runtime_entry *e);
/* runc state.json / crun status: the init pid and its start time. */
int runtime_parse_runc_state(const char *json, pid_t *pid, unsigned long long *start_time);
/* systemd-nspawn's command line (NUL-separated) -> machine name, malloc'd. */
char *runtime_nspawn_machine_name(const char *cmdline, size_t len);

/* State-file scanners (ctx->root prefixed), exposed for tests. */
/* Rootless podman: every user's containers (NS: the user's name); *found
   says whether any user has a storage. */
int runtime_podman_rootless_list(const struct runtime_ctx *ctx, struct runtime_list *out,
                                 bool *found);
int runtime_scan_runc_root(const struct runtime_ctx *ctx, const struct runtime_backend *rt,
                           const char *dir, const char *file, struct runtime_list *out);
int runtime_scan_containerd_tasks(const struct runtime_ctx *ctx, const char *dir,
                                  struct runtime_list *out);

#endif
