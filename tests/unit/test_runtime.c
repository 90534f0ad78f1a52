/* SPDX-License-Identifier: MIT */
/* Target syntax, the order runtimes are asked in, matching and the error
   messages, on lists made up here (no runtime is run). */
#include "log.h"
#include "proc-exec.h"
#include "runtime.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static void
test_scheme(void **state)
{
  (void)state;
  const struct runtime_backend *b;
  const char *rest;
  assert_int_equal(runtime_parse_scheme("web", &b, &rest), 0);
  assert_null(b);
  assert_string_equal(rest, "web");
  assert_int_equal(runtime_parse_scheme("docker://web", &b, &rest), 0);
  assert_ptr_equal(b, &runtime_docker);
  assert_string_equal(rest, "web");
  assert_int_equal(runtime_parse_scheme("containerd://k8s.io/abc", &b, &rest), 0);
  assert_ptr_equal(b, &runtime_containerd);
  assert_string_equal(rest, "k8s.io/abc");
  assert_int_equal(runtime_parse_scheme("pid://42", &b, &rest), 0);
  assert_ptr_equal(b, &runtime_pid);
  /* Every backend's name is its scheme. */
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    {
      char spec[64];
      snprintf(spec, sizeof spec, "%s://x", runtime_table[i]->name);
      assert_int_equal(runtime_parse_scheme(spec, &b, &rest), 0);
      assert_ptr_equal(b, runtime_table[i]);
      assert_string_equal(rest, "x");
    }
  assert_int_equal(runtime_parse_scheme("k8s://web", &b, &rest), -1);
  assert_non_null(strstr(cntr_error_message(), "unknown runtime 'k8s'"));
  /* The hint names every backend, in the table's order. */
  char known[512] = "known: ";
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
             runtime_table[i]->name);
  assert_string_equal(cntr_error_hint(), known);
  assert_int_equal(runtime_parse_scheme("docker://", &b, &rest), -1);
  assert_non_null(strstr(cntr_error_message(), "no container name"));
}

static void
test_types(void **state)
{
  (void)state;
  const struct runtime_backend *sel[8];
  assert_int_equal(runtime_parse_types("docker,podman", sel, 8), 2);
  assert_ptr_equal(sel[0], &runtime_docker);
  assert_ptr_equal(sel[1], &runtime_podman);
  assert_int_equal(runtime_parse_types("lxc, lxc,,nspawn", sel, 8), 2);
  assert_int_equal(runtime_parse_types("docker,bogus", sel, 8), -1);
  assert_non_null(strstr(cntr_error_message(), "unknown runtime 'bogus'"));
  assert_non_null(strstr(cntr_error_hint(), "known: docker, "));
  assert_int_equal(runtime_parse_types(",", sel, 8), -1);
  /* No --type: the whole table, in order. */
  const struct runtime_backend *all[RUNTIME_COUNT];
  assert_int_equal(runtime_parse_types(NULL, all, RUNTIME_COUNT), RUNTIME_COUNT);
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    assert_ptr_equal(all[i], runtime_table[i]);
}

static void
test_pid_rule(void **state)
{
  (void)state;
  assert_true(runtime_spec_is_pid("4242"));
  assert_false(runtime_spec_is_pid("42a"));
  assert_false(runtime_spec_is_pid("-1"));
  assert_false(runtime_spec_is_pid(""));
  /* A plain number is a PID without looking at any runtime. */
  struct runtime_ctx ctx = { .root = "/nonexistent" };
  struct runtime_target t;
  assert_int_equal(runtime_resolve(&ctx, "4242", NULL, &t), 0);
  assert_int_equal(t.pid, 4242);
  assert_string_equal(t.runtime, "pid");
  assert_null(t.id);
  assert_int_equal(runtime_resolve(&ctx, "pid://77", NULL, &t), 0);
  assert_int_equal(t.pid, 77);
  assert_int_equal(runtime_resolve(&ctx, "pid://x", NULL, &t), -1);
  assert_string_equal(cntr_error_message(), "target 'pid://x': not a process id");
  assert_int_equal(runtime_resolve(&ctx, "0", NULL, &t), -1);
  /* --type with pid: a number is a PID, a name is for the others. */
  assert_int_equal(runtime_resolve(&ctx, "4242", "runc,pid", &t), 0);
  assert_int_equal(t.pid, 4242);
  assert_string_equal(t.runtime, "pid");
  assert_int_equal(runtime_resolve(&ctx, "abc", "pid", &t), -1);
  assert_string_equal(cntr_error_message(), "target 'abc': not a process id");
  /* A number is a name where pid is not asked. */
  assert_int_equal(runtime_resolve(&ctx, "docker://4242", NULL, &t), -1);
  assert_non_null(strstr(cntr_error_message(), "no such container"));
}

