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
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       DISCOVERY_TIMEOUT 60)
endfunction()
