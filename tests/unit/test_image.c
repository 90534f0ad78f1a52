/* SPDX-License-Identifier: MIT */
/* Tools images: what --tools-image's argument says, the manifest parsers
   (index.json, OCI and docker manifests, configs), the names of a layer's
   entries, and layers applied onto a temporary tree: whiteouts, opaque
   directories, and entries that try to get out of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "tools-image.h"
#include "tools-layer.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define HEX1 "1111111111111111111111111111111111111111111111111111111111111111"
#define HEX3 "3333333333333333333333333333333333333333333333333333333333333333"
#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* ---------------------------------------------------------------------- */
/* References and digests */

static void
test_ref_parse(void **state)
{
  (void)state;
  struct image_ref r;
  assert_int_equal(image_ref_parse("/srv/tools.tar", &r), 0);
  assert_int_equal(r.transport, IMAGE_ANY);
  assert_string_equal(r.path, "/srv/tools.tar");
  assert_null(r.ref);
  image_ref_free(&r);
  /* A bare path may hold a ':'. */
  assert_int_equal(image_ref_parse("a:b.tar", &r), 0);
  assert_string_equal(r.path, "a:b.tar");
  image_ref_free(&r);
  assert_int_equal(image_ref_parse("oci:/srv/layout:v2", &r), 0);
  assert_int_equal(r.transport, IMAGE_OCI);
  assert_string_equal(r.path, "/srv/layout");
  assert_string_equal(r.ref, "v2");
  image_ref_free(&r);
  assert_int_equal(image_ref_parse("oci:/srv/layout", &r), 0);
  assert_null(r.ref);
  image_ref_free(&r);
  /* A docker reference keeps its own ':'. */
  assert_int_equal(image_ref_parse("docker-archive:t.tar:localhost:5000/tools:v1", &r), 0);
  assert_int_equal(r.transport, IMAGE_DOCKER_ARCHIVE);
  assert_string_equal(r.path, "t.tar");
  assert_string_equal(r.ref, "localhost:5000/tools:v1");
  image_ref_free(&r);
  assert_int_equal(image_ref_parse("oci::v2", &r), -1);
  cntr_error_clear();
}

static void
test_digests(void **state)
{
  (void)state;
  assert_true(image_digest_valid(D1));
  assert_false(image_digest_valid("sha512:" HEX1));
  assert_false(image_digest_valid("sha256:" HEX1 "1"));
  assert_false(image_digest_valid(
      "sha256:ABCD111111111111111111111111111111111111111111111111111111111111"));
  assert_false(
      image_digest_valid("sha256:../../../../etc/passwd/1111111111111111111111111111111111111"));
  assert_false(image_digest_valid(NULL));
  char key[IMAGE_KEY_LEN + 1];
  image_digest_key(D1, key);
  assert_string_equal(key, "sha256-" HEX1);
}

/* ---------------------------------------------------------------------- */
/* index.json */

static const char index_two[]
    = "{\"schemaVersion\":2,\"manifests\":["
      "{\"mediaType\":\"" OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
      "\"annotations\":{\"org.opencontainers.image.ref.name\":\"base\"}},"
      "{\"mediaType\":\"application/vnd.in-toto+json\",\"digest\":\"" D3 "\"},"
      "{\"mediaType\":\"" OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
      "\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/tools:latest\","
      "\"org.opencontainers.image.ref.name\":\"latest\"}}]}";

static void
test_index_by_name(void **state)
{
  (void)state;
  char *d;
  bool nested;
  assert_int_equal(image_parse_index(index_two, "base", "amd64", &d, &nested), 0);
  assert_string_equal(d, D1);
  assert_false(nested);
  free(d);
  assert_int_equal(image_parse_index(index_two, "latest", "amd64", &d, &nested), 0);
  assert_string_equal(d, D2);
  free(d);
  /* containerd's name, with or without its :latest. */
  assert_int_equal(image_parse_index(index_two, "docker.io/library/tools", NULL, &d, &nested), 0);
  assert_string_equal(d, D2);
  free(d);
}