static size_t
index_of(const struct runtime_backend *b)
{
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    if (runtime_table[i] == b)
      return i;
  fail_msg("%s is not in runtime_table", b->name);
  return RUNTIME_COUNT;
}

static void
test_order(void **state)
{
  (void)state;
  /* The order that matters (runtimes.def): a runtime on top of another
     before it, so that it names the containers both list... */
  assert_true(index_of(&runtime_docker) < index_of(&runtime_containerd));
  assert_true(index_of(&runtime_nerdctl) < index_of(&runtime_containerd));
  assert_true(index_of(&runtime_cri) < index_of(&runtime_containerd));
  /* ... and runc last of those that list: every OCI runtime may use it. */
  size_t runc = index_of(&runtime_runc);
  for (size_t i = runc + 1; i < RUNTIME_COUNT; i++)
    assert_null(runtime_table[i]->list);
  /* Every backend describes itself, lists or resolves, and is found by its
     name, which no other has. */
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    {
      const struct runtime_backend *b = runtime_table[i];
      assert_true(b->name && *b->name && b->summary && *b->summary && b->syntax && *b->syntax);
      assert_true(b->list || b->resolve);
      assert_ptr_equal(runtime_by_name(b->name), b);
    }
  /* pid lists nothing, resolves a number itself. */
  assert_null(runtime_pid.list);
  assert_non_null(runtime_pid.resolve);
}

/* TEXT with each break before a continuation line (indented to the text, 18
   columns) made one space. */
static void
unwrap(char *text)
{
  char *w = text;
  for (char *r = text; *r;)
    if (*r == '\n' && strspn(r + 1, " ") == 18)
      {
        *w++ = ' ';
        r += 1 + 18;
      }
    else
      *w++ = *r++;
  *w = '\0';
}

static void
test_help(void **state)
{
  (void)state;
  char names[RUNTIME_NAMES_MAX];
  /* The runtimes a bare name is looked up in: those that list, in order. */
  char want[RUNTIME_NAMES_MAX] = "";
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    if (runtime_table[i]->list)
      snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", *want ? ", " : "",
               runtime_table[i]->name);
  assert_string_equal(runtime_names(names, sizeof names), want);
  assert_null(strstr(names, "pid"));

  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  assert_non_null(f);
  runtime_print_target_syntax(f);
  assert_int_equal(fclose(f), 0);
  /* An 80-column terminal shows it; every line after the first is an entry
     or its continuation, indented to the text. */
  size_t lines = 0;
  for (char *l = text; *l; lines++)
    {
      char *end = strchr(l, '\n');
      assert_non_null(end);
      assert_true(end - l <= 78);
      if (l != text)
        assert_true(!strncmp(l, "  ", 2) && (l[2] != ' ' || strspn(l, " ") == 18));
      l = end + 1;
    }
  assert_true(lines > 3);
  const char *head = "TARGET is one of:\n  PID             ";
  assert_true(!strncmp(text, head, strlen(head)));

  unwrap(text);
  char line[1024];
  snprintf(line, sizeof line, "\n  %-16s%s\n", runtime_pid.syntax, runtime_pid.summary);
  assert_non_null(strstr(text, line));
  snprintf(line, sizeof line,
           "\n  NAME, ID        a container's name, ID or unique ID prefix, looked up in %s, "
           "in that order\n",
           names);
  assert_non_null(strstr(text, line));
  /* Every scheme, in order, with the syntax where it qualifies the name. */
  const char *p = strstr(text, "\n  SCHEME://NAME   in that runtime only: ");
  assert_non_null(p);
  for (size_t i = 0; i < RUNTIME_COUNT; i++)
    {
      const struct runtime_backend *b = runtime_table[i];
      snprintf(line, sizeof line, " %s://%s%s", b->name, strchr(b->syntax, '/') ? b->syntax : "",
               i + 1 < RUNTIME_COUNT ? "," : "\n");
      p = strstr(p, line);
      assert_non_null(p);
    }
  assert_non_null(strstr(text, " cri://[POD/]NAME,"));
  assert_non_null(strstr(text, " containerd://[NAMESPACE/]ID,"));
  free(text);
}

