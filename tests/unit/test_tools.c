/* SPDX-License-Identifier: MIT */
/* tools_resolve and tools_library_path on small trees built in a temporary
   directory, whose absolute symlinks must resolve inside the tree, never on
   the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tools.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tree
{
  char dir[64];
  int fd;
};

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void)st;
  (void)type;
  (void)ftw;
  remove(path);
  return 0;
}

static int
tree_teardown(void **state)
{
  struct tree *t = *state;
  if (t)
    {
      if (t->fd >= 0)
        close(t->fd);
      nftw(t->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
      free(t);
    }
  return 0;
}

static struct tree *
tree_new(void **state)
{
  struct tree *t = calloc(1, sizeof *t);
  assert_non_null(t);
  t->fd = -1;
  *state = t;
  strcpy(t->dir, "/tmp/cntr-tools.XXXXXX");
  assert_non_null(mkdtemp(t->dir));
  t->fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true(t->fd >= 0);
  return t;
}

/* mkdir -p, relative to the tree. */
static void
mkdirs(struct tree *t, const char *path)
{
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1;; p++)
    if (*p == '/' || *p == '\0')
      {
        char c = *p;
        *p = '\0';
        if (mkdirat(t->fd, buf, 0755) < 0)
          assert_int_equal(errno, EEXIST);
        if (!c)
          break;
        *p = c;
      }
}

