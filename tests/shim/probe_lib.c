/* SPDX-License-Identifier: MIT */
/* Built twice, as liba/libprobe.so and libb/libprobe.so, so the probe's
   output says which library directory the loader searched first. */
const char *probe_lib_name(void);

const char *
probe_lib_name(void)
{
  return PROBE_LIB_NAME;
}
