#include "hone/store/audit.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

#include "hone/core/digest.h"
#include "hone/store/store_errors.h"

namespace hone::store {
namespace {

void Field(core::Sha256& sha, std::string_view value) {
  sha.Update(std::to_string(value.size()));
  sha.Update(":");
  sha.Update(value);
  sha.Update(";");
}

}  // namespace

std::string AuditHash(const AuditRecord& r) {
  core::Sha256 sha;
  Field(sha, "hone-audit-1");
  Field(sha, r.prev_hash);
  Field(sha, std::to_string(r.seq));
  Field(sha, std::to_string(r.ts_ms));
  Field(sha, r.actor);
  Field(sha, r.action);
  Field(sha, r.subject);
  Field(sha, r.before);
  Field(sha, r.after);
  return core::ToHex(sha.Finish());
}

std::string VersionAuditJson(const ModelVersion& v) {
  nlohmann::json j = {{"model", v.model},
                      {"version", v.version},
                      {"digest", v.bundle_digest},
                      {"run", v.run_id ? nlohmann::json(*v.run_id) : nlohmann::json()},
                      {"data_digest", v.data_digest ? nlohmann::json(*v.data_digest) : nullptr},
                      {"code_commit", v.code_commit ? nlohmann::json(*v.code_commit) : nullptr},
                      {"parent", v.parent ? nlohmann::json(*v.parent) : nlohmann::json()}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string AliasAuditJson(std::optional<int64_t> version, std::optional<double> weight,
                           bool forced) {
  if (!version) return forced ? R"({"forced":true})" : "null";
  nlohmann::json j = {{"version", *version}};
  if (weight) j["weight"] = *weight;
  if (forced) j["forced"] = true;
  return j.dump();
}

std::string TokenAuditJson(const ApiToken& token) {
  return nlohmann::json{{"name", token.name}, {"id", token.id}, {"role", RoleName(token.role)}}
      .dump();
}

namespace {
bool IsLowerHex(std::string_view text, size_t size) {
  if (text.size() != size) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
}  // namespace

Result<void> CheckToken(const ApiToken& token) {
  HONE_TRY(CheckName("token", token.name));
  auto bad = [](std::string_view field, size_t size) {
    return Fail(ErrorCode::kInvalidArgument, "token " + std::string(field) + " must be " +
                                                 std::to_string(size) +
                                                 " lower-case hex characters");
  };
  if (!IsLowerHex(token.id, 16)) return bad("id", 16);
  if (!IsLowerHex(token.salt, 32)) return bad("salt", 32);
  if (!IsLowerHex(token.hash, 64)) return bad("hash", 64);
  return {};
}

Error UnknownToken(std::string_view name, const std::vector<std::string>& live) {
  return Error(ErrorCode::kNotFound,
               "no live token named '" + std::string(name) + "'; live tokens: " + JoinNames(live));
}

std::string FormatAuditHead(const AuditHead& head) {
  return std::to_string(head.seq) + " " + head.hash;
}

Result<AuditHead> ParseAuditHead(std::string_view text, std::string_view store) {
  AuditHead head;
  const size_t space = text.find(' ');
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + std::min(space, text.size()), head.seq);
  if (space == std::string_view::npos || ec != std::errc() || end != text.data() + space) {
    return Fail(ErrorCode::kCorrupt, "store '" + std::string(store) +
                                         "': the recorded audit head '" + std::string(text) +
                                         "' is garbled");
  }
  head.hash = std::string(text.substr(space + 1));
  return head;
}

std::vector<std::string> VerifyAuditChain(std::span<const AuditRecord> records,
                                          const std::optional<AuditHead>& head) {
  std::vector<std::string> problems;
  std::string prev(kAuditGenesis);
  int64_t expected_seq = 1;
  for (const AuditRecord& r : records) {
    const std::string at = "audit record " + std::to_string(r.seq);
    if (r.seq != expected_seq) {
      problems.push_back(at + ": records " + std::to_string(expected_seq) + ".." +
                         std::to_string(r.seq - 1) + " before it were removed");
    } else if (r.prev_hash != prev) {
      problems.push_back(at + ": does not follow the record before it (prev_hash " +
                         r.prev_hash.substr(0, 12) + " ≠ " + prev.substr(0, 12) + ")");
    }
    if (AuditHash(r) != r.hash) {
      problems.push_back(at + " (" + r.action + " " + r.subject +
                         "): edited after it was written (its hash no longer matches)");
    }
    prev = r.hash;
    expected_seq = r.seq + 1;
  }
  if (head) {
    const int64_t last = records.empty() ? 0 : records.back().seq;
    if (last < head->seq) {
      problems.push_back("audit records " + std::to_string(last + 1) + ".." +
                         std::to_string(head->seq) + " at the end of the log were removed");
    } else if (last == head->seq && !records.empty() && records.back().hash != head->hash) {
      problems.push_back("audit record " + std::to_string(last) +
                         ": differs from the head the store recorded");
    } else if (last > head->seq) {
      problems.push_back("audit records after " + std::to_string(head->seq) +
                         " were added outside hone (the recorded head is " +
                         std::to_string(head->seq) + ")");
    }
  } else if (!records.empty()) {
    problems.push_back("the audit log has records but the store recorded no head");
  }
  return problems;
}

AuditSearch AuditSearch::Parse(std::string_view text) {
  AuditSearch search;
  std::string term;
  for (size_t i = 0; i <= text.size(); ++i) {
    const unsigned char ch = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
    if (std::isspace(ch)) {
      if (!term.empty()) search.terms.push_back(std::move(term));
      term.clear();
    } else {
      term += static_cast<char>(std::tolower(ch));
    }
  }
  return search;
}

bool AuditSearch::Matches(const AuditRecord& record) const {
  if (terms.empty()) return true;
  std::string text = record.action + ' ' + record.actor + ' ' + record.subject;
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return std::all_of(terms.begin(), terms.end(),
                     [&](const std::string& term) { return text.find(term) != std::string::npos; });
}

Result<AuditPage> SearchAudit(MetaStore& meta, AuditQuery query, const AuditSearch& search,
                              size_t max_scanned, size_t chunk_size) {
  AuditPage page;
  if (search.empty()) {
    HONE_ASSIGN_OR_RETURN(page.records, meta.ListAudit(query));
    page.scanned = page.records.size();
    if (query.limit && page.records.size() == query.limit) page.next_seq = page.records.back().seq;
    return page;
  }
  const size_t want = query.limit;
  max_scanned = std::max<size_t>(max_scanned, 1);
  chunk_size = std::max<size_t>(chunk_size, 1);
  while (true) {
    AuditQuery chunk = query;
    chunk.limit = std::min(chunk_size, max_scanned - page.scanned);
    HONE_ASSIGN_OR_RETURN(std::vector<AuditRecord> records, meta.ListAudit(chunk));
    int64_t last = 0;
    for (AuditRecord& r : records) {
      ++page.scanned;
      last = r.seq;
      if (search.Matches(r)) page.records.push_back(std::move(r));
      if (want && page.records.size() == want) {
        page.next_seq = last;
        return page;
      }
    }
    if (records.size() < chunk.limit) return page;  // the end of the log
    if (page.scanned >= max_scanned) {
      page.next_seq = last;
      return page;
    }
    (query.newest_first ? query.before_seq : query.after_seq) = last;
  }
}

}  // namespace hone::store
