// SqliteMetaStore's monitoring half: leases, the windows servers flush, and the bounded log of
// predictions with their labels. Each write is one BEGIN IMMEDIATE transaction.
#include <algorithm>
#include <limits>

#include "hone/store/monitor_fields.h"
#include "hone/store/sqlite/sqlite_meta_store.h"

namespace hone::store::sqlite {
namespace {

int64_t SqlLimit(size_t limit) {
  return static_cast<int64_t>(
      std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<int64_t>::max())));
}

/// Binds a WindowQuery's model, version and time range to ?1..?4.
void BindQuery(Statement& s, const WindowQuery& q) {
  s.Bind(1, q.model).Bind(2, q.version).Bind(3, q.since_ms).Bind(4, q.until_ms);
}

#define HONE_WINDOW_COLUMNS \
  "model, version, start_ms, end_ms, server, requests, errors, row_count, summary"
#define HONE_WINDOWS_WHERE                                                                        \
  " FROM monitor_windows WHERE model = ?1 AND (?2 IS NULL OR version = ?2) AND end_ms >= ?3 AND " \
  "start_ms <= ?4"
#define HONE_PREDICTION_COLUMNS "request_id, model, version, ts_ms, inputs, output, label, label_ms"
#define HONE_PREDICTIONS_WHERE                                                               \
  " FROM predictions WHERE model = ?1 AND (?2 IS NULL OR version = ?2) AND ts_ms >= ?3 AND " \
  "ts_ms <= ?4"

MonitorWindow ReadWindow(const Statement& s) {
  return MonitorWindow{s.Text(0),
                       s.Int(1),
                       s.Int(2),
                       s.Int(3),
                       s.Text(4),
                       static_cast<uint64_t>(s.Int(5)),
                       static_cast<uint64_t>(s.Int(6)),
                       static_cast<uint64_t>(s.Int(7)),
                       s.Text(8)};
}

LabelledPrediction ReadLabelled(const Statement& s) {
  return LabelledPrediction{
      PredictionRecord{s.Text(0), s.Text(1), s.Int(2), s.Int(3), s.Text(4), s.Text(5)}, s.Text(6),
      s.Int(7)};
}

}  // namespace

// --- leases ---

Result<Lease> SqliteMetaStore::AcquireLease(std::string_view name, std::string_view holder,
                                            std::chrono::milliseconds ttl) {
  HONE_TRY(CheckLease(name, holder, ttl));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  const TimeMs now = NowMs();
  std::optional<Lease> held;
  {
    HONE_ASSIGN_OR_RETURN(auto s,
                          db_.Cached("SELECT holder, expires_ms FROM leases WHERE name = ?"));
    HONE_ASSIGN_OR_RETURN(bool found, s->Bind(1, name).Step());
    if (found && s->Text(0) != holder && s->Int(1) > now) {
      held = Lease{std::string(name), s->Text(0), s->Int(1)};
    }
  }
  if (held) {  // by another holder, until later: nothing changes
    HONE_TRY(tx.Commit());
    return std::move(*held);
  }
  Lease lease{std::string(name), std::string(holder), LeaseExpiry(now, ttl)};
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT OR REPLACE INTO leases (name, holder, "
                                           "expires_ms) VALUES (?, ?, ?)"));
  HONE_TRY(s->Bind(1, lease.name).Bind(2, lease.holder).Bind(3, lease.expires_ms).Run());
  HONE_TRY(tx.Commit());
  return lease;
}

Result<void> SqliteMetaStore::ReleaseLease(std::string_view name, std::string_view holder) {
  HONE_TRY(CheckPrintable("lease name", name, 256));
  HONE_TRY(CheckPrintable("lease holder", holder, 256));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("DELETE FROM leases WHERE name = ? AND holder = ?"));
  return s->Bind(1, name).Bind(2, holder).Run();
}

// --- monitoring windows ---

Result<void> SqliteMetaStore::AppendMonitorWindows(std::span<const MonitorWindow> windows) {
  HONE_TRY(CheckMonitorWindows(windows));
  if (windows.empty()) return {};
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT INTO monitor_windows (" HONE_WINDOW_COLUMNS
                                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const MonitorWindow& w : windows) {
      s->Bind(1, w.model).Bind(2, w.version).Bind(3, w.start_ms).Bind(4, w.end_ms);
      s->Bind(5, w.server).Bind(6, static_cast<int64_t>(w.requests));
      s->Bind(7, static_cast<int64_t>(w.errors)).Bind(8, static_cast<int64_t>(w.rows));
      HONE_TRY(s->Bind(9, w.summary).Run());
    }
  }
  return tx.Commit();
}

Result<std::vector<MonitorWindow>> SqliteMetaStore::ListMonitorWindows(const WindowQuery& query) {
  HONE_TRY(CheckWindowQuery(query));
  // The newest `limit` are read newest first (the index read backwards) and turned around.
  HONE_ASSIGN_OR_RETURN(auto s,
                        db_.Cached(query.limit ? "SELECT " HONE_WINDOW_COLUMNS HONE_WINDOWS_WHERE
                                                 " ORDER BY end_ms DESC, id DESC LIMIT ?5"
                                               : "SELECT " HONE_WINDOW_COLUMNS HONE_WINDOWS_WHERE
                                                 " ORDER BY end_ms, id"));
  BindQuery(*s, query);
  if (query.limit) s->Bind(5, SqlLimit(query.limit));
  std::vector<MonitorWindow> windows;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    windows.push_back(ReadWindow(*s));
  }
  if (query.limit) std::reverse(windows.begin(), windows.end());
  return windows;
}