static void
test_index_errors(void **state)
{
  (void)state;
  char *d;
  bool nested;
  assert_int_equal(image_parse_index(index_two, NULL, "amd64", &d, &nested), -1);
  assert_non_null(strstr(cntr_error_message(), "holds 2 images (base, latest)"));
  assert_null(d);
  cntr_error_clear();
  assert_int_equal(image_parse_index(index_two, "nope", "amd64", &d, &nested), -1);
  assert_non_null(strstr(cntr_error_message(), "no image named 'nope'"));
  assert_non_null(strstr(cntr_error_hint(), "oci:PATH:NAME"));
  cntr_error_clear();
  assert_int_equal(image_parse_index("[1]", NULL, NULL, &d, &nested), -1);
  cntr_error_clear();
  assert_int_equal(image_parse_index("{\"schemaVersion\":2}", NULL, NULL, &d, &nested), -1);
  assert_non_null(strstr(cntr_error_message(), "not an image index"));
  cntr_error_clear();
  const char *bad
      = "{\"manifests\":[{\"mediaType\":\"" OCI_MANIFEST "\",\"digest\":\"sha256:../x\"}]}";
  assert_int_equal(image_parse_index(bad, NULL, NULL, &d, &nested), -1);
  assert_non_null(strstr(cntr_error_message(), "not a sha256 digest"));
  cntr_error_clear();
}

static void
test_index_platforms(void **state)
{
  (void)state;
  const char *multi = "{\"manifests\":["
                      "{\"mediaType\":\"" OCI_MANIFEST "\",\"digest\":\"" D1 "\","
                      "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
                      "{\"mediaType\":\"" OCI_MANIFEST "\",\"digest\":\"" D2 "\","
                      "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
                      "{\"mediaType\":\"" OCI_MANIFEST "\",\"digest\":\"" D3 "\","
                      "\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\"}}]}";
  char *d;
  bool nested;
  assert_int_equal(image_parse_index(multi, NULL, "amd64", &d, &nested), 0);
  assert_string_equal(d, D2);
  free(d);
  assert_int_equal(image_parse_index(multi, NULL, "s390x", &d, &nested), -1);
  assert_non_null(strstr(cntr_error_message(), "no image for linux/s390x"));
  cntr_error_clear();
  const char *top = "{\"manifests\":[{\"mediaType\":\"" OCI_INDEX "\",\"digest\":\"" D3 "\"}]}";
  assert_int_equal(image_parse_index(top, NULL, "amd64", &d, &nested), 0);
  assert_true(nested);
  assert_string_equal(d, D3);
  free(d);
}

/* ---------------------------------------------------------------------- */
/* Manifests and configs */

static void
test_manifest(void **state)
{
  (void)state;
  const char *m = "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MANIFEST "\","
                  "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                  "\"digest\":\"" D1 "\",\"size\":9},"
                  "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                  "\"digest\":\"" D2 "\",\"size\":123},"
                  "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
                  "\"digest\":\"" D3 "\"}]}";
  struct image_plan p;
  assert_int_equal(image_parse_manifest(m, &p), 0);
  assert_string_equal(p.config_digest, D1);
  assert_string_equal(p.config, "blobs/sha256/" HEX1);
  assert_int_equal(p.nlayers, 2);
  assert_string_equal(p.layers[0].digest, D2);
  assert_int_equal(p.layers[0].size, 123);
  assert_int_equal(p.layers[1].size, -1);
  assert_string_equal(p.layers[1].blob, "blobs/sha256/" HEX3);
  const char *config = "{\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\","
                       "\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
  assert_int_equal(image_parse_config(config, "amd64", &p), 0);
  assert_string_equal(p.layers[1].diff_id, D2);
  const char *short_config = "{\"rootfs\":{\"diff_ids\":[\"" D1 "\"]}}";
  assert_int_equal(image_parse_config(short_config, "amd64", &p), -1);
  assert_non_null(strstr(cntr_error_message(), "lists 1 layers, the manifest 2"));
  cntr_error_clear();
  image_plan_free(&p);
}

static void
test_manifest_unsupported(void **state)
{
  (void)state;
  struct image_plan p;
  const char *layer = "{\"config\":{\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":"
                      "\"application/vnd.oci.image.layer.v1.tar+lz4\",\"digest\":\"" D2 "\"}]}";
  assert_int_equal(image_parse_manifest(layer, &p), -1);
  assert_non_null(strstr(cntr_error_message(), "unsupported media type"));
  assert_int_equal(p.nlayers, 0);
  cntr_error_clear();
  const char *helm = "{\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\","
                     "\"digest\":\"" D1 "\"},\"layers\":[]}";
  assert_int_equal(image_parse_manifest(helm, &p), -1);
  assert_non_null(strstr(cntr_error_message(), "not a container image"));
  cntr_error_clear();
  assert_int_equal(image_parse_manifest("{\"mediaType\":\"" OCI_INDEX "\"}", &p), -1);
  cntr_error_clear();
  assert_int_equal(image_parse_manifest("not json", &p), -1);
  cntr_error_clear();
}

