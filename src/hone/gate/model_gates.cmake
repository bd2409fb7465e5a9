# Model gates (absolute thresholds, paired-bootstrap comparisons with the champion) and the CI
# reports of a run (JUnit XML, Markdown, SVG). bootstrap.cc holds the statistics of the
# comparisons (the paired bootstrap, McNemar's exact test).
list(APPEND HONE_GATE_SOURCES bootstrap.cc model_gates.cc report.cc)
list(APPEND HONE_GATE_TESTS model_gates_test.cc report_test.cc)
