// HttpServer: one acceptor handing connections round-robin to N workers, each an io_context run
// by one thread. Connections never move between threads, so the request path takes no lock.
// A server with TLS makes every connection a Connection<TlsStream>, else a Connection<Socket>.
#include "hone/serve/http_server.h"

#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "hone/serve/http_connection.h"
#include "hone/serve/tls_context.h"

namespace hone::serve {
namespace {

using internal::Connection;
using internal::ConnectionBase;
using internal::Worker;
namespace asio = boost::asio;
using Acceptor = asio::basic_socket_acceptor<asio::ip::tcp, internal::Executor>;

std::string HostPort(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// An IPv4 client of a socket listening on "::" as IPv4 ("127.0.0.1", not "::ffff:127.0.0.1"),
// so that one client has one address whichever way the server listens.
asio::ip::address Unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, HttpHandler handler) {
    shared_.options = options;
    shared_.handler = std::move(handler);
    shared_.min_timeout = std::min(options.request_timeout, options.idle_timeout);
    if (shared_.min_timeout <= Clock::duration::zero())
      shared_.min_timeout = std::chrono::seconds(1);
    unsigned threads = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
    std::random_device random;
    for (unsigned i = 0; i < std::max(threads, 1u); ++i) {
      workers_.push_back(std::make_unique<Worker>((uint64_t{random()} << 32) ^ random() ^ i));
    }
    acceptor_.emplace(workers_[0]->ioc.get_executor());
    retry_timer_.emplace(workers_[0]->ioc.get_executor());
  }
  ~ServerImpl() override { Stop(); }

  Result<void> Listen() {
    const auto& options = shared_.options;
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
      HONE_ASSIGN_OR_RETURN(
          shared_.tls, internal::MakeTlsServerContext(options.tls_cert_file, options.tls_key_file));
    }
    const std::string where = HostPort(options.host, options.port);
    boost::system::error_code ec;
    const auto address =
        asio::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, ec);
    if (ec) return Fail(ErrorCode::kIo, "cannot listen on " + where + ": not an IP address");
    const asio::ip::tcp::endpoint endpoint(address, options.port);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Fail(ErrorCode::kIo, "cannot listen on " + where + ": " + ec.message());
    port_ = acceptor_->local_endpoint(ec).port();
    return {};
  }

  void Run() {
    Accept();
    running_ = workers_.size();
    for (auto& worker : workers_) {
      threads_.emplace_back([this, w = worker.get()] {
        for (;;) {
          try {
            w->ioc.run();
            break;
          } catch (...) {  // a handler threw (out of memory): keep serving
          }
        }
        std::lock_guard lock(mutex_);
        --running_;
        done_.notify_all();
      });
    }
  }

  uint16_t port() const override { return port_; }
  const HttpServerStats& stats() const override { return shared_.stats; }

  void Stop() override {
    std::lock_guard stop_lock(stop_mutex_);  // a second caller waits for the first
    if (stopped_) return;
    stopped_ = true;
    asio::post(workers_[0]->ioc, [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
      retry_timer_->cancel();
      // Posted from the acceptor's thread, after every connection it handed to a worker: each
      // worker starts those (and closes them, draining) before its loop can end. Posted from
      // Stop's thread, a Drain could overtake a connection's Start, and that connection would
      // wait on a finished loop until the server is destroyed.
      for (auto& worker : workers_) asio::post(worker->ioc, [w = worker.get()] { w->Drain(); });
    });
    const auto deadline = Clock::now() + shared_.options.drain_timeout;
    std::unique_lock lock(mutex_);
    if (!done_.wait_until(lock, deadline, [this] { return running_ == 0; })) {
      for (auto& worker : workers_) worker->ioc.stop();  // the rest are abandoned
    }
    lock.unlock();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
  }

 private:
  using Clock = internal::Clock;

  void Accept() {
    Worker& worker = *workers_[next_worker_++ % workers_.size()];
    acceptor_->async_accept(
        worker.ioc, peer_, [this, &worker](boost::system::error_code ec, internal::Socket socket) {
          if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
          if (ec) {  // out of descriptors, say: try again soon rather than spin
            retry_timer_->expires_after(std::chrono::milliseconds(50));
            retry_timer_->async_wait([this](boost::system::error_code timer_ec) {
              if (!timer_ec && acceptor_->is_open()) Accept();
            });
            return;
          }
          // Only this thread adds connections, so the check cannot let the count overshoot.
          auto& stats = shared_.stats;
          const bool refuse =
              static_cast<size_t>(stats.connections_open.load(std::memory_order_relaxed)) >=
              shared_.options.max_connections;
          (refuse ? stats.connections_refused : stats.connections_accepted)
              .fetch_add(1, std::memory_order_relaxed);
          std::string remote = Unmapped(peer_.address()).to_string();
          if (shared_.tls) {
            StartConnection<internal::TlsStream>(worker, std::move(socket), std::move(remote),
                                                 refuse);
          } else {
            StartConnection<internal::Socket>(worker, std::move(socket), std::move(remote), refuse);
          }
          Accept();
        });
  }

  template <class Stream>
  void StartConnection(Worker& worker, internal::Socket socket, std::string remote, bool refuse) {
    auto connection = std::make_shared<Connection<Stream>>(shared_, worker, std::move(socket),
                                                           std::move(remote), refuse);
    if (&worker == workers_[0].get()) {
      connection->Start();
    } else {
      asio::post(worker.ioc, [connection] { connection->Start(); });
    }
  }

  // Declaration order is destruction order reversed: the connections (owned by the workers'
  // pending handlers) use shared_, and the acceptor must go before its io_context.
  internal::ServerShared shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<Acceptor> acceptor_;
  std::optional<internal::Timer> retry_timer_;
  asio::ip::tcp::endpoint peer_;  // of the connection being accepted
  size_t next_worker_ = 0;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::mutex stop_mutex_;
  bool stopped_ = false;  // guarded by stop_mutex_
  std::mutex mutex_;
  std::condition_variable done_;
  size_t running_ = 0;  // threads still running their loop; guarded by mutex_
};

}  // namespace

