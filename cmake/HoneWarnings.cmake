# Warning and sanitizer flags shared by every hone target (see CONVENTIONS.md).
add_library(hone_options INTERFACE)
# GCC 12 warns about members left out of designated initializers, the very style that keeps
# declarative tables (trainer parameters) readable; their defaults are intended.
target_compile_options(hone_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                              -Wno-missing-field-initializers)
# GCC 12's -Warray-bounds, -Wrestrict, -Wstringop-overflow and -Wstringop-overread report
# std::string concatenations ("a" + s + "b") as out-of-bounds or overlapping memcpy after
# inlining (GCC bugs 105329, 105651), depending on what the optimiser inlined, so a change in
# one file can break the build of another. Out-of-bounds access is caught at run time instead: the dev preset runs
# every test under AddressSanitizer.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(hone_options INTERFACE -Wno-array-bounds -Wno-restrict
                                                -Wno-stringop-overflow -Wno-stringop-overread)
endif()
if(HONE_WERROR)
  target_compile_options(hone_options INTERFACE -Werror)
endif()
if(HONE_SANITIZE)
  target_compile_options(hone_options INTERFACE -fsanitize=address,undefined
                                                -fno-sanitize-recover=undefined
                                                -fno-omit-frame-pointer)
  target_link_options(hone_options INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(hone_options INTERFACE ${PROJECT_SOURCE_DIR}/src)
