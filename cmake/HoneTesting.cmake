# hone_test(NAME SOURCES... LIBS ... LABELS ...): one GoogleTest binary whose tests carry labels
# (unit, integration, e2e, slow) so `ctest -L unit` runs the quick loop.
function(hone_test name)
  if(NOT HONE_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main
                                        hone_options)
  target_compile_definitions(${name} PRIVATE HONE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             HONE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # GoogleTest, GoogleMock and nlohmann/json take most of a test file's compile time.
  target_precompile_headers(${name} PRIVATE <gtest/gtest.h> <gmock/gmock.h>
                                            <nlohmann/json.hpp>)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} DISCOVERY_TIMEOUT 60
                       TEST_LIST ${name}_TESTS)
  # gtest_discover_tests flattens list-valued PROPERTIES ("LABELS integration postgres" makes
  # `postgres` a property name), so the labels are set by a script CTest includes after the
  # discovered test list.
  set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake)
  file(WRITE ${labels_file}
       "if(${name}_TESTS)\n"
       "  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${T_LABELS}\")\n"
       "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
endfunction()

# hone_fuzz_target(NAME SOURCE LIBRARY): a libFuzzer executable, with AddressSanitizer and
# UndefinedBehaviorSanitizer, for LIBRARY, which gets coverage instrumentation so that the
# fuzzer sees its branches and not only the entry point. Call it only in a clang build with
# HONE_BUILD_FUZZ (scripts/fuzz.sh configures one).
function(hone_fuzz_target name source library)
  target_compile_options(${library} PRIVATE -fsanitize=fuzzer-no-link)
  add_executable(${name} ${source})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${library} hone_options)
endfunction()