static void
test_docker_manifest(void **state)
{
  (void)state;
  const char *m = "[{\"Config\":\"" HEX1 ".json\",\"RepoTags\":[\"tools:v1\"],"
                  "\"Layers\":[\"abc/layer.tar\"]},"
                  "{\"Config\":\"blobs/sha256/" HEX1 "\",\"RepoTags\":[\"box:latest\"],"
                  "\"Layers\":[\"blobs/sha256/" HEX1 "\"]}]";
  struct image_plan p;
  assert_int_equal(image_parse_docker_manifest(m, "tools:v1", &p), 0);
  assert_string_equal(p.config, HEX1 ".json");
  assert_string_equal(p.config_digest, D1);
  assert_int_equal(p.nlayers, 1);
  assert_string_equal(p.layers[0].blob, "abc/layer.tar");
  assert_null(p.layers[0].digest);
  image_plan_free(&p);
  /* "box" is box:latest; a blob's name is its digest. */
  assert_int_equal(image_parse_docker_manifest(m, "box", &p), 0);
  assert_string_equal(p.config_digest, D1);
  assert_string_equal(p.layers[0].digest, D1);
  image_plan_free(&p);
  assert_int_equal(image_parse_docker_manifest(m, NULL, &p), -1);
  assert_non_null(strstr(cntr_error_message(), "holds 2 images (tools:v1, box:latest)"));
  cntr_error_clear();
  assert_int_equal(image_parse_docker_manifest(m, "tools:v2", &p), -1);
  cntr_error_clear();
  /* A config named otherwise: the caller hashes it. */
  assert_int_equal(image_parse_docker_manifest("[{\"Config\":\"c.json\",\"Layers\":[]}]", NULL, &p),
                   0);
  assert_null(p.config_digest);
  image_plan_free(&p);
  assert_int_equal(image_parse_docker_manifest("{}", NULL, &p), -1);
  assert_non_null(strstr(cntr_error_message(), "not a docker-archive"));
  cntr_error_clear();
}

/* ---------------------------------------------------------------------- */
/* Names of a layer's entries */

static void
expect_entry(const char *name, int rc, const char *path, enum layer_entry_kind kind)
{
  char *got = NULL;
  enum layer_entry_kind k = LAYER_ENTRY_IGNORED;
  int r = layer_entry_parse(name, &got, &k);
  if (r != rc)
    fail_msg("%s: returned %d, not %d", name, r, rc);
  if (rc == 0)
    {
      assert_string_equal(got, path);
      assert_int_equal(k, kind);
    }
  else
    assert_null(got);
  free(got);
}

static void
test_entry_names(void **state)
{
  (void)state;
  expect_entry("usr/bin/ls", 0, "usr/bin/ls", LAYER_ENTRY_PATH);
  expect_entry("./usr//bin/./", 0, "usr/bin", LAYER_ENTRY_PATH);
  expect_entry("./", 0, "", LAYER_ENTRY_ROOT);
  expect_entry(".", 0, "", LAYER_ENTRY_ROOT);
  expect_entry("etc/.wh.passwd", 0, "etc/passwd", LAYER_ENTRY_WHITEOUT);
  expect_entry("./.wh.gone", 0, "gone", LAYER_ENTRY_WHITEOUT);
  expect_entry("opt/app/.wh..wh..opq", 0, "opt/app", LAYER_ENTRY_OPAQUE);
  expect_entry(".wh..wh..opq", 0, "", LAYER_ENTRY_OPAQUE);
  expect_entry("x/.wh..wh.plnk", 0, "x/.wh..wh.plnk", LAYER_ENTRY_IGNORED);
  /* ".wh." inside a name is just a name. */
  expect_entry("a.wh.b", 0, "a.wh.b", LAYER_ENTRY_PATH);
  expect_entry("..", -1, NULL, 0);
  expect_entry("../etc/passwd", -1, NULL, 0);
  expect_entry("usr/../../etc", -1, NULL, 0);
  expect_entry("/etc/passwd", -1, NULL, 0);
  expect_entry("", -1, NULL, 0);
  expect_entry(NULL, -1, NULL, 0);
  expect_entry("etc/.wh.", -1, NULL, 0);
  expect_entry("etc/.wh...", -1, NULL, 0);
  /* "..." is a name. */
  expect_entry("a/.../b", 0, "a/.../b", LAYER_ENTRY_PATH);
}

/* ---------------------------------------------------------------------- */
/* Layers applied onto a tree */

