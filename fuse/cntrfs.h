/* SPDX-License-Identifier: MIT */
/* cntrfs: the FUSE server that serves one layer (a directory tree) through
   libfuse3's low-level API.  It knows nothing of containers: the caller gives
   it a directory fd and a /dev/fuse fd that the caller (or libfuse) mounted.

   Error convention: functions return -1 (or NULL) with errno set. */
#ifndef CNTR_FUSE_CNTRFS_H
#define CNTR_FUSE_CNTRFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A file that exists in no real tree, served read-only in the layer's root
   directory (not listed by readdir, found by lookup). */
struct cntrfs_synthetic
{
  const char *name; /* one path component, NULL for none */
  const void *data; /* contents, owned by the caller, kept alive while serving */
  size_t size;
  mode_t mode; /* permission bits, e.g. 0555 */
};

#define CNTRFS_MORE_FILES 4

struct cntrfs_config
{
  /* The directory to serve; cntrfs dups it, the caller keeps its own fd. */
  int source_fd;
  /* Every mutation answers EROFS; files are opened O_NOATIME where allowed.
     Wins over scratch. */
  bool read_only;
  /* With scratch set, the layer is a union (cntrfs-union.h): the source
     tree is never written, every change goes to the writable directory
     scratch_fd (cntrfs dups it; the caller passes the root of a detached
     tmpfs, common/scratch.h), and the session sees the tree as if it were
     writable: changed lower files are copied up, removed names leave
     whiteouts, as overlayfs does.  The host policy applies to what is
     served from the source only.  The server makes character devices and
     trusted.* xattrs in the scratch (root), which must take O_TMPFILE and
     file handles (tmpfs does; cntrfs_new fails otherwise), and start
     empty; it takes the source root's owner, mode and times.  Without
     scratch (a zeroed config), scratch_fd is not looked at and the layer
     is served as it always was. */
  bool scratch;
  int scratch_fd;
  /* When set, readlink of an absolute symlink returns this prefix followed by
     the link's target ("/usr/bin/vi" -> "/var/lib/cntr/usr/bin/vi"), so that
     links resolve inside the layer when it is mounted at that prefix. */
  const char *symlink_prefix;
  /* And a relative target whose ".." would climb above the layer's root
     reads as clamped there (cntrfs-link.h): no link leads a reader out of
     the mount (cntr mount of a target). */
  bool confine_symlinks;
  /* When both are set: reading a dynamically linked ELF executable whose
     PT_INTERP string equals interp_from returns the bytes of that string
     replaced by interp_to, NUL-padded (strlen (interp_to) <= strlen
     (interp_from); cntrfs_new fails with EINVAL otherwise). */
  const char *interp_from;
  const char *interp_to;
  struct cntrfs_synthetic synthetic;
  /* More files like it (names NULL for none): the session's shell startup
     files. */
  struct cntrfs_synthetic more_files[CNTRFS_MORE_FILES];
  /* A directory in the root (not listed by readdir, found by lookup, wins
     over a real entry of that name; mode 0555, owner root, empty listing) in
     which every name is a symlink to link_dir_target: "<name>/ps" -> target,
     returned verbatim by readlink (symlink_prefix does not apply).  The shim
     executes the loader through it so the kernel names the process after
     the program (comm).  Every mutation inside it answers EROFS.  Both NULL
     for none; link_dir_name is one path component, link_dir_target a
     non-empty path shorter than PATH_MAX (cntrfs_new fails with EINVAL
     otherwise, or when it equals synthetic.name). */
  const char *link_dir_name;
  const char *link_dir_target;
  /* When set: a regular file opened by execve(2) (the kernel marks that open
     with __FMODE_EXEC) whose first line is "#!" followed by an absolute
     interpreter path gets, on that open only, the line
     "#!" exec_script_prefix "/interp args" -- so that the kernel finds the
     interpreter inside the layer when it is mounted at that prefix.  Such
     opens bypass the page cache (direct_io): every other open, including
     the interpreter reading the script, sees the original bytes.  Left
     alone: interpreters already under the prefix, relative ones, first
     lines without a newline in the kernel's 256-byte buffer, and lines that
     would grow past it.  NULL (or "/") for off. */
  const char *exec_script_prefix;
  /* Do not watch the layer's file systems for changes made to them
     directly (watch.h): the kernel then trusts what it caches for
     CNTRFS_TIMEOUT only.  For tests of what happens when that expires. */
  bool no_watch;
  /* Watch only from this many milliseconds after cntrfs_new on: tearing
     down a watch costs a few milliseconds, which a session that ends
     sooner should not pay.  0: at once. */
  unsigned watch_delay_ms;
  /* Every open goes through the server even where the kernel could pass
     it through to the file below (cntrfs-passthrough.h; so does
     CNTR_NO_PASSTHROUGH=1 in the environment). */
  bool no_passthrough;
  /* Worker threads of the multithreaded loop; 0 picks a default. */
  unsigned max_threads;
  /* libfuse debug output to stderr. */
  bool debug;
  /* The layer is the host's own tree (the tools): serve what an
     unprivileged host user could read, plus home (a directory, as a path
     relative to the layer's root; NULL for none) with its owner's rights
     there, less home_denied (NULL-terminated paths relative to home: the
     credential stores); never what is below a mount of a kernel pseudo file
     system or the root's dev, proc, sys and run (they look empty).  EACCES
     for the rest.  cntrfs-policy.h has the details. */
  bool host_policy;
  const char *home;
  const char *const *home_denied;
  /* The tools' dynamic loader (a path relative to the layer's root, without
     symlinks; NULL for none): its string "/etc/ld.so.preload" reads as an
     empty one, so that it never loads the libraries a target lists in its
     own file of that name. */
  const char *loader;
};

