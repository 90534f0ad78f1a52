/* SPDX-License-Identifier: MIT */
#include "cntrfs-script.h"

#include <string.h>

size_t
script_rewrite_head(const char *buf, size_t len, const char *prefix, size_t prefix_len,
                    char out[SCRIPT_HEAD_MAX], size_t *orig_len)
{
  const char *nl, *interp;
  size_t line_len, tail_len, new_len;

  if (len > SCRIPT_HEAD_MAX)
    len = SCRIPT_HEAD_MAX;
  if (prefix_len == 0 || len < 3 || buf[0] != '#' || buf[1] != '!')
    return 0;
  nl = memchr(buf, '\n', len);
  if (nl == NULL)
    return 0;
  line_len = (size_t)(nl - buf) + 1;
  if (memchr(buf, '\0', line_len) != NULL)
    return 0;

  /* As binfmt_script: blanks, then the interpreter up to the next blank. */
  interp = buf + 2;
  while (*interp == ' ' || *interp == '\t')
    interp++;
  if (*interp != '/')
    return 0;
  /* Already inside the layer: "<prefix>/..." (or the prefix itself). */
  if ((size_t)(nl - interp) >= prefix_len && memcmp(interp, prefix, prefix_len) == 0
      && (interp[prefix_len] == '/' || interp[prefix_len] == ' ' || interp[prefix_len] == '\t'
          || interp[prefix_len] == '\n'))
    return 0;

  tail_len = (size_t)(nl - interp); /* interpreter and arguments */
  new_len = 2 + prefix_len + tail_len + 1;
  if (new_len > SCRIPT_HEAD_MAX)
    return 0;
  memcpy(out, "#!", 2);
  memcpy(out + 2, prefix, prefix_len);
  memcpy(out + 2 + prefix_len, interp, tail_len);
  out[new_len - 1] = '\n';
  *orig_len = line_len;
  return new_len;
}
