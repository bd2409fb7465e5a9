# The model lifecycle of hone serve, after TensorFlow Serving's Source → Loader → Manager:
# model_manager.cc (the load thread and the routing table requests read without locks),
# registry_loader.cc (a registered version's bundle, verified, decoded and warmed up) and
# registry_source.cc (the served aliases, followed through the store's alias change counter).
list(APPEND HONE_SERVE_SOURCES model_manager.cc registry_loader.cc registry_source.cc)
list(APPEND HONE_SERVE_TESTS model_manager_test.cc registry_source_test.cc)
