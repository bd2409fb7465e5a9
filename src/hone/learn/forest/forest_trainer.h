// The `random_forest` trainer: hone's own histogram-based CART forest.
#ifndef HONE_LEARN_FOREST_FOREST_TRAINER_H_
#define HONE_LEARN_FOREST_FOREST_TRAINER_H_

#include "hone/learn/model.h"

namespace hone::learn {

const Trainer& RandomForestTrainer();

}  // namespace hone::learn

#endif  // HONE_LEARN_FOREST_FOREST_TRAINER_H_
