#include "hone/core/pii.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "hone/core/digest.h"
#include "hone/core/file.h"

namespace hone::core {
namespace {

// Hex digits of the HMAC kept: 64 bits, so that two of a million values collide with a chance
// of about 3e-8, while the value stays short enough to read in a report.
constexpr size_t kHashHexDigits = 16;
constexpr char kHashPrefix[] = "h:";
// What Check hashes: a fixed text no data value is expected to be.
constexpr char kCheckText[] = "hone pii key check v1";

std::string ColumnNames(const Table& table) {
  std::string out;
  for (const Column& c : table.columns()) out += (out.empty() ? "" : ", ") + c.name();
  return out.empty() ? "none" : out;
}

// A numeric column's cells as text, as a categorical column: what a hash column read as
// numbers hashes.
Column AsCategorical(const Column& c) {
  std::vector<int32_t> codes(c.size(), kMissingCode);
  std::vector<std::string> dictionary;
  std::unordered_map<std::string, int32_t> seen;
  for (size_t r = 0; r < c.size(); ++r) {
    if (c.IsMissing(r)) continue;
    auto [it, added] = seen.emplace(c.CellText(r), static_cast<int32_t>(dictionary.size()));
    if (added) dictionary.push_back(it->first);
    codes[r] = it->second;
  }
  return Column::Categorical(c.name(), std::move(codes), std::move(dictionary));
}

Column Hashed(const Column& column, const PiiKey& key) {
  std::optional<Column> converted;
  const Column& c = column.is_categorical() ? column : converted.emplace(AsCategorical(column));
  // Each distinct value is hashed once; values whose hashes collide share one category.
  std::vector<int32_t> remap(c.dictionary().size());
  std::vector<std::string> dictionary;
  std::unordered_map<std::string, int32_t> index;
  for (size_t i = 0; i < remap.size(); ++i) {
    auto [it, added] =
        index.emplace(key.Hash(c.dictionary()[i]), static_cast<int32_t>(dictionary.size()));
    if (added) dictionary.push_back(it->first);
    remap[i] = it->second;
  }
  std::vector<int32_t> codes(c.codes().begin(), c.codes().end());
  for (int32_t& code : codes) {
    if (code != kMissingCode) code = remap[static_cast<size_t>(code)];
  }
  return Column::Categorical(c.name(), std::move(codes), std::move(dictionary));
}

}  // namespace

const char* PiiModeName(PiiMode mode) { return mode == PiiMode::kDrop ? "drop" : "hash"; }

Result<PiiMode> ParsePiiMode(std::string_view text) {
  if (text == "drop") return PiiMode::kDrop;
  if (text == "hash") return PiiMode::kHash;
  return Fail(ErrorCode::kInvalidArgument,
              "unknown pii mode '" + std::string(text) + "'; valid modes: drop, hash");
}

bool PiiPolicy::HasHash() const {
  for (const PiiColumn& c : columns) {
    if (c.mode == PiiMode::kHash) return true;
  }
  return false;
}

const PiiColumn* PiiPolicy::Find(std::string_view name) const {
  for (const PiiColumn& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

nlohmann::json PiiPolicy::ToJson() const {
  // An array of pairs would keep the order; an object reads better and order does not matter.
  nlohmann::json out = nlohmann::json::object();
  for (const PiiColumn& c : columns) out[c.name] = PiiModeName(c.mode);
  return out;
}

Result<PiiPolicy> PiiPolicy::FromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    return Fail(ErrorCode::kInvalidData, "pii must be a JSON object of column: drop|hash");
  }
  PiiPolicy policy;
  for (const auto& [name, mode] : json.items()) {
    if (name.empty() || !mode.is_string()) {
      return Fail(ErrorCode::kInvalidData, "pii entry '" + name + "' must be \"drop\" or \"hash\"");
    }
    auto parsed = ParsePiiMode(mode.get<std::string>());
    if (!parsed)
      return Fail(ErrorCode::kInvalidData,
                  "pii column '" + name + "': " + parsed.error().message());
    policy.columns.push_back({name, *parsed, ""});
  }
  return policy;
}

Result<PiiKey> PiiKey::Create(std::string secret, std::string_view source) {
  if (secret.size() < kPiiMinKeyBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                "the pii key from " + std::string(source) + " is " + std::to_string(secret.size()) +
                    " bytes; it must be at least " + std::to_string(kPiiMinKeyBytes) +
                    " (for example the output of `openssl rand -hex 32`)");
  }
  auto hmac = std::make_shared<const HmacSha256>(secret);
  std::fill(secret.begin(), secret.end(), '\0');
  return PiiKey(std::move(hmac), std::string(source));
}

