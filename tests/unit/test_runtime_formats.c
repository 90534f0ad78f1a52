/* SPDX-License-Identifier: MIT */
/* Each runtime backend's parser on the output format its tool documents:
   crictl, nerdctl, docker/podman inspect templates, ctr, lxc-info, LXD's
   `lxc info`, `incus info`, runc/crun state files, containerd's task
   directories.  These are format tests, NOT end-to-end tests: crictl,
   nerdctl, LXD and Incus cannot be installed on the CI machine; the real
   runtimes are exercised in tests/runtimes/. */
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* `crictl ps -a -o json`: {"containers": [...]} with id, podSandboxId,
   metadata.name, state CONTAINER_*, labels io.kubernetes.pod.*. */
static const char crictl_ps[]
    = "{\n"
      "  \"containers\": [\n"
      "    {\n"
      "      \"id\": \"5e1c0ffee0d5b9a7c3b1f2e4d6a8b0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4\",\n"
      "      \"podSandboxId\": \"77aa\",\n"
      "      \"metadata\": { \"name\": \"nginx\", \"attempt\": 0 },\n"
      "      \"image\": { \"image\": \"sha256:1234\" },\n"
      "      \"imageRef\": \"sha256:1234\",\n"
      "      \"state\": \"CONTAINER_RUNNING\",\n"
      "      \"createdAt\": \"1700000000000000000\",\n"
      "      \"labels\": { \"io.kubernetes.pod.name\": \"web-0\",\n"
      "                  \"io.kubernetes.pod.namespace\": \"default\" },\n"
      "      \"annotations\": {}\n"
      "    },\n"
      "    {\n"
      "      \"id\": \"9f00ba11\",\n"
      "      \"metadata\": { \"name\": \"init\", \"attempt\": 1 },\n"
      "      \"state\": \"CONTAINER_EXITED\",\n"
      "      \"labels\": { \"io.kubernetes.pod.name\": \"web-0\" }\n"
      "    }\n"
      "  ]\n"
      "}\n";

/* `crictl inspect -o json ID`: {"status": {...}, "info": {"pid": N, ...}}. */
static const char crictl_inspect[]
    = "{\n"
      "  \"status\": { \"id\": \"5e1c\", \"state\": \"CONTAINER_RUNNING\" },\n"
      "  \"info\": { \"sandboxID\": \"77aa\", \"pid\": 31337, \"removing\": false,\n"
      "            \"runtimeType\": \"io.containerd.runc.v2\" }\n"
      "}\n";

