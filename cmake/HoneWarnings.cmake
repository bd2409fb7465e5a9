# Warning and sanitizer flags shared by every hone target (see CONVENTIONS.md).
add_library(hone_options INTERFACE)
# GCC 12 warns about members left out of designated initializers, the very style that keeps
# declarative tables (trainer parameters) readable; their defaults are intended.
target_compile_options(hone_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                              -Wno-missing-field-initializers)
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
