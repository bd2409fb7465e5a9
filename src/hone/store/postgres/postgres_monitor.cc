// PostgresMetaStore's monitoring half: leases, the windows servers flush, and the bounded log
// of predictions with their labels. None of it touches the registry or the audit chain, so
// none of it takes the store lock: leases rely on the row lock of INSERT … ON CONFLICT, and
// windows and predictions are independent appends.
#include <algorithm>
#include <string>
#include <vector>

#include "hone/store/monitor_fields.h"
#include "hone/store/postgres/connection.h"
#include "hone/store/postgres/postgres_meta_store.h"
#include "hone/store/postgres/queries.h"

namespace hone::store::postgres {
namespace {

// Takes the lease when it is free (the INSERT), expired or the holder's own (the UPDATE);
// returns nothing when another holder keeps it. Under READ COMMITTED, ON CONFLICT locks the
// row and checks the WHERE against its newest version, so of racing takers exactly one wins.
constexpr Statement kTakeLease{
    "take_lease",
    "INSERT INTO leases (name, holder, expires_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO "
    "UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms WHERE "
    "leases.expires_ms <= $4 OR leases.holder = excluded.holder RETURNING holder, expires_ms"};
constexpr Statement kLease{"lease", "SELECT holder, expires_ms FROM leases WHERE name = $1"};
constexpr Statement kReleaseLease{"release_lease",
                                  "DELETE FROM leases WHERE name = $1 AND holder = $2"};

#define HONE_WINDOW_COLUMNS \
  "model, version, start_ms, end_ms, server, requests, errors, row_count, summary"
#define HONE_WINDOWS_WHERE                                                                      \
  " FROM monitor_windows WHERE model = $1 AND ($2::bigint IS NULL OR version = $2) AND end_ms " \
  ">= $3 AND start_ms <= $4"
#define HONE_PREDICTION_COLUMNS "request_id, model, version, ts_ms, inputs, output, label, label_ms"
#define HONE_PREDICTIONS_WHERE                                                                   \
  " FROM predictions WHERE model = $1 AND ($2::bigint IS NULL OR version = $2) AND ts_ms >= $3 " \
  "AND ts_ms <= $4"

constexpr Statement kPruneWindows{"prune_windows",
                                  "DELETE FROM monitor_windows WHERE model = $1 AND end_ms < $2"};

// WITH ORDINALITY … ORDER BY: ids follow the order of the batch.
constexpr Statement kInsertWindows{
    "insert_windows",
    "INSERT INTO monitor_windows (" HONE_WINDOW_COLUMNS
    ") SELECT m, v, s, e, sv, rq, er, rc, su FROM unnest($1::text[], $2::bigint[], "
    "$3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], "
    "$9::text[]) WITH ORDINALITY AS w (m, v, s, e, sv, rq, er, rc, su, n) ORDER BY n"};
constexpr Statement kWindows{
    "windows", "SELECT " HONE_WINDOW_COLUMNS HONE_WINDOWS_WHERE " ORDER BY end_ms, id"};
constexpr Statement kNewestWindows{"newest_windows",
                                   "SELECT " HONE_WINDOW_COLUMNS HONE_WINDOWS_WHERE
                                   " ORDER BY end_ms DESC, id DESC LIMIT $5"};

// A request id logged again replaces its row, label and all, and takes a new id (the newest).
constexpr Statement kInsertPredictions{
    "insert_predictions",
    "INSERT INTO predictions (model, request_id, version, ts_ms, inputs, output) SELECT m, r, "
    "v, t, i, o FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], "
    "$6::text[]) WITH ORDINALITY AS p (m, r, v, t, i, o, n) ORDER BY n ON CONFLICT (model, "
    "request_id) DO UPDATE SET id = excluded.id, version = excluded.version, ts_ms = "
    "excluded.ts_ms, inputs = excluded.inputs, output = excluded.output, label = NULL, "
    "label_ms = NULL"};
// Everything older than the model's $2+1-th newest record goes.
constexpr Statement kTrimPredictions{
    "trim_predictions",
    "DELETE FROM predictions WHERE model = $1 AND (ts_ms, id) < (SELECT ts_ms, id FROM "
    "predictions WHERE model = $1 ORDER BY ts_ms DESC, id DESC LIMIT 1 OFFSET $2)"};
constexpr Statement kLabelPredictions{
    "label_predictions",
    "UPDATE predictions AS p SET label = f.label, label_ms = f.ts FROM unnest($2::text[], "
    "$3::text[], $4::bigint[]) AS f (request_id, label, ts) WHERE p.model = $1 AND "
    "p.request_id = f.request_id RETURNING p.request_id"};
constexpr Statement kLabelled{"labelled", "SELECT " HONE_PREDICTION_COLUMNS HONE_PREDICTIONS_WHERE
                                          " AND label IS NOT NULL ORDER BY ts_ms, id"};
constexpr Statement kNewestLabelled{"newest_labelled",
                                    "SELECT " HONE_PREDICTION_COLUMNS HONE_PREDICTIONS_WHERE
                                    " AND label IS NOT NULL ORDER BY ts_ms DESC, id DESC LIMIT $5"};
constexpr Statement kCountPredictions{"count_predictions",
                                      "SELECT count(*), count(label)" HONE_PREDICTIONS_WHERE};

#undef HONE_WINDOW_COLUMNS
#undef HONE_WINDOWS_WHERE
#undef HONE_PREDICTION_COLUMNS
#undef HONE_PREDICTIONS_WHERE

MonitorWindow ReadWindow(const pqxx::row& row) {
  return MonitorWindow{Text(row[0]),
                       Int(row[1]),
                       Int(row[2]),
                       Int(row[3]),
                       Text(row[4]),
                       static_cast<uint64_t>(Int(row[5])),
                       static_cast<uint64_t>(Int(row[6])),
                       static_cast<uint64_t>(Int(row[7])),
                       Text(row[8])};
}

LabelledPrediction ReadLabelled(const pqxx::row& row) {
  return LabelledPrediction{PredictionRecord{Text(row[0]), Text(row[1]), Int(row[2]), Int(row[3]),
                                             Text(row[4]), Text(row[5])},
                            Text(row[6]), Int(row[7])};
}

}  // namespace

// --- leases ---

Result<Lease> PostgresMetaStore::AcquireLease(std::string_view name, std::string_view holder,
                                              std::chrono::milliseconds ttl) {
  HONE_TRY(CheckLease(name, holder, ttl));
  const std::string lease_name(name);
  return conn_->Write([&](pqxx::work& tx) -> Result<Lease> {
    const TimeMs now = NowMs();
    pqxx::result taken =
        Exec(tx, kTakeLease, lease_name, std::string(holder), LeaseExpiry(now, ttl), now);
    // Not taken: the row is locked by this transaction now, so it reads as it stays.
    if (taken.empty()) taken = Exec(tx, kLease, lease_name);
    if (taken.empty()) {
      return Fail(ErrorCode::kInternal, "lease '" + lease_name + "' vanished while taken");
    }
    return Lease{lease_name, Text(taken[0][0]), Int(taken[0][1])};
  });
}

Result<void> PostgresMetaStore::ReleaseLease(std::string_view name, std::string_view holder) {
  HONE_TRY(CheckPrintable("lease name", name, 256));
  HONE_TRY(CheckPrintable("lease holder", holder, 256));
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    Exec(tx, kReleaseLease, std::string(name), std::string(holder));
    return {};
  });
}

