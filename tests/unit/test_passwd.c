/* SPDX-License-Identifier: MIT */
/* A target's /etc/passwd and /etc/group (passwd.h): well-formed lines
   are taken, anything else is left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "passwd.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
                             "# a comment\n"
                             "+nisuser::::::\n"
                             "broken:x:notanumber:1:x:/:/bin/sh\n"
                             "short:x:5\n"
                             "app:x:1000:1000:The App:/home/app:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin";
static const char group[] = "root:x:0:\n"
                            "wheel:x:10:app,root\n"
                            "app:x:1000:\n"
                            "video:x:44:other,app\n"
                            "bad:x:zz:app\n";

static void
users_by_name_and_by_uid(void **state)
{
  (void)state;
  struct passwd_entry e;
  assert_int_equal(passwd_find(passwd, "app", &e), 1);
  assert_string_equal(e.name, "app");
  assert_int_equal(e.uid, 1000);
  assert_int_equal(e.gid, 1000);
  assert_string_equal(e.home, "/home/app");
  assert_string_equal(e.shell, "/bin/sh");
  assert_int_equal(passwd_find(passwd, "65534", &e), 1);
  assert_string_equal(e.name, "nobody");
  assert_string_equal(e.shell, "/usr/sbin/nologin");
  /* Malformed lines are not users. */
  assert_int_equal(passwd_find(passwd, "broken", &e), 0);
  assert_int_equal(passwd_find(passwd, "short", &e), 0);
  assert_int_equal(passwd_find(passwd, "+nisuser", &e), 0);
  assert_int_equal(passwd_find(passwd, "4242", &e), 0);
  assert_int_equal(passwd_find(NULL, "root", &e), 0);
}

static void
groups_and_memberships(void **state)
{
  (void)state;
  gid_t g;
  assert_int_equal(group_find(group, "video", &g), 1);
  assert_int_equal(g, 44);
  assert_int_equal(group_find(group, "10", &g), 1);
  assert_int_equal(g, 10);
  assert_int_equal(group_find(group, "bad", &g), 0);
  assert_int_equal(group_find(group, "nosuch", &g), 0);
  gid_t gids[8];
  assert_int_equal(group_memberships(group, "app", gids, 8), 2);
  assert_int_equal(gids[0], 10);
  assert_int_equal(gids[1], 44);
  /* Not a prefix match: "ap" is no member. */
  assert_int_equal(group_memberships(group, "ap", gids, 8), 0);
  assert_int_equal(group_memberships(group, "app", gids, 1), 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(users_by_name_and_by_uid),
    cmocka_unit_test(groups_and_memberships),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