struct cntrfs;

/* Create the server (a fuse session, not yet connected to the kernel). */
struct cntrfs *cntrfs_new(const struct cntrfs_config *config);

/* Answer only processes of one mount namespace: (dev, ino) are st_dev and
   st_ino of stat(2) of /proc/PID/ns/mnt of a process in it.  From then on,
   a request that names or opens a file from a process in any other mount
   namespace answers EACCES, as does one whose process is gone or not
   visible (pid 0).  Which requests: those whose policy has OP_CHECK_CALLER
   in the table of the request prologue (cntrfs_op_policy, fuse/ops.c).
   Not checked: requests on open handles (among them getattr/setattr that
   carry a handle: the size refresh of a read, ftruncate - fstat carries
   none), since the open was checked and a process may hand its files on;
   and those the kernel sends for itself (forget, interrupt, init,
   destroy).
   A refused LOOKUP of a name whose inode the kernel holds answers ENOMEM
   rather than EACCES: on any other error a revalidating kernel drops the
   dentry, which detaches whatever is mounted on it, in every namespace.
   What the kernel caches (entries and attributes for up to a second,
   symlink targets) it may serve to anyone without asking; contents never,
   since every open(2) reaches the server.
   The caller's PID is the one the kernel reports in the PID namespace of
   the process that mounted the file system; cntrfs resolves it in /proc as
   mounted in the calling process's mount namespace, which it opens here:
   both must be the host's (or at least the same PID namespace).
   Call before cntrfs_start / cntrfs_mount; returns 0, or -1 with errno set
   (EBUSY once started). */
int cntrfs_restrict_to_mount_ns(struct cntrfs *fs, dev_t dev, ino_t ino);

/* A user namespace's gid_map extent: ids [inside, inside + count) there
   are [outside, outside + count) on the host. */
struct cntrfs_id_range
{
  unsigned inside, outside, count;
};

/* The FUSE mount was made in a user namespace, whose gid_map this is (n
   extents, copied): the kernel sends each caller's uid and gid as that
   namespace has them, while /proc shows its supplementary groups as the
   host has them; these are translated into the namespace too, and those
   it does not map are dropped.  Call before cntrfs_start; -1 with errno
   set (EBUSY once started). */
int cntrfs_set_group_map(struct cntrfs *fs, const struct cntrfs_id_range *map, size_t n);

/* The kernel mount options that go with this server, for a mount(2) done by
   the caller with a /dev/fuse fd: "fd=N,rootmode=...,user_id=0,group_id=0,
   allow_other,default_permissions" (plus max_read etc. if the server wants
   them).  Returns the length written like snprintf, or -1. */
int cntrfs_kernel_options(struct cntrfs *fs, int fuse_fd, char *buf, size_t size);

/* Adopt fuse_fd, a /dev/fuse fd that has been mounted (mount(2) with fd=N,
   possibly in another mount namespace), and serve it on background threads.
   cntrfs owns the fd from then on, even when this fails.
   Worker threads run with every signal blocked except SIGRTMIN+5, which
   cntrfs uses to interrupt them (handler installed without SA_RESTART);
   the rest of the program must leave that signal alone. */
int cntrfs_start(struct cntrfs *fs, int fuse_fd);

/* Mount on a path of the caller's mount namespace with libfuse and serve on
   background threads (cntr mount, tests).  extra_options: libfuse -o options
   or NULL. */
int cntrfs_mount(struct cntrfs *fs, const char *mountpoint, const char *extra_options);

/* Wait until the kernel ends the connection (unmount, or the last mount
   namespace holding the mount went away), or timeout_ms passed (-1: no
   timeout).  Returns 1 when the connection ended, 0 on timeout. */
int cntrfs_wait(struct cntrfs *fs, int timeout_ms);

/* Stop serving: abort the connection (processes still using the mount get
   ENOTCONN, never a hang), join the threads, close the fd, unmount what
   cntrfs_mount mounted.  Safe to call more than once; not from a handler.
   Call it before the process exits when the process itself may have files
   open on the mount (exit would otherwise wait on their FLUSH forever). */
void cntrfs_stop(struct cntrfs *fs);

/* Whether the kernel passes open files through to the files below rather
   than sending their reads and writes to the server (cntrfs-passthrough.h):
   known once the kernel's INIT is answered, which the first access to the
   mount waits for. */
bool cntrfs_passthrough(const struct cntrfs *fs);

/* The same, and why, in words for cntr -v: "passed through by the kernel",
   or "through the server" and the reason. */
const char *cntrfs_passthrough_describe(const struct cntrfs *fs);

/* Stop if needed and free everything. NULL is fine. */
void cntrfs_free(struct cntrfs *fs);

#endif
