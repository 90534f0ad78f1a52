# SPDX-License-Identifier: MIT
# cmake -DSHIM=path -DREADELF=path -DOUTPUT=shim_blob.c
#       [-DNAME=cntr_shim -DCONFIG=shim-config.h -DKIND=interpreter|module] -P embed.cmake
#
# Refuses an interpreter the kernel could not run without help: it must be
# ET_DYN (mapped at a random base), have no PT_INTERP (nobody loads an
# interpreter's interpreter) and no dynamic relocations (nobody applies
# them).  A module (the loader audit module) must be ET_DYN and need no
# other object.  Then writes it out as the C array NAME_image.

if(NOT DEFINED NAME)
  set(NAME cntr_shim)
endif()
if(NOT DEFINED CONFIG)
  set(CONFIG shim-config.h)
endif()
if(NOT DEFINED KIND)
  set(KIND interpreter)
endif()

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
if(KIND STREQUAL "interpreter")
  if(elf MATCHES "Relocation section" OR NOT elf MATCHES "There are no relocations in this file")
    message(FATAL_ERROR "cntr-shim: ${SHIM} has dynamic relocations; "
      "the kernel maps it at a random base and nobody applies them:\n${elf}")
  endif()
  if(elf MATCHES "\\((NEEDED|TEXTREL|RELA?|RELR|JMPREL)\\)")
    message(FATAL_ERROR "cntr-shim: ${SHIM} has a dynamic section asking for a loader:\n${elf}")
  endif()
elseif(elf MATCHES "\\((NEEDED|TEXTREL)\\)")
  message(FATAL_ERROR "cntr-shim: ${SHIM} needs other objects or text relocations:\n${elf}")
endif()

file(READ ${SHIM} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")

# The session finds the configuration block by its magic: exactly once.
file(READ ${CMAKE_CURRENT_LIST_DIR}/${CONFIG} header)
if(NOT header MATCHES "#define CNTR_[A-Z]+_CONFIG_MAGIC \"([^\"]+)\"")
  message(FATAL_ERROR "cntr-shim: no configuration magic in ${CONFIG}")
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
  "#include \"${CONFIG}\"\n"
  "__attribute__ ((aligned (16))) const unsigned char ${NAME}_image[${size}] = {\n"
  "  ${hex}\n};\n"
  "const unsigned long ${NAME}_image_size = ${size};\n")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
