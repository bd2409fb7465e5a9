// The subset of MLflow's search grammar that clients use, for runs:
//   metrics.acc > 0.5 AND params.lr = '0.1' AND tags.`team name` != 'x'
//   AND attributes.status = 'FINISHED' AND run_name LIKE 'base%'
// and order_by terms such as "metrics.acc DESC" or "attributes.start_time".
#ifndef HONE_SERVER_MLFLOW_SEARCH_H_
#define HONE_SERVER_MLFLOW_SEARCH_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/store/meta_store.h"

namespace hone::server::mlflow {

/// A run with its MLflow details, as search sees it (metrics: the latest value of each key).
struct RunRow {
  store::Run run;
  store::MlflowRunInfo info;
};

/// The tags hone adds to a run's own from its run record, which MLflow's clients and hone's
/// dashboard read: `mlflow.runName` (the run's name, over a tag of that name),
/// `mlflow.source.git.commit` (the code commit), `hone.data_digest` and `hone.code_dirty`
/// ("true" or "false"); the last three only where the run record has them and the run's own
/// tags do not set them. Search filters and sorts on them as on any tag.
std::optional<std::string> DerivedTag(const store::Run& run, const store::MlflowRunInfo& info,
                                      std::string_view key);
/// The run's tags and its derived tags (above), as runs/get and runs/search answer them.
std::map<std::string, std::string> MlflowTags(const store::Run& run,
                                              const store::MlflowRunInfo& info);

/// One comparison: `kind` is metrics, params, tags or attributes.
struct Clause {
  std::string kind;
  std::string key;
  std::string op;                   // = != > >= < <= LIKE ILIKE IN
  std::vector<std::string> values;  // one, or IN's list
  bool numeric = false;
  double number = 0;
};

/// The AND-joined comparisons of `filter`; kInvalidArgument naming the token that is wrong.
Result<std::vector<Clause>> ParseRunFilter(std::string_view filter);
bool Matches(const RunRow& row, const std::vector<Clause>& clauses);

struct OrderTerm {
  std::string kind;  // metrics, params, tags or attributes
  std::string key;
  bool ascending = true;
};
Result<OrderTerm> ParseOrderBy(std::string_view term);
/// Sorts by `terms`, then start_time descending, then run id (MLflow's default order); a run
/// without the metric, param or tag sorts last.
void SortRuns(std::vector<RunRow>& rows, const std::vector<OrderTerm>& terms);

/// MLflow's LIKE: '%' any run, '_' one character; `fold` for ILIKE.
bool Like(std::string_view text, std::string_view pattern, bool fold);

}  // namespace hone::server::mlflow

#endif  // HONE_SERVER_MLFLOW_SEARCH_H_
