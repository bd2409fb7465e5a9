# Stage 1: data sources (a file, a glob, an SQL query) become snapshots.
list(APPEND HONE_PIPELINE_SOURCES source.cc source_pii.cc)
list(APPEND HONE_PIPELINE_TESTS source_test.cc)
