# DPDK from Debian's libdpdk-dev. Its pkg-config cflags carry -march=corei7 and
# -include rte_config.h; we keep our own -march and include DPDK as system
# headers so its C-isms do not warn under C++20.
find_package(PkgConfig REQUIRED)
pkg_check_modules(DPDK REQUIRED libdpdk)
set(_dpdk_defs "")
foreach(flag ${DPDK_CFLAGS_OTHER})
  if(NOT flag MATCHES "^-march" AND NOT flag MATCHES "^-mno-" AND NOT flag STREQUAL "-include"
     AND NOT flag STREQUAL "rte_config.h")
    list(APPEND _dpdk_defs ${flag})
  endif()
endforeach()
add_library(dpdk INTERFACE)
target_include_directories(dpdk SYSTEM INTERFACE ${DPDK_INCLUDE_DIRS})
target_compile_options(dpdk INTERFACE ${_dpdk_defs} -include rte_config.h)
# rte_vdev_init lives in the vdev bus driver, which pkg-config does not list.
target_link_libraries(dpdk INTERFACE ${DPDK_LINK_LIBRARIES} rte_bus_vdev)
