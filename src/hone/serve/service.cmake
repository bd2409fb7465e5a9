# The endpoints of hone serve over the model manager (service*.cc), and the tests that run the
# whole serving path: endpoints over real models, and the hot swap under load on a real store.
list(APPEND HONE_SERVE_SOURCES service.cc service_metrics.cc service_models.cc)
set(HONE_SERVE_PATH_TESTS service_test.cc hot_swap_test.cc)
include(router.cmake)