struct tree
{
  char dir[64]; /* the tree */
  char out[96]; /* beside it: must stay empty */
  int fd;
  struct layer_tree *t;
};

static int
tree_setup(void **state)
{
  struct tree *t = calloc(1, sizeof *t);
  snprintf(t->out, sizeof t->out, "/tmp/cntr-test-image.XXXXXX");
  if (!mkdtemp(t->out))
    return -1;
  snprintf(t->dir, sizeof t->dir, "%s/tree", t->out);
  mkdir(t->dir, 0755);
  t->fd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  t->t = layer_tree_new(t->fd);
  *state = t;
  return t->fd >= 0 && t->t ? 0 : -1;
}

static int
tree_teardown(void **state)
{
  struct tree *t = *state;
  layer_tree_free(t->t);
  close(t->fd);
  remove_tree_at(AT_FDCWD, t->out);
  free(t);
  return 0;
}

/* A tar in memory: entries "TYPE NAME [CONTENT or LINK]" with TYPE f
   (file 0644), x (file 4755), d (directory), l (symlink), h (hard link),
   c (character device). */
static size_t
make_tar(char *buf, size_t size, const char *const *entries)
{
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  size_t used = 0;
  assert_int_equal(archive_write_open_memory(a, buf, size, &used), ARCHIVE_OK);
  for (const char *const *e = entries; *e; e++)
    {
      char type = (*e)[0];
      char name[256];
      const char *arg = strchr(*e + 2, ' ');
      snprintf(name, sizeof name, "%.*s", arg ? (int)(arg - *e - 2) : (int)strlen(*e + 2), *e + 2);
      arg = arg ? arg + 1 : "";
      struct archive_entry *ae = archive_entry_new();
      archive_entry_set_pathname(ae, name);
      archive_entry_set_mtime(ae, 1700000000, 0);
      switch (type)
        {
        case 'f':
        case 'x':
          archive_entry_set_filetype(ae, AE_IFREG);
          archive_entry_set_perm(ae, type == 'x' ? 04755 : 0644);
          archive_entry_set_size(ae, (la_int64_t)strlen(arg));
          break;
        case 'd':
          archive_entry_set_filetype(ae, AE_IFDIR);
          archive_entry_set_perm(ae, 0755);
          break;
        case 'l':
          archive_entry_set_filetype(ae, AE_IFLNK);
          archive_entry_set_symlink(ae, arg);
          break;
        case 'h':
          archive_entry_set_filetype(ae, AE_IFREG);
          archive_entry_set_hardlink(ae, arg);
          break;
        case 'c':
          archive_entry_set_filetype(ae, AE_IFCHR);
          archive_entry_set_perm(ae, 0666);
          archive_entry_set_rdev(ae, makedev(1, 1));
          break;
        }
      assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
      if ((type == 'f' || type == 'x') && *arg)
        assert_int_equal(archive_write_data(a, arg, strlen(arg)), (la_ssize_t)strlen(arg));
      archive_entry_free(ae);
    }
  archive_write_close(a);
  archive_write_free(a);
  return used;
}

static int
apply(struct tree *t, const char *const *entries)
{
  static char buf[1 << 16];
  size_t n = make_tar(buf, sizeof buf, entries);
  struct archive *a = archive_read_new();
  archive_read_support_format_tar(a);
  assert_int_equal(archive_read_open_memory(a, buf, n), ARCHIVE_OK);
  struct layer_stats st = { 0 };
  int rc = layer_apply(t->t, a, "layer", &st);
  archive_read_free(a);
  return rc;
}

