# The controller of `hone watch` (controller.cc) and what it observes in the store (observe.cc).
list(APPEND HONE_LOOP_SOURCES controller.cc observe.cc)
list(APPEND HONE_LOOP_TESTS controller_test.cc)
list(APPEND HONE_LOOP_LIBS hone_pipeline hone_registry hone_monitor hone_store)
