#What hone serve watches(monitoring.cc) : windows per served version, the prediction log and
#feedback(service_feedback.cc), written to the store by one thread.
list(APPEND HONE_SERVE_SOURCES monitoring.cc service_feedback.cc)
    list(APPEND HONE_SERVE_PATH_TESTS monitoring_test.cc)
