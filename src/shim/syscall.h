/* SPDX-License-Identifier: MIT */
/* Raw system calls of the freestanding objects (the shim, the audit
   module), which have no libc: the numbers they use and one inline
   function per architecture. */
#ifndef CNTR_SHIM_SYSCALL_H
#define CNTR_SHIM_SYSCALL_H

#if defined(__x86_64__)

#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_mmap 9
#define NR_munmap 11
#define NR_pread64 17
#define NR_execve 59
#define NR_exit_group 231
#define NR_openat 257
#define NR_newfstatat 262
#define NR_readlinkat 267
#define NR_faccessat 269

static inline long
raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

#elif defined(__aarch64__)

#define NR_faccessat 48
#define NR_openat 56
#define NR_close 57
#define NR_read 63
#define NR_write 64
#define NR_pread64 67
#define NR_readlinkat 78
#define NR_newfstatat 79
#define NR_exit_group 94
#define NR_munmap 215
#define NR_execve 221
#define NR_mmap 222

static inline long
raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}

#else
#error "the freestanding objects support x86_64 and aarch64 only"
#endif

#define raw_syscall4(nr, a, b, c, d) raw_syscall6(nr, a, b, c, d, 0, 0)
#define raw_syscall3(nr, a, b, c) raw_syscall6(nr, a, b, c, 0, 0, 0)

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_CLOEXEC 02000000
#define F_OK 0

#endif
