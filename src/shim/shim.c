/* SPDX-License-Identifier: MIT */
/* The interpreter shim.

   The FUSE server rewrites PT_INTERP of the tools' dynamically linked
   executables to a path where it serves this program, so the kernel maps it
   as their ELF interpreter.  It re-executes the tools' own loader in
   explicit mode:

     LOADER --inhibit-cache --audit AUDIT --library-path LIBPATH --argv0 ARGV0
            PROGRAM ARGS...

   LOADER, AUDIT (the loader audit module, src/shim/audit.c) and LIBPATH
   come from the configuration block below, which the
   session fills in its copy of the image (src/shim.c); LD_LIBRARY_PATH goes
   before LIBPATH.  PROGRAM is the path the kernel executed (AT_EXECFN),
   except for scripts and vanished paths (see program_path).

   Executing the loader again drops the secure mode (AT_SECURE) the kernel
   may have asked of the first one (an LSM transition; setuid bits do not
   count on the nosuid tools): in secure mode the shim does what the loader
   would have, ignores LD_LIBRARY_PATH and removes the variables glibc
   removes, and hands the loader the program as an open file, not by a path
   that could be swapped meanwhile.

   Constraints, all because the kernel maps an interpreter at a random base
   and jumps to it with nobody to relocate it:
   - no libc, raw system calls only;
   - no data that needs relocating (no tables of pointers; the build rejects
     an image with dynamic relocations);
   - every global is reached PC-relative (hidden visibility, -fPIE). */

#include "freestanding.h"
#include "shim-config.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "cntr-shim supports x86_64 and aarch64 only"
#endif

#define AT_NULL 0
#define AT_SECURE 23
#define AT_EXECFN 31
#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_CLOEXEC 02000000

#define EXIT_NOT_FOUND 127

/* Filled by the session; the magic lets it find the block (shim-config.h).
   Initialised, so it lives in .data, i.e. in the file image. */
__attribute__((used, aligned(16))) static char shim_config[CNTR_SHIM_CONFIG_SIZE]
    = CNTR_SHIM_CONFIG_MAGIC;

#if defined(__x86_64__)

#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_execve 59
#define NR_exit_group 231
#define NR_openat 257
#define NR_newfstatat 262
#define NR_readlinkat 267

__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        /* Outermost frame for debuggers and unwinders. */
        "  xor %ebp, %ebp\n"
        /* The kernel's initial stack: argc, argv..., NULL, envp..., NULL, auxv. */
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call shim_main\n"
        "  hlt\n"
        ".size _start, . - _start\n");

