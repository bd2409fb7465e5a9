#include "hone/pipeline/source.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include <glob.h>

#include "hone/core/digest.h"
#include "hone/core/file.h"
#include "hone/store/sql_query.h"

namespace hone::pipeline {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

fs::path Resolve(const fs::path& dir, const std::string& path) {
  fs::path p(path);
  return p.is_absolute() || dir.empty() ? p : dir / p;
}

Snapshot MakeSnapshot(std::string bytes, core::Table table, std::string description,
                      std::vector<fs::path> files) {
  Snapshot s;
  s.digest = core::Sha256Hex(bytes);
  s.bytes = std::move(bytes);
  s.table = std::move(table);
  s.description = std::move(description);
  s.files = std::move(files);
  return s;
}

Result<Snapshot> SnapshotFile(const DataSourceSpec& source, const fs::path& dir,
                              const core::CsvReadOptions& csv) {
  fs::path file = Resolve(dir, source.path);
  HONE_ASSIGN_OR_RETURN(std::string bytes, core::ReadFile(file));
  HONE_ASSIGN_OR_RETURN(core::Table table, core::ParseCsv(bytes, source.path, csv));
  return MakeSnapshot(std::move(bytes), std::move(table), source.path, {std::move(file)});
}

// ---- glob ------------------------------------------------------------------------------------

/// `text` with glob(3)'s special bytes escaped, so that a folder name is matched literally.
std::string EscapeGlob(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

/// The folder glob(3) could not read, reported by its error callback.
struct GlobFailure {
  std::string path;
  int error = 0;
};
thread_local GlobFailure glob_failure;

int OnGlobError(const char* path, int error) {
  glob_failure = {path, error};
  return 1;
}

struct Match {
  fs::path path;     // as opened
  std::string name;  // as the user would write it: relative to `dir` when the pattern is
};

/// The regular files `pattern` matches, relative to `dir`, in byte order of their names.
Result<std::vector<Match>> Expand(const std::string& pattern, const fs::path& dir) {
  std::string prefix;  // what glob(3) puts before every match that the user did not write
  if (!fs::path(pattern).is_absolute() && !dir.empty()) {
    prefix = dir.string();
    if (!prefix.ends_with('/')) prefix += '/';
  }
  const std::string where =
      "'" + pattern + "'" + (prefix.empty() ? "" : " in '" + dir.string() + "'");
  glob_t found{};
  glob_failure = {};
  const int rc = ::glob((EscapeGlob(prefix) + pattern).c_str(), GLOB_ERR, OnGlobError, &found);
  std::unique_ptr<glob_t, decltype(&::globfree)> guard(&found, ::globfree);
  if (rc == GLOB_ABORTED && glob_failure.error == ENOENT) {
    return Fail(ErrorCode::kNotFound,
                "no file matches " + where + ": folder '" + glob_failure.path + "' does not exist");
  }
  if (rc == GLOB_ABORTED) {
    return Fail(ErrorCode::kIo, "cannot read folder '" + glob_failure.path + "' to match " + where +
                                    ": " + std::strerror(glob_failure.error));
  }
  if (rc == GLOB_NOSPACE) return Fail(ErrorCode::kInternal, "out of memory matching " + where);
  std::vector<Match> matches;
  for (size_t i = 0; rc == 0 && i < found.gl_pathc; ++i) {
    std::string path = found.gl_pathv[i];
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;  // folders, sockets, broken links
    std::string name = path.starts_with(prefix) ? path.substr(prefix.size()) : path;
    matches.push_back({std::move(path), std::move(name)});
  }
  if (matches.empty()) return Fail(ErrorCode::kNotFound, "no file matches " + where);
  std::sort(matches.begin(), matches.end(),
            [](const Match& a, const Match& b) { return a.name < b.name; });
  return matches;
}

/// Line breaks in `text`, counted as ParseCsv counts lines: LF, CRLF and a lone CR each one.
size_t CountBreaks(std::string_view text) {
  size_t breaks = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++breaks;
    } else if (text[i] == '\r') {
      ++breaks;
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    }
  }
  return breaks;
}

