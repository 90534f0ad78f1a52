# SPDX-License-Identifier: MIT
# Unit tests of target resolution (src/runtime*.c).  test_runtime: syntax,
# order, matching and error wording.  test_runtime_formats: each backend's
# parser on the output formats the runtimes document — not end-to-end (those
# are tests/runtimes/, against real runtimes).
set(S ${PROJECT_SOURCE_DIR}/src)
# cntrruntime (src/CMakeLists.txt): runtime.c and every backend; these are
# what they call.
set(CNTR_RUNTIME_DEPS ${S}/proc-exec.c ${S}/procfs.c ${S}/util.c ${S}/log.c)
cntr_unit_test(test_runtime SOURCES test_runtime.c ${CNTR_RUNTIME_DEPS} LIBS cntrruntime)
cntr_unit_test(test_runtime_formats SOURCES test_runtime_formats.c ${CNTR_RUNTIME_DEPS}
  LIBS cntrruntime)
