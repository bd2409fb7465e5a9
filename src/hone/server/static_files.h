// The web dashboard's files (web/dist, built with npm) as `hone server` serves them under
// /ui/: read once at start, so a request can name only a file that was there (no path is ever
// joined to a folder), each with its content type and caching.
#ifndef HONE_SERVER_STATIC_FILES_H_
#define HONE_SERVER_STATIC_FILES_H_

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "hone/core/error.h"
#include "hone/serve/http_server.h"

namespace hone::server {

class StaticFiles {
 public:
  /// Reads every regular file below `folder` (at most 64 MiB in all). kNotFound naming the
  /// folder when it has no index.html.
  static Result<StaticFiles> Load(const std::filesystem::path& folder);

  /// Answers GET or HEAD of `path` (below /ui/, without the query: "" or "index.html" is the
  /// index; "assets/app-1a2b.js"). Unknown paths are 404 JSON errors.
  void Serve(std::string_view method, std::string_view path, serve::HttpResponse& response) const;

  size_t size() const { return files_.size(); }

 private:
  struct File {
    std::string content_type;
    std::string bytes;
  };
  std::map<std::string, File, std::less<>> files_;  // by path relative to the folder, '/'-separated
};

/// Where the dashboard's files are when no folder is given: HONE_UI_DIR, else
/// <binary>/../share/hone/ui (an installed hone), else the checkout's web/dist when the binary
/// runs from build/<preset>/apps/hone/. Empty when none has an index.html.
std::filesystem::path FindDashboardFiles();

}  // namespace hone::server

#endif  // HONE_SERVER_STATIC_FILES_H_
