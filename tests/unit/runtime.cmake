# SPDX-License-Identifier: MIT
# Unit tests of target resolution (src/runtime*.c).  test_runtime: syntax,
# order, matching and error wording.  test_runtime_formats: each backend's
# parser on the output formats the runtimes document — not end-to-end (those
# are tests/runtimes/, against real runtimes).
set(S ${PROJECT_SOURCE_DIR}/src)
set(CNTR_RUNTIME_SOURCES ${S}/runtime.c ${S}/runtime-docker.c ${S}/runtime-podman.c
  ${S}/runtime-nerdctl.c ${S}/runtime-cri.c ${S}/runtime-containerd.c ${S}/runtime-lxc.c
  ${S}/runtime-lxd.c ${S}/runtime-nspawn.c ${S}/runtime-runc.c ${S}/runtime-pid.c
  ${S}/proc-exec.c ${S}/procfs.c ${S}/util.c ${S}/log.c)
cntr_unit_test(test_runtime SOURCES test_runtime.c ${CNTR_RUNTIME_SOURCES} LIBS PkgConfig::JSONC)
cntr_unit_test(test_runtime_formats SOURCES test_runtime_formats.c ${CNTR_RUNTIME_SOURCES}
  LIBS PkgConfig::JSONC)