static void
write_file(struct tree *t, const char *path, const char *content)
{
  int fd = openat(t->fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
  close(fd);
}

static void
link_at(struct tree *t, const char *target, const char *path)
{
  assert_int_equal(symlinkat(target, t->fd, path), 0);
}

static void
assert_resolves(struct tree *t, const char *path, const char *expected)
{
  char *got = tools_resolve(t->fd, path);
  if (!got)
    fail_msg("tools_resolve (%s): %s, expected %s", path, strerror(errno), expected);
  if (strcmp(got, expected) != 0)
    fail_msg("tools_resolve (%s) = %s, expected %s", path, got, expected);
  free(got);
}

static void
assert_fails(struct tree *t, const char *path, int err)
{
  errno = 0;
  char *got = tools_resolve(t->fd, path);
  if (got)
    fail_msg("tools_resolve (%s) = %s, expected %s", path, got, strerror(err));
  if (errno != err)
    fail_msg("tools_resolve (%s): %s, expected %s", path, strerror(errno), strerror(err));
}

/* A merged-/usr tree, Debian style. */
static void
make_usr_tree(struct tree *t)
{
  mkdirs(t, "usr/lib/x86_64-linux-gnu");
  mkdirs(t, "usr/lib64");
  mkdirs(t, "usr/bin");
  mkdirs(t, "etc/alternatives");
  link_at(t, "usr/lib", "lib");
  link_at(t, "usr/lib64", "lib64");
  link_at(t, "usr/bin", "bin");
  write_file(t, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "");
  link_at(t, "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2");
  write_file(t, "usr/bin/vim.basic", "");
  link_at(t, "/etc/alternatives/vi", "usr/bin/vi");
  link_at(t, "/usr/bin/vim.basic", "etc/alternatives/vi");
}

static void
test_resolve_plain(void **state)
{
  struct tree *t = tree_new(state);
  make_usr_tree(t);
  assert_resolves(t, "/", "/");
  assert_resolves(t, "", "/");
  assert_resolves(t, "/usr/lib", "/usr/lib");
  assert_resolves(t, "//usr///lib/./", "/usr/lib");
  assert_resolves(t, "usr/lib", "/usr/lib");
  assert_resolves(t, "/usr/lib/../bin", "/usr/bin");
}

static void
test_resolve_symlinks(void **state)
{
  struct tree *t = tree_new(state);
  make_usr_tree(t);
  assert_resolves(t, "/lib64/ld-linux-x86-64.so.2",
                  "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  assert_resolves(t, "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu");
  /* Absolute links restart at the tree's root, through two of them. */
  assert_resolves(t, "/bin/vi", "/usr/bin/vim.basic");
  link_at(t, "/usr/lib", "abs");
  assert_resolves(t, "/abs/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu");
  /* A chain of relative and absolute links. */
  link_at(t, "chain2", "chain1");
  link_at(t, "/chain3/", "chain2");
  link_at(t, "./lib64/../lib", "chain3");
  assert_resolves(t, "/chain1", "/usr/lib");
  assert_resolves(t, "/chain1/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu");
  /* ".." applies to where a link leads, not to the link's name. */
  assert_resolves(t, "/lib64/..", "/usr");
  assert_resolves(t, "/lib64/../bin/vi", "/usr/bin/vim.basic");
}

static void
test_resolve_stays_inside(void **state)
{
  struct tree *t = tree_new(state);
  make_usr_tree(t);
  assert_resolves(t, "/..", "/");
  assert_resolves(t, "/../../../usr", "/usr");
  assert_resolves(t, "/usr/lib/x86_64-linux-gnu/../../../../../etc", "/etc");
  link_at(t, "../../../../../../etc", "escape");
  assert_resolves(t, "/escape", "/etc");
  link_at(t, "/../../usr/bin", "escape_abs");
  assert_resolves(t, "/escape_abs/vim.basic", "/usr/bin/vim.basic");
  /* Exists on any host, not in the tree: must not be found. */
  link_at(t, "/proc/self", "host");
  assert_fails(t, "/host", ENOENT);
  link_at(t, "../../../proc/self/root", "host_rel");
  assert_fails(t, "/host_rel", ENOENT);
}

static void
test_resolve_errors(void **state)
{
  struct tree *t = tree_new(state);
  make_usr_tree(t);
  assert_fails(t, "/missing", ENOENT);
  assert_fails(t, "/usr/missing/x", ENOENT);
  link_at(t, "/nowhere", "dangling");
  assert_fails(t, "/dangling", ENOENT);
  write_file(t, "file", "");
  assert_fails(t, "/file/x", ENOTDIR);
  assert_fails(t, "/file/..", ENOTDIR);
  assert_fails(t, "/file/", ENOTDIR);
  assert_fails(t, "/file/.", ENOTDIR);
  link_at(t, "file", "file_link");
  assert_fails(t, "/file_link/", ENOTDIR);
  assert_resolves(t, "/file_link", "/file");
  link_at(t, "loop2", "loop1");
  link_at(t, "/loop1", "loop2");
  assert_fails(t, "/loop1", ELOOP);
  link_at(t, "self", "self");
  assert_fails(t, "/self/x", ELOOP);
}

static void
test_resolve_link_limit(void **state)
{
  struct tree *t = tree_new(state);
  mkdirs(t, "end");
  /* l0 -> l1 -> ... -> l40 -> end: 41 links. */
  char name[32], target[32];
  for (int i = 0; i <= 40; i++)
    {
      snprintf(name, sizeof name, "l%d", i);
      if (i == 40)
        snprintf(target, sizeof target, "end");
      else
        snprintf(target, sizeof target, "l%d", i + 1);
      link_at(t, target, name);
    }
  assert_resolves(t, "/l1", "/end"); /* 40 links */
  assert_fails(t, "/l0", ELOOP);     /* 41 links */
}

static void
assert_library_path(struct tree *t, const char *base, const char *expected)
{
  char *got = tools_library_path(t->fd, base);
  if (!got)
    fail_msg("tools_library_path (%s): %s", base, strerror(errno));
  if (strcmp(got, expected) != 0)
    fail_msg("tools_library_path (%s)\n   = %s\nwant %s", base, got, expected);
  free(got);
}

#if defined(__x86_64__)
#define MULTIARCH_DIR "/usr/lib/x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH_DIR "/usr/lib/aarch64-linux-gnu"
#endif

static void
test_library_path_defaults(void **state)
{
  struct tree *t = tree_new(state);
  mkdirs(t, "usr/lib/x86_64-linux-gnu");
  mkdirs(t, "usr/lib/aarch64-linux-gnu");
  mkdirs(t, "usr/lib64");
  link_at(t, "usr/lib", "lib");
  link_at(t, "/usr/lib64", "lib64");
  /* No etc/ld.so.conf at all: the loader's defaults, deduplicated. */
#ifdef MULTIARCH_DIR
  assert_library_path(t, "/var/lib/cntr",
                      "/var/lib/cntr" MULTIARCH_DIR
                      ":/var/lib/cntr/usr/lib64:/var/lib/cntr/usr/lib");
  assert_library_path(t, "/var/lib/cntr//",
                      "/var/lib/cntr" MULTIARCH_DIR
                      ":/var/lib/cntr/usr/lib64:/var/lib/cntr/usr/lib");
  assert_library_path(t, "", MULTIARCH_DIR ":/usr/lib64:/usr/lib");
  assert_library_path(t, "/", MULTIARCH_DIR ":/usr/lib64:/usr/lib");
#else
  assert_library_path(t, "/b", "/b/usr/lib64:/b/usr/lib");
#endif
}

/* A glob of data directories: matches through real directories, through
   a symlinked directory (resolved in the tree, deduplicated with its
   target) and through a symlinked last component; a directory without the
   pattern's next name matches nothing. */
static void
test_data_path_glob(void **state)
{
  struct tree *t = tree_new(state);
  mkdirs(t, "usr/lib/a/perl5/x");
  mkdirs(t, "usr/lib/b");
  mkdirs(t, "usr/lib/d");
  mkdirs(t, "usr/share/p5/y");
  mkdirs(t, "other/perl5/z");
  write_file(t, "usr/lib/file", "");
  link_at(t, "/usr/lib/a", "usr/lib/c");
  link_at(t, "/usr/share/p5", "usr/lib/d/perl5");
  link_at(t, "/other", "usr/lib/e");
  const char *const patterns[] = { "/usr/lib/*/perl5/*", NULL };
  char *got = tools_data_path(t->fd, patterns, "/var/lib/cntr", false);
  assert_non_null(got);
  assert_string_equal(got, "/var/lib/cntr/usr/lib/a/perl5/x:/var/lib/cntr/usr/share/p5/y:"
                           "/var/lib/cntr/other/perl5/z");
  free(got);
}

static void
test_library_path_empty_tree(void **state)
{
  struct tree *t = tree_new(state);
  assert_library_path(t, "/var/lib/cntr", "");
}

static void
test_library_path_ld_so_conf(void **state)
{
  struct tree *t = tree_new(state);
  make_usr_tree(t);
  mkdirs(t, "usr/local/lib");
  mkdirs(t, "opt/first");
  mkdirs(t, "opt/extra");
  mkdirs(t, "opt/ignored");
  mkdirs(t, "opt/hidden");
  mkdirs(t, "opt/deep");
  mkdirs(t, "opt/with space");
  link_at(t, "first", "opt/alias");
  mkdirs(t, "etc/conf.real");
  /* Reached through an absolute link: must be looked up in the tree. */
  link_at(t, "/etc/conf.real", "etc/ld.so.conf.d");
  write_file(t, "etc/ld.so.conf",
             "# the tools' ld.so.conf\n"
             "include /etc/ld.so.conf.d/*.conf\n"
             "\n"
             "   /opt/first   # trailing comment\n"
             "hwcap 0 nosegneg\n"
             "include\textra.conf   nested/*.conf\n"
             "relative/dir\n"
             "/opt/with space\n");
  write_file(t, "etc/conf.real/b.conf", "/usr/local/lib/\n/opt/alias\n");
  write_file(t, "etc/conf.real/a.conf", "/usr/local/lib\n/missing/dir\n");
  write_file(t, "etc/conf.real/c.notconf", "/opt/ignored\n");
  write_file(t, "etc/conf.real/.hidden.conf", "/opt/hidden\n");
  /* "=TYPE" suffix (libc5 era), and a cycle back to the top. */
  write_file(t, "etc/extra.conf", "/opt/extra=libc6\ninclude /etc/ld.so.conf\n");
  mkdirs(t, "etc/nested");
  write_file(t, "etc/nested/x.conf", "/opt/deep\n/usr/lib64\n");

#ifdef __x86_64__
  assert_library_path(t, "/var/lib/cntr",
                      "/var/lib/cntr/usr/local/lib"
                      ":/var/lib/cntr/opt/first"
                      ":/var/lib/cntr/opt/extra"
                      ":/var/lib/cntr/opt/deep"
                      ":/var/lib/cntr/usr/lib64"
                      ":/var/lib/cntr/opt/with space"
                      ":/var/lib/cntr/usr/lib/x86_64-linux-gnu"
                      ":/var/lib/cntr/usr/lib");
#else
  skip();
#endif
}

static void
test_library_path_bad_base(void **state)
{
  struct tree *t = tree_new(state);
  errno = 0;
  assert_null(tools_library_path(t->fd, "/var/lib/a:b"));
  assert_int_equal(errno, EINVAL);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown(test_resolve_plain, tree_teardown),
    cmocka_unit_test_teardown(test_data_path_glob, tree_teardown),
    cmocka_unit_test_teardown(test_resolve_symlinks, tree_teardown),
    cmocka_unit_test_teardown(test_resolve_stays_inside, tree_teardown),
    cmocka_unit_test_teardown(test_resolve_errors, tree_teardown),
    cmocka_unit_test_teardown(test_resolve_link_limit, tree_teardown),
    cmocka_unit_test_teardown(test_library_path_defaults, tree_teardown),
    cmocka_unit_test_teardown(test_library_path_empty_tree, tree_teardown),
    cmocka_unit_test_teardown(test_library_path_ld_so_conf, tree_teardown),
    cmocka_unit_test_teardown(test_library_path_bad_base, tree_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
