/* SPDX-License-Identifier: MIT */
/* The "#!" line rewrite for execve(2): what is rewritten, how, and every
   case left alone; and the open/read of a file served with it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cntrfs-script.h"

#define PFX "/var/lib/cntr"

static size_t
rewrite(const char *buf, size_t len, char *out, size_t *orig)
{
  *orig = 0;
  return script_rewrite_head(buf, len, PFX, strlen(PFX), out, orig);
}

static void
expect(const char *in, const char *want)
{
  char out[SCRIPT_HEAD_MAX];
  size_t orig, n = rewrite(in, strlen(in), out, &orig);
  const char *nl = strchr(in, '\n');

  assert_int_equal(n, strlen(want));
  assert_memory_equal(out, want, n);
  assert_non_null(nl);
  assert_int_equal(orig, (size_t)(nl - in) + 1);
}

static void
expect_none(const char *in, size_t len)
{
  char out[SCRIPT_HEAD_MAX];
  size_t orig;

  assert_int_equal(rewrite(in, len, out, &orig), 0);
}

static void
test_rewrites(void **state)
{
  (void)state;
  expect("#!/bin/sh\necho hi\n", "#!" PFX "/bin/sh\n");
  expect("#!/usr/bin/env bash\n", "#!" PFX "/usr/bin/env bash\n");
  /* blanks before the interpreter go, the rest of the line stays */
  expect("#! \t/usr/bin/python3 -u -E \r\nx", "#!" PFX "/usr/bin/python3 -u -E \r\n");
  expect("#!/bin/sh\n", "#!" PFX "/bin/sh\n");
  /* a path that merely starts with the prefix's letters is not under it */
  expect("#!" PFX "x/sh\n", "#!" PFX PFX "x/sh\n");
}

static void
test_left_alone(void **state)
{
  static const char *const cases[] = {
    "",
    "#",
    "#!",
    "#!\n",
    "#!sh\n",       /* relative */
    "#! bin/sh\n",  /* relative after blanks */
    "#!   \n",      /* no interpreter */
    "# !/bin/sh\n", /* not a shebang */
    "\x7f"
    "ELF....\n",
    "#!/bin/sh",          /* no newline at all */
    "#!" PFX "/bin/sh\n", /* already inside */
    "#!" PFX "\n",
    "#!" PFX " -x\n",
  };

  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect_none(cases[i], strlen(cases[i]));
  /* a NUL within the first line */
  expect_none("#!/bin/sh\0x\n", 12);
}

/* The kernel sees 256 bytes: the new line must end within them. */
static void
test_sizes(void **state)
{
  char in[600], out[SCRIPT_HEAD_MAX];
  size_t orig, plen = strlen(PFX);
  int width;

  (void)state;
  /* rewritten: "#!" PFX "/i " + width x's + "\n" = 256 bytes exactly */
  width = (int)(SCRIPT_HEAD_MAX - 1 - 2 - plen - 3);
  snprintf(in, sizeof in, "#!/i %0*d\nrest", width, 0);
  assert_int_equal(rewrite(in, strlen(in), out, &orig), SCRIPT_HEAD_MAX);
  assert_int_equal(out[SCRIPT_HEAD_MAX - 1], '\n');
  assert_int_equal(orig, strlen(in) - 4);
  /* one more byte: left alone */
  snprintf(in, sizeof in, "#!/i %0*d\nrest", width + 1, 0);
  assert_int_equal(rewrite(in, strlen(in), out, &orig), 0);
  /* a newline only past the first 256 bytes: left alone (the kernel
     would not see it either) */
  snprintf(in, sizeof in, "#!/bin/sh %0300d\n", 0);
  assert_int_equal(rewrite(in, strlen(in), out, &orig), 0);
  /* only len bytes count */
  assert_int_equal(rewrite("#!/bin/sh\n", 9, out, &orig), 0);
  /* an empty prefix is "off" */
  assert_int_equal(script_rewrite_head("#!/bin/sh\n", 10, "", 0, out, &orig), 0);
}

/* A memfd holding content. */
static int
content_fd(const char *content)
{
  int fd = memfd_create("script", MFD_CLOEXEC);

  assert_true(fd >= 0);
  assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
  return fd;
}

#define BODY "echo hi\nexit 0\n"

static void
test_head_open(void **state)
{
  struct script_head h;
  int fd;

  (void)state;
  fd = content_fd("#!/bin/sh -e\n" BODY);
  assert_int_equal(script_head_open(fd, PFX, strlen(PFX), &h), 1);
  assert_int_equal(h.head_len, strlen("#!" PFX "/bin/sh -e\n"));
  assert_memory_equal(h.head, "#!" PFX "/bin/sh -e\n", h.head_len);
  assert_int_equal(h.orig_len, strlen("#!/bin/sh -e\n"));
  script_head_close(&h);
  assert_null(h.head);
  close(fd);

  /* Left alone: no "#!" line, an empty file, a file that cannot be read. */
  fd = content_fd(BODY);
  assert_int_equal(script_head_open(fd, PFX, strlen(PFX), &h), 0);
  close(fd);
  fd = content_fd("");
  assert_int_equal(script_head_open(fd, PFX, strlen(PFX), &h), 0);
  close(fd);
  assert_int_equal(script_head_open(-1, PFX, strlen(PFX), &h), 0);
}

static void
test_head_read(void **state)
{
  const char *orig = "#!/bin/sh\n" BODY;
  const char *want = "#!" PFX "/bin/sh\n" BODY;
  size_t want_len = strlen(want);
  struct script_head h;
  char buf[128];
  int fd;

  (void)state;
  fd = content_fd(orig);
  assert_int_equal(script_head_open(fd, PFX, strlen(PFX), &h), 1);
  assert_int_equal(script_head_size(&h, (off_t)strlen(orig)), (off_t)want_len);

  /* Reads that start in the new line are built; later ones are the file's
     own bytes, shifted. */
  assert_true(script_head_covers(&h, 0));
  assert_true(script_head_covers(&h, h.head_len - 1));
  assert_false(script_head_covers(&h, h.head_len));
  assert_int_equal(script_head_file_offset(&h, h.head_len), h.orig_len);
  assert_int_equal(script_head_file_offset(&h, h.head_len + 3), h.orig_len + 3);

  assert_int_equal(script_head_read(&h, fd, buf, sizeof buf, 0), (ssize_t)want_len);
  assert_memory_equal(buf, want, want_len);
  for (size_t at = 0; at < h.head_len; at++)
    {
      assert_int_equal(script_head_read(&h, fd, buf, 4, at), 4);
      assert_memory_equal(buf, want + at, 4);
    }
  assert_int_equal(script_head_read(&h, -1, buf, sizeof buf, 0), -EBADF);
  script_head_close(&h);
  close(fd);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rewrites),  cmocka_unit_test(test_left_alone),
    cmocka_unit_test(test_sizes),     cmocka_unit_test(test_head_open),
    cmocka_unit_test(test_head_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