static void
formats_crictl(void **state)
{
  (void)state;
  struct runtime_list l = { 0 };
  assert_int_equal(runtime_parse_crictl_ps(crictl_ps, &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.v[0].name, "nginx");
  assert_string_equal(l.v[0].ns, "web-0");
  assert_string_equal(l.v[0].state, "running");
  assert_true(l.v[0].running);
  assert_true(l.v[0].generated_id);
  assert_string_equal(l.v[1].state, "exited");
  assert_false(l.v[1].running);
  pid_t pid;
  assert_int_equal(runtime_parse_crictl_inspect(crictl_inspect, &pid), 0);
  assert_int_equal(pid, 31337);
  assert_int_equal(runtime_parse_crictl_inspect("{\"info\":{}}", &pid), -1);
  assert_int_equal(runtime_parse_crictl_ps("[]", &l), -1);
  runtime_list_free(&l);
}

/* `nerdctl inspect --mode dockercompat`: docker's container JSON. */
static const char nerdctl_inspect[]
    = "[\n"
      "  {\n"
      "    \"Id\": \"c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc\",\n"
      "    \"Created\": \"2024-01-01T00:00:00Z\",\n"
      "    \"Path\": \"/docker-entrypoint.sh\",\n"
      "    \"State\": { \"Status\": \"running\", \"Running\": true, \"Paused\": false,\n"
      "               \"Pid\": 4242, \"ExitCode\": 0 },\n"
      "    \"Name\": \"nginx-1\",\n"
      "    \"Platform\": \"linux\"\n"
      "  },\n"
      "  {\n"
      "    \"Id\": \"dead00\",\n"
      "    \"State\": { \"Status\": \"exited\", \"Running\": false, \"Pid\": 0 },\n"
      "    \"Name\": \"/old\"\n"
      "  }\n"
      "]\n";

static void
formats_nerdctl(void **state)
{
  (void)state;
  struct runtime_list l = { 0 };
  assert_int_equal(runtime_parse_docker_json(&runtime_nerdctl, nerdctl_inspect, &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.v[0].name, "nginx-1");
  assert_int_equal(l.v[0].pid, 4242);
  assert_true(l.v[0].running);
  assert_string_equal(l.v[0].cgroup_key, l.v[0].id);
  assert_string_equal(l.v[1].name, "old");
  assert_false(l.v[1].running);
  assert_string_equal(l.v[1].state, "exited");
  runtime_list_free(&l);
}

/* docker/podman `inspect -f '{{.Id}}\t{{.Name}}\t{{.State.Status}}\t{{.State.Pid}}'`:
   docker's names start with '/', podman's do not. */
static void
formats_docker_podman_inspect(void **state)
{
  (void)state;
  struct runtime_list l = { 0 };
  const char *docker = "aaaa1111\t/web\trunning\t123\nbbbb2222\t/db\texited\t0\n";
  assert_int_equal(runtime_parse_inspect_lines(&runtime_docker, docker, &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.v[0].name, "web");
  assert_int_equal(l.v[0].pid, 123);
  assert_false(l.v[1].running);
  assert_int_equal(l.v[1].pid, 0);
  const char *podman = "cccc3333\tcache\trunning\t77\n";
  assert_int_equal(runtime_parse_inspect_lines(&runtime_podman, podman, &l), 0);
  assert_string_equal(l.v[2].name, "cache");
  assert_ptr_equal(l.v[2].rt, &runtime_podman);
  runtime_list_free(&l);
}

/* `ctr -n NS tasks list`: a table TASK PID STATUS. */
static void
formats_ctr_tasks(void **state)
{
  (void)state;
  struct runtime_list l = { 0 };
  const char *text = "TASK      PID     STATUS    \n"
                     "redis     2207    RUNNING\n"
                     "batch     2310    STOPPED\n";
  assert_int_equal(runtime_parse_ctr_tasks(text, "default", &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.v[0].name, "redis");
  assert_string_equal(l.v[0].ns, "default");
  assert_int_equal(l.v[0].pid, 2207);
  assert_true(l.v[0].running);
  assert_false(l.v[0].generated_id);
  assert_false(l.v[1].running);
  assert_string_equal(l.v[1].state, "stopped");
  runtime_list_free(&l);
}

static void
check_info(const char *text, bool running, pid_t pid)
{
  struct runtime_entry e = { 0 };
  assert_int_equal(runtime_parse_lxc_info(text, &e), 0);
  assert_int_equal(e.running, running);
  assert_int_equal(e.pid, pid);
  free(e.state);
}

/* `lxc-info -n NAME -s -p` (LXC), `lxc info NAME` (LXD), `incus info NAME`. */
static void
formats_lxc_lxd_incus_info(void **state)
{
  (void)state;
  check_info("State:          RUNNING\nPID:            8123\n", true, 8123);
  check_info("State:          STOPPED\n", false, 0);
  check_info("Name: u1\n"
             "Status: RUNNING\n"
             "Type: container\n"
             "Architecture: x86_64\n"
             "PID: 2856\n"
             "Created: 2024/01/01 00:00 UTC\n"
             "Last Used: 2024/01/01 00:01 UTC\n"
             "\n"
             "Resources:\n"
             "  Processes: 12\n",
             true, 2856);
  /* Older LXD: "Status: Running", "Pid: N". */
  check_info("Name: old\nStatus: Running\nPid: 99\n", true, 99);
  check_info("Name: d1\nStatus: STOPPED\nType: container\n", false, 0);
  struct runtime_entry e = { 0 };
  assert_int_equal(runtime_parse_lxc_info("nothing here\n", &e), -1);
}

static void
formats_runc_state(void **state)
{
  (void)state;
  pid_t pid;
  unsigned long long st;
  /* runc's state.json (abridged: the members cntr reads are at top level). */
  const char *runc = "{\"id\":\"web\",\"init_process_pid\":5150,\"init_process_start\":987654,"
                     "\"created\":\"2024-01-01T00:00:00Z\",\"config\":{\"rootfs\":\"/r\"}}";
  assert_int_equal(runtime_parse_runc_state(runc, &pid, &st), 0);
  assert_int_equal(pid, 5150);
  assert_int_equal(st, 987654);
  /* crun's status file. */
  const char *crun = "{\n  \"pid\" : 6160,\n  \"process-start-time\" : 1234,\n"
                     "  \"cgroup-path\" : \"/sys/fs/cgroup/x\",\n  \"rootfs\" : \"/r\"\n}";
  assert_int_equal(runtime_parse_runc_state(crun, &pid, &st), 0);
  assert_int_equal(pid, 6160);
  assert_int_equal(st, 1234);
  assert_int_equal(runtime_parse_runc_state("{\"id\":\"x\"}", &pid, &st), -1);
  assert_int_equal(runtime_parse_runc_state("not json", &pid, &st), -1);
}

/* A fake state tree under a temporary root. */
static char root[64];

static void
put(const char *path, const char *content)
{
  char full[512], dir[512];
  snprintf(full, sizeof full, "%s%s", root, path);
  snprintf(dir, sizeof dir, "mkdir -p '%s'", full);
  *strrchr(dir, '/') = '\0';
  strcat(dir, "'");
  assert_int_equal(system(dir), 0);
  FILE *f = fopen(full, "we");
  assert_non_null(f);
  fputs(content, f);
  assert_int_equal(fclose(f), 0);
}

static int
make_root(void **state)
{
  (void)state;
  snprintf(root, sizeof root, "/tmp/unit-rt.XXXXXX");
  return mkdtemp(root) ? 0 : -1;
}

static int
remove_root(void **state)
{
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  return system(cmd) == 0 ? 0 : -1;
}

static void
formats_runc_state_dir(void **state)
{
  (void)state;
  char text[256];
  pid_t me = getpid();
  snprintf(text, sizeof text,
           "{\"id\":\"live\",\"init_process_pid\":%d,\"init_process_start\":%llu}", me,
           runtime_pid_start_time(me));
  put("/run/runc/live/state.json", text);
  /* Same PID, another start time: the PID was reused. */
  snprintf(text, sizeof text,
           "{\"id\":\"reused\",\"init_process_pid\":%d,\"init_process_start\":1}", me);
  put("/run/runc/reused/state.json", text);
  put("/run/runc/garbage/state.json", "{");
  struct runtime_ctx ctx = { .root = root };
  struct runtime_list l = { 0 };
  assert_int_equal(runtime_scan_runc_root(&ctx, &runtime_runc, "/run/runc", "state.json", &l), 0);
  assert_int_equal(l.n, 2);
  for (size_t i = 0; i < l.n; i++)
    if (!strcmp(l.v[i].name, "live"))
      {
        assert_true(l.v[i].running);
        assert_int_equal(l.v[i].pid, me);
      }
    else
      {
        assert_string_equal(l.v[i].name, "reused");
        assert_false(l.v[i].running);
      }
  runtime_list_free(&l);
}

/* A fresh machine: runc or crun installed, no container run yet, so no
   /run/runc or /run/crun.  The runtime is there (asked, nothing found);
   without the CLIs too it is absent. */
static void
runc_cli_without_state_dir(void **state)
{
  (void)state;
  char fresh[128], bin[128], runc[160], crun[160];
  snprintf(fresh, sizeof fresh, "%s/fresh", root);
  snprintf(bin, sizeof bin, "%s/bin", root);
  snprintf(runc, sizeof runc, "%s/runc", bin);
  snprintf(crun, sizeof crun, "%s/crun", bin);
  assert_int_equal(mkdir(fresh, 0755), 0);
  put("/bin/runc", "#!/bin/sh\nexit 1\n");
  put("/bin/crun", "#!/bin/sh\nexit 1\n");
  struct runtime_ctx ctx = { .root = fresh };
  struct runtime_list l = { 0 };
  int absent, with_runc, with_crun;

  /* Only bin on PATH, and no assertion until it is restored. */
  char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
  setenv("PATH", bin, 1);
  chmod(runc, 0644);
  chmod(crun, 0644);
  absent = runtime_runc.list(&ctx, &l);
  chmod(runc, 0755);
  with_runc = runtime_runc.list(&ctx, &l);
  chmod(runc, 0644);
  chmod(crun, 0755);
  with_crun = runtime_runc.list(&ctx, &l);
  if (saved)
    setenv("PATH", saved, 1);
  else
    unsetenv("PATH");
  free(saved);

  assert_int_equal(absent, RUNTIME_ABSENT);
  assert_int_equal(with_runc, 0);
  assert_int_equal(with_crun, 0);
  assert_int_equal(l.n, 0);
  runtime_list_free(&l);
}

/* Rootless podman: a user's run root and graph root, found for every user
   (here nobody, whose home /nonexistent is under the fake root). */
static void
formats_podman_rootless_storage(void **state)
{
  (void)state;
  struct passwd *pw = getpwuid(65534);
  if (!pw || strcmp(pw->pw_dir, "/nonexistent"))
    skip();
  char text[64], path[256];
  snprintf(text, sizeof text, "%d\n", (int)getpid());
  put("/run/user/65534/containers/overlay-containers/aaaa1111/userdata/pidfile", text);
  put("/run/user/65534/containers/overlay-containers/bbbb2222/userdata/pidfile", "999999999\n");
  /* created, never started: no pidfile */
  snprintf(path, sizeof path, "mkdir -p '%s/run/user/65534/containers/overlay-containers/cccc'",
           root);
  assert_int_equal(system(path), 0);
  put("/nonexistent/.local/share/containers/storage/overlay-containers/containers.json",
      "[{\"id\":\"aaaa1111\",\"names\":[\"web\"]},{\"id\":\"bbbb2222\",\"names\":[\"db\"]}]");
  /* A directory that is no uid, and a user without storage. */
  put("/run/user/notauid/containers/overlay-containers/x/userdata/pidfile", "1\n");
  struct runtime_ctx ctx = { .root = root };
  struct runtime_list l = { 0 };
  bool found = false;
  assert_int_equal(runtime_podman_rootless_list(&ctx, &l, &found), 0);
  assert_true(found);
  assert_int_equal(l.n, 2);
  for (size_t i = 0; i < l.n; i++)
    {
      assert_string_equal(l.v[i].ns, pw->pw_name);
      assert_null(l.v[i].cgroup_key);
      if (!strcmp(l.v[i].name, "web"))
        {
          assert_true(l.v[i].running);
          assert_int_equal(l.v[i].pid, getpid());
        }
      else
        {
          assert_string_equal(l.v[i].name, "db");
          assert_false(l.v[i].running);
        }
    }
  runtime_list_free(&l);

  /* Found by USER/NAME and by NAME, in podman only. */
  struct runtime_target t;
  char spec[128];
  snprintf(spec, sizeof spec, "podman://%s/web", pw->pw_name);
  assert_int_equal(runtime_resolve(&ctx, spec, NULL, &t), 0);
  assert_int_equal(t.pid, getpid());
  runtime_target_free(&t);
  assert_int_equal(runtime_resolve(&ctx, "web", "podman", &t), 0);
  assert_int_equal(t.pid, getpid());
  runtime_target_free(&t);
  assert_int_equal(runtime_resolve(&ctx, "db", "podman", &t), -1);
  assert_non_null(strstr(cntr_error_message(), "is not running"));
}

static void
formats_containerd_task_dirs(void **state)
{
  (void)state;
  char text[32];
  snprintf(text, sizeof text, "%d\n", getpid());
  const char *base = "/run/containerd/io.containerd.runtime.v2.task";
  char p[256];
  snprintf(p, sizeof p, "%s/default/redis/init.pid", base);
  put(p, text);
  snprintf(p, sizeof p, "%s/k8s.io/0f0f0f/init.pid", base);
  put(p, "2147483646\n"); /* no such process */
  snprintf(p, sizeof p, "%s/k8s.io/noinit/config.json", base);
  put(p, "{}");
  struct runtime_ctx ctx = { .root = root };
  struct runtime_list l = { 0 };
  assert_int_equal(runtime_scan_containerd_tasks(&ctx, base, &l), 0);
  assert_int_equal(l.n, 2);
  for (size_t i = 0; i < l.n; i++)
    if (!strcmp(l.v[i].ns, "default"))
      {
        assert_string_equal(l.v[i].name, "redis");
        assert_true(l.v[i].running);
        assert_int_equal(l.v[i].pid, getpid());
        assert_string_equal(l.v[i].cgroup_key, "redis");
      }
    else
      {
        assert_string_equal(l.v[i].ns, "k8s.io");
        assert_false(l.v[i].running);
      }
  runtime_list_free(&l);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(formats_crictl),
    cmocka_unit_test(formats_nerdctl),
    cmocka_unit_test(formats_docker_podman_inspect),
    cmocka_unit_test(formats_ctr_tasks),
    cmocka_unit_test(formats_lxc_lxd_incus_info),
    cmocka_unit_test(formats_runc_state),
    cmocka_unit_test(formats_runc_state_dir),
    cmocka_unit_test(runc_cli_without_state_dir),
    cmocka_unit_test(formats_podman_rootless_storage),
    cmocka_unit_test(formats_containerd_task_dirs),
  };
  return cmocka_run_group_tests_name("runtime output formats (documented samples, not end-to-end)",
                                     tests, make_root, remove_root);
}