/* A listing made up for the matching tests. */
static struct runtime_entry *
add(struct runtime_listing *f, size_t i, const char *name, const char *id, pid_t pid)
{
  struct runtime_entry *e = runtime_list_add(&f->v[i].list, f->v[i].rt, name, id);
  assert_non_null(e);
  e->generated_id = id != NULL;
  e->running = pid > 0;
  e->pid = pid;
  runtime_set(&e->state, pid > 0 ? "running" : "exited");
  return e;
}

static void
fixture_init(struct runtime_listing *f)
{
  memset(f, 0, sizeof *f);
  f->v[0].rt = &runtime_docker;
  f->v[1].rt = &runtime_podman;
  f->v[2].rt = &runtime_containerd;
  f->v[3].rt = &runtime_nspawn;
  f->v[3].status = RUNTIME_ABSENT;
  f->n = 4;
  add(f, 0, "web", "0123456789abcdef0123", 100);
  add(f, 0, "db", "0456789abcdef0123456", 0);
  add(f, 1, "cache", "abcdef0123456789abcd", 200);
  add(f, 1, "api", "abd00000000000000000", 300);
  struct runtime_entry *m = add(f, 2, "0123456789abcdef0123", NULL, 100); /* docker's, in moby */
  runtime_set(&m->ns, "moby");
  struct runtime_entry *k = add(f, 2, "job", NULL, 400);
  runtime_set(&k->ns, "default");
  k = add(f, 2, "job", NULL, 401);
  runtime_set(&k->ns, "k8s.io");
}

static int
pick(struct runtime_listing *f, const char *want, const struct runtime_entry **e)
{
  return runtime_pick(want, want, f, e);
}

static void
test_match(void **state)
{
  (void)state;
  struct runtime_listing f;
  fixture_init(&f);
  const struct runtime_entry *e;
  assert_int_equal(pick(&f, "web", &e), 0);
  assert_ptr_equal(e->rt, &runtime_docker);
  assert_int_equal(e->pid, 100);
  /* The full ID: docker's and containerd's moby entry are one process:
     docker, first in the order, names it. */
  assert_int_equal(pick(&f, "0123456789abcdef0123", &e), 0);
  assert_ptr_equal(e->rt, &runtime_docker);
  /* A unique prefix of a generated ID. */
  assert_int_equal(pick(&f, "abc", &e), 0);
  assert_string_equal(e->name, "cache");
  /* NS/ID. */
  assert_int_equal(pick(&f, "k8s.io/job", &e), 0);
  assert_int_equal(e->pid, 401);
  /* Prefixes only of generated IDs: "jo" is no container. */
  assert_int_equal(pick(&f, "jo", &e), -1);
  assert_non_null(strstr(cntr_error_message(), "no such container"));
  runtime_listing_free(&f);
}

static void
test_errors(void **state)
{
  (void)state;
  struct runtime_listing f;
  fixture_init(&f);
  const struct runtime_entry *e;

  /* Stopped. */
  assert_int_equal(pick(&f, "db", &e), -1);
  assert_string_equal(cntr_error_message(),
                      "target 'db': docker container db (id 0456789abcde, exited) is not running");

  /* The same name in two runtimes. */
  add(&f, 1, "web", "fedcba98765432100000", 500);
  assert_int_equal(pick(&f, "web", &e), -1);
  assert_non_null(strstr(cntr_error_message(), "ambiguous"));
  assert_non_null(strstr(cntr_error_message(), "docker container web (id 0123456789ab, pid 100)"));
  assert_non_null(strstr(cntr_error_message(), "podman container web (id fedcba987654, pid 500)"));
  assert_string_equal(cntr_error_hint(), "pick one: docker://web or podman://web");

  /* The same ID in two containerd namespaces. */
  assert_int_equal(pick(&f, "job", &e), -1);
  assert_non_null(strstr(cntr_error_hint(), "containerd://default/job or containerd://k8s.io/job"));

  /* An ID prefix of two containers of one runtime. */
  assert_int_equal(pick(&f, "ab", &e), -1);
  assert_non_null(strstr(cntr_error_message(), "ID prefix is ambiguous"));
  assert_string_equal(cntr_error_hint(), "give more of the ID, or the name");

  /* Unknown: which were asked, which failed, which are absent. */
  f.v[1].status = -1;
  f.v[1].failure = strdup("podman ps: boom");
  assert_int_equal(runtime_pick("nope", "nope", &f, &e), -1);
  assert_string_equal(cntr_error_message(),
                      "target 'nope': no such container (asked: docker, containerd; failed: "
                      "podman (podman ps: boom); not installed or not running: nspawn)");
  runtime_listing_free(&f);
}

