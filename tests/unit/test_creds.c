/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "creds.h"

#include <string.h>

static void
lsm_labels_become_exec_attributes(void **state)
{
  (void)state;
  char out[256];
  creds_lsm_exec_attr("docker-default (enforce)\n", out, sizeof out);
  assert_string_equal(out, "exec docker-default");
  creds_lsm_exec_attr("system_u:system_r:container_t:s0:c12,c34", out, sizeof out);
  assert_string_equal(out, "system_u:system_r:container_t:s0:c12,c34");
  creds_lsm_exec_attr("unconfined\n", out, sizeof out);
  assert_string_equal(out, "");
  creds_lsm_exec_attr("kernel", out, sizeof out);
  assert_string_equal(out, "");
  creds_lsm_exec_attr(NULL, out, sizeof out);
  assert_string_equal(out, "");
  creds_lsm_exec_attr("\n", out, sizeof out);
  assert_string_equal(out, "");
}

static void
ids_are_translated_into_the_user_namespace(void **state)
{
  (void)state;
  struct proc_status st = { 0 };
  st.uid[1] = 100033;
  st.gid[1] = 100044;
  st.groups[0] = 100044;
  st.groups[1] = 5; /* unmapped in the namespace: dropped */
  st.ngroups = 2;
  st.cap_bnd = 0x3fffffffffULL;
  st.no_new_privs = true;
  struct idmap map = { .extents = { { 0, 100000, 65536 } }, .n = 1 };
  struct session_creds c;
  assert_int_equal(creds_from_target(&st, &map, &map, "unconfined", &c), 0);
  assert_int_equal(c.uid, 33);
  assert_int_equal(c.gid, 44);
  assert_int_equal(c.ngroups, 1);
  assert_int_equal(c.groups[0], 44);
  assert_true(c.cap_bnd == 0x3fffffffffULL);
  assert_true(c.no_new_privs);
  assert_string_equal(c.lsm_exec, "");
}

static void
unmapped_target_uid_is_an_error(void **state)
{
  (void)state;
  struct proc_status st = { 0 };
  st.uid[1] = 7;
  struct idmap map = { .extents = { { 0, 100000, 65536 } }, .n = 1 };
  struct session_creds c;
  assert_int_equal(creds_from_target(&st, &map, &map, NULL, &c), -1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(lsm_labels_become_exec_attributes),
    cmocka_unit_test(ids_are_translated_into_the_user_namespace),
    cmocka_unit_test(unmapped_target_uid_is_an_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
