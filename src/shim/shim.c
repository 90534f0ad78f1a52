/* SPDX-License-Identifier: MIT */
/* The interpreter shim.

   The FUSE server rewrites PT_INTERP of the tools' dynamically linked
   executables to a path where it serves this program, so the kernel maps it
   as their ELF interpreter.  It hands the program to the tools' own loader
   in one of two ways.

   In place (the rule): it maps the loader itself, as the kernel maps an
   interpreter, and jumps to it with the process's own stack, its auxiliary
   vector telling the loader where it was put, and LD_AUDIT naming the
   loader audit module (src/shim/audit.c), which answers the loader's
   library searches from the tools' library directories.  The process stays
   the program: /proc/self/exe, its command line and its name are its own,
   and no library path is set for the programs it starts (the module stands
   aside in a program that is not the tools').

   By a second exec (secure mode, an old configuration without the module):
     LOADER --inhibit-cache [--audit AUDIT] --library-path LIBPATH
            --argv0 ARGV0 PROGRAM ARGS...
   LOADER, AUDIT and LIBPATH come from the configuration block below, which
   the session fills in its copy of the image (src/shim.c); LD_LIBRARY_PATH
   goes before LIBPATH.  PROGRAM is the path the kernel executed
   (AT_EXECFN), except for scripts and vanished paths (see program_path).
   Executing the loader again drops the secure mode (AT_SECURE) the kernel
   may have asked of the first one (an LSM transition; setuid bits do not
   count on the nosuid tools), where the loader would ignore LD_AUDIT: in
   secure mode the shim does what the loader would have, ignores
   LD_LIBRARY_PATH and removes the variables glibc removes, and hands the
   loader the program as an open file, not by a path that could be swapped
   meanwhile.

   Constraints, all because the kernel maps an interpreter at a random base
   and jumps to it with nobody to relocate it:
   - no libc, raw system calls only;
   - no data that needs relocating (no tables of pointers; the build rejects
     an image with dynamic relocations);
   - every global is reached PC-relative (hidden visibility, -fPIE). */

#include "freestanding.h"
#include "shim-config.h"
#include "syscall.h"

#define AT_NULL 0
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_SECURE 23
#define AT_EXECFN 31

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

#define EXIT_NOT_FOUND 127

/* Filled by the session; the magic lets it find the block (shim-config.h).
   Initialised, so it lives in .data, i.e. in the file image. */
__attribute__((used, aligned(16))) static char shim_config[CNTR_SHIM_CONFIG_SIZE]
    = CNTR_SHIM_CONFIG_MAGIC;

/* "LD_AUDIT=..." of a program run in place: its environment points here
   for the rest of its life. */
#define AUDIT_ENV_SIZE 8192
static char audit_env[AUDIT_ENV_SIZE];

#if defined(__x86_64__)

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

/* Enter an interpreter as the kernel does: sp at argc, no return. */
__attribute__((noreturn)) static void
jump_to(unsigned long entry, unsigned long *sp)
{
  __asm__ volatile("mov %0, %%rsp\n"
                   "xor %%edx, %%edx\n"
                   "xor %%ebp, %%ebp\n"
                   "jmp *%1\n"
                   :
                   : "r"(sp), "r"(entry)
                   : "memory");
  __builtin_unreachable();
}

#elif defined(__aarch64__)

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

__attribute__((noreturn)) static void
jump_to(unsigned long entry, unsigned long *sp)
{
  __asm__ volatile("mov sp, %0\n"
                   "mov x0, #0\n"
                   "mov x29, #0\n"
                   "mov x30, #0\n"
                   "br %1\n"
                   :
                   : "r"(sp), "r"(entry)
                   : "memory", "x0");
  __builtin_unreachable();
}

#endif

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

/* ---- in place ----------------------------------------------------------- */

