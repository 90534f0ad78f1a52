# SPDX-License-Identifier: MIT
# Unit tests of the shim image and the tools-tree facts.  They compile the
# sources they test directly instead of linking cntrcore, so they do not need
# the rest of src/ to link.
cntr_unit_test(test_shim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_shim.c ${PROJECT_SOURCE_DIR}/src/shim.c
          ${PROJECT_SOURCE_DIR}/src/log.c
  LIBS cntr_shim_blob)
target_include_directories(test_shim PRIVATE ${PROJECT_SOURCE_DIR}/src)

cntr_unit_test(test_tools
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tools.c ${PROJECT_SOURCE_DIR}/src/tools.c
          ${PROJECT_SOURCE_DIR}/src/log.c)
target_include_directories(test_tools PRIVATE ${PROJECT_SOURCE_DIR}/src)
