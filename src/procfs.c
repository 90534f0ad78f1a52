/* SPDX-License-Identifier: MIT */
#include "procfs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
parse_ids(const char *value, unsigned long out[4])
{
  char *end;
  const char *p = value;
  for (int i = 0; i < 4; i++)
    {
      errno = 0;
      out[i] = strtoul(p, &end, 10);
      if (errno || end == p)
        return -1;
      p = end;
    }
  return 0;
}

static int
parse_hex64(const char *value, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(value, &end, 16);
  if (errno || end == value)
    return -1;
  *out = v;
  return 0;
}

static int
parse_status_line(const char *key, const char *value, struct proc_status *st)
{
  unsigned long ids[4];
  if (!strcmp(key, "Name"))
    {
      snprintf(st->name, sizeof st->name, "%s", value);
      return 0;
    }
  if (!strcmp(key, "Tgid"))
    return (st->tgid = atoi(value)) > 0 ? 0 : -1;
  if (!strcmp(key, "PPid"))
    {
      st->ppid = atoi(value);
      return 0;
    }
  if (!strcmp(key, "Uid") || !strcmp(key, "Gid"))
    {
      if (parse_ids(value, ids) < 0)
        return -1;
      for (int i = 0; i < 4; i++)
        {
          if (key[0] == 'U')
            st->uid[i] = ids[i];
          else
            st->gid[i] = ids[i];
        }
      return 0;
    }
  if (!strcmp(key, "Groups"))
    {
      const char *p = value;
      char *end;
      st->ngroups = 0;
      for (;;)
        {
          while (*p == ' ' || *p == '\t')
            p++;
          if (!*p)
            break;
          errno = 0;
          unsigned long g = strtoul(p, &end, 10);
          if (errno || end == p)
            return -1;
          if (st->ngroups < PROC_MAX_GROUPS)
            st->groups[st->ngroups++] = g;
          p = end;
        }
      return 0;
    }
  if (!strcmp(key, "CapInh"))
    return parse_hex64(value, &st->cap_inh);
  if (!strcmp(key, "CapPrm"))
    return parse_hex64(value, &st->cap_prm);
  if (!strcmp(key, "CapEff"))
    return parse_hex64(value, &st->cap_eff);
  if (!strcmp(key, "CapBnd"))
    return parse_hex64(value, &st->cap_bnd);
  if (!strcmp(key, "CapAmb"))
    return parse_hex64(value, &st->cap_amb);
  if (!strcmp(key, "NoNewPrivs"))
    {
      st->no_new_privs = atoi(value) != 0;
      return 0;
    }
  if (!strcmp(key, "Seccomp"))
    {
      st->seccomp = atoi(value);
      return 0;
    }
  return 0;
}

int
proc_parse_status(const char *text, struct proc_status *st)
{
  memset(st, 0, sizeof *st);
  bool seen_uid = false, seen_gid = false, seen_tgid = false;
  const char *line = text;
  while (line && *line)
    {
      const char *eol = strchr(line, '\n');
      size_t len = eol ? (size_t)(eol - line) : strlen(line);
      const char *colon = memchr(line, ':', len);
      if (colon)
        {
          char key[32], value[4096];
          size_t klen = colon - line;
          const char *v = colon + 1;
          while (v < line + len && (*v == '\t' || *v == ' '))
            v++;
          size_t vlen = line + len - v;
          if (klen < sizeof key && vlen < sizeof value)
            {
              memcpy(key, line, klen);
              key[klen] = '\0';
              memcpy(value, v, vlen);
              value[vlen] = '\0';
              if (parse_status_line(key, value, st) < 0)
                {
                  errno = EINVAL;
                  return -1;
                }
              seen_uid |= !strcmp(key, "Uid");
              seen_gid |= !strcmp(key, "Gid");
              seen_tgid |= !strcmp(key, "Tgid");
            }
        }
      line = eol ? eol + 1 : NULL;
    }
  if (!seen_uid || !seen_gid || !seen_tgid)
    {
      errno = EINVAL;
      return -1;
    }
  return 0;
}

/* The decimal field [p, end) into *v. */
static int
parse_field(const char *p, const char *end, unsigned long long *v)
{
  char *e;
  if (*p < '0' || *p > '9')
    return -1;
  errno = 0;
  *v = strtoull(p, &e, 10);
  return errno || e != end ? -1 : 0;
}

int
proc_parse_stat(const char *text, struct proc_stat *st)
{
  memset(st, 0, sizeof *st);
  /* "PID (COMM) STATE PPID ...": the fields start after the LAST ')', as
     COMM may contain ") (" itself. */
  const char *p = strrchr(text, ')');
  if (!p || !memchr(text, '(', (size_t)(p - text)))
    goto bad;
  p++;
  for (int field = 3; field <= 22; field++)
    {
      if (*p != ' ')
        goto bad;
      p += strspn(p, " ");
      const char *end = p + strcspn(p, " \n");
      unsigned long long v = 0;
      if (end == p)
        goto bad;
      switch (field)
        {
        case 3:
          if (end - p != 1)
            goto bad;
          st->state = *p;
          break;
        case 4:
          if (parse_field(p, end, &v) < 0 || v > INT32_MAX)
            goto bad;
          st->ppid = (pid_t)v;
          break;
        case 9:
          if (parse_field(p, end, &v) < 0 || v > ULONG_MAX)
            goto bad;
          st->flags = (unsigned long)v;
          break;
        case 22:
          if (parse_field(p, end, &st->start_time) < 0)
            goto bad;
          break;
        default:
          break;
        }
      p = end;
    }
  return 0;
bad:
  errno = EINVAL;
  return -1;
}
