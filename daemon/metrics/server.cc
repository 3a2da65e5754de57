// MetricsServer: civetweb's C API serving an Exposition at /metrics.
//
// civetweb directly, not prometheus-cpp's Exposer: the Exposer serializes metric families at
// every scrape and cannot serve a body rendered once per snapshot (docs/BENCHMARKS.md,
// "/metrics exposition"). civetweb is the same library the Exposer runs on.

#include <civetweb.h>

#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "metrics/metrics.h"

namespace trinet::metrics {
namespace {

struct StopContext {
  void operator()(mg_context* ctx) const { mg_stop(ctx); }
};

// civetweb reports why it cannot start (e.g. "cannot bind to 127.0.0.1:9870: 98 (Address
// already in use)") through its log callback, on the thread that starts it. While a
// MetricsServer is being constructed, that thread's messages are kept here.
thread_local std::string* startup_log = nullptr;

int LogMessage(const mg_connection*, const char* message) {
  if (startup_log == nullptr || message == nullptr) return 0;  // civetweb's default handling
  if (!startup_log->empty()) *startup_log += "; ";
  *startup_log += message;
  return 1;
}

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A short plain-text response with `status`, e.g. "404 Not Found".
void SendText(mg_connection* conn, std::string_view status, std::string_view text) {
  std::string response = "HTTP/1.1 ";
  response += status;
  response += "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ";
  response += std::to_string(text.size());
  response += "\r\nConnection: close\r\n\r\n";
  response += text;
  mg_write(conn, response.data(), response.size());
}

}  // namespace

struct MetricsServer::Impl {
  Impl(const SnapshotHolder& holder, MetricsOptions options)
      : exposition(holder, std::move(options)) {}

  // Serves one request on a civetweb worker thread. Nothing may throw into civetweb's C.
  static int Handle(mg_connection* conn, void* cbdata) {
    const auto* self = static_cast<const Impl*>(cbdata);
    const mg_request_info* request = mg_get_request_info(conn);
    // Every path comes here (the handler is registered for "/"), so that civetweb's own
    // error pages (and their Date header, see below) are never used.
    if (request == nullptr || request->local_uri == nullptr ||
        std::strcmp(request->local_uri, "/metrics") != 0) {
      SendText(conn, "404 Not Found", "Not Found: trinetd serves /metrics only\n");
      return 404;
    }
    // The headers are written by hand, as prometheus-cpp did: civetweb's
    // mg_response_header_send() adds a Date header through gmtime(), which is not
    // thread-safe (ThreadSanitizer reports the race between two workers).
    const bool head = std::strcmp(request->request_method, "HEAD") == 0;
    if (!head && std::strcmp(request->request_method, "GET") != 0) {
      constexpr std::string_view kNotAllowed =
          "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n"
          "Connection: close\r\n\r\n";
      mg_write(conn, kNotAllowed.data(), kNotAllowed.size());
      return 405;
    }
    try {
      const char* accept = mg_get_header(conn, "Accept-Encoding");
      const Exposition::Body body = self->exposition.Get(accept != nullptr && AcceptsGzip(accept));
      std::string headers = "HTTP/1.1 200 OK\r\nContent-Type: ";
      headers += kContentType;
      headers += body.gzip() ? "\r\nContent-Encoding: gzip" : "";
      headers += "\r\nVary: Accept-Encoding\r\nContent-Length: ";
      headers += std::to_string(body.size());
      headers += "\r\nConnection: close\r\n\r\n";
      if (mg_write(conn, headers.data(), headers.size()) <= 0) return 200;
      if (!head) {
        for (const std::string_view part : body.Parts()) {
          // mg_write sends everything or fails (the scraper went away): stop then.
          if (!part.empty() && mg_write(conn, part.data(), part.size()) <= 0) break;
        }
      }
      return 200;
    } catch (const std::exception& e) {
      SendText(conn, "500 Internal Server Error", std::string("metrics: ") + e.what() + "\n");
      return 500;
    }
  }

  Exposition exposition;
  // Declared last: stops (joining civetweb's threads, which use `exposition`) first.
  std::unique_ptr<mg_context, StopContext> context;
};

MetricsServer::MetricsServer(const std::string& bind_address, const SnapshotHolder& holder,
                             MetricsOptions options, std::size_t threads)
    : bind_address_(bind_address), impl_(std::make_unique<Impl>(holder, std::move(options))) {
  static std::once_flag library;
  std::call_once(library, [] { mg_init_library(0); });  // once per process, not thread-safe

  const std::string thread_count = std::to_string(threads == 0 ? 1 : threads);
  const char* config[] = {"listening_ports", bind_address.c_str(), "num_threads",
                          thread_count.c_str(), nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = &LogMessage;
  std::string log;
  startup_log = &log;
  impl_->context.reset(mg_start(&callbacks, nullptr, config));
  startup_log = nullptr;
  if (!impl_->context) {
    throw std::runtime_error("metrics: cannot listen on \"" + bind_address +
                             "\": " + (log.empty() ? std::string("civetweb did not start") : log));
  }
  mg_set_request_handler(impl_->context.get(), "/", &Impl::Handle, impl_.get());
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const {
  mg_server_port ports[4] = {};
  const int n = mg_get_server_ports(impl_->context.get(), 4, ports);
  return n > 0 ? ports[0].port : 0;
}

const Exposition& MetricsServer::exposition() const { return impl_->exposition; }

}  // namespace trinet::metrics