static bool
exists(struct tree *t, const char *path)
{
  struct stat st;
  return fstatat(t->fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static char *
content(struct tree *t, const char *path)
{
  static char buf[256];
  int fd = openat(t->fd, path, O_RDONLY | O_NOFOLLOW);
  if (fd < 0)
    return NULL;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

static void
test_whiteouts(void **state)
{
  struct tree *t = *state;
  const char *lower[] = { "d etc",         "f etc/passwd root", "f etc/group g",
                          "d opt",         "d opt/app",         "f opt/app/old o",
                          "d opt/app/sub", "f opt/app/sub/x x", "f file-then-dir f",
                          "d gone",        "f gone/a a",        NULL };
  assert_int_equal(apply(t, lower), 0);
  /* The opaque marker after an entry of its own layer keeps that entry;
     a file replaced by a directory; a whiteout of nothing. */
  const char *upper[]
      = { "f etc/.wh.group",      "f opt/app/new n", "f opt/app/.wh..wh..opq", "d file-then-dir",
          "f file-then-dir/in i", "f .wh.gone",      "f .wh.never-there",      NULL };
  assert_int_equal(apply(t, upper), 0);
  assert_int_equal(layer_tree_finish(t->t), 0);
  assert_true(exists(t, "etc/passwd"));
  assert_false(exists(t, "etc/group"));
  assert_false(exists(t, "etc/.wh.group"));
  assert_string_equal(content(t, "opt/app/new"), "n");
  assert_false(exists(t, "opt/app/old"));
  assert_false(exists(t, "opt/app/sub"));
  assert_false(exists(t, "opt/app/.wh..wh..opq"));
  assert_string_equal(content(t, "file-then-dir/in"), "i");
  assert_false(exists(t, "gone"));
  /* A whiteout in a third layer of what the second wrote. */
  const char *third[] = { "f opt/app/.wh.new", NULL };
  assert_int_equal(apply(t, third), 0);
  assert_false(exists(t, "opt/app/new"));
  struct stat st;
  assert_int_equal(fstatat(t->fd, "etc", &st, 0), 0);
  assert_int_equal(st.st_mtime, 1700000000);
}

static void
test_links_stay_inside(void **state)
{
  struct tree *t = *state;
  /* An absolute symlink to a directory of the host, a relative one that
     climbs: writes through them land inside the tree. */
  const char *layer[] = { "d usr",
                          "d usr/lib",
                          "l lib /usr/lib",
                          "l up ../../../../../../../..",
                          "f lib/libc.so c",
                          "f up/climbed u",
                          "h hard usr/lib/libc.so",
                          "l dangling /etc/shadow",
                          NULL };
  assert_int_equal(apply(t, layer), 0);
  assert_string_equal(content(t, "usr/lib/libc.so"), "c");
  assert_string_equal(content(t, "climbed"), "u");
  assert_string_equal(content(t, "hard"), "c");
  char buf[64];
  ssize_t n = readlinkat(t->fd, "dangling", buf, sizeof buf - 1);
  assert_true(n > 0);
  buf[n] = '\0';
  assert_string_equal(buf, "/etc/shadow");
  /* A later layer writing a file where a symlink is replaces the link. */
  const char *over[] = { "f dangling mine", NULL };
  assert_int_equal(apply(t, over), 0);
  assert_string_equal(content(t, "dangling"), "mine");
  struct stat st;
  char beside[128];
  snprintf(beside, sizeof beside, "%s/climbed", t->out);
  assert_int_equal(stat(beside, &st), -1);
}

static void
test_hostile_entries(void **state)
{
  struct tree *t = *state;
  const char *dotdot[] = { "f ../escaped x", NULL };
  assert_int_equal(apply(t, dotdot), -1);
  assert_non_null(strstr(cntr_error_message(), "leads outside the image"));
  cntr_error_clear();
  const char *hard[] = { "h hl ../../etc/passwd", NULL };
  assert_int_equal(apply(t, hard), -1);
  assert_non_null(strstr(cntr_error_message(), "outside the image"));
  cntr_error_clear();
  const char *hard_abs[] = { "h hl /etc/passwd", NULL };
  assert_int_equal(apply(t, hard_abs), -1);
  cntr_error_clear();
  char beside[128];
  snprintf(beside, sizeof beside, "%s/escaped", t->out);
  assert_int_equal(access(beside, F_OK), -1);
  assert_false(exists(t, "hl"));
  const char *neutral[] = { "x suid s", "d dev", "c dev/mem", NULL };
  assert_int_equal(apply(t, neutral), 0);
  struct stat st;
  assert_int_equal(fstatat(t->fd, "suid", &st, 0), 0);
  assert_int_equal(st.st_mode & 07777, 0755);
  assert_false(exists(t, "dev/mem"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ref_parse),
    cmocka_unit_test(test_digests),
    cmocka_unit_test(test_index_by_name),
    cmocka_unit_test(test_index_errors),
    cmocka_unit_test(test_index_platforms),
    cmocka_unit_test(test_manifest),
    cmocka_unit_test(test_manifest_unsupported),
    cmocka_unit_test(test_docker_manifest),
    cmocka_unit_test(test_entry_names),
    cmocka_unit_test_setup_teardown(test_whiteouts, tree_setup, tree_teardown),
    cmocka_unit_test_setup_teardown(test_links_stay_inside, tree_setup, tree_teardown),
    cmocka_unit_test_setup_teardown(test_hostile_entries, tree_setup, tree_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