static long
raw_syscall4(long nr, long a, long b, long c, long d)
{
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

#elif defined(__aarch64__)

#define NR_openat 56
#define NR_close 57
#define NR_read 63
#define NR_write 64
#define NR_readlinkat 78
#define NR_newfstatat 79
#define NR_exit_group 94
#define NR_execve 221

__asm__(".text\n"
        ".globl _start\n"
        ".type _start, %function\n"
        "_start:\n"
        "  mov x29, #0\n"
        "  mov x30, #0\n"
        "  mov x0, sp\n"
        "  and x1, x0, #-16\n"
        "  mov sp, x1\n"
        "  bl shim_main\n"
        "  brk #0\n"
        ".size _start, . - _start\n");

static long
raw_syscall4(long nr, long a, long b, long c, long d)
{
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}

#endif

#define raw_syscall3(nr, a, b, c) raw_syscall4(nr, a, b, c, 0)

__attribute__((noreturn)) static void
sys_exit(int status)
{
  for (;;)
    raw_syscall3(NR_exit_group, status, 0, 0);
}

static void
write_all(const char *buf, unsigned long len)
{
  while (len > 0)
    {
      long n = raw_syscall3(NR_write, 2, (long)buf, (long)len);
      if (n == -4 /* EINTR */)
        continue;
      if (n <= 0)
        return;
      buf += n;
      len -= (unsigned long)n;
    }
}

/* Names of the errors execve can report; fixed-size entries, because a table
   of pointers would need relocating. */
static const struct
{
  unsigned char num;
  char name[13];
} error_names[] = {
  { 1, "EPERM" },   { 2, "ENOENT" },   { 5, "EIO" },     { 7, "E2BIG" },    { 8, "ENOEXEC" },
  { 12, "ENOMEM" }, { 13, "EACCES" },  { 14, "EFAULT" }, { 20, "ENOTDIR" }, { 21, "EISDIR" },
  { 22, "EINVAL" }, { 23, "ENFILE" },  { 24, "EMFILE" }, { 26, "ETXTBSY" }, { 36, "ENAMETOOLONG" },
  { 40, "ELOOP" },  { 80, "ELIBBAD" },
};

static char *
put_number(char *p, unsigned long v)
{
  char digits[24];
  int n = 0;
  do
    digits[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0)
    *p++ = digits[--n];
  return p;
}

static char *
put_error(char *p, long err)
{
  for (unsigned long i = 0; i < sizeof error_names / sizeof error_names[0]; i++)
    if (error_names[i].num == err)
      return str_put(p, error_names[i].name);
  return put_number(str_put(p, "errno "), (unsigned long)err);
}

__attribute__((noreturn)) static void
die(const char *what, const char *arg, long err)
{
  char buf[str_len(what) + (arg ? str_len(arg) : 0) + 64];
  char *p = str_put(buf, "cntr-shim: ");
  p = str_put(p, what);
  if (arg)
    {
      p = str_put(p, " ");
      p = str_put(p, arg);
    }
  if (err)
    {
      p = str_put(p, ": ");
      p = put_error(p, err);
    }
  *p++ = '\n';
  write_all(buf, (unsigned long)(p - buf));
  sys_exit(EXIT_NOT_FOUND);
}

struct file_id
{
  unsigned long dev, ino;
};

static int
file_id(const char *path, struct file_id *id)
{
  /* struct stat begins with 64-bit st_dev and st_ino on x86_64 and in the
     generic layout of aarch64; both are shorter than this. */
  unsigned long st[32];
  if (raw_syscall4(NR_newfstatat, AT_FDCWD, (long)path, (long)st, 0) < 0)
    return -1;
  id->dev = st[0];
  id->ino = st[1];
  return 0;
}

static int
is_file(const char *path, const struct file_id *want)
{
  struct file_id id;
  return file_id(path, &id) == 0 && id.dev == want->dev && id.ino == want->ino;
}

static int
is_script(const char *path)
{
  long fd = raw_syscall4(NR_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  char magic[2];
  long n = raw_syscall3(NR_read, fd, (long)magic, 2);
  raw_syscall3(NR_close, fd, 0, 0);
  return n == 2 && magic[0] == '#' && magic[1] == '!';
}

/* The path of the program the kernel is loading, for ld.so to map again.
   Usually AT_EXECFN; not for a script, whose interpreter is the program:
   AT_EXECFN then names the script and the kernel has put the interpreter's
   path in argv[0] (after following every "#!" in turn).  /proc/self/exe is
   the program whatever it was executed by, so compare with it; without
   /proc, look for "#!". */
static const char *
program_path(const char *execfn, unsigned long argc, char **argv, char *buf, unsigned long buf_size)
{
  struct file_id exe;
  if (file_id("/proc/self/exe", &exe) < 0)
    return argc > 0 && is_script(execfn) ? argv[0] : execfn;

  if (is_file(execfn, &exe))
    return execfn;
  if (argc > 0 && is_file(argv[0], &exe))
    return argv[0];
  /* Executed through a path that is gone (fexecve of an O_CLOEXEC fd gives
     "/dev/fd/N"): the name of the file itself, if it still has one. */
  long n = raw_syscall4(NR_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)buf,
                        (long)buf_size - 1);
  if (n > 0)
    {
      buf[n] = '\0';
      if (buf[0] == '/' && is_file(buf, &exe))
        return buf;
    }
  return execfn;
}

/* The variables glibc's loader removes in secure mode (UNSECURE_ENVVARS
   in sysdeps/generic/unsecvars.h); every LD_ one besides.  Fixed-size
   entries, as error_names. */
static const struct
{
  char name[20];
} unsecure_names[] = {
  { "GCONV_PATH=" },  { "GETCONF_DIR=" }, { "HOSTALIASES=" },
  { "LOCALDOMAIN=" }, { "LOCPATH=" },     { "MALLOC_TRACE=" },
  { "NIS_PATH=" },    { "NLSPATH=" },     { "RESOLV_HOST_CONF=" },
  { "RES_OPTIONS=" }, { "TMPDIR=" },      { "TZDIR=" },
  { "LD_" },
};

static int
is_unsecure(const char *entry)
{
  for (unsigned long i = 0; i < sizeof unsecure_names / sizeof unsecure_names[0]; i++)
    if (str_has_prefix(entry, unsecure_names[i].name))
      return 1;
  return 0;
}

__attribute__((used, noreturn, visibility("hidden"))) void shim_main(unsigned long *sp);

void
shim_main(unsigned long *sp)
{
  unsigned long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;

  char **e = envp;
  while (*e)
    e++;
  unsigned long nenv = (unsigned long)(e - envp);
  const char *execfn = 0;
  int secure = 0;
  for (unsigned long *auxv = (unsigned long *)(e + 1); auxv[0] != AT_NULL; auxv += 2)
    if (auxv[0] == AT_EXECFN)
      execfn = (const char *)auxv[1];
    else if (auxv[0] == AT_SECURE)
      secure = auxv[1] != 0;
  if (!execfn)
    die("no AT_EXECFN in the auxiliary vector", 0, 0);
  char *secure_env[secure ? nenv + 1 : 1];
  if (secure)
    {
      unsigned long m = 0;
      for (e = envp; *e; e++)
        if (!is_unsecure(*e))
          secure_env[m++] = *e;
      secure_env[m] = 0;
      envp = secure_env;
    }

  /* Hide the block's origin from the optimiser: its content is written into
     the image after compilation, never by this program. */
  const char *config = shim_config;
  __asm__("" : "+r"(config));
  const char *loader = config + sizeof CNTR_SHIM_CONFIG_MAGIC;
  const char *configured = loader + str_len(loader) + 1;
  const char *exec_dir = configured + str_len(configured) + 1;
  const char *audit = exec_dir + str_len(exec_dir) + 1;
  if (!*loader)
    die("not configured (no loader in the image)", 0, 0);

  /* ld.so's --library-path replaces LD_LIBRARY_PATH instead of adding to it;
     keep the user's directories first, as the loader would have searched
     them.  The loader takes the last LD_LIBRARY_PATH of the environment. */
  const char *user = 0;
  for (e = envp; *e && !secure; e++)
    if (str_has_prefix(*e, "LD_LIBRARY_PATH="))
      user = *e + sizeof "LD_LIBRARY_PATH=" - 1;
  if (user && !*user)
    user = 0;
  unsigned long user_len = user ? str_len(user) : 0;
  char library_path[user_len + str_len(configured) + 2];
  char *p = library_path;
  if (user)
    p = str_put(p, user);
  if (user && *configured)
    *p++ = ':';
  p = str_put(p, configured);
  *p = '\0';

  /* The kernel supplies argv[0] ("" since Linux 5.18); older ones allow
     argc == 0. */
  const char *argv0 = argc > 0 ? argv[0] : "";

  char *args[argc + 10];
  unsigned long n = 0;
  args[n++] = (char *)loader;
  args[n++] = (char *)"--inhibit-cache";
  if (*audit)
    {
      args[n++] = (char *)"--audit";
      args[n++] = (char *)audit;
    }
  if (library_path[0])
    {
      args[n++] = (char *)"--library-path";
      args[n++] = library_path;
    }
  args[n++] = (char *)"--argv0";
  args[n++] = (char *)argv0;
  char exe_buf[4096];
  const char *program = program_path(execfn, argc, argv, exe_buf, sizeof exe_buf);
  /* Secure: the file itself, open (not close-on-exec: the loader opens it
     again as /proc/self/fd/N, the one fd it keeps), when /proc is there. */
  char by_fd[40];
  if (secure)
    {
      long fd = raw_syscall4(NR_openat, AT_FDCWD, (long)program, O_RDONLY, 0);
      if (fd < 0)
        die("cannot open", program, -fd);
      *put_number(str_put(by_fd, "/proc/self/fd/"), (unsigned long)fd) = '\0';
      struct file_id id;
      if (file_id(by_fd, &id) == 0)
        program = by_fd;
    }
  args[n++] = (char *)program;
  for (unsigned long i = 1; i < argc; i++)
    args[n++] = argv[i];
  args[n] = 0;

  /* The kernel names a process after the last component of the path it was
     executed by (comm, what ps and top show).  exec_dir serves every name
     as a symlink to the loader, so executing the loader through
     "exec_dir/<program's name>" keeps the program's name. */
  if (*exec_dir)
    {
      const char *name = execfn;
      for (const char *c = execfn; *c; c++)
        if (*c == '/' && c[1])
          name = c + 1;
      char via[str_len(exec_dir) + str_len(name) + 2];
      p = str_put(via, exec_dir);
      *p++ = '/';
      p = str_put(p, name);
      *p = '\0';
      raw_syscall3(NR_execve, (long)via, (long)args, (long)envp);
    }
  long ret = raw_syscall3(NR_execve, (long)loader, (long)args, (long)envp);
  die("cannot execute", loader, -ret);
}
