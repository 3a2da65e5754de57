#pragma once
// The lab agent's network side: one UDP socket per endpoint, one epoll loop on one thread,
// datagrams read with recvmmsg and answered with sendmmsg in batches.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "responder.h"

namespace trinet::lab {

/// An open file descriptor, closed when destroyed.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

/// One endpoint to serve.
struct ServedEndpoint {
  Endpoint endpoint;
  std::unique_ptr<ViewSelector> selector;
};

/// Counters kept by the loop.
struct ServerStats {
  std::uint64_t requests = 0;  ///< datagrams received
  std::uint64_t answered = 0;  ///< responses sent
  std::uint64_t varbinds = 0;  ///< varbinds in the responses sent
  std::uint64_t malformed = 0;
  std::uint64_t bad_version = 0;
  std::uint64_t bad_pdu = 0;
  std::uint64_t bad_community = 0;
  std::uint64_t too_big = 0;
  std::uint64_t send_failed = 0;
  std::uint64_t receive_errors = 0;  ///< recvmmsg failures other than "nothing queued"

  std::uint64_t dropped() const {
    return malformed + bad_version + bad_pdu + bad_community + too_big + send_failed;
  }
};

/// The bound sockets and the loop.
class Server {
 public:
  /// Raises the open-file soft limit to the hard limit, blocks SIGTERM and SIGINT (they stop
  /// Run), and binds every endpoint (SO_REUSEADDR, as snmpsimd). Null with *error set on
  /// failure.
  static std::unique_ptr<Server> Create(std::vector<ServedEndpoint> endpoints,
                                        ResponderOptions options, std::string* error);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Serves until SIGTERM or SIGINT. False with *error set if the loop fails.
  bool Run(std::string* error);

  const ServerStats& stats() const { return stats_; }

 private:
  struct Batch;
  explicit Server(ResponderOptions options);
  // Answers what is queued on endpoint `index`; false on a socket error other than "empty".
  bool Drain(std::uint32_t index, std::string* error);

  std::vector<ServedEndpoint> endpoints_;
  std::vector<UniqueFd> sockets_;
  UniqueFd epoll_;
  UniqueFd signals_;
  Responder responder_;
  std::unique_ptr<Batch> batch_;
  ServerStats stats_;
};

}  // namespace trinet::lab