// --- monitoring windows ---

Result<void> PostgresMetaStore::AppendMonitorWindows(std::span<const MonitorWindow> windows) {
  HONE_TRY(CheckMonitorWindows(windows));
  if (windows.empty()) return {};
  std::vector<std::string> models, servers, summaries;
  std::vector<int64_t> versions, starts, ends, requests, errors, rows;
  for (const MonitorWindow& w : windows) {
    models.push_back(w.model);
    versions.push_back(w.version);
    starts.push_back(w.start_ms);
    ends.push_back(w.end_ms);
    servers.push_back(w.server);
    requests.push_back(static_cast<int64_t>(w.requests));
    errors.push_back(static_cast<int64_t>(w.errors));
    rows.push_back(static_cast<int64_t>(w.rows));
    summaries.push_back(w.summary);
  }
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    Exec(tx, kInsertWindows, TextArray(models), IntArray(versions), IntArray(starts),
         IntArray(ends), TextArray(servers), IntArray(requests), IntArray(errors), IntArray(rows),
         TextArray(summaries));
    return {};
  });
}

Result<std::vector<MonitorWindow>> PostgresMetaStore::ListMonitorWindows(const WindowQuery& query) {
  HONE_TRY(CheckWindowQuery(query));
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<MonitorWindow>> {
    std::vector<MonitorWindow> windows;
    // The newest `limit` are read newest first (the index read backwards) and turned around.
    const pqxx::result rows =
        query.limit
            ? Exec(tx, kNewestWindows, query.model, query.version, query.since_ms, query.until_ms,
                   SqlCount(query.limit))
            : Exec(tx, kWindows, query.model, query.version, query.since_ms, query.until_ms);
    for (const pqxx::row& row : rows) windows.push_back(ReadWindow(row));
    if (query.limit) std::reverse(windows.begin(), windows.end());
    return windows;
  });
}

