#include "server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace trinet::lab {

namespace {

constexpr std::uint32_t kSignalTag = 0xffffffffu;
// Datagrams read per recvmmsg, and batches per socket before the loop looks at the others:
// enough to amortise the system calls, few enough that one busy endpoint cannot starve the
// rest (epoll is level-triggered, so whatever is left is reported again).
constexpr int kBatchSize = 32;
constexpr int kBatchesPerWake = 8;
constexpr std::size_t kDatagramSize = 65536;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// 10,000 endpoints need 10,000 descriptors; the default soft limit is often 1,024.
bool RaiseFileLimit(std::size_t needed, std::string* error) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    *error = Errno("getrlimit(RLIMIT_NOFILE)");
    return false;
  }
  if (limit.rlim_cur != limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      *error = Errno("setrlimit(RLIMIT_NOFILE)");
      return false;
    }
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    *error = std::to_string(needed) + " file descriptors are needed but the hard limit is " +
             std::to_string(limit.rlim_cur) +
             " (raise it: `ulimit -Hn`, systemd LimitNOFILE=, or /etc/security/limits.conf)";
    return false;
  }
  return true;
}

}  // namespace

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);  // nothing useful to do if close fails on a socket
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

struct Server::Batch {
  std::vector<std::uint8_t> in = std::vector<std::uint8_t>(kBatchSize * kDatagramSize);
  std::vector<std::uint8_t> out = std::vector<std::uint8_t>(kBatchSize * Responder::kOutputSize);
  std::array<mmsghdr, kBatchSize> recv{};
  std::array<iovec, kBatchSize> recv_iov{};
  std::array<sockaddr_in, kBatchSize> from{};
  std::array<mmsghdr, kBatchSize> send{};
  std::array<iovec, kBatchSize> send_iov{};
  std::array<std::uint32_t, kBatchSize> send_varbinds{};
};

Server::Server(ResponderOptions options) : responder_(options), batch_(std::make_unique<Batch>()) {}

Server::~Server() = default;

std::unique_ptr<Server> Server::Create(std::vector<ServedEndpoint> endpoints,
                                       ResponderOptions options, std::string* error) {
  std::unique_ptr<Server> server(new Server(options));
  if (!RaiseFileLimit(endpoints.size() + 32, error)) return nullptr;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    *error = std::string("pthread_sigmask: ") + std::strerror(rc);
    return nullptr;
  }
  server->signals_ = UniqueFd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!server->signals_.valid()) {
    *error = Errno("signalfd");
    return nullptr;
  }
  server->epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!server->epoll_.valid()) {
    *error = Errno("epoll_create1");
    return nullptr;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = kSignalTag;
  if (epoll_ctl(server->epoll_.get(), EPOLL_CTL_ADD, server->signals_.get(), &ev) != 0) {
    *error = Errno("epoll_ctl(signalfd)");
    return nullptr;
  }

  server->sockets_.reserve(endpoints.size());
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const Endpoint& e = endpoints[i].endpoint;
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
      *error = Errno("socket for " + e.text);
      return nullptr;
    }
    const int one = 1;
    if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
      *error = Errno("setsockopt(SO_REUSEADDR) for " + e.text);
      return nullptr;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = e.address;
    addr.sin_port = htons(e.port);
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      *error = Errno("bind " + e.text);
      return nullptr;
    }
    ev.data.u32 = static_cast<std::uint32_t>(i);
    if (epoll_ctl(server->epoll_.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) {
      *error = Errno("epoll_ctl " + e.text);
      return nullptr;
    }
    server->sockets_.push_back(std::move(fd));
  }
  server->endpoints_ = std::move(endpoints);
  return server;
}

bool Server::Run(std::string* error) {
  std::array<epoll_event, 256> events{};
  while (true) {
    const int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = Errno("epoll_wait");
      return false;
    }
    for (int i = 0; i < n; ++i) {
      const std::uint32_t tag = events[static_cast<std::size_t>(i)].data.u32;
      if (tag == kSignalTag) return true;  // SIGTERM or SIGINT: the caller reports and exits
      if (!Drain(tag, error)) return false;
    }
  }
}

bool Server::Drain(std::uint32_t index, std::string* error) {
  Batch& b = *batch_;
  const int fd = sockets_[index].get();
  const ViewSelector& selector = *endpoints_[index].selector;
  for (int round = 0; round < kBatchesPerWake; ++round) {
    for (int i = 0; i < kBatchSize; ++i) {
      const auto k = static_cast<std::size_t>(i);
      b.recv_iov[k] = {b.in.data() + k * kDatagramSize, kDatagramSize};
      b.recv[k].msg_hdr = {};
      b.recv[k].msg_hdr.msg_name = &b.from[k];
      b.recv[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      b.recv[k].msg_hdr.msg_iov = &b.recv_iov[k];
      b.recv[k].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(fd, b.recv.data(), kBatchSize, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EBADF || errno == ENOTSOCK || errno == EFAULT || errno == EINVAL) {
        *error = Errno("recvmmsg on " + endpoints_[index].endpoint.text);
        return false;
      }
      // Transient (ENOMEM, a queued ICMP error): count it and serve the other endpoints.
      ++stats_.receive_errors;
      return true;
    }
    int to_send = 0;
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      ++stats_.requests;
      const mmsghdr& m = b.recv[k];
      if ((m.msg_hdr.msg_flags & MSG_TRUNC) != 0 || m.msg_hdr.msg_namelen != sizeof(sockaddr_in)) {
        ++stats_.malformed;
        continue;
      }
      const Answer answer = responder_.Respond(
          Bytes(b.in.data() + k * kDatagramSize, m.msg_len), selector, b.from[k].sin_addr.s_addr,
          std::span<std::uint8_t>(b.out.data() + k * Responder::kOutputSize,
                                  Responder::kOutputSize));
      switch (answer.drop) {
        case Drop::kNone:
          break;
        case Drop::kMalformed:
          ++stats_.malformed;
          continue;
        case Drop::kVersion:
          ++stats_.bad_version;
          continue;
        case Drop::kPduType:
          ++stats_.bad_pdu;
          continue;
        case Drop::kCommunity:
          ++stats_.bad_community;
          continue;
        case Drop::kTooBig:
          ++stats_.too_big;
          continue;
      }
      const auto s = static_cast<std::size_t>(to_send++);
      b.send_iov[s] = {const_cast<std::uint8_t*>(answer.message.data()), answer.message.size()};
      b.send[s].msg_hdr = {};
      b.send[s].msg_hdr.msg_name = &b.from[k];
      b.send[s].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      b.send[s].msg_hdr.msg_iov = &b.send_iov[s];
      b.send[s].msg_hdr.msg_iovlen = 1;
      b.send_varbinds[s] = answer.varbinds;
    }
    int sent = 0;
    while (sent < to_send) {
      const auto s = static_cast<std::size_t>(sent);
      const int r = sendmmsg(fd, &b.send[s], static_cast<unsigned>(to_send - sent), MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        // The first unsent datagram failed (a full buffer, an unreachable sender): UDP answers
        // are best effort, as snmpsimd's are; count it and go on with the rest.
        ++stats_.send_failed;
        ++sent;
        continue;
      }
      for (int j = 0; j < r; ++j) {
        ++stats_.answered;
        stats_.varbinds += b.send_varbinds[s + static_cast<std::size_t>(j)];
      }
      sent += r;
    }
    if (n < kBatchSize) return true;
  }
  return true;
}

}  // namespace trinet::lab
