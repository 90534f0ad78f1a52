/* SPDX-License-Identifier: MIT */
/* The shim for real: build an image for the host's loader and library path,
   make it the PT_INTERP of copies of a probe program and of ls, run them.

   usage: shim_e2e PROBE LIBA_DIR LIBB_DIR
   PROBE needs libprobe.so, found in LIBA_DIR (prints "lib=A") or LIBB_DIR
   ("lib=B") and nowhere else; so "lib=A" proves the shim passed its library
   path.  Exit 0 passed, 1 failed, 77 skipped. */
#include "log.h"
#include "shim.h"
#include "tools.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Short, so the shim's path fits any PT_INTERP ("/lib64/ld-linux-x86-64.so.2"
   has 27 characters). */
static char tmpdir[] = "/tmp/cs.XXXXXX";
static bool tmpdir_made;
static int failures;
static int checks;

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void)st;
  (void)type;
  (void)ftw;
  remove(path);
  return 0;
}

static void
cleanup(void)
{
  if (tmpdir_made)
    nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  tmpdir_made = false;
}

static void
on_signal(int sig)
{
  cleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

__attribute__((format(printf, 2, 3))) static void
check(bool ok, const char *fmt, ...)
{
  checks++;
  va_list ap;
  va_start(ap, fmt);
  fputs(ok ? "ok: " : "FAIL: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  if (!ok)
    failures++;
}

__attribute__((noreturn, format(printf, 2, 3))) static void
bail(int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs(status == 77 ? "skip: " : "error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(status);
}

static char *
tmp_path(const char *name)
{
  char *s;
  if (asprintf(&s, "%s/%s", tmpdir, name) < 0)
    bail(1, "out of memory");
  return s;
}

static void
write_file(const char *path, const void *data, size_t size, mode_t mode)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    bail(1, "create %s: %m", path);
  const char *p = data;
  while (size > 0)
    {
      ssize_t n = write(fd, p, size);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        bail(1, "write %s: %m", path);
      p += n;
      size -= (size_t)n;
    }
  if (close(fd) < 0)
    bail(1, "close %s: %m", path);
}

static char *
read_file(const char *path, size_t *size)
{
  FILE *f = fopen(path, "re");
  if (!f)
    bail(1, "open %s: %m", path);
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    fwrite(chunk, 1, n, m);
  fclose(f);
  fclose(m);
  if (size)
    *size = len;
  return buf;
}

/* The ELF rewrite the FUSE server does: overwrite the PT_INTERP string in
   place, NUL-padded; it must fit in the original's space. */
static void
patch_interp(const char *path, const char *interp)
{
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    bail(1, "open %s: %m", path);
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG)
      || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
    bail(1, "%s: not a 64-bit ELF file", path);
  for (int i = 0; i < eh.e_phnum; i++)
    {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (size_t)i * sizeof ph))
          != (ssize_t)sizeof ph)
        bail(1, "%s: short program header table", path);
      if (ph.p_type != PT_INTERP)
        continue;
      size_t len = strlen(interp) + 1;
      if (len > ph.p_filesz || ph.p_filesz > 4096)
        bail(1, "%s: %s does not fit PT_INTERP (%zu bytes)", path, interp, (size_t)ph.p_filesz);
      char buf[4096] = { 0 };
      memcpy(buf, interp, len);
      if (pwrite(fd, buf, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
        bail(1, "write %s: %m", path);
      close(fd);
      return;
    }
  bail(1, "%s: no PT_INTERP (statically linked?)", path);
}

/* A shim image for paths, written to a file of the temporary directory. */
static char *
make_shim(const char *name, const struct shim_paths *paths)
{
  void *image;
  size_t size;
  char *path = tmp_path(name);
  if (shim_image_build(paths, &image, &size) < 0)
    bail(1, "shim_image_build: %s", cntr_error_message());
  write_file(path, image, size, 0755);
  free(image);
  return path;
}

static void
copy_patched(const char *from, const char *to, const char *interp)
{
  size_t size;
  char *data = read_file(from, &size);
  write_file(to, data, size, 0755);
  free(data);
  patch_interp(to, interp);
}

struct result
{
  int status; /* exit status, 128 + signal, -1 if it could not run */
  char *out;
  char *err;
};

static void
result_release(struct result *r)
{
  free(r->out);
  free(r->err);
}

struct how
{
  const char *cwd;
  /* Hide /proc (tmpfs over it in a private mount namespace). */
  bool no_proc;
  /* Execute an fd with execveat(AT_EMPTY_PATH), O_CLOEXEC or not: the kernel
     passes AT_EXECFN "/dev/fd/N", which is gone if it was O_CLOEXEC. */
  bool by_fd, cloexec;
  /* Execute as this uid (0: as we are), for setuid programs. */
  uid_t uid;
};

