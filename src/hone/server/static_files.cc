#include "hone/server/static_files.h"

#include <cstdlib>

#include "hone/core/file.h"
#include "hone/serve/infer_codec.h"

namespace hone::server {
namespace fs = std::filesystem;
namespace {

constexpr uintmax_t kMaxTotalBytes = uintmax_t{64} << 20;

std::string ContentTypeOf(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool HasIndex(const fs::path& folder) {
  std::error_code ec;
  return !folder.empty() && fs::is_regular_file(folder / "index.html", ec);
}

}  // namespace

Result<StaticFiles> StaticFiles::Load(const fs::path& folder) {
  if (!HasIndex(folder)) {
    return Fail(ErrorCode::kNotFound, "no dashboard in '" + folder.string() +
                                          "': it has no index.html (build it: cd web && npm ci "
                                          "&& npm run build)");
  }
  StaticFiles out;
  uintmax_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    total += it->file_size(ec);
    if (total > kMaxTotalBytes) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the dashboard's files in '" + folder.string() + "' are over 64 MiB");
    }
    HONE_ASSIGN_OR_RETURN(std::string bytes, core::ReadFile(it->path()));
    out.files_[it->path().lexically_relative(folder).generic_string()] =
        File{ContentTypeOf(it->path()), std::move(bytes)};
  }
  if (ec) {
    return Fail(ErrorCode::kIo,
                "cannot read the dashboard in '" + folder.string() + "': " + ec.message());
  }
  return out;
}

void StaticFiles::Serve(std::string_view method, std::string_view path,
                        serve::HttpResponse& response) const {
  if (method != "GET" && method != "HEAD") {
    response.status = 405;
    response.headers.emplace_back("Allow", "GET, HEAD");
    response.body = serve::ErrorBody("the dashboard's files are read with GET");
    return;
  }
  const bool index = path.empty() || path == "index.html";
  auto it = files_.find(index ? std::string_view("index.html") : path);
  if (it == files_.end()) {
    response.status = 404;
    response.body = serve::ErrorBody("no file '" + std::string(path) + "' in the dashboard");
    return;
  }
  response.status = 200;
  response.content_type = it->second.content_type;
  if (method == "GET") response.body = it->second.bytes;
  // Vite names what it builds by content ("assets/index-1a2b3c.js"): those never change.
  // index.html names the current ones, so it is asked for again each time.
  response.headers.emplace_back("Cache-Control", path.starts_with("assets/")
                                                     ? "public, max-age=31536000, immutable"
                                                     : "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

fs::path FindDashboardFiles() {
  if (const char* dir = std::getenv("HONE_UI_DIR"); dir && *dir) {
    return HasIndex(dir) ? fs::path(dir) : fs::path();
  }
  std::error_code ec;
  const fs::path binary = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path bin_dir = binary.parent_path();
  for (const fs::path& candidate : {bin_dir / ".." / "share" / "hone" / "ui",
                                    bin_dir / ".." / ".." / ".." / ".." / "web" / "dist"}) {
    if (HasIndex(candidate)) return candidate.lexically_normal();
  }
  return {};
}

}  // namespace hone::server
