# SPDX-License-Identifier: MIT
# Unit tests of src/: each links only the sources it tests.
set(S ${PROJECT_SOURCE_DIR}/src)
cntr_unit_test(test_procfs SOURCES test_procfs.c ${S}/procfs.c)
cntr_unit_test(test_idmap SOURCES test_idmap.c ${S}/idmap.c)
cntr_unit_test(test_cgroup SOURCES test_cgroup.c ${S}/cgroup.c ${S}/util.c ${S}/log.c
  LIBS PkgConfig::LIBMOUNT)
cntr_unit_test(test_env SOURCES test_env.c ${S}/env.c ${S}/util.c)
cntr_unit_test(test_view SOURCES test_view.c ${S}/view.c ${S}/util.c ${S}/log.c)
cntr_unit_test(test_creds SOURCES test_creds.c ${S}/creds.c ${S}/seccomp.c ${S}/passwd.c ${S}/idmap.c ${S}/util.c ${S}/log.c
  LIBS PkgConfig::LIBCAP)
cntr_unit_test(test_util SOURCES test_util.c ${S}/util.c)
foreach(t test_procfs test_idmap test_cgroup test_env test_view test_creds test_util)
  target_include_directories(${t} PRIVATE ${S})
endforeach()
cntr_unit_test(test_ns SOURCES test_ns.c ${S}/ns.c ${S}/log.c WRAP setns)
target_include_directories(test_ns PRIVATE ${S})
# The tests below need more of src/ than a few files: they link cntrcore.
cntr_unit_test(test_target SOURCES test_target.c LIBS cntrcore)
cntr_unit_test(test_command SOURCES test_command.c LIBS cntrcore)
cntr_unit_test(test_cli SOURCES test_cli.c LIBS cntrcore)
cntr_unit_test(test_image SOURCES test_image.c LIBS cntrcore)
cntr_unit_test(test_log SOURCES test_log.c ${S}/log.c)
cntr_unit_test(test_passwd SOURCES test_passwd.c ${S}/passwd.c ${S}/util.c ${S}/log.c)
