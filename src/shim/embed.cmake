# SPDX-License-Identifier: MIT
# cmake -DSHIM=path -DREADELF=path -DOUTPUT=shim_blob.c -P embed.cmake
#
# Refuses a shim the kernel could not run as an interpreter without help:
# it must be ET_DYN (mapped at a random base), have no PT_INTERP (nobody
# loads an interpreter's interpreter) and no dynamic relocations (nobody
# applies them).  Then writes it out as a C array.

foreach(var SHIM READELF OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: ${var} not set")
  endif()
endforeach()

execute_process(
  COMMAND ${READELF} --wide --file-header --program-headers --relocs --dynamic ${SHIM}
  OUTPUT_VARIABLE elf
  ERROR_VARIABLE elf_err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT elf_err STREQUAL "")
  message(FATAL_ERROR "cntr-shim: readelf ${SHIM} failed (${rc}): ${elf_err}")
endif()

if(NOT elf MATCHES "Type:[ \t]+DYN ")
  message(FATAL_ERROR "cntr-shim: ${SHIM} is not ET_DYN (position independent)")
endif()
if(elf MATCHES "\n[ \t]+INTERP[ \t]")
  message(FATAL_ERROR "cntr-shim: ${SHIM} has a PT_INTERP")
endif()
if(elf MATCHES "Relocation section" OR NOT elf MATCHES "There are no relocations in this file")
  message(FATAL_ERROR "cntr-shim: ${SHIM} has dynamic relocations; "
    "the kernel maps it at a random base and nobody applies them:\n${elf}")
endif()
if(elf MATCHES "\\((NEEDED|TEXTREL|RELA?|RELR|JMPREL)\\)")
  message(FATAL_ERROR "cntr-shim: ${SHIM} has a dynamic section asking for a loader:\n${elf}")
endif()

file(READ ${SHIM} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")

# The session finds the configuration block by its magic: exactly once.
file(READ ${CMAKE_CURRENT_LIST_DIR}/shim-config.h header)
if(NOT header MATCHES "#define CNTR_SHIM_CONFIG_MAGIC \"([^\"]+)\"")
  message(FATAL_ERROR "cntr-shim: no CNTR_SHIM_CONFIG_MAGIC in shim-config.h")
endif()
string(HEX "${CMAKE_MATCH_1}" magic_hex)
string(FIND "${hex}" "${magic_hex}" first)
string(FIND "${hex}" "${magic_hex}" last REVERSE)
if(first EQUAL -1)
  message(FATAL_ERROR "cntr-shim: configuration magic not found in ${SHIM}")
endif()
math(EXPR odd "${first} % 2")
if(NOT first EQUAL last OR odd)
  message(FATAL_ERROR "cntr-shim: configuration magic not unique in ${SHIM}")
endif()

string(REGEX REPLACE "([0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])"
  "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
string(REPLACE "\n" "\n  " hex "${hex}")

file(WRITE ${OUTPUT}.tmp
  "/* Generated from ${SHIM} by embed.cmake; do not edit. */\n"
  "#include \"shim-config.h\"\n"
  "__attribute__ ((aligned (16))) const unsigned char cntr_shim_image[${size}] = {\n"
  "  ${hex}\n};\n"
  "const unsigned long cntr_shim_image_size = ${size};\n")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
