/* SPDX-License-Identifier: MIT */
/* A target's users and groups (passwd.h). */
#include "passwd.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A hostile target's file is read no further. */
#define TARGET_FILE_MAX (4u << 20)
/* Fields of a passwd line. */
#define PASSWD_FIELDS 7
#define GROUP_FIELDS 4

char *
target_read_file(int root_fd, const char *path)
{
  /* O_NOATIME: reading the target leaves no trace in it. */
  struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOATIME,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  cleanup_close int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  if (fd < 0 && errno == EPERM)
    {
      how.flags &= ~(uint64_t)O_NOATIME;
      fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    }
  if (fd < 0)
    return NULL;
  cleanup_free char *buf = malloc(TARGET_FILE_MAX + 1);
  if (!buf)
    return NULL;
  ssize_t n = pread_full(fd, buf, TARGET_FILE_MAX, 0);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return steal_pointer(&buf);
}

/* Split one line into exactly n ':'-separated fields (in a copy); false
   for a line of another shape (comments, NIS "+" lines, junk). */
static bool
split_line(const char *line, size_t len, char *copy, size_t copy_size, char **fields, int n)
{
  if (len == 0 || len >= copy_size || line[0] == '#' || line[0] == '+' || line[0] == '-')
    return false;
  memcpy(copy, line, len);
  copy[len] = '\0';
  char *p = copy;
  for (int i = 0; i < n; i++)
    {
      fields[i] = p;
      char *colon = strchr(p, ':');
      if (i == n - 1)
        return colon == NULL;
      if (!colon)
        return false;
      *colon = '\0';
      p = colon + 1;
    }
  return true;
}

static bool
parse_id(const char *s, unsigned long *id)
{
  return parse_ulong(s, id) == 0 && *id < 0xffffffffUL;
}

/* Call fn for each well-formed line; stop when it returns non-zero. */
static int
each_line(const char *text, int nfields, int (*fn)(char **f, void *arg), void *arg)
{
  char copy[1024];
  char *fields[PASSWD_FIELDS];
  for (const char *line = text; line && *line;)
    {
      const char *end = strchrnul(line, '\n');
      if (split_line(line, (size_t)(end - line), copy, sizeof copy, fields, nfields))
        {
          int r = fn(fields, arg);
          if (r)
            return r;
        }
      line = *end ? end + 1 : end;
    }
  return 0;
}

struct passwd_query
{
  const char *name;
  bool numeric;
  unsigned long id;
  struct passwd_entry *out;
};

static int
match_passwd(char **f, void *arg)
{
  struct passwd_query *q = arg;
  unsigned long uid, gid;
  if (!parse_id(f[2], &uid) || !parse_id(f[3], &gid))
    return 0;
  if (strcmp(f[0], q->name) && !(q->numeric && uid == q->id))
    return 0;
  snprintf(q->out->name, sizeof q->out->name, "%s", f[0]);
  q->out->uid = (uid_t)uid;
  q->out->gid = (gid_t)gid;
  snprintf(q->out->home, sizeof q->out->home, "%s", f[5]);
  snprintf(q->out->shell, sizeof q->out->shell, "%s", f[6]);
  return 1;
}

int
passwd_find(const char *text, const char *name, struct passwd_entry *out)
{
  struct passwd_query q = { .name = name, .out = out };
  q.numeric = parse_id(name, &q.id);
  memset(out, 0, sizeof *out);
  return text ? each_line(text, PASSWD_FIELDS, match_passwd, &q) : 0;
}

struct group_query
{
  const char *name;
  bool numeric;
  unsigned long id;
  gid_t gid;
};

static int
match_group(char **f, void *arg)
{
  struct group_query *q = arg;
  unsigned long gid;
  if (!parse_id(f[2], &gid))
    return 0;
  if (strcmp(f[0], q->name) && !(q->numeric && gid == q->id))
    return 0;
  q->gid = (gid_t)gid;
  return 1;
}

int
group_find(const char *text, const char *name, gid_t *gid)
{
  struct group_query q = { .name = name };
  q.numeric = parse_id(name, &q.id);
  if (!text || !each_line(text, GROUP_FIELDS, match_group, &q))
    return 0;
  *gid = q.gid;
  return 1;
}

struct member_query
{
  const char *user;
  gid_t *gids;
  size_t n, max;
};

static int
match_member(char **f, void *arg)
{
  struct member_query *q = arg;
  unsigned long gid;
  if (!parse_id(f[2], &gid))
    return 0;
  size_t ulen = strlen(q->user);
  for (const char *m = f[3]; *m;)
    {
      const char *end = strchrnul(m, ',');
      if ((size_t)(end - m) == ulen && !strncmp(m, q->user, ulen))
        {
          if (q->n < q->max)
            q->gids[q->n++] = (gid_t)gid;
          break;
        }
      m = *end ? end + 1 : end;
    }
  return q->n == q->max;
}

size_t
group_memberships(const char *text, const char *user, gid_t *gids, size_t max)
{
  struct member_query q = { .user = user, .gids = gids, .max = max };
  if (text && max)
    each_line(text, GROUP_FIELDS, match_member, &q);
  return q.n;
}

int
user_resolve(int root_fd, const char *spec, struct user_spec *out)
{
  memset(out, 0, sizeof *out);
  cleanup_free char *user = strdup(spec);
  if (!user)
    return cntr_fail(ENOMEM, "--user %s", spec);
  char *group = strchr(user, ':');
  if (group)
    *group++ = '\0';
  if (!*user || (group && !*group))
    return cntr_fail(0, "--user '%s': not USER, UID, USER:GROUP or UID:GID", spec);
  cleanup_free char *passwd = target_read_file(root_fd, "etc/passwd");
  cleanup_free char *groups = target_read_file(root_fd, "etc/group");
  unsigned long id;
  bool numeric = parse_id(user, &id);
  out->known = passwd_find(passwd, user, &out->pw) == 1;
  if (out->known)
    {
      out->uid = out->pw.uid;
      out->gid = out->pw.gid;
      out->ngroups = group_memberships(groups, out->pw.name, out->groups, PROC_MAX_GROUPS);
    }
  else if (numeric)
    {
      out->uid = (uid_t)id;
      out->gid = 0;
    }
  else
    {
      cntr_fail(0, "--user %s: no user '%s' in the target's /etc/passwd", spec, user);
      cntr_hint("give a UID, or a user the target has");
      return -1;
    }
  if (group && !group_find(groups, group, &out->gid))
    {
      if (!parse_id(group, &id))
        {
          cntr_fail(0, "--user %s: no group '%s' in the target's /etc/group", spec, group);
          cntr_hint("give a GID, or a group the target has");
          return -1;
        }
      out->gid = (gid_t)id;
    }
  return 0;
}
