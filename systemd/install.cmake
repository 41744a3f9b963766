# Installation layout and the Debian package (included by CMakeLists.txt after GNUInstallDirs).
#
#   cmake --install build --prefix /usr              # DESTDIR=... is honoured
#   cd build && cpack -G DEB                         # boomi-sched_<version>_<arch>.deb
#
# Paths under the prefix follow it (bin, lib/systemd/system, lib/sysusers.d, share/...);
# /etc/boomi-sched stays absolute, as Debian and systemd expect. The unit is generated at
# install time so its ExecStart names the binary where this install puts it (the prefix given
# to `cmake --install` or CPack's /usr may differ from the configure-time one).

set(BSCHED_SYSCONFDIR "/etc/boomi-sched" CACHE PATH "Configuration directory (absolute)")
set(BSCHED_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "systemd unit directory, relative to the prefix unless absolute")
set(BSCHED_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
    "sysusers.d directory, relative to the prefix unless absolute")

set(_bsched_example ${PROJECT_SOURCE_DIR}/config/examples/boomi-sched.yaml)
set(_bsched_schema ${PROJECT_SOURCE_DIR}/config/boomi-sched.schema.json)
set(_bsched_man ${PROJECT_SOURCE_DIR}/docs/boomi-sched.1)
set(_bsched_unit_in ${PROJECT_SOURCE_DIR}/systemd/boomi-sched.service.in)
set(_bsched_unit_out ${PROJECT_BINARY_DIR}/systemd/boomi-sched.service)

# --- the program and its documentation -------------------------------------------------------
install(TARGETS boomi-sched RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${_bsched_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/boomi-sched.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME boomi-sched)
install(FILES ${_bsched_schema} DESTINATION ${CMAKE_INSTALL_DATADIR}/boomi-sched)
install(FILES ${_bsched_example} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# Example job files: documentation only, never into /etc/boomi-sched/jobs.d (they would run).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/examples/jobs.d
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples FILES_MATCHING PATTERN "*.yaml")
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The pages operations.md links to, when present.
install(FILES ${PROJECT_SOURCE_DIR}/docs/configuration.md ${PROJECT_SOURCE_DIR}/docs/daemon.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)

# --- systemd: the unit (generated for the install-time prefix) and the service user ----------
install(CODE "
  set(BSCHED_UNIT_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  if(NOT IS_ABSOLUTE \"\${BSCHED_UNIT_BINDIR}\")
    set(BSCHED_UNIT_BINDIR \"\${CMAKE_INSTALL_PREFIX}/\${BSCHED_UNIT_BINDIR}\")
  endif()
  set(BSCHED_UNIT_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  if(NOT IS_ABSOLUTE \"\${BSCHED_UNIT_DOCDIR}\")
    set(BSCHED_UNIT_DOCDIR \"\${CMAKE_INSTALL_PREFIX}/\${BSCHED_UNIT_DOCDIR}\")
  endif()
  configure_file(\"${_bsched_unit_in}\" \"${_bsched_unit_out}\" @ONLY)
")
install(FILES ${_bsched_unit_out} DESTINATION ${BSCHED_SYSTEMD_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/systemd/boomi-sched.sysusers.conf
        DESTINATION ${BSCHED_SYSUSERSDIR} RENAME boomi-sched.conf)

# --- /etc/boomi-sched: example config (never overwritten), jobs.d, credentials ----------------
# file(INSTALL) prefixes DESTDIR itself and records the file in install_manifest.txt.
install(CODE "
  if(EXISTS \"\$ENV{DESTDIR}${BSCHED_SYSCONFDIR}/boomi-sched.yaml\")
    message(STATUS \"Keeping existing: \$ENV{DESTDIR}${BSCHED_SYSCONFDIR}/boomi-sched.yaml\")
  else()
    file(INSTALL DESTINATION \"${BSCHED_SYSCONFDIR}\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES \"${_bsched_example}\")
  endif()
")
install(DIRECTORY DESTINATION ${BSCHED_SYSCONFDIR}/jobs.d)
# Holds the API token file read by LoadCredential=; root only.
install(DIRECTORY DESTINATION ${BSCHED_SYSCONFDIR}/credentials
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

# --- Debian package ---------------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "boomi-sched")
set(CPACK_PACKAGE_VENDOR "boomi-sched developers")
set(CPACK_PACKAGE_CONTACT "boomi-sched maintainers <boomi-sched@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Scheduler daemon for the Boomi Enterprise Platform")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "boomi-sched fires Boomi ExecutionRequests on cron-like schedules described in YAML,\n"
    "tracks every run to its terminal status in a local SQLite database, and runs as a\n"
    "hardened systemd service.")
# Stage with DESTDIR so the absolute /etc paths land inside the package, not on this host;
# with DESTDIR staging CPack installs under CPACK_INSTALL_PREFIX.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
# Library dependencies come from dpkg-shlibdeps (package dpkg-dev); tzdata is read at run time.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd, sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/systemd/debian/conffiles
    ${PROJECT_SOURCE_DIR}/systemd/debian/postinst
    ${PROJECT_SOURCE_DIR}/systemd/debian/prerm
    ${PROJECT_SOURCE_DIR}/systemd/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