Result<uint64_t> PostgresMetaStore::PruneMonitorWindows(std::string_view model, TimeMs before_ms) {
  HONE_TRY(CheckName("model", model));
  return conn_->Write([&](pqxx::work& tx) -> Result<uint64_t> {
    const pqxx::result deleted = Exec(tx, kPruneWindows, std::string(model), before_ms);
    return static_cast<uint64_t>(deleted.affected_rows());
  });
}

// --- predictions and feedback ---

Result<void> PostgresMetaStore::LogPredictions(std::span<const PredictionRecord> records,
                                               size_t keep_per_model) {
  HONE_ASSIGN_OR_RETURN(std::vector<PredictionRecord> kept,
                        PreparePredictions(records, keep_per_model, NowMs()));
  if (kept.empty()) return {};
  std::vector<std::string> models, ids, inputs, outputs;
  std::vector<int64_t> versions, times;
  for (const PredictionRecord& r : kept) {
    models.push_back(r.model);
    ids.push_back(r.request_id);
    versions.push_back(r.version);
    times.push_back(r.ts_ms);
    inputs.push_back(r.inputs);
    outputs.push_back(r.output);
  }
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    Exec(tx, kInsertPredictions, TextArray(models), TextArray(ids), IntArray(versions),
         IntArray(times), TextArray(inputs), TextArray(outputs));
    for (const std::string& model : ModelsOf(kept)) {
      Exec(tx, kTrimPredictions, model, SqlCount(keep_per_model - 1));
    }
    return {};
  });
}

Result<FeedbackResult> PostgresMetaStore::RecordFeedback(std::string_view model,
                                                         std::span<const Feedback> feedback) {
  HONE_ASSIGN_OR_RETURN(std::vector<Feedback> kept, PrepareFeedback(model, feedback, NowMs()));
  std::set<std::string, std::less<>> matched;
  if (!kept.empty()) {
    std::vector<std::string> ids, labels;
    std::vector<int64_t> times;
    for (const Feedback& f : kept) {
      ids.push_back(f.request_id);
      labels.push_back(f.label);
      times.push_back(f.ts_ms);
    }
    HONE_TRY(conn_->Write([&](pqxx::work& tx) -> Result<void> {
      for (const pqxx::row& row : Exec(tx, kLabelPredictions, std::string(model), TextArray(ids),
                                       TextArray(labels), IntArray(times))) {
        matched.insert(Text(row[0]));
      }
      return {};
    }));
  }
  return TallyFeedback(feedback, matched);
}

Result<std::vector<LabelledPrediction>> PostgresMetaStore::ListLabelledPredictions(
    const WindowQuery& query) {
  HONE_TRY(CheckWindowQuery(query));
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<LabelledPrediction>> {
    std::vector<LabelledPrediction> labelled;
    const pqxx::result rows =
        query.limit
            ? Exec(tx, kNewestLabelled, query.model, query.version, query.since_ms, query.until_ms,
                   SqlCount(query.limit))
            : Exec(tx, kLabelled, query.model, query.version, query.since_ms, query.until_ms);
    for (const pqxx::row& row : rows) labelled.push_back(ReadLabelled(row));
    if (query.limit) std::reverse(labelled.begin(), labelled.end());
    return labelled;
  });
}

Result<std::pair<uint64_t, uint64_t>> PostgresMetaStore::CountPredictions(
    const WindowQuery& query) {
  HONE_TRY(CheckWindowQuery(query));
  return conn_->Read([&](ReadTx& tx) -> Result<std::pair<uint64_t, uint64_t>> {
    const pqxx::row counts =
        Exec(tx, kCountPredictions, query.model, query.version, query.since_ms, query.until_ms)[0];
    return std::pair<uint64_t, uint64_t>(static_cast<uint64_t>(Int(counts[0])),
                                         static_cast<uint64_t>(Int(counts[1])));
  });
}

}  // namespace hone::store::postgres
