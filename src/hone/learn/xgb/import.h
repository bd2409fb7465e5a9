// Models trained outside hone (by a team's own Python or R code) in XGBoost's formats, made
// into hone models that the registry keeps and hone serves.
//
// XGBoost never parses the user's bytes: hone reads them into a document itself (JSON text with
// ReadXgboostJson, UBJSON only once CheckUbjson has passed it), checks and normalises that
// document, writes it as UBJSON in XGBoost's own layout and passes it through CheckModelBytes;
// only then does XGBoost load it (GbdtModel::Create, which checks it once more).
#ifndef HONE_LEARN_XGB_IMPORT_H_
#define HONE_LEARN_XGB_IMPORT_H_

#include <memory>
#include <string_view>

#include "hone/core/error.h"
#include "hone/learn/features.h"
#include "hone/learn/model.h"
#include "hone/learn/target.h"

namespace hone::learn::xgb {

/// Reads an XGBoost model saved by `Booster.save_model` as JSON (`model.json`) or UBJSON
/// (`model.ubj`), told apart by the first bytes ("{L" or "{}" is UBJSON; JSON text starts with
/// '{' after any white space; anything else, XGBoost's old binary format included, is refused),
/// and makes it a "gbdt" model for `schema` and `target`. The model's features are `schema`'s,
/// in order (numbers as they are; a categorical feature as its index in the schema's sorted
/// categories, as pandas' `astype("category")` codes them).
///
/// The model is converted where hone serves it differently but predicts alike:
///  - a "dart" booster is folded into the "gbtree" it predicts like outside training: each
///    tree's leaf values multiplied by its weight_drop, in float32 as XGBoost does;
///  - multi:softmax becomes multi:softprob (the same trees; hone serves the probabilities
///    whose largest softmax would name), and the regression objectives that predict the trees'
///    raw sum (reg:squarederror, reg:linear, reg:squaredlogerror, reg:pseudohubererror,
///    reg:absoluteerror) become reg:squarederror;
///  - feature names are dropped and feature types set as hone's trained models have them ("c"
///    for a feature any tree splits by category or the model types "c", else "q").
///
/// Refused, with kInvalidData naming `source` and the mismatch:
///  - bytes that do not read (see ReadXgboostJson and CheckUbjson) or fail CheckModelBytes;
///  - a booster other than gbtree or dart (gblinear), or a dart booster whose weight_drop does
///    not hold one number per tree;
///  - num_feature other than schema.size();
///  - feature names, when the model has them, other than the schema's (the first difference is
///    named); feature types other than q, float, int, i, c; a feature split by category, or
///    typed "c", that is numeric in the schema; a categorical split on a category index the
///    schema's feature does not have;
///  - an objective that does not fit the task: for regression, any but the raw-sum ones above
///    (one with a link function, such as reg:logistic, reg:gamma, reg:tweedie or count:poisson,
///    is not served); for two classes, any but binary:logistic; for more, any but
///    multi:softprob / multi:softmax, or a num_class other than the target's number of classes;
///  - an early-stopped model that still holds the rounds after its best one (the attribute
///    best_iteration names a round before the last): Booster.predict uses every round, a
///    scikit-learn model only those up to the best, so hone would serve it unlike one of the
///    ways it was judged; the error asks for the model saved up to its best round.
Result<std::unique_ptr<Model>> ImportXgboostModel(std::string_view bytes, std::string_view source,
                                                  const FeatureSchema& schema,
                                                  const TargetInfo& target);

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_IMPORT_H_
