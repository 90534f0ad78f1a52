/* SPDX-License-Identifier: MIT */
/* Run through the shim by shim_e2e: prints its arguments and the name of the
   libprobe.so the loader found, then exits with $PROBE_EXIT. */
#include <stdio.h>
#include <stdlib.h>

const char *probe_lib_name(void);

int
main(int argc, char **argv)
{
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++)
    printf("argv[%d]=%s\n", i, argv[i]);
  printf("lib=%s\n", probe_lib_name());
  const char *status = getenv("PROBE_EXIT");
  return status ? atoi(status) : 0;
}