Result<uint64_t> SqliteMetaStore::PruneMonitorWindows(std::string_view model, TimeMs before_ms) {
  HONE_TRY(CheckName("model", model));
  HONE_ASSIGN_OR_RETURN(auto s,
                        db_.Cached("DELETE FROM monitor_windows WHERE model = ?1 AND end_ms < ?2"));
  HONE_TRY(s->Bind(1, model).Bind(2, before_ms).Run());
  return static_cast<uint64_t>(db_.Changes());
}

// --- predictions and feedback ---

Result<void> SqliteMetaStore::LogPredictions(std::span<const PredictionRecord> records,
                                             size_t keep_per_model) {
  HONE_ASSIGN_OR_RETURN(std::vector<PredictionRecord> kept,
                        PreparePredictions(records, keep_per_model, NowMs()));
  if (kept.empty()) return {};
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  {
    // REPLACE deletes the row the id had and inserts a new one: the newest, without a label.
    HONE_ASSIGN_OR_RETURN(
        auto s, db_.Cached("INSERT OR REPLACE INTO predictions (model, request_id, version, "
                           "ts_ms, inputs, output) VALUES (?, ?, ?, ?, ?, ?)"));
    for (const PredictionRecord& r : kept) {
      s->Bind(1, r.model).Bind(2, r.request_id).Bind(3, r.version).Bind(4, r.ts_ms);
      HONE_TRY(s->Bind(5, r.inputs).Bind(6, r.output).Run());
    }
  }
  {
    // Everything older than the model's keep_per_model-th newest record goes.
    HONE_ASSIGN_OR_RETURN(
        auto s, db_.Cached("DELETE FROM predictions WHERE model = ?1 AND (ts_ms, id) < (SELECT "
                           "ts_ms, id FROM predictions WHERE model = ?1 ORDER BY ts_ms DESC, "
                           "id DESC LIMIT 1 OFFSET ?2)"));
    for (const std::string& model : ModelsOf(kept)) {
      HONE_TRY(s->Bind(1, model).Bind(2, SqlLimit(keep_per_model - 1)).Run());
    }
  }
  return tx.Commit();
}

Result<FeedbackResult> SqliteMetaStore::RecordFeedback(std::string_view model,
                                                       std::span<const Feedback> feedback) {
  HONE_ASSIGN_OR_RETURN(std::vector<Feedback> kept, PrepareFeedback(model, feedback, NowMs()));
  std::set<std::string, std::less<>> matched;
  if (!kept.empty()) {
    HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
    {
      HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("UPDATE predictions SET label = ?, label_ms = ? "
                                               "WHERE model = ? AND request_id = ?"));
      for (const Feedback& f : kept) {
        HONE_TRY(s->Bind(1, f.label).Bind(2, f.ts_ms).Bind(3, model).Bind(4, f.request_id).Run());
        if (db_.Changes() > 0) matched.insert(f.request_id);
      }
    }
    HONE_TRY(tx.Commit());
  }
  return TallyFeedback(feedback, matched);
}

Result<std::vector<LabelledPrediction>> SqliteMetaStore::ListLabelledPredictions(
    const WindowQuery& query) {
  HONE_TRY(CheckWindowQuery(query));
  HONE_ASSIGN_OR_RETURN(
      auto s,
      db_.Cached(query.limit ? "SELECT " HONE_PREDICTION_COLUMNS HONE_PREDICTIONS_WHERE
                               " AND label IS NOT NULL ORDER BY ts_ms DESC, id DESC LIMIT ?5"
                             : "SELECT " HONE_PREDICTION_COLUMNS HONE_PREDICTIONS_WHERE
                               " AND label IS NOT NULL ORDER BY ts_ms, id"));
  BindQuery(*s, query);
  if (query.limit) s->Bind(5, SqlLimit(query.limit));
  std::vector<LabelledPrediction> labelled;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    labelled.push_back(ReadLabelled(*s));
  }
  if (query.limit) std::reverse(labelled.begin(), labelled.end());
  return labelled;
}

Result<std::pair<uint64_t, uint64_t>> SqliteMetaStore::CountPredictions(const WindowQuery& query) {
  HONE_TRY(CheckWindowQuery(query));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT count(*), count(label)" HONE_PREDICTIONS_WHERE));
  BindQuery(*s, query);
  HONE_TRY(s->Step());
  return std::pair<uint64_t, uint64_t>(static_cast<uint64_t>(s->Int(0)),
                                       static_cast<uint64_t>(s->Int(1)));
}

#undef HONE_WINDOW_COLUMNS
#undef HONE_WINDOWS_WHERE
#undef HONE_PREDICTION_COLUMNS
#undef HONE_PREDICTIONS_WHERE

}  // namespace hone::store::sqlite
