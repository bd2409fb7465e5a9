# Canary and shadow releases (included by service.cmake): router.cc (which version answers a
# request that names none: the default or, by weight and request key, the canary) and shadow.cc
# (the bounded queue and worker that predict copies of requests with the shadow version).
list(APPEND HONE_SERVE_SOURCES router.cc shadow.cc)
list(APPEND HONE_SERVE_UNIT_TESTS router_test.cc)
list(APPEND HONE_SERVE_TESTS shadow_test.cc)
