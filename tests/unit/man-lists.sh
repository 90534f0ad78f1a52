#!/bin/bash
# SPDX-License-Identifier: MIT
# The lists a user must be able to read in cntr-attach(1) are the code's:
# every variable the session drops (src/env.c) and every credential store
# it hides (src/tools-fs.c) is named in the man page.
set -u
src=${1:?source dir}
man=$src/man/cntr-attach.1
# The man page's words, without roff's escapes (\- is -).
words=$(sed -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g' "$man" | tr -s ' ,;()' '\n\n\n\n\n')

# The quoted strings of a C array, from its name to the NULL ending it.
array() { sed -n "/$2\[\] = {/,/NULL/p" "$1" | grep -o '"[^"]*"' | tr -d '"'; }

fails=0
check() {
  local what=$1; shift
  local n=0
  for name in "$@"; do
    n=$((n + 1))
    if ! grep -qxF -- "$name" <<<"$words"; then
      echo "FAIL: $what $name is not in $man"
      fails=$((fails + 1))
    fi
  done
  if ((n < 10)); then
    echo "FAIL: read only $n entries of $what from the source"
    fails=$((fails + 1))
  fi
}
mapfile -t env_names < <(array "$src/src/env.c" filtered_names)
mapfile -t home_names < <(array "$src/src/tools-fs.c" tools_home_denied)
check "the filtered variable" "${env_names[@]}"
check "the credential store" "${home_names[@]}"
if ((fails)); then
  exit 1
fi
echo "ok: ${#env_names[@]} variables and ${#home_names[@]} credential stores documented"