/* Exit status of the child when it could not set up what how asks. */
#define RUN_UNSUPPORTED 125

/* Run path with argv and envp (NULL-terminated), as how says (NULL: plain
   execve). */
static struct result
run(const char *path, char *const argv[], char *const envp[], const struct how *how)
{
  static const struct how plain;
  if (!how)
    how = &plain;
  struct result r = { .status = -1 };
  char *out_path = tmp_path("stdout");
  char *err_path = tmp_path("stderr");
  pid_t pid = fork();
  if (pid < 0)
    bail(1, "fork: %m");
  if (pid == 0)
    {
      int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(126);
      if (how->cwd && chdir(how->cwd) < 0)
        _exit(126);
      if (how->no_proc
          && (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
              || mount("none", "/proc", "tmpfs", 0, NULL) < 0))
        _exit(RUN_UNSUPPORTED);
      alarm(30);
      if (how->uid && (setgroups(0, NULL) < 0 || setgid(how->uid) < 0 || setuid(how->uid) < 0))
        _exit(RUN_UNSUPPORTED);
      if (how->by_fd)
        {
          int fd = open(path, O_PATH | (how->cloexec ? O_CLOEXEC : 0));
          if (fd < 0)
            _exit(126);
          syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
        }
      else
        execve(path, argv, envp);
      dprintf(2, "execve %s: %m\n", path);
      _exit(126);
    }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      bail(1, "waitpid: %m");
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = read_file(out_path, NULL);
  r.err = read_file(err_path, NULL);
  free(out_path);
  free(err_path);
  return r;
}

static void
check_run(const char *what, struct result *r, int status, const char *out)
{
  bool ok = r->status == status && (!out || strcmp(r->out, out) == 0);
  check(ok, "%s: status %d (want %d)", what, r->status, status);
  if (!ok)
    fprintf(stderr, "--- stdout:\n%s--- want:\n%s--- stderr:\n%s---\n", r->out,
            out ? out : "(any)\n", r->err);
}

