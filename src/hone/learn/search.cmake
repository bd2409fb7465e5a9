# Hyperparameter search: grid or random trials, each cross-validated.
list(APPEND HONE_LEARN_SOURCES search.cc)
list(APPEND HONE_LEARN_TESTS search_test.cc)
