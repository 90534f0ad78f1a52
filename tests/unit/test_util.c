/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
nul_separated_split_skips_empty_entries(void **state)
{
  (void)state;
  const char buf[] = "A=1\0\0B=2\0C=3"; /* no trailing NUL on the last one */
  char **v = strv_from_nul_separated(buf, sizeof buf - 1);
  assert_non_null(v);
  assert_int_equal(strv_length(v), 3);
  assert_string_equal(v[2], "C=3");
  strv_free(v);
  v = strv_from_nul_separated("", 0);
  assert_non_null(v);
  assert_int_equal(strv_length(v), 0);
  strv_free(v);
}

static void
parse_ulong_is_strict(void **state)
{
  (void)state;
  unsigned long v;
  assert_int_equal(parse_ulong("4242", &v), 0);
  assert_int_equal(v, 4242);
  assert_int_equal(parse_ulong("-1", &v), -1);
  assert_int_equal(parse_ulong("+1", &v), -1);
  assert_int_equal(parse_ulong("12ab", &v), -1);
  assert_int_equal(parse_ulong("", &v), -1);
  assert_int_equal(parse_ulong(" 1", &v), -1);
  assert_int_equal(parse_ulong("99999999999999999999999", &v), -1);
  assert_int_equal(errno, ERANGE);
}

static void
read_file_round_trip_larger_than_a_page(void **state)
{
  (void)state;
  char path[] = "/tmp/cntr-test-util.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  char *data = malloc(10000);
  memset(data, 'x', 10000);
  assert_int_equal(write_all(fd, data, 10000), 0);
  close(fd);
  char *content = NULL;
  size_t len = 0;
  assert_int_equal(read_file_at(AT_FDCWD, path, &content, &len), 0);
  assert_int_equal(len, 10000);
  assert_memory_equal(content, data, 10000);
  assert_int_equal(content[len], '\0');
  unlink(path);
  free(content);
  free(data);
  assert_int_equal(read_file_at(AT_FDCWD, path, &content, &len), -1);
  assert_int_equal(errno, ENOENT);
}

/* fprint_wrapped(out, INDENT, "%s", TEXT) prints WANT. */
static void
assert_wrapped(size_t indent, const char *text, const char *want)
{
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  assert_non_null(f);
  fprint_wrapped(f, indent, "%s", text);
  assert_int_equal(fclose(f), 0);
  assert_string_equal(buf, want);
  free(buf);
}

static void
wrapped_breaks_before_column_79_and_keeps_inner_spaces(void **state)
{
  (void)state;
  char line[128], text[256], want[256];
  /* 78 columns fit; the word that would end in column 79 starts a line. */
  snprintf(line, sizeof line, "%s", "  label   ");
  while (strlen(line) < 70)
    strcat(line, "word ");
  strcat(line, "abc"); /* 73 */
  snprintf(text, sizeof text, "%s 1234 56789  next.  Two spaces stay", line);
  snprintf(want, sizeof want, "%s 1234\n    56789  next.  Two spaces stay\n", line);
  assert_wrapped(4, text, want);
  /* Trailing spaces go; a word longer than a line stands alone. */
  char longword[100];
  memset(longword, 'x', 90);
  longword[90] = '\0';
  snprintf(text, sizeof text, "a %s b  ", longword);
  snprintf(want, sizeof want, "a\n  %s\n  b\n", longword);
  assert_wrapped(2, text, want);
  assert_wrapped(0, "", "\n");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(nul_separated_split_skips_empty_entries),
    cmocka_unit_test(parse_ulong_is_strict),
    cmocka_unit_test(read_file_round_trip_larger_than_a_page),
    cmocka_unit_test(wrapped_breaks_before_column_79_and_keeps_inner_spaces),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
