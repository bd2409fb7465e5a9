# Drift statistics as SciPy computes them: drift_stats.cc (chi-square, PSI, Jensen-Shannon,
# Wasserstein, Holm), drift_stats_ks.cc (the two-sample KS test and its exact p-value) and
# drift_stats_kolmogorov.cc (kstwo.sf, the asymptotic p-value). The exact KS p-value repeats
# SciPy's floating-point operations bit for bit, so no multiply-add may be fused there.
list(APPEND HONE_MONITOR_SOURCES drift_stats.cc drift_stats_ks.cc drift_stats_kolmogorov.cc)
list(APPEND HONE_MONITOR_TESTS drift_stats_test.cc)
set_source_files_properties(drift_stats_ks.cc PROPERTIES COMPILE_OPTIONS -ffp-contract=off)
