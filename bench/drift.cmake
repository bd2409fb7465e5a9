# The drift report of `hone monitor` on 1M live rows × 20 features (README "Drift report");
# bench/drift_vs_python.sh runs it beside SciPy (bench/drift_peer.py).
if(TARGET hone_monitor)
  add_executable(hone_bench_drift drift_report_bench.cc)
  target_link_libraries(hone_bench_drift PRIVATE hone_monitor hone_core benchmark::benchmark)
endif()
