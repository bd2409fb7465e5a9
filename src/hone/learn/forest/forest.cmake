# hone's random forest.
list(APPEND HONE_LEARN_SOURCES
  forest/binning.cc
  forest/forest_model.cc
  forest/forest_trainer.cc
  forest/grow_node.cc
  forest/tree_builder.cc
)
list(APPEND HONE_LEARN_TESTS
  forest/binning_test.cc
  forest/forest_test.cc
)
