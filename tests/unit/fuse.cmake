# SPDX-License-Identifier: MIT
# Unit tests of the FUSE server's pure logic (fuse/).  Paths are relative to
# this file so it can be included from anywhere.
cntr_unit_test(test_elf SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elf.c LIBS cntrfs)
cntr_unit_test(test_fuse_inode SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fuse_inode.c LIBS cntrfs)
cntr_unit_test(test_fuse_script SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fuse_script.c LIBS cntrfs)
cntr_unit_test(test_fuse_check SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fuse_check.c LIBS cntrfs)
cntr_unit_test(test_fuse_virtual SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fuse_virtual.c LIBS cntrfs)
cntr_unit_test(test_fuse_policy SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fuse_policy.c ${PROJECT_SOURCE_DIR}/fuse/policy.c)
cntr_unit_test(test_fuse_link SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fuse_link.c ${PROJECT_SOURCE_DIR}/fuse/link.c)
cntr_unit_test(test_fuse_caller SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fuse_caller.c LIBS cntrfs)
cntr_unit_test(test_fuse_union SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fuse_union.c LIBS cntrfs)
