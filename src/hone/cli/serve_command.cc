// hone serve: every served alias of every model in the store, over HTTP, following the
// registry until SIGTERM or SIGINT, which drain the requests in flight before exiting 0.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>

#include <unistd.h>

#include "hone/cli/commands.h"
#include "hone/cli/daemon.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/core/log.h"
#include "hone/registry/code_state.h"
#include "hone/serve/http_server.h"
#include "hone/serve/model_manager.h"
#include "hone/serve/monitoring.h"
#include "hone/serve/registry_source.h"
#include "hone/serve/service.h"
#include "hone/server/serve_guard.h"

namespace hone::cli {
namespace {

struct ServeFlags {
  StoreFlags store;
  serve::HttpServerOptions http;
  std::vector<std::string> models;
  std::vector<std::string> aliases = {"production", "canary"};
  size_t max_rows = 100000;
  int64_t poll_ms = 200;
  int64_t request_timeout_ms = 30000;
  int64_t idle_timeout_ms = 60000;
  int64_t drain_timeout_ms = 10000;
  size_t warmup_rows = 16;
  std::string port_file;
  int64_t monitor_interval_ms = 5000;
  double log_share = 1.0;
  size_t keep_predictions = 200000;
  int64_t keep_windows_hours = 24 * 14;
  size_t shadow_queue = 1024;
  bool insecure_listen = false;
};

int RunServe(Io& io, ServeFlags f) {
  StopSignals stop_signals;  // before any thread starts
  std::string store_location;
  {  // Opened once here so that a wrong --store fails at once, with the usual message.
    auto store = OpenStoreFrom(f.store, /*create=*/false);
    if (!store) return ReportError(io, "serve", store.error(), false);
    core::LogInfo("hone serve: store " + store->meta->Describe());
    store_location = store->location;
  }
  const StoreFlags store_flags = f.store;
  serve::StoreOpener open = [store_flags]() { return OpenStoreFrom(store_flags, false); };
  const bool tls = !f.http.tls_cert_file.empty() || !f.http.tls_key_file.empty();
  if (auto allowed = serve::CheckListenAddress(f.http.host, tls, f.insecure_listen); !allowed) {
    return ReportError(io, "serve", allowed.error(), false);
  }

  serve::ModelManager manager(serve::ManagerOptions{.aliases = f.aliases},
                              serve::MakeRegistryLoader(open, f.warmup_rows));
  serve::RegistrySourceOptions source_options;
  source_options.aliases = f.aliases;
  source_options.models = f.models;
  source_options.poll_interval = std::chrono::milliseconds(f.poll_ms);
  auto source = serve::RegistrySource::Start(
      source_options, open, [&manager](std::vector<serve::AspiredVersion> aspired) {
        manager.SetAspiredVersions(std::move(aspired));
      });
  if (!source) return ReportError(io, "serve", source.error(), false);

  serve::MonitoringOptions monitoring;
  monitoring.interval = std::chrono::milliseconds(f.monitor_interval_ms);
  monitoring.log_share = f.log_share;
  monitoring.keep_predictions = f.keep_predictions;
  monitoring.keep_windows = std::chrono::hours(f.keep_windows_hours);
  monitoring.server = registry::HostName() + ":" + std::to_string(::getpid());
  // Declared before the service so that it outlives it: its destructor writes the last window.
  serve::ServeMonitor monitor(monitoring, manager, open);
  serve::InferenceService service(
      serve::ServiceOptions{.limits = {.max_rows = f.max_rows},
                            .shadow = {.queue_capacity = f.shadow_queue}},
      manager);
  service.set_monitor(&monitor);
  if (store::IsServerUrl(store_location)) {
    // Writes are the team's data: the same tokens and roles as the hone server.
    service.set_write_guard(server::TokenWriteGuard(store_location, store::Role::kTrainer));
  }
  monitor.Start();
  f.http.request_timeout = std::chrono::milliseconds(f.request_timeout_ms);
  f.http.idle_timeout = std::chrono::milliseconds(f.idle_timeout_ms);
  f.http.drain_timeout = std::chrono::milliseconds(f.drain_timeout_ms);
  auto server = serve::HttpServer::Start(
      f.http, [&service](const serve::HttpRequest& request, serve::HttpResponse& response) {
        service.Handle(request, response);
      });
  if (!server) {
    (*source)->Stop();
    return ReportError(io, "serve", server.error(), false);
  }
  service.set_server_stats(&(*server)->stats());
  const uint16_t port = (*server)->port();
  if (!f.port_file.empty()) {
    if (auto written = WritePortFile(f.port_file, port); !written) {
      (*server)->Stop();
      (*source)->Stop();
      return ReportError(io, "serve", written.error(), false);
    }
  }
  const bool v6 = f.http.host.find(':') != std::string::npos;
  core::LogInfo("hone serve: listening on " + std::string(tls ? "https://" : "http://") +
                (v6 ? "[" + f.http.host + "]" : f.http.host) + ":" + std::to_string(port) +
                " (Open Inference Protocol v2 under /v2, MLflow /invocations, /metrics)");

  core::LogInfo(std::string("hone serve: ") + stop_signals.Wait() +
                ", draining requests in flight");
  service.set_draining(true);
  (*server)->Stop();
  (*source)->Stop();
  core::LogInfo("hone serve: stopped");
  return kExitOk;
}

}  // namespace

Action AddServeCommand(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve every model's production version (with its canary share and shadow copy) over "
      "HTTP: Open Inference Protocol v2, MLflow /invocations, feedback, Prometheus /metrics; "
      "follows the registry and hot-swaps; writes monitoring windows and a prediction log to "
      "the store");
  AddStoreFlags(cmd, f->store);
  cmd->add_option("--host", f->http.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", f->http.port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  cmd->add_option("--port-file", f->port_file,
                  "Write the port listened on to this file once serving (with --port 0)");
  CLI::Option* tls_cert = cmd->add_option("--tls-cert", f->http.tls_cert_file,
                                          "Serve HTTPS (TLS 1.2+) with this PEM certificate chain");
  CLI::Option* tls_key = cmd->add_option("--tls-key", f->http.tls_key_file,
                                         "The PEM private key of --tls-cert (not encrypted)");
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  cmd->add_flag("--insecure-listen", f->insecure_listen,
                "Allow plain HTTP on an address other than loopback (behind a proxy that "
                "terminates TLS, say)");
  cmd->add_option("--threads", f->http.threads, "I/O threads (0: one per core)")
      ->capture_default_str();
  cmd->add_option("--model", f->models, "Serve only this model (repeatable; default: all)");
  cmd->add_option("--alias", f->aliases,
                  "Aliases to serve, the first answering requests that name no version "
                  "(repeatable)")
      ->capture_default_str();
  cmd->add_option("--poll-interval-ms", f->poll_ms,
                  "How often to check the store for alias moves (SQLite; PostgreSQL is notified "
                  "at once)")
      ->capture_default_str()
      ->check(CLI::Range(10, 60000));
  cmd->add_option("--max-body-bytes", f->http.max_body_bytes, "Largest request body (413 above)")
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", f->http.max_header_bytes,
                  "Largest request line and headers (431 above)")
      ->capture_default_str();
  cmd->add_option("--max-rows", f->max_rows, "Most rows in one request (400 above)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000000}));
  cmd->add_option("--max-connections", f->http.max_connections, "Most open connections (503 above)")
      ->capture_default_str();
  cmd->add_option("--request-timeout-ms", f->request_timeout_ms,
                  "Time to receive a whole request (408 after)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}));
  cmd->add_option("--idle-timeout-ms", f->idle_timeout_ms,
                  "Idle keep-alive connections are closed after this")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400000}));
  cmd->add_option("--drain-timeout-ms", f->drain_timeout_ms,
                  "On SIGTERM, how long requests in flight may take to finish")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}));
  cmd->add_option("--warmup-rows", f->warmup_rows,
                  "Predictions made with each version before it takes traffic")
      ->capture_default_str();
  cmd->add_option("--monitor-interval-ms", f->monitor_interval_ms,
                  "How often monitoring windows and logged predictions are written to the store")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{100}, int64_t{3600000}));
  cmd->add_option("--log-share", f->log_share,
                  "Share of requests whose rows go to the prediction log that feedback joins (0: "
                  "none)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--keep-predictions", f->keep_predictions,
                  "Newest logged predictions kept per model in the store")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1000000000}));
  cmd->add_option("--keep-windows-hours", f->keep_windows_hours,
                  "Hours the store keeps monitoring windows of the models served (0: for ever)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{24} * 366 * 100));
  cmd->add_option("--shadow-queue", f->shadow_queue,
                  "Request copies waiting for a shadow version; more are dropped")
      ->capture_default_str();
  return [f](Io& io) { return RunServe(io, *f); };
}

}  // namespace hone::cli
