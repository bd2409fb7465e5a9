// The checks XGBoost model bytes pass before XGBoost reads them.
//
// XGBoost 1.7.4 trusts the model it loads. Its UBJSON reader trusts every length in the bytes
// (see ubjson.h); RegTree::LoadModel, prediction and feature importance trust the tree arrays.
// Each of these, in an otherwise valid model, crashes a plain (unsanitized) program that loads
// the model, predicts and asks for feature importance:
//  - a parent index past the last node: SIGSEGV in RegTree::LoadModel (found by
//    hone_bundle_fuzz);
//  - a right child of a leaf past the last node: SIGSEGV in RegTree::WalkTree, under
//    XGBoosterFeatureScore (found by hone_bundle_fuzz);
//  - a child index past the last node, or a split feature past num_feature: SIGSEGV;
//  - a left child pointing back at its node: prediction never returns;
//  - a tree_info output group past the number of groups: heap corruption ("free(): invalid
//    next size");
//  - a negative category in a categorical split: std::terminate.
// The SHA-256 seals around the bytes do not help against a crafted file, since anyone can
// recompute them. So hone reads the model itself first and passes XGBoost only models whose
// every index is in range and whose trees are trees.
#ifndef HONE_LEARN_XGB_MODEL_CHECK_H_
#define HONE_LEARN_XGB_MODEL_CHECK_H_

#include <string_view>

#include "hone/core/error.h"

namespace hone::learn::xgb {

/// Checks that `bytes` are a model as Booster::Save("ubj") writes it (CheckUbjson) whose
/// content XGBoost can use safely:
///  - learner_model_param: num_feature, num_class and num_target (1) are numbers;
///  - a "gbtree" booster: one tree per tree_info entry, each entry an output group in range
///    (num_class, or 1); in each tree, every array has one entry per node, every node but the
///    root has a parent in range, the nodes reached from the root form a tree (children in
///    range, each reached once, leaves without children) whose splits name features below
///    num_feature, and categorical
///    splits list categories in [0, 2^24) within the category array;
///  - a "gblinear" booster: (num_feature + 1) × groups weights.
/// Fails with kInvalidData naming the first violation.
Result<void> CheckModelBytes(std::string_view bytes);

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_MODEL_CHECK_H_
