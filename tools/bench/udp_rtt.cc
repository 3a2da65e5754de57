// The loopback UDP floor of the poll benchmarks (tools/bench/floor): how many request/answer
// round trips this machine's loopback carries, with nothing but the kernel in the way.
//
//   trinet_bench_udp_rtt [--seconds S] [--size BYTES] [--window W]
//
// An echo thread answers every datagram on 127.0.0.1; the main thread sends `size`-byte
// datagrams and counts answers, first one at a time (round-trip time), then with `window`
// datagrams in flight (the rate a pipelined poller could reach). Only 127.0.0.1 is used.

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "trinet_bench_udp_rtt: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

sockaddr_in Loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

double CpuSeconds(int who) {
  rusage u{};
  if (getrusage(who, &u) != 0) Die("getrusage");
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Phase {
  double seconds = 0;
  long round_trips = 0;
};

// Sends and receives on a connected socket with `window` datagrams outstanding until
// `seconds` have passed; a lost datagram (none expected on loopback) stops the phase.
Phase Run(int fd, size_t size, int window, double seconds) {
  std::vector<char> buf(size, 'x');
  std::vector<char> in(65536);
  timeval tv{1, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) Die("SO_RCVTIMEO");
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  long done = 0;
  int outstanding = 0;
  for (; outstanding < window; ++outstanding) {
    if (send(fd, buf.data(), size, 0) < 0) Die("send");
  }
  while (true) {
    const ssize_t n = recv(fd, in.data(), in.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // a datagram was lost
      Die("recv");
    }
    ++done;
    --outstanding;
    if (std::chrono::steady_clock::now() >= end) break;
    if (send(fd, buf.data(), size, 0) < 0) Die("send");
    ++outstanding;
  }
  // Drain what is still on its way so that the next phase starts clean.
  tv = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (outstanding > 0 && recv(fd, in.data(), in.size(), 0) >= 0) --outstanding;
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), done};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  size_t size = 1200;
  int window = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--size") {
      size = static_cast<size_t>(std::atol(argv[i + 1]));
    } else if (flag == "--window") {
      window = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--size BYTES] [--window W]\n", argv[0]);
      return 2;
    }
  }
  if (seconds <= 0 || size < 1 || size > 65000 || window < 1) {
    std::fprintf(stderr, "trinet_bench_udp_rtt: bad arguments\n");
    return 2;
  }

  Fd server(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (server.get() < 0) Die("socket");
  sockaddr_in addr = Loopback(0);
  if (bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("bind");
  socklen_t len = sizeof addr;
  if (getsockname(server.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("getsockname");
  }
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    std::vector<char> buf(65536);
    timeval tv{0, 100000};
    setsockopt(server.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (!stop.load()) {
      sockaddr_in from{};
      socklen_t from_len = sizeof from;
      const ssize_t n = recvfrom(server.get(), buf.data(), buf.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) continue;  // timeout (to see `stop`) or EINTR
      sendto(server.get(), buf.data(), static_cast<size_t>(n), 0,
             reinterpret_cast<sockaddr*>(&from), from_len);
    }
  });

  Fd client(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (client.get() < 0) Die("socket");
  if (connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("connect");

  const double cpu0 = CpuSeconds(RUSAGE_SELF);
  const Phase one = Run(client.get(), size, 1, seconds);
  const double cpu1 = CpuSeconds(RUSAGE_SELF);
  const Phase many = Run(client.get(), size, window, seconds);
  const double cpu2 = CpuSeconds(RUSAGE_SELF);
  stop = true;
  echo.join();

  std::printf("loopback UDP, %zu-byte datagrams, echo thread on 127.0.0.1\n", size);
  std::printf("  one in flight:   %.0f round trips/s, %.1f us per round trip, cpu %.2f s\n",
              static_cast<double>(one.round_trips) / one.seconds,
              one.seconds / static_cast<double>(one.round_trips) * 1e6, cpu1 - cpu0);
  std::printf("  %d in flight:    %.0f round trips/s, cpu %.2f s (both ends, %.2f us each)\n",
              window, static_cast<double>(many.round_trips) / many.seconds, cpu2 - cpu1,
              (cpu2 - cpu1) / static_cast<double>(many.round_trips) * 1e6);
  std::printf("rtt_us=%.2f pipelined_per_s=%.0f cpu_us_per_round_trip=%.3f\n",
              one.seconds / static_cast<double>(one.round_trips) * 1e6,
              static_cast<double>(many.round_trips) / many.seconds,
              (cpu2 - cpu1) / static_cast<double>(many.round_trips) * 1e6);
  return 0;
}