/* The parts of <elf.h> the loader's image needs. */
struct elf64_ehdr
{
  unsigned char ident[16];
  unsigned short type, machine;
  unsigned int version;
  unsigned long entry, phoff, shoff;
  unsigned int flags;
  unsigned short ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr
{
  unsigned int type, flags;
  unsigned long offset, vaddr, paddr, filesz, memsz, align;
};

#define ET_DYN 3
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define MAX_PHDRS 32

static int
is_error(long r)
{
  return r < 0 && r > -4096;
}

/* Map the ELF file at path as the kernel maps an interpreter: one span at
   an address of the kernel's choosing, each PT_LOAD in it, the rest of its
   bss zeroed.  Returns the load bias; *entry its entry point. */
static unsigned long
map_loader(const char *path, unsigned long page, unsigned long *entry)
{
  long fd = raw_syscall4(NR_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    die("cannot open", path, -fd);
  struct elf64_ehdr eh;
  struct elf64_phdr ph[MAX_PHDRS];
  if (raw_syscall4(NR_pread64, fd, (long)&eh, sizeof eh, 0) != (long)sizeof eh
      || eh.ident[0] != 0x7f || eh.ident[1] != 'E' || eh.ident[2] != 'L' || eh.ident[3] != 'F'
      || eh.ident[4] != 2 || eh.type != ET_DYN || eh.phentsize != sizeof ph[0] || eh.phnum == 0
      || eh.phnum > MAX_PHDRS)
    die("not a loader this shim can map:", path, 0);
  long want = (long)(eh.phnum * sizeof ph[0]);
  if (raw_syscall4(NR_pread64, fd, (long)ph, want, (long)eh.phoff) != want)
    die("cannot read the program headers of", path, 0);
  unsigned long mask = page - 1, lo = ~0UL, hi = 0;
  for (int i = 0; i < eh.phnum; i++)
    if (ph[i].type == PT_LOAD)
      {
        if ((ph[i].vaddr & ~mask) < lo)
          lo = ph[i].vaddr & ~mask;
        if (((ph[i].vaddr + ph[i].memsz + mask) & ~mask) > hi)
          hi = (ph[i].vaddr + ph[i].memsz + mask) & ~mask;
      }
  if (hi <= lo)
    die("no loadable segment in", path, 0);
  long span = raw_syscall6(NR_mmap, 0, (long)(hi - lo), 0, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (is_error(span))
    die("cannot map", path, -span);
  unsigned long bias = (unsigned long)span - lo;
  for (int i = 0; i < eh.phnum; i++)
    {
      const struct elf64_phdr *p = &ph[i];
      if (p->type != PT_LOAD)
        continue;
      int prot = (p->flags & PF_R ? PROT_READ : 0) | (p->flags & PF_W ? PROT_WRITE : 0)
                 | (p->flags & PF_X ? PROT_EXEC : 0);
      unsigned long start = bias + (p->vaddr & ~mask);
      unsigned long file_end = bias + p->vaddr + p->filesz;
      unsigned long mem_end = bias + p->vaddr + p->memsz;
      if (p->filesz > 0)
        {
          long r = raw_syscall6(NR_mmap, (long)start, (long)(file_end - start), prot,
                                MAP_PRIVATE | MAP_FIXED, fd, (long)(p->offset & ~mask));
          if (is_error(r))
            die("cannot map a segment of", path, -r);
        }
      if (mem_end > file_end)
        {
          /* The bss: the rest of the last file page, then anonymous pages. */
          unsigned long page_end = (file_end + mask) & ~mask;
          if ((p->flags & PF_W) && p->filesz > 0)
            for (volatile char *z = (volatile char *)file_end; (unsigned long)z < page_end; z++)
              *z = 0;
          if (mem_end > page_end)
            {
              long r = raw_syscall6(NR_mmap, (long)page_end, (long)(mem_end - page_end), prot,
                                    MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
              if (is_error(r))
                die("cannot map the bss of", path, -r);
            }
        }
    }
  raw_syscall3(NR_close, fd, 0, 0);
  *entry = bias + eh.entry;
  return bias;
}

/* The environment's LD_AUDIT with audit first (as it is when it already
   starts with it: a program of the tools that another one started). */
static char *
audit_entry(char **envp, const char *audit)
{
  const char *theirs = 0;
  for (char **e = envp; *e; e++)
    if (str_has_prefix(*e, "LD_AUDIT="))
      theirs = *e + sizeof "LD_AUDIT=" - 1;
  unsigned long alen = str_len(audit);
  if (theirs && str_has_prefix(theirs, audit) && (theirs[alen] == '\0' || theirs[alen] == ':'))
    return 0;
  if (sizeof "LD_AUDIT=" + alen + 1 + (theirs ? str_len(theirs) : 0) > AUDIT_ENV_SIZE)
    die("LD_AUDIT is too long", 0, 0);
  char *p = str_put(str_put(audit_env, "LD_AUDIT="), audit);
  if (theirs && *theirs)
    p = str_put(str_put(p, ":"), theirs);
  *p = '\0';
  return audit_env;
}

/* Hand the process to the loader at loader, in place; never returns. */
__attribute__((noreturn)) static void
run_in_place(unsigned long argc, char **argv, char **envp, unsigned long *auxv, const char *loader,
             const char *audit)
{
  unsigned long nenv = 0, naux = 0, page = 4096;
  while (envp[nenv])
    nenv++;
  while (auxv[2 * naux] != AT_NULL)
    {
      if (auxv[2 * naux] == AT_PAGESZ)
        page = auxv[2 * naux + 1];
      naux++;
    }
  unsigned long entry;
  unsigned long bias = map_loader(loader, page, &entry);
  char *audit_var = audit_entry(envp, audit);

  /* The new initial stack: argc, argv, envp with LD_AUDIT, auxv with the
     loader's AT_BASE; the strings stay where the kernel put them. */
  unsigned long words = 1 + argc + 1 + nenv + 2 + 2 * (naux + 1);
  unsigned long room[words + 2];
  unsigned long *sp = (unsigned long *)(((unsigned long)room + 15) & ~15UL);
  unsigned long n = 0;
  sp[n++] = argc;
  for (unsigned long i = 0; i < argc; i++)
    sp[n++] = (unsigned long)argv[i];
  sp[n++] = 0;
  int replaced = 0;
  for (unsigned long i = 0; i < nenv; i++)
    if (audit_var && str_has_prefix(envp[i], "LD_AUDIT="))
      {
        if (!replaced)
          sp[n++] = (unsigned long)audit_var;
        replaced = 1;
      }
    else
      sp[n++] = (unsigned long)envp[i];
  if (audit_var && !replaced)
    sp[n++] = (unsigned long)audit_var;
  sp[n++] = 0;
  for (unsigned long i = 0; i <= naux; i++)
    {
      sp[n++] = auxv[2 * i];
      sp[n++] = auxv[2 * i] == AT_BASE ? bias : auxv[2 * i + 1];
    }
  jump_to(entry, sp);
}

/* ---- by a second exec ---------------------------------------------------- */

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
  unsigned long *auxv = (unsigned long *)(e + 1);
  for (unsigned long *a = auxv; a[0] != AT_NULL; a += 2)
    if (a[0] == AT_EXECFN)
      execfn = (const char *)a[1];
    else if (a[0] == AT_SECURE)
      secure = a[1] != 0;
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
  if (!secure && *audit)
    run_in_place(argc, argv, envp, auxv, loader, audit);

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
