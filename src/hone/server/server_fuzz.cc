// libFuzzer entry point for what `hone server` reads from its clients: request targets (split
// into %-decoded path segments and query parameters), hone's JSON API bodies (the wire
// decoders), and MLflow's REST API requests, run search's filter and order_by included. Each
// input is a short session of requests answered in process by TeamServer::Handle, with an
// admin token, against a real SQLite store copied afresh from a template for every input, so
// that an input always meets the same state:
//
//   METHOD SP TARGET LF BODY [RS METHOD SP TARGET LF BODY]…      (RS: the byte 0x1e)
//
// In targets and bodies, ${run} and ${exp} stand for a run and an experiment the template
// holds (as in testdata/mlflow/*.json), so that mutations reach the handlers behind the
// lookups. Any bytes must be answered, never crash or hang the server; every answer must be
// JSON, and a 5xx (a broken store, an escaped exception) is a finding too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hone/server/team_server.h"
#include "hone/server/tokens.h"

namespace {

namespace fs = std::filesystem;
using hone::server::TeamServer;
using hone::server::TeamServerOptions;
using Json = nlohmann::json;

constexpr size_t kMaxRequests = 8;
constexpr char kSeparator = '\x1e';

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "server_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

struct Fixture {
  fs::path dir;        // a temporary folder of this process
  fs::path template_;  // the store every input starts from: <dir>/template/{hone.db,artifacts}
  fs::path work;       // the copy an input works on
  std::string authorization;
  hone::store::ApiToken admin;
  std::string run_id;
  std::string experiment_id;
};

TeamServerOptions OptionsFor(const Fixture& f, const fs::path& folder) {
  TeamServerOptions o;
  o.store = (folder / "hone.db").string();
  o.artifacts = (folder / "artifacts").string();
  o.extra_tokens = {f.admin};
  return o;
}

hone::serve::HttpResponse Send(TeamServer& server, const Fixture& f, std::string_view method,
                               std::string_view target, std::string_view body) {
  hone::serve::HttpRequest rq;
  rq.method = method;
  rq.target = target;
  rq.content_type = "application/json";
  rq.body = body;
  rq.request_id = "fuzz";
  rq.remote_address = "127.0.0.1";
  rq.header = [&f](std::string_view name) -> std::string_view {
    return name == "authorization" ? std::string_view(f.authorization) : std::string_view();
  };
  hone::serve::HttpResponse rs;
  server.Handle(rq, rs);
  return rs;
}

// The template store: an experiment and a run in it with a metric, a param and a tag, made
// through the MLflow API itself.
Fixture& TheFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    f->dir = fs::temp_directory_path() / ("hone_server_fuzz_" + std::to_string(::getpid()));
    fs::remove_all(f->dir);
    f->template_ = f->dir / "template";
    f->work = f->dir / "work";
    fs::create_directories(f->template_);
    auto minted = hone::server::MintToken("fuzz", hone::store::Role::kAdmin);
    if (!minted) Die("minting a token", minted.error().message());
    auto admin = hone::server::ExtraAdminToken("fuzz", minted->text);
    if (!admin) Die("the admin token", admin.error().message());
    f->admin = *admin;
    f->authorization = "Bearer " + minted->text;
    auto server = TeamServer::Open(OptionsFor(*f, f->template_));
    if (!server) Die("opening the template store", server.error().message());
    auto call = [&](std::string_view path, const Json& body) {
      const std::string target = "/api/2.0/mlflow/" + std::string(path);
      auto rs = Send(**server, *f, "POST", target, body.dump());
      if (rs.status != 200) Die("setting up the template store", target + ": " + rs.body);
      return Json::parse(rs.body);
    };
    f->experiment_id = call("experiments/create", {{"name", "fuzz"}})["experiment_id"];
    f->run_id = call("runs/create", {{"experiment_id", f->experiment_id},
                                     {"run_name", "base"}})["run"]["info"]["run_id"];
    call("runs/log-batch", {{"run_id", f->run_id},
                            {"metrics", {{{"key", "rmse"}, {"value", 0.4}, {"step", 1}}}},
                            {"params", {{{"key", "model"}, {"value", "x"}}}},
                            {"tags", {{{"key", "team"}, {"value", "a"}}}}});
    call("registered-models/create", {{"name", "m"}});
    server->reset();  // closes the store: its WAL is folded into hone.db before the copies
    return f;
  }();
  return *fixture;
}

void Replace(std::string& text, std::string_view var, const std::string& value) {
  for (size_t at = 0; (at = text.find(var, at)) != std::string::npos; at += value.size()) {
    text.replace(at, var.size(), value);
  }
}

std::string Substitute(std::string_view text, const Fixture& f) {
  std::string out(text);
  Replace(out, "${run}", f.run_id);
  Replace(out, "${exp}", f.experiment_id);
  return out;
}

// What Beast's request parser lets through to a handler: a method of token characters, and a
// target without spaces or control characters (bytes past 0x7f pass).
bool Deliverable(std::string_view method, std::string_view target) {
  if (method.empty() || target.empty()) return false;
  for (char ch : method) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("\"(),/:;<=>?@[\\]{}").find(ch) != std::string_view::npos) {
      return false;
    }
  }
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

void CheckAnswer(const hone::serve::HttpResponse& rs, std::string_view method,
                 std::string_view target) {
  const std::string request = std::string(method) + " " + std::string(target);
  if (rs.status >= 500 || rs.status < 200) {
    Die("a server error", request + " → " + std::to_string(rs.status) + " " + rs.body);
  }
  if (rs.content_type == "application/json" && !Json::accept(rs.body)) {
    Die("the answer is not JSON", request + " → " + rs.body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = TheFixture();
  std::error_code ec;
  fs::remove_all(f.work, ec);
  fs::copy(f.template_, f.work, fs::copy_options::recursive, ec);
  if (ec) Die("copying the template store", ec.message());
  auto server = TeamServer::Open(OptionsFor(f, f.work));
  if (!server) Die("opening the store", server.error().message());

  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t n = 0; n < kMaxRequests && !input.empty(); ++n) {
    const size_t end = input.find(kSeparator);
    std::string_view one = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    const size_t line = one.find('\n');
    std::string_view head = one.substr(0, line);
    std::string_view body =
        line == std::string_view::npos ? std::string_view() : one.substr(line + 1);
    const size_t space = head.find(' ');
    if (space == std::string_view::npos) continue;
    const std::string method(head.substr(0, space));
    const std::string target = Substitute(head.substr(space + 1), f);
    const std::string text = Substitute(body, f);
    if (!Deliverable(method, target)) continue;
    CheckAnswer(Send(**server, f, method, target, text), method, target);
  }
  return 0;
}