std::string PiiKey::Hash(std::string_view text) const {
  return kHashPrefix + ToHex(hmac_->Of(text)).substr(0, kHashHexDigits);
}

std::string PiiKey::Check() const { return Hash(kCheckText); }

Result<std::optional<PiiKey>> LoadPiiKey(const std::optional<std::filesystem::path>& spec_file) {
  const char* env = std::getenv(kPiiKeyEnv);
  const char* env_file = std::getenv(kPiiKeyFileEnv);
  const bool has_env = env != nullptr && *env != '\0';
  const bool has_env_file = env_file != nullptr && *env_file != '\0';
  if (has_env && has_env_file) {
    return Fail(ErrorCode::kInvalidArgument, std::string("both ") + kPiiKeyEnv + " and " +
                                                 kPiiKeyFileEnv +
                                                 " are set; set one of them for the pii key");
  }
  if (has_env) {
    HONE_ASSIGN_OR_RETURN(PiiKey key, PiiKey::Create(env, kPiiKeyEnv));
    return std::optional<PiiKey>(std::move(key));
  }
  std::filesystem::path file;
  std::string source;
  if (has_env_file) {
    file = env_file;
    source = std::string("the file ") + kPiiKeyFileEnv + " names (" + file.string() + ")";
  } else if (spec_file) {
    file = *spec_file;
    source = "the file pii_key_file names (" + file.string() + ")";
  } else {
    return std::optional<PiiKey>();
  }
  auto text = ReadFile(file);
  if (!text) {
    return Fail(text.error().code(),
                "cannot read the pii key from " + source + ": " + text.error().message());
  }
  if (text->ends_with('\n')) text->pop_back();
  if (text->ends_with('\r')) text->pop_back();
  HONE_ASSIGN_OR_RETURN(PiiKey key, PiiKey::Create(std::move(*text), source));
  return std::optional<PiiKey>(std::move(key));
}

Error MissingPiiKey(std::string_view column, std::string_view where) {
  return Error(ErrorCode::kInvalidArgument,
               (where.empty() ? std::string() : std::string(where) + ": ") + "column '" +
                   std::string(column) + "' is pii: hash, which needs a key: set " + kPiiKeyEnv +
                   ", or " + kPiiKeyFileEnv +
                   " (or hone.yaml's pii_key_file) to a file holding it");
}

Result<Table> ApplyPii(const Table& table, const PiiPolicy& policy, const PiiKey* key) {
  if (policy.empty()) return table;
  for (const PiiColumn& p : policy.columns) {
    if (!table.FindColumn(p.name)) {
      return Fail(ErrorCode::kNotFound,
                  (p.where.empty() ? std::string() : p.where + ": ") + "pii column '" + p.name +
                      "' is not in the data; its columns are " + ColumnNames(table));
    }
    if (p.mode == PiiMode::kHash && key == nullptr) return Fail(MissingPiiKey(p.name, p.where));
  }
  std::vector<Column> columns;
  for (const Column& c : table.columns()) {
    const PiiColumn* p = policy.Find(c.name());
    if (p == nullptr) {
      columns.push_back(c.Renamed(c.name()));
    } else if (p->mode == PiiMode::kHash) {
      columns.push_back(Hashed(c, *key));
    }
  }
  return Table::Create(std::move(columns));
}

}  // namespace hone::core