/// A file's header line: its first line that is not blank, without the byte-order mark and
/// the line end. `line` is its 1-based number; `body` the offset just past its line end.
struct HeaderLine {
  std::string_view text;
  size_t line;
  size_t body;
};

HeaderLine FindHeader(std::string_view bytes) {
  size_t pos = bytes.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0;
  for (size_t line = 1;; ++line) {
    const size_t end = std::min(bytes.find_first_of("\r\n", pos), bytes.size());
    size_t next = end;
    if (next < bytes.size()) next += bytes.substr(next).starts_with("\r\n") ? 2 : 1;
    const std::string_view text = bytes.substr(pos, end - pos);
    if (text.find_first_not_of(" \t") != std::string_view::npos || next == bytes.size()) {
      return {text, line, next};
    }
    pos = next;
  }
}

/// Where a file's rows start in the concatenated text: its line `first_line` there is the
/// file's line `file_line`.
struct Piece {
  size_t first_line;
  size_t file_line;
  std::string name;
};

/// ParseCsv's error about the concatenation, `source`:LINE, as an error about the file and line
/// the bad bytes came from; an error without a line is about the header, so the first file's.
Error LocateInFiles(const Error& error, std::string_view source, const std::vector<Piece>& pieces) {
  std::string_view message = error.message();
  if (!message.starts_with(source)) return error;
  message.remove_prefix(source.size());
  if (message.starts_with(": ")) {
    return Error(error.code(), pieces.front().name + std::string(message));
  }
  if (!message.starts_with(':')) return error;
  message.remove_prefix(1);
  size_t line = 0;
  auto [end, ec] = std::from_chars(message.data(), message.data() + message.size(), line);
  if (ec != std::errc() || line == 0) return error;
  auto piece = std::upper_bound(pieces.begin(), pieces.end(), line,
                                [](size_t l, const Piece& p) { return l < p.first_line; });
  if (piece == pieces.begin()) return error;
  --piece;
  return Error(error.code(), piece->name + ":" +
                                 std::to_string(line - piece->first_line + piece->file_line) +
                                 std::string(end, message.data() + message.size()));
}

Result<Snapshot> SnapshotGlob(const DataSourceSpec& source, const fs::path& dir,
                              const core::CsvReadOptions& csv) {
  HONE_ASSIGN_OR_RETURN(std::vector<Match> matches, Expand(source.path, dir));
  std::string bytes;
  std::vector<Piece> pieces;
  std::string header;  // the first file's
  size_t breaks = 0;   // in `bytes`
  for (const Match& match : matches) {
    HONE_ASSIGN_OR_RETURN(std::string file, core::ReadFile(match.path));
    const HeaderLine found = FindHeader(file);
    if (found.text.find_first_not_of(" \t") == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidData,
                  match.name + ": the file is empty; every file matching '" + source.path +
                      "' needs a header row" +
                      (header.empty() ? std::string() : " ('" + header + "')"));
    }
    if (pieces.empty()) {
      header = found.text;
      breaks = CountBreaks(file);
      bytes = std::move(file);
      pieces.push_back({1, 1, match.name});
      continue;
    }
    if (found.text != header) {
      return Fail(ErrorCode::kInvalidData,
                  match.name + ":" + std::to_string(found.line) + ": the header '" +
                      std::string(found.text) + "' differs from the header of " +
                      pieces.front().name + ", the first file matching '" + source.path + "': '" +
                      header +
                      "'; every file a glob matches must have the same columns in the same "
                      "order");
    }
    const std::string_view body = std::string_view(file).substr(found.body);
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;  // no rows
    if (!bytes.ends_with('\n')) {
      if (!bytes.ends_with('\r')) ++breaks;  // "\r" + "\n" stays one line break
      bytes += '\n';
    }
    pieces.push_back({breaks + 1, found.line + 1, match.name});
    bytes += body;
    breaks += CountBreaks(body);
  }
  auto table = core::ParseCsv(bytes, source.path, csv);
  if (!table) return Fail(LocateInFiles(table.error(), source.path, pieces));
  std::vector<fs::path> files;
  for (Match& match : matches) files.push_back(std::move(match.path));
  const size_t n = files.size();
  return MakeSnapshot(std::move(bytes), *std::move(table),
                      source.path + " (" + std::to_string(n) + (n == 1 ? " file)" : " files)"),
                      std::move(files));
}

