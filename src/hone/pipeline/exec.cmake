# Executors: where the stages of a run execute. exec/ holds the clients of the engines
# (Slurm's tools behind a command-runner seam) and what runs a search's trials there.
list(APPEND HONE_PIPELINE_SOURCES exec/command_runner.cc exec/slurm.cc exec/slurm_search.cc)
list(APPEND HONE_PIPELINE_TESTS exec/slurm_test.cc exec/slurm_search_test.cc)
# Against a real cluster (scripts/slurm.sh): its own binary, label slurm.
list(APPEND HONE_PIPELINE_SLURM_TESTS exec/slurm_cluster_test.cc)