int
main(int argc, char **argv)
{
  if (argc != 4)
    bail(2, "usage: %s PROBE LIBA_DIR LIBB_DIR", argv[0]);
  char *probe = realpath(argv[1], NULL), *liba = realpath(argv[2], NULL),
       *libb = realpath(argv[3], NULL);
  if (!probe || !liba || !libb)
    bail(1, "%s, %s, %s: %m", argv[1], argv[2], argv[3]);

  /* The host is the tools tree here, with base "": the session would pass
     its base dir instead. */
  int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    bail(1, "open /: %m");
  const char *interp = shim_default_interp();
  if (!interp)
    bail(77, "no shim for this architecture");
  char *loader = tools_resolve(root, interp);
  if (!loader)
    bail(77, "host loader %s: %s", interp, strerror(errno));
  char *host_path = tools_library_path(root, "");
  if (!host_path)
    bail(1, "host library path: %s", cntr_error_message());
  close(root);

  if (!mkdtemp(tmpdir))
    bail(1, "mkdtemp: %m");
  tmpdir_made = true;
  atexit(cleanup);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGALRM, on_signal);
  alarm(100);

  char *config_path;
  if (asprintf(&config_path, "%s:%s", liba, host_path) < 0)
    bail(1, "out of memory");
  fprintf(stderr, "loader %s\nlibrary path %s\n", loader, config_path);

  void *image;
  size_t size;
  char *shim = make_shim("s", &(struct shim_paths){ loader, config_path, NULL, NULL });
  char *bad_shim
      = make_shim("m", &(struct shim_paths){ "/nonexistent/ld.so", config_path, NULL, NULL });

  char *p = tmp_path("p");
  copy_patched(probe, p, shim);
  char *q = tmp_path("q");
  copy_patched(probe, q, bad_shim);
  char *empty = tmp_path("empty");
  if (mkdir(empty, 0755) < 0)
    bail(1, "mkdir %s: %m", empty);

  struct result r;

  /* Sanity: without the shim the probe's library is not found. */
  {
    char *args[] = { (char *)probe, NULL };
    char *env[] = { NULL };
    r = run(probe, args, env, NULL);
    check(r.status == 127, "unpatched probe cannot find libprobe.so: status %d", r.status);
    result_release(&r);
  }

  /* argv[0], spaces, empty strings; the library from the configured path. */
  {
    char *args[] = { "my argv0", "a b", "", "c", "--inhibit-cache", NULL };
    char *env[] = { "PROBE_EXIT=0", NULL };
    r = run(p, args, env, NULL);
    check_run("arguments", &r, 0,
              "argc=5\nargv[0]=my argv0\nargv[1]=a b\nargv[2]=\nargv[3]=c\n"
              "argv[4]=--inhibit-cache\nlib=A\n");
    result_release(&r);
  }

  /* Exit status passes through. */
  {
    char *args[] = { "probe", NULL };
    char *env[] = { "PROBE_EXIT=42", NULL };
    r = run(p, args, env, NULL);
    check_run("exit status", &r, 42, "argc=1\nargv[0]=probe\nlib=A\n");
    result_release(&r);
  }

  /* LD_LIBRARY_PATH comes first... */
  {
    char *ldlp;
    if (asprintf(&ldlp, "LD_LIBRARY_PATH=%s", libb) < 0)
      bail(1, "out of memory");
    char *args[] = { "probe", NULL };
    char *env[] = { ldlp, NULL };
    r = run(p, args, env, NULL);
    check_run("LD_LIBRARY_PATH first", &r, 0, "argc=1\nargv[0]=probe\nlib=B\n");
    result_release(&r);
    free(ldlp);
  }

  /* ...and the configured path still follows it. */
  {
    char *ldlp;
    if (asprintf(&ldlp, "LD_LIBRARY_PATH=%s", empty) < 0)
      bail(1, "out of memory");
    char *args[] = { "probe", NULL };
    char *env[] = { "A=1", ldlp, "B=2", NULL };
    r = run(p, args, env, NULL);
    check_run("LD_LIBRARY_PATH merged", &r, 0, "argc=1\nargv[0]=probe\nlib=A\n");
    result_release(&r);
    free(ldlp);

    char *env_empty[] = { "LD_LIBRARY_PATH=", NULL };
    r = run(p, args, env_empty, NULL);
    check_run("LD_LIBRARY_PATH empty", &r, 0, "argc=1\nargv[0]=probe\nlib=A\n");
    result_release(&r);
  }

  /* Secure mode (a setuid program run by another user): the shim does what
     the loader would, LD_LIBRARY_PATH is ignored and LD_ variables go. */
  {
    char *sp = tmp_path("suid-probe");
    copy_patched(probe, sp, shim);
    if (chmod(tmpdir, 0755) < 0 || chmod(sp, 04755) < 0)
      bail(1, "chmod: %m");
    char *ldlp;
    if (asprintf(&ldlp, "LD_LIBRARY_PATH=%s", libb) < 0)
      bail(1, "out of memory");
    char *args[] = { "probe", NULL };
    char *env[] = { ldlp, "LD_PRELOAD=/nonexistent.so", NULL };
    struct how as_nobody = { .uid = 65534 };
    r = run(sp, args, env, &as_nobody);
    check_run("AT_SECURE: LD_LIBRARY_PATH ignored", &r, 0, "argc=1\nargv[0]=probe\nlib=A\n");
    check(strstr(r.err, "nonexistent.so") == NULL, "AT_SECURE: LD_PRELOAD removed: %s", r.err);
    result_release(&r);
    chmod(tmpdir, 0700);
    free(ldlp);
    free(sp);
  }

  /* Executed by a relative path: AT_EXECFN is relative, and so is fine. */
  {
    char *args[] = { "./p", "x", NULL };
    char *env[] = { NULL };
    r = run("./p", args, env, &(struct how){ .cwd = tmpdir });
    check_run("relative path", &r, 0, "argc=2\nargv[0]=./p\nargv[1]=x\nlib=A\n");
    result_release(&r);
  }

  /* A script whose interpreter runs through the shim: AT_EXECFN names the
     script, the program to load is its interpreter. */
  {
    char *script = tmp_path("script");
    char *text, *want;
    if (asprintf(&text, "#!%s an-arg\n", p) < 0
        || asprintf(&want, "argc=4\nargv[0]=%s\nargv[1]=an-arg\nargv[2]=%s\nargv[3]=x\nlib=A\n", p,
                    script)
               < 0)
      bail(1, "out of memory");
    write_file(script, text, strlen(text), 0755);
    char *args[] = { "my-script", "x", NULL };
    char *env[] = { NULL };
    r = run(script, args, env, NULL);
    check_run("script", &r, 0, want);
    result_release(&r);

    /* A script running a script: the kernel follows both. */
    char *outer = tmp_path("outer");
    free(text);
    free(want);
    if (asprintf(&text, "#!%s\n", script) < 0
        || asprintf(
               &want,
               "argc=5\nargv[0]=%s\nargv[1]=an-arg\nargv[2]=%s\nargv[3]=%s\nargv[4]=y\nlib=A\n", p,
               script, outer)
               < 0)
      bail(1, "out of memory");
    write_file(outer, text, strlen(text), 0755);
    char *args2[] = { "outer", "y", NULL };
    r = run(outer, args2, env, NULL);
    check_run("script running a script", &r, 0, want);
    result_release(&r);
    free(text);
    free(want);
    free(script);
    free(outer);
  }

  /* Executed by fd: AT_EXECFN is "/dev/fd/N", gone when it was O_CLOEXEC. */
  {
    char *args[] = { "by-fd", NULL };
    char *env[] = { NULL };
    r = run(p, args, env, &(struct how){ .by_fd = true });
    check_run("execveat", &r, 0, "argc=1\nargv[0]=by-fd\nlib=A\n");
    result_release(&r);
    r = run(p, args, env, &(struct how){ .by_fd = true, .cloexec = true });
    check_run("execveat O_CLOEXEC", &r, 0, "argc=1\nargv[0]=by-fd\nlib=A\n");
    result_release(&r);
  }

  /* Without /proc: AT_EXECFN, and "#!" to recognise a script. */
  {
    char *args[] = { "no-proc", NULL };
    char *env[] = { NULL };
    r = run(p, args, env, &(struct how){ .no_proc = true });
    if (r.status == RUN_UNSUPPORTED)
      fprintf(stderr, "skip: cannot hide /proc (not root?)\n");
    else
      {
        check_run("no /proc", &r, 0, "argc=1\nargv[0]=no-proc\nlib=A\n");
        result_release(&r);
        char *script = tmp_path("script"), *want;
        if (asprintf(&want, "argc=3\nargv[0]=%s\nargv[1]=an-arg\nargv[2]=%s\nlib=A\n", p, script)
            < 0)
          bail(1, "out of memory");
        r = run(script, args, env, &(struct how){ .no_proc = true });
        check_run("script, no /proc", &r, 0, want);
        free(want);
        free(script);
      }
    result_release(&r);
  }

  /* Many arguments (the shim sizes its arrays by argc). */
  {
    enum
    {
      MANY = 20000
    };
    char **args = calloc(MANY + 1, sizeof *args);
    for (int i = 0; i < MANY; i++)
      args[i] = "an-argument";
    char *env[] = { NULL };
    r = run(p, args, env, NULL);
    char want[64];
    snprintf(want, sizeof want, "argc=%d\n", MANY);
    bool ok
        = r.status == 0 && strncmp(r.out, want, strlen(want)) == 0 && strstr(r.out, "\nlib=A\n");
    check(ok, "%d arguments: status %d", MANY, r.status);
    result_release(&r);
    free(args);
  }

  /* A real tool. */
  {
    char *ls = tmp_path("ls");
    copy_patched("/bin/ls", ls, shim);
    char *args[] = { "ls", "-d", "/", "/nonexistent", NULL };
    char *env[] = { "LC_ALL=C", NULL };
    r = run(ls, args, env, NULL);
    check_run("ls -d / /nonexistent", &r, 2, "/\n");
    check(strstr(r.err, "ls: cannot access '/nonexistent'") != NULL, "ls: argv[0] kept: %s", r.err);
    result_release(&r);
    free(ls);
  }

  /* In place, with the audit module: the shim maps the loader itself and
     the module finds the libraries in its search path (the "tools'" copy of
     liba under the base dir, then the host's directories for libc), never
     in the loader's default directories or the ld.so.cache.  The process
     stays the program. */
  {
    const char *base = tmpdir;
    char *in_base;
    if (asprintf(&in_base, "%s%s", base, liba) < 0)
      bail(1, "out of memory");
    for (char *slash = strchr(in_base + strlen(base) + 1, '/'); slash;
         slash = strchr(slash + 1, '/'))
      {
        *slash = '\0';
        if (mkdir(in_base, 0755) < 0 && errno != EEXIST)
          bail(1, "mkdir %s: %m", in_base);
        *slash = '/';
      }
    if (mkdir(in_base, 0755) < 0 && errno != EEXIST)
      bail(1, "mkdir %s: %m", in_base);
    char *search;
    if (asprintf(&search, "%s:%s", in_base, host_path) < 0)
      bail(1, "out of memory");
    const char *dirs[] = { liba, NULL };
    char *audit = tmp_path("a.so");
    if (shim_audit_image_build(base, "", search, dirs, &image, &size) < 0)
      bail(1, "shim_audit_image_build: %s", cntr_error_message());
    write_file(audit, image, size, 0644);
    free(image);
    char *audited_shim = make_shim("as", &(struct shim_paths){ loader, config_path, NULL, audit });
    char *ap = tmp_path("ap");
    copy_patched(probe, ap, audited_shim);

    char *args[] = { "probe", NULL };
    char *env[] = { NULL };
    r = run(ap, args, env, NULL);
    check_run("in place: liba's library is never loaded", &r, 127, "");
    check(strstr(r.err, "libprobe.so") != NULL, "in place: the loader says what it missed: %s",
          r.err);
    result_release(&r);

    char *from, *to;
    if (asprintf(&from, "%s/libprobe.so", libb) < 0 || asprintf(&to, "%s/libprobe.so", in_base) < 0)
      bail(1, "out of memory");
    size_t lib_size;
    char *lib = read_file(from, &lib_size);
    write_file(to, lib, lib_size, 0644);
    free(lib);
    char *args2[] = { "probe", "x y", NULL };
    char *env2[] = { "PROBE_EXIT=3", NULL };
    r = run(ap, args2, env2, NULL);
    check_run("in place: the library of the search path is loaded", &r, 3,
              "argc=2\nargv[0]=probe\nargv[1]=x y\nlib=B\n");
    result_release(&r);

    /* What the process is: its own exe, command line and name. */
    char *rl = tmp_path("readlink");
    copy_patched("/bin/readlink", rl, audited_shim);
    char *rl_args[] = { "readlink", "/proc/self/exe", NULL };
    char *rl_env[] = { "LC_ALL=C", NULL };
    char *want_exe;
    if (asprintf(&want_exe, "%s\n", rl) < 0)
      bail(1, "out of memory");
    r = run(rl, rl_args, rl_env, NULL);
    check_run("in place: /proc/self/exe is the program", &r, 0, want_exe);
    result_release(&r);
    char *cat = tmp_path("cat");
    copy_patched("/bin/cat", cat, audited_shim);
    char *cat_args[] = { "cat", "/proc/self/cmdline", NULL };
    r = run(cat, cat_args, rl_env, NULL);
    check(r.status == 0 && !memcmp(r.out, "cat\0/proc/self/cmdline\0", 23),
          "in place: the command line is the program's own: status %d", r.status);
    result_release(&r);
    /* The environment a program of the tools sees (and passes on) gets
       LD_AUDIT; /proc/PID/environ still shows what the kernel was given. */
    char *envp_tool = tmp_path("env");
    copy_patched("/usr/bin/env", envp_tool, audited_shim);
    char *env_args[] = { "env", NULL };
    char *env_env[] = { "A=1", NULL };
    r = run(envp_tool, env_args, env_env, NULL);
    char *want_env;
    if (asprintf(&want_env, "A=1\nLD_AUDIT=%s\n", audit) < 0)
      bail(1, "out of memory");
    check_run("in place: the environment gets LD_AUDIT, and only that", &r, 0, want_env);
    result_release(&r);
    free(envp_tool);

    /* A target's program started with that environment: the module stands
       aside (the host's ls, unpatched, through its own loader). */
    char *ls_args[] = { "ls", "-d", "/", NULL };
    char *audit_var;
    if (asprintf(&audit_var, "LD_AUDIT=%s", audit) < 0)
      bail(1, "out of memory");
    char *ls_env[] = { audit_var, "LC_ALL=C", NULL };
    r = run("/bin/ls", ls_args, ls_env, NULL);
    check_run("a program not of the tools ignores the module", &r, 0, "/\n");
    result_release(&r);
    free(audit_var);
    free(want_env);
    free(want_exe);
    free(cat);
    free(rl);
    free(from);
    free(to);
    free(ap);
    free(audited_shim);
    free(audit);
    free(search);
    free(in_base);
  }

  /* The loader cannot be executed. */
  {
    char *args[] = { "probe", NULL };
    char *env[] = { NULL };
    r = run(q, args, env, NULL);
    check_run("missing loader", &r, 127, "");
    check(strcmp(r.err, "cntr-shim: cannot execute /nonexistent/ld.so: ENOENT\n") == 0,
          "missing loader message: %s", r.err);
    result_release(&r);
  }

  fprintf(stderr, "%d checks, %d failed\n", checks, failures);
  free(loader);
  free(host_path);
  free(config_path);
  free(shim);
  free(bad_shim);
  free(p);
  free(q);
  free(empty);
  free(probe);
  free(liba);
  free(libb);
  cleanup();
  return failures ? 1 : 0;
}