// ---- sql -------------------------------------------------------------------------------------

/// A database URL as lineage and messages may show it: a server URL loses its user, password
/// and parameters ("postgresql://127.0.0.1:5432/sales"); a SQLite URL is shown as written.
std::string ShownUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  if (url.starts_with("sqlite:") || scheme == std::string_view::npos) return std::string(url);
  std::string_view rest = url.substr(scheme + 3);
  // As libpq reads a URI, the credentials end at the first '@' that comes before any '/'.
  const size_t at = rest.find_first_of("@/");
  if (at != std::string_view::npos && rest[at] == '@') rest.remove_prefix(at + 1);
  rest = rest.substr(0, rest.find('?'));
  return std::string(url.substr(0, scheme + 3)) + std::string(rest);
}

/// The start of a query on one line: at most 60 bytes, never half a UTF-8 character.
std::string Excerpt(std::string_view query) {
  std::string out;
  for (char c : query) {
    const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    if (out.size() >= 60 && (static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      while (out.ends_with(' ')) out.pop_back();
      return out + "…";
    }
    out += blank ? ' ' : c;
  }
  while (out.ends_with(' ')) out.pop_back();
  return out;
}

std::string FormatQueryResult(const store::QueryResult& result, char delimiter) {
  std::string out;
  const bool one_column = result.columns.size() == 1;
  for (size_t c = 0; c < result.columns.size(); ++c) {
    if (c > 0) out += delimiter;
    core::AppendCsvField(out, result.columns[c], delimiter);
  }
  out += '\n';
  for (const auto& row : result.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += delimiter;
      // NULL (and '') is an empty field; a row of one empty field would be a blank line, which
      // readers skip, so it is written "" (as core::FormatCsv does).
      const std::string_view text = row[c] ? std::string_view(*row[c]) : std::string_view();
      if (text.empty()) {
        out += one_column ? "\"\"" : "";
      } else {
        core::AppendCsvField(out, text, delimiter);
      }
    }
    out += '\n';
  }
  return out;
}

Result<Snapshot> SnapshotQuery(const DataSourceSpec& source, const fs::path& dir,
                               const core::CsvReadOptions& csv) {
  const std::string database = ShownUrl(source.url);
  std::string description = database + ": " + Excerpt(source.query);
  HONE_ASSIGN_OR_RETURN(store::QueryResult result,
                        store::RunReadOnlyQuery(source.url, source.query, dir.string()));
  if (result.rows.empty()) {
    return Fail(ErrorCode::kInvalidData, description + ": the query returned no rows");
  }
  std::string bytes = FormatQueryResult(result, csv.delimiter);
  HONE_ASSIGN_OR_RETURN(core::Table table, core::ParseCsv(bytes, database + " query result", csv));
  return MakeSnapshot(std::move(bytes), std::move(table), std::move(description), {});
}

}  // namespace

Result<Snapshot> TakeSnapshot(const DataSourceSpec& source, const fs::path& dir,
                              const core::CsvReadOptions& csv) {
  switch (source.kind) {
    case DataSourceSpec::Kind::kFile:
      return SnapshotFile(source, dir, csv);
    case DataSourceSpec::Kind::kGlob:
      return SnapshotGlob(source, dir, csv);
    case DataSourceSpec::Kind::kSql:
      return SnapshotQuery(source, dir, csv);
  }
  return Fail(ErrorCode::kInternal, "unknown data source kind");
}

}  // namespace hone::pipeline
