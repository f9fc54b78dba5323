# Install rules of the SDK (component ntklab_sdk), so plugins build outside this tree:
#   cmake --install BUILD --prefix P   →  P/include/ntk/sdk/*.hpp, P/lib/libntk_sdk.a,
#                                         P/lib/cmake/ntklab_sdk/ (the CMake package)
#   find_package(ntklab_sdk CONFIG REQUIRED)  + ntk_add_plugin(NAME sources...)
# The package exports the very targets this build uses (ntk_sdk, ntk_sdk_headers,
# ntk_armadillo), so an outside plugin gets the same Armadillo definitions, BLAS/LAPACK, OpenMP,
# Boost headers and C++ standard as the in-tree plugins, and the same ntk_add_plugin
# (cmake/ntklab_plugin.cmake). Private headers (sdk/src) are not installed.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The package version is the SDK version of include/ntk/sdk/version.hpp.
file(STRINGS ${PROJECT_SOURCE_DIR}/sdk/include/ntk/sdk/version.hpp ntk_sdk_version_lines
     REGEX "^#define NTK_SDK_VERSION_(MAJOR|MINOR) [0-9]+")
string(REGEX REPLACE ".*MAJOR ([0-9]+).*" "\\1" NTK_SDK_VERSION_MAJOR "${ntk_sdk_version_lines}")
string(REGEX REPLACE ".*MINOR ([0-9]+).*" "\\1" NTK_SDK_VERSION_MINOR "${ntk_sdk_version_lines}")
set(NTK_SDK_PACKAGE_VERSION ${NTK_SDK_VERSION_MAJOR}.${NTK_SDK_VERSION_MINOR})
set(NTK_SDK_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ntklab_sdk)

# The whole directory, so headers added later are installed without touching this file.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/ntk DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT ntklab_sdk FILES_MATCHING PATTERN "*.hpp")
install(TARGETS ntk_sdk ntk_sdk_headers ntk_armadillo EXPORT ntklab_sdk_targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ntklab_sdk)
install(EXPORT ntklab_sdk_targets NAMESPACE ntklab:: FILE ntklab_sdkTargets.cmake
        DESTINATION ${NTK_SDK_PACKAGE_DIR} COMPONENT ntklab_sdk)

# The compiler is part of the ABI tag the host checks (version.hpp): the package refuses another.
string(REGEX MATCH "^[0-9]+" NTK_SDK_CXX_COMPILER_MAJOR "${CMAKE_CXX_COMPILER_VERSION}")
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ntklab_sdkConfig.cmake.in
  ${CMAKE_BINARY_DIR}/ntklab_sdk/ntklab_sdkConfig.cmake
  INSTALL_DESTINATION ${NTK_SDK_PACKAGE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/ntklab_sdk/ntklab_sdkConfigVersion.cmake
  VERSION ${NTK_SDK_PACKAGE_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/ntklab_sdk/ntklab_sdkConfig.cmake
              ${CMAKE_BINARY_DIR}/ntklab_sdk/ntklab_sdkConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/ntklab_plugin.cmake
        DESTINATION ${NTK_SDK_PACKAGE_DIR} COMPONENT ntklab_sdk)