namespace internal {

Worker::Worker(uint64_t id_seed) : id_prefix_(id_seed) {}

void Worker::NewRequestId(std::array<char, 32>& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t counter = ++id_counter_;
  for (int i = 0; i < 16; ++i) {
    out[i] = kHex[(id_prefix_ >> (60 - 4 * i)) & 0xf];
    out[16 + i] = kHex[(counter >> (60 - 4 * i)) & 0xf];
  }
}

void Worker::Drain() {
  draining = true;
  const std::vector<ConnectionBase*> open = connections;  // Close() edits the list
  for (ConnectionBase* connection : open) connection->Drain();
  guard.reset();
}

}  // namespace internal

Result<void> CheckListenAddress(std::string_view host, bool tls, bool insecure_listen) {
  if (tls || insecure_listen || host == "localhost") return {};
  boost::system::error_code ec;
  const auto address = Unmapped(asio::ip::make_address(host, ec));
  if (!ec && address.is_loopback()) return {};
  return Fail(ErrorCode::kInvalidArgument,
              "refusing to serve plain HTTP on " + std::string(host) +
                  ", which is not a loopback address (127.0.0.0/8, ::1, localhost): requests and "
                  "their tokens would cross the network unencrypted. Give --tls-cert and "
                  "--tls-key to serve HTTPS, or --insecure-listen to serve plain HTTP anyway "
                  "(behind a proxy that terminates TLS, say)");
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
  if (!handler) return Fail(ErrorCode::kInvalidArgument, "HttpServer::Start: no handler");
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  HONE_TRY(server->Listen());
  server->Run();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace hone::serve
