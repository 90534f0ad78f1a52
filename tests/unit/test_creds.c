/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "creds.h"
#include "passwd.h"

#include <stdio.h>

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

static struct session_creds
reduced(void)
{
  /* uid 65532, docker's capabilities in the bounding set only. */
  struct session_creds c
      = { .uid = 65532, .gid = 65532, .cap_bnd = 0xa80425fb, .no_new_privs = true };
  snprintf(c.lsm_exec, sizeof c.lsm_exec, "exec docker-default");
  c.lsm = LSM_APPARMOR;
  return c;
}

static void
identity_widened_as_asked(void **state)
{
  (void)state;
  const uint64_t ptrace = 1ULL << CAP_SYS_PTRACE, resource = 1ULL << CAP_SYS_RESOURCE;
  const uint64_t all_but_resource = CREDS_ALL_CAPS & ~resource;
  struct session_creds c = reduced();
  struct identity_request r = { .available = all_but_resource };
  creds_adjust(&c, &r);
  struct session_creds same = reduced();
  assert_memory_equal(&c, &same, sizeof c);

  /* --cap-add for a non-root user: every set, ambient too. */
  r.cap_add = ptrace;
  creds_adjust(&c, &r);
  assert_true(c.cap_eff == ptrace && c.cap_amb == ptrace && c.cap_inh == ptrace);
  assert_true(c.cap_bnd & ptrace);

  /* -u 0: root gets the bounding set; --cap-drop takes from every set. */
  struct user_spec root = { .uid = 0, .gid = 0 };
  c = reduced();
  r = (struct identity_request){ .user = &root,
                                 .cap_drop = 1ULL << CAP_NET_RAW,
                                 .available = all_but_resource };
  creds_adjust(&c, &r);
  assert_int_equal(c.uid, 0);
  assert_true(c.cap_eff == (0xa80425fbULL & ~(1ULL << CAP_NET_RAW)));
  assert_int_equal(c.cap_amb, 0);
  assert_false(c.cap_bnd & (1ULL << CAP_NET_RAW));

  /* --privileged: what cntr has, no no_new_privs, no label; what cntr has
     not cannot be given even by --cap-add ALL. */
  c = reduced();
  r = (struct identity_request){ .privileged = true,
                                 .cap_add = CREDS_ALL_CAPS,
                                 .available = all_but_resource };
  creds_adjust(&c, &r);
  assert_true(c.cap_eff == all_but_resource && c.cap_amb == all_but_resource);
  assert_false(c.no_new_privs);
  assert_string_equal(c.lsm_exec, "");

  /* --apparmor off drops an AppArmor label, --selinux off does not. */
  c = reduced();
  r = (struct identity_request){ .selinux_off = true, .available = all_but_resource };
  creds_adjust(&c, &r);
  assert_string_equal(c.lsm_exec, "exec docker-default");
  r.apparmor_off = true;
  creds_adjust(&c, &r);
  assert_string_equal(c.lsm_exec, "");
}

static void
capability_names(void **state)
{
  (void)state;
  uint64_t m;
  assert_int_equal(creds_cap_mask("SYS_PTRACE", &m), 0);
  assert_true(m == 1ULL << CAP_SYS_PTRACE);
  assert_int_equal(creds_cap_mask("cap_net_admin", &m), 0);
  assert_true(m == 1ULL << CAP_NET_ADMIN);
  assert_int_equal(creds_cap_mask("all", &m), 0);
  assert_true(m == CREDS_ALL_CAPS);
  assert_int_equal(creds_cap_mask("SYS_FROB", &m), -1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(lsm_labels_become_exec_attributes),
    cmocka_unit_test(ids_are_translated_into_the_user_namespace),
    cmocka_unit_test(unmapped_target_uid_is_an_error),
    cmocka_unit_test(identity_widened_as_asked),
    cmocka_unit_test(capability_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
