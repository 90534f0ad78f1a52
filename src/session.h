/* SPDX-License-Identifier: MIT */
/* One session's state, and the two processes that run in the target's
   namespaces:

     cntr (host namespaces): FUSE server threads, terminal relay (attach.c)
      └─ session child (host PID namespace, session mount namespace):
         joins the cgroup, builds the view, mounts FUSE, joins the
         namespaces of NS_PHASE_SESSION, forks, waits, and at the end kills
         whatever is left in the session's mount namespace
          └─ command (target PID namespace): joins the namespaces of
             NS_PHASE_COMMAND, becomes the target's identity, execs

   Both talk to cntr over one socket (wire.h).  Nothing outlives cntr: the
   session child gets SIGTERM when cntr dies (PR_SET_PDEATHSIG) and sweeps
   the session's mount namespace, and the kernel aborts the FUSE connection
   when cntr's /dev/fuse fd closes. */
#ifndef CNTR_SESSION_H
#define CNTR_SESSION_H

#include "attach.h"
#include "command.h"
#include "creds.h"
#include "passwd.h"
#include "target.h"
#include "tools-fs.h"
#include "view.h"

#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/types.h>

struct cntrfs;

/* null zero full random urandom tty */
#define SESSION_MAX_DEVICES 6

/* Everything the session's processes need, computed by cntr before fork. */
struct session
{
  const struct attach_options *o;
  struct target target;
  int tools_fd;
  int tools_hold_fd; /* keeps an image's cache entry (tools-source.h), or -1 */
  int fuse_fd;
  int fuse_mount_fd; /* made in the target's user namespace (fuse-mount.h), or -1 */
  int host_proc_fd;
  int sock[2]; /* [0] cntr's end, [1] the session's */
  char fuse_options[256];
  bool use_pty;
  int host_pty_master, host_pty_slave; /* fallback for a target without devpts */
  struct session_creds creds;
  struct user_spec user;          /* -u, resolved in the target */
  char *workdir;                  /* where the command starts */
  bool workdir_explicit;          /* -w: failing to get there is an error */
  struct seccomp_filters seccomp; /* the target's, to install in the command */
  struct command_spec command;
  struct cntrfs *fs;
  struct tools_fs_images images; /* what the tools' server serves from memory */
  /* --volume: detached mount trees of the host's directories, and where
     they go. */
  size_t nvolumes;
  int volume_trees[ATTACH_MAX_VOLUMES];
  struct view_mountpoint volume_points[ATTACH_MAX_VOLUMES];
  /* The basic devices the target lacks: the host's, bound in the view;
     and a devpts of the session's own when the target has none. */
  size_t ndevices;
  int device_trees[SESSION_MAX_DEVICES];
  struct view_mountpoint device_points[SESSION_MAX_DEVICES];
  bool make_devpts;
  bool target_dev;  /* --layout tools: the target's /dev is the session's */
  bool tools_alias; /* the tools at CNTR_TOOLS_ALIAS too (tools-fs.h) */
};

/* The signals a terminal sends; the session child ignores them, the
   command gets their defaults back. */
extern const int session_terminal_signals[];
extern const size_t session_terminal_signals_count;

/* The session child, forked by cntr (pid parent): never returns.  ws is
   the terminal's size for the pty, NULL when there is none. */
__attribute__((noreturn)) void session_child(struct session *s, pid_t parent,
                                             const struct winsize *ws);

#endif
