# ntk_add_plugin(NAME sources...): builds the plugin NAME as a MODULE library ntk_NAME.so.
#
# One definition for both builds, so in-tree and out-of-tree plugins cannot drift apart: the
# in-tree build includes this file from plugins/CMakeLists.txt, and the installed CMake package
# (find_package(ntklab_sdk CONFIG)) installs and includes the same file.
#
# What every plugin gets: the SDK target (headers, libntk_sdk.a, Armadillo with the project's
# definitions, OpenBLAS/LAPACK, OpenMP, Boost headers, C++20 — all carried by the SDK target),
# hidden visibility (only the two C symbols of NTK_REGISTER_PLUGIN are exported), and the file
# name ntk_NAME.so that the host's discovery looks for.
#
# Settings, read when ntk_add_plugin is called:
#   NTK_PLUGIN_SDK_TARGET   the SDK target to link (in-tree: ntk_sdk; package: ntklab::ntk_sdk)
#   NTK_PLUGIN_OUTPUT_DIR   folder of ntk_NAME.so (default: the top of the build, so that
#                           `ntklab --plugin-path BUILD_DIR` finds it)
#   NTK_PLUGIN_TEST_OBJECTS ON (in-tree only): also a static library ntk_NAME_objects of the same
#                           code, so tests can call the plugin's classes directly
include_guard(GLOBAL)

function(ntk_add_plugin name)
  if(NOT ARGN)
    message(FATAL_ERROR "ntk_add_plugin(${name}): no source files given")
  endif()
  if(NOT DEFINED NTK_PLUGIN_SDK_TARGET OR NOT TARGET ${NTK_PLUGIN_SDK_TARGET})
    message(FATAL_ERROR "ntk_add_plugin(${name}): the SDK target '${NTK_PLUGIN_SDK_TARGET}' does "
                        "not exist; outside the ntklab tree call find_package(ntklab_sdk CONFIG "
                        "REQUIRED) first")
  endif()
  set(sdk ${NTK_PLUGIN_SDK_TARGET})
  set(output_dir ${NTK_PLUGIN_OUTPUT_DIR})
  if(NOT output_dir)
    set(output_dir ${CMAKE_BINARY_DIR})
  endif()

  # Split the file holding NTK_REGISTER_PLUGIN from the rest: the rest is compiled once (an
  # OBJECT library) and shared by the module and the test library; only the registering file is
  # compiled twice, the second time with NTK_PLUGIN_NO_REGISTER (no exported entry symbols).
  set(shared_sources "")
  set(register_sources "")
  foreach(source ${ARGN})
    if(IS_ABSOLUTE ${source})
      set(source_path ${source})
    else()
      set(source_path ${CMAKE_CURRENT_SOURCE_DIR}/${source})
    endif()
    set(registers "")
    if(EXISTS ${source_path} AND source_path MATCHES "\\.(c|cc|cpp|cxx)$")
      file(STRINGS ${source_path} registers REGEX "^NTK_REGISTER_PLUGIN")
    endif()
    if(registers)
      list(APPEND register_sources ${source})
    else()
      list(APPEND shared_sources ${source})
    endif()
  endforeach()
  if(NOT register_sources)
    message(FATAL_ERROR "ntk_add_plugin(${name}): no source file starts a line with "
                        "NTK_REGISTER_PLUGIN(info, factory); the host could not load the plugin")
  endif()

  # Hidden visibility; -std=c++20 rather than gnu++20, as the SDK itself is built.
  set(hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON CXX_EXTENSIONS OFF)
  set(module_sources ${register_sources})
  if(shared_sources)
    add_library(ntk_${name}_code OBJECT ${shared_sources})
    target_link_libraries(ntk_${name}_code PUBLIC ${sdk})
    set_target_properties(ntk_${name}_code PROPERTIES ${hidden} POSITION_INDEPENDENT_CODE ON)
    list(APPEND module_sources $<TARGET_OBJECTS:ntk_${name}_code>)
  endif()

  add_library(ntk_${name} MODULE ${module_sources})
  target_link_libraries(ntk_${name} PRIVATE ${sdk})
  set_target_properties(ntk_${name} PROPERTIES ${hidden}
    LIBRARY_OUTPUT_DIRECTORY ${output_dir}
    PREFIX "" OUTPUT_NAME "ntk_${name}" SUFFIX ".so")

  if(NTK_PLUGIN_TEST_OBJECTS)
    add_library(ntk_${name}_objects STATIC ${module_sources})
    target_link_libraries(ntk_${name}_objects PUBLIC ${sdk})
    target_include_directories(ntk_${name}_objects PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(ntk_${name}_objects PRIVATE NTK_PLUGIN_NO_REGISTER)
  endif()
endfunction()
