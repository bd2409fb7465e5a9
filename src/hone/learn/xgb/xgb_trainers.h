// The XGBoost-backed trainers: gradient-boosted trees and linear models (XGBoost's gblinear).
#ifndef HONE_LEARN_XGB_XGB_TRAINERS_H_
#define HONE_LEARN_XGB_XGB_TRAINERS_H_

#include "hone/learn/model.h"

namespace hone::learn {

/// "gbdt": gradient-boosted trees (XGBoost hist, native categorical splits).
const Trainer& GbdtTrainer();
/// "linear": ridge / logistic / softmax regression on standardised, one-hot encoded features.
const Trainer& LinearTrainer();

}  // namespace hone::learn

#endif  // HONE_LEARN_XGB_XGB_TRAINERS_H_