/* Backends made up for runtime_list_all(): one that lists a container, one
   that fails, one that is absent, one that only resolves. */
static const struct runtime_backend fake_lists;

static int
fake_list(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  (void)ctx;
  return runtime_list_add(out, &fake_lists, "one", NULL) ? 0 : -1;
}

static int
fake_fail(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  (void)ctx;
  (void)out;
  return cntr_fail(0, "fake ls: boom");
}

static int
fake_absent(const struct runtime_ctx *ctx, struct runtime_list *out)
{
  (void)ctx;
  (void)out;
  return RUNTIME_ABSENT;
}

static int
fake_resolve(const struct runtime_ctx *ctx, const char *spec, const char *want, bool alone,
             struct runtime_target *out)
{
  (void)ctx;
  (void)spec;
  (void)want;
  (void)alone;
  (void)out;
  fail_msg("runtime_list_all() does not resolve");
  return -1;
}

static const struct runtime_backend fake_lists = { .name = "lists", .list = fake_list };
static const struct runtime_backend fake_fails = { .name = "fails", .list = fake_fail };
static const struct runtime_backend fake_absents = { .name = "absent", .list = fake_absent };
static const struct runtime_backend fake_resolves = { .name = "resolves", .resolve = fake_resolve };

/* runtime_list_all(..., WARN, ...) with what it writes to stderr in *err. */
static void
list_all_capturing(const struct runtime_backend *const *sel, size_t n, bool warn,
                   struct runtime_listing *l, char *err, size_t size)
{
  char path[] = "/tmp/unit-rt-stderr.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  unlink(path);
  int saved = dup(STDERR_FILENO);
  assert_true(saved >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
  struct runtime_ctx ctx = { .root = "/nonexistent" };
  runtime_list_all(&ctx, sel, n, warn, l);
  dup2(saved, STDERR_FILENO);
  close(saved);
  ssize_t got = pread(fd, err, size - 1, 0);
  close(fd);
  assert_true(got >= 0);
  err[got] = '\0';
}

static void
test_list_all(void **state)
{
  (void)state;
  const struct runtime_backend *sel[]
      = { &fake_absents, &fake_lists, &fake_resolves, &fake_fails, &fake_lists };
  struct runtime_listing l;
  char err[512];

  /* Resolution: every backend that lists, in the order given; a failure
     is kept in the listing and taken out of the record. */
  list_all_capturing(sel, 5, false, &l, err, sizeof err);
  assert_string_equal(err, "");
  assert_string_equal(cntr_error_message(), "");
  assert_int_equal(l.n, 4);
  assert_ptr_equal(l.v[0].rt, &fake_absents);
  assert_int_equal(l.v[0].status, RUNTIME_ABSENT);
  assert_int_equal(l.v[0].list.n, 0);
  assert_null(l.v[0].failure);
  assert_ptr_equal(l.v[1].rt, &fake_lists);
  assert_int_equal(l.v[1].status, 0);
  assert_int_equal(l.v[1].list.n, 1);
  assert_string_equal(l.v[1].list.v[0].name, "one");
  assert_ptr_equal(l.v[2].rt, &fake_fails);
  assert_int_equal(l.v[2].status, -1);
  assert_string_equal(l.v[2].failure, "fake ls: boom");
  assert_ptr_equal(l.v[3].rt, &fake_lists);

  /* What the listing says when no container matches. */
  const struct runtime_entry *e;
  assert_int_equal(runtime_pick("nope", "nope", &l, &e), -1);
  assert_string_equal(cntr_error_message(),
                      "target 'nope': no such container (asked: lists, lists; failed: fails "
                      "(fake ls: boom); not installed or not running: absent)");
  assert_int_equal(runtime_pick("one", "one", &l, &e), -1);
  assert_non_null(strstr(cntr_error_message(), "lists container one (stopped) is not running"));
  runtime_listing_free(&l);
  assert_int_equal(l.n, 0);

  /* cntr ps: a warning for each failing runtime, and it goes on. */
  list_all_capturing(sel, 5, true, &l, err, sizeof err);
  assert_string_equal(err, "cntr: warning: fake ls: boom\n");
  assert_string_equal(cntr_error_message(), "");
  assert_int_equal(l.n, 4);
  assert_int_equal(l.v[3].list.n, 1);
  runtime_listing_free(&l);

  /* Nothing that lists: an empty listing. */
  list_all_capturing(sel + 2, 1, false, &l, err, sizeof err);
  assert_int_equal(l.n, 0);
  runtime_listing_free(&l);
}

static void
test_cgroup(void **state)
{
  (void)state;
  const char *v1 = "12:pids:/docker/0123abcd\n11:memory:/docker/0123abcd\n0::/\n";
  assert_true(runtime_cgroup_matches(v1, "0123abcd"));
  assert_false(runtime_cgroup_matches(v1, "pids"));
  assert_false(runtime_cgroup_matches(v1, "4567"));
  const char *v2 = "0::/system.slice/docker-0123abcd.scope\n";
  assert_true(runtime_cgroup_matches(v2, "0123abcd"));
  assert_true(runtime_cgroup_matches("0::/lxc.payload.web\n", "lxc.payload.web"));
  assert_false(runtime_cgroup_matches(v2, NULL));
}

static void
test_kv(void **state)
{
  (void)state;
  const char *t = "Name: web\nStatus: RUNNING\n  PID: 9\nPID:   1234  \n";
  char *v = runtime_kv_get(t, "PID");
  assert_string_equal(v, "1234");
  free(v);
  v = runtime_kv_get(t, "status");
  assert_string_equal(v, "RUNNING");
  free(v);
  assert_null(runtime_kv_get(t, "Type"));
}

static void
test_nspawn_name(void **state)
{
  (void)state;
#define NAME_OF(lit) runtime_nspawn_machine_name(lit, sizeof lit)
  char *n = NAME_OF("systemd-nspawn\0--quiet\0-M\0web\0-D\0/srv/x\0/bin/sh");
  assert_string_equal(n, "web");
  free(n);
  n = NAME_OF("systemd-nspawn\0--machine=db\0-D/srv/x");
  assert_string_equal(n, "db");
  free(n);
  n = NAME_OF("systemd-nspawn\0--directory\0/var/lib/machines/deb12/\0/bin/sh\0-M\0no");
  assert_string_equal(n, "deb12");
  free(n);
  n = NAME_OF("systemd-nspawn\0-i\0/var/lib/machines/fedora.raw");
  assert_string_equal(n, "fedora");
  free(n);
  assert_null(NAME_OF("systemd-nspawn\0--boot"));
#undef NAME_OF
}

static void
test_exec_capture(void **state)
{
  (void)state;
  struct exec_result r;
  char *ok[] = { "sh", "-c", "echo out; echo err >&2; read x; exit 3", NULL };
  assert_int_equal(exec_capture(ok, 5000, &r), 0);
  assert_int_equal(r.status, 3);
  assert_string_equal(r.out, "out\n");
  assert_string_equal(r.err, "err\n");
  exec_result_free(&r);
  /* A program that hangs (a daemon that does not answer) is killed, with
     what it forked. */
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  char *hang[] = { "sh", "-c", "sleep 30 & sleep 30", NULL };
  assert_int_equal(exec_capture(hang, 200, &r), -1);
  clock_gettime(CLOCK_MONOTONIC, &b);
  assert_true(b.tv_sec - a.tv_sec < 5);
  assert_non_null(strstr(cntr_error_message(), "did not answer within 200 ms"));
  char *missing[] = { "cntr-no-such-program", NULL };
  assert_int_equal(exec_capture(missing, 200, &r), -1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_scheme),      cmocka_unit_test(test_types),
    cmocka_unit_test(test_pid_rule),    cmocka_unit_test(test_order),
    cmocka_unit_test(test_help),        cmocka_unit_test(test_match),
    cmocka_unit_test(test_list_all),    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_cgroup),      cmocka_unit_test(test_kv),
    cmocka_unit_test(test_nspawn_name), cmocka_unit_test(test_exec_capture),
  };
  return cmocka_run_group_tests_name("runtime resolution (made-up lists)", tests, NULL, NULL);
}
