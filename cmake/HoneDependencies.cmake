# Every dependency comes from a Debian 12 package installed by scripts/install-deps.sh.
find_package(Threads REQUIRED)
find_package(tl-expected REQUIRED)          # libexpected-dev
find_package(nlohmann_json 3.10 REQUIRED)   # nlohmann-json3-dev
find_package(CLI11 REQUIRED)                # libcli11-dev
find_package(FastFloat REQUIRED)            # libfast-float-dev
find_package(OpenSSL REQUIRED)              # libssl-dev
find_package(SQLite3 REQUIRED)              # libsqlite3-dev
find_package(yaml-cpp REQUIRED)             # libyaml-cpp-dev: hone.yaml
find_package(Boost 1.74 REQUIRED)           # libboost-dev: Beast and Asio (header-only), hone serve
find_package(simdjson REQUIRED)             # libsimdjson-dev: request bodies on the serving path
# libpqxx ships no CMake package, only pkg-config; its 6.4 API (Debian 12) is not 7.x's.
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)  # libpqxx-dev
# libpq itself, for PQconninfoParse (host:port/db in messages): -lpqxx does not bring it.
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)      # libpq-dev

# libxgboost-dev's CMake package references /usr/bin/xgboost from another package, so the
# library is found directly (see ../shared/PITFALLS.md).
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h REQUIRED)
find_library(XGBOOST_LIBRARY NAMES xgboost REQUIRED)
add_library(hone_xgboost INTERFACE)
target_include_directories(hone_xgboost SYSTEM INTERFACE ${XGBOOST_INCLUDE_DIR})
target_link_libraries(hone_xgboost INTERFACE ${XGBOOST_LIBRARY})

if(HONE_BUILD_TESTS)
  find_package(GTest REQUIRED)              # libgtest-dev, libgmock-dev
endif()
if(HONE_BUILD_BENCH)
  find_package(benchmark REQUIRED)          # libbenchmark-dev
endif()
