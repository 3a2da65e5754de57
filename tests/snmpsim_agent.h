#pragma once
// Test harness: a real SNMP agent (snmpsimd from the snmpsim package) on 127.0.0.1 and a UDP
// "black hole" that never answers. Header-only, no Net-SNMP: any test can use it.
//
//   SnmpsimOptions options;
//   options.files = {"/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz"};
//   options.records = {{"mine", "1.3.6.1.2.1.1.5.0|4|box\n"}};
//   options.users = {{"simulator", "SHA", "auctoritas", "AES", "privatus"}};
//   SnmpsimAgent agent(options);  // throws std::runtime_error (with the agent's log) on failure
//   ... send to 127.0.0.1:agent.port(), community = data file stem, v3 context = stem ...
//
// Start one agent per test suite (SetUpTestSuite): indexing a big walk takes seconds. The
// agent serves each data file as community "<stem>" (v1/v2c; unknown communities get no
// answer at all) and as SNMPv3 context "<stem>" (the default context "" serves nothing).

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace trinet::testing {

/// An SNMPv3 USM user of the agent, with snmpsimd's protocol names: auth MD5, SHA, SHA224,
/// SHA256, SHA384, SHA512; priv DES, 3DES, AES (128), AES192 / AES256 (Cisco/Reeder key
/// extension), AES192BLMT / AES256BLMT (Blumenthal key extension). Empty protocol: none.
struct SnmpsimUser {
  std::string name;
  std::string auth_proto;
  std::string auth_key;
  std::string priv_proto;
  std::string priv_key;
};

struct SnmpsimOptions {
  /// Inline data: (community, snmprec text "OID|TYPE|VALUE" lines).
  std::vector<std::pair<std::string, std::string>> records;
  /// .snmprec or .snmprec.gz files (gunzipped into the data folder); community = file stem.
  std::vector<std::filesystem::path> files;
  std::vector<SnmpsimUser> users;
  /// Variable bindings per response (snmpsimd's default is 64); 0 leaves the default.
  int max_varbinds = 0;
  /// UDP endpoints (ports) the agent listens on, all serving the same data. Each socket has
  /// its own kernel receive buffer (~200 queued requests with Linux defaults); spread bursts
  /// of many requests over several.
  int endpoints = 1;
  /// Fixed loopback endpoints ("127.0.10.1:16101") to listen on instead of free ports, in
  /// this order: the n-th is snmpsimd's transport 1.3.6.1.6.1.1.n, so a data file
  /// "<md5 of the community>/1.3.6.1.6.1.1.n.snmprec" answers that community on that endpoint
  /// only (with a "<community>.snmprec" present so the community exists at all), and
  /// "1.3.6.1.6.1.1.n.snmprec" answers SNMPv3 requests with the empty context there.
  std::vector<std::string> fixed_endpoints;
  /// How long the agent may take to index its data and start listening.
  std::chrono::milliseconds start_timeout{30'000};
};

namespace snmpsim_detail {

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// `count` distinct UDP ports on 127.0.0.1 that were free a moment ago.
inline std::vector<int> FreeUdpPorts(int count) {
  std::vector<int> fds;
  std::vector<int> ports;
  auto cleanup = [&fds] {
    for (int fd : fds) close(fd);
  };
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      cleanup();
      throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      int err = errno;
      cleanup();
      throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  cleanup();
  return ports;
}

/// Runs argv with stdout to `out` (stderr to `err` when given), stdin from /dev/null and no
/// other inherited descriptor. Returns the child's pid.
inline pid_t Spawn(const std::vector<std::string>& args, const std::filesystem::path& out,
                   const std::filesystem::path* err) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err != nullptr) {
    posix_spawn_file_actions_addopen(&actions, 2, err->c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  } else {
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  // Keep the test's own sockets (and epoll registrations) out of the agent.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + args[0] + ": " + std::strerror(rc));
  return pid;
}

inline int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace snmpsim_detail

class SnmpsimAgent {
 public:
  static constexpr const char* kBinary = "/usr/bin/snmpsimd";
  static bool Available() { return access(kBinary, X_OK) == 0; }

  explicit SnmpsimAgent(const SnmpsimOptions& options) {
    namespace fs = std::filesystem;
    std::string pattern = (fs::temp_directory_path() / "trinet-snmpsim-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    }
    root_ = pattern;
    try {
      Prepare(options);
      Start(options);
    } catch (...) {
      Stop();
      std::error_code ec;
      fs::remove_all(root_, ec);
      throw;
    }
  }

  ~SnmpsimAgent() {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  SnmpsimAgent(const SnmpsimAgent&) = delete;
  SnmpsimAgent& operator=(const SnmpsimAgent&) = delete;

  /// The (first) port the agent listens on, at 127.0.0.1.
  int port() const { return ports_.at(0); }
  /// All its ports (SnmpsimOptions::endpoints of them).
  const std::vector<int>& ports() const { return ports_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port()); }
  pid_t pid() const { return pid_; }
  /// Everything the agent logged so far.
  std::string Log() const { return snmpsim_detail::ReadAll(root_ / "snmpsimd.log"); }

 private:
  void Prepare(const SnmpsimOptions& options) {
    namespace fs = std::filesystem;
    data_ = root_ / "data";
    cache_ = root_ / "cache";
    fs::create_directories(data_);
    fs::create_directories(cache_);
    for (const auto& [community, text] : options.records) {
      const auto file = data_ / (community + ".snmprec");
      fs::create_directories(file.parent_path());
      std::ofstream(file, std::ios::binary) << text;
    }
    for (const auto& file : options.files) {
      if (file.extension() == ".gz") {
        fs::path out = data_ / file.stem();  // x.snmprec.gz -> x.snmprec
        pid_t pid = snmpsim_detail::Spawn({"/bin/gzip", "-dc", file.string()}, out, nullptr);
        if (snmpsim_detail::WaitExit(pid) != 0) {
          throw std::runtime_error("cannot gunzip " + file.string());
        }
      } else {
        fs::copy_file(file, data_ / file.filename(), fs::copy_options::overwrite_existing);
      }
    }
    // snmpsimd refuses to run as root; it drops to nobody, which must read the data and
    // write the index cache.
    if (geteuid() == 0) {
      as_root_ = true;
      const passwd* nobody = getpwnam("nobody");
      const group* nogroup = getgrnam("nogroup");
      if (nobody == nullptr || nogroup == nullptr) {
        throw std::runtime_error("running as root needs user nobody and group nogroup");
      }
      chmod(root_.c_str(), 0755);
      chmod(data_.c_str(), 0755);
      for (const auto& entry : fs::recursive_directory_iterator(data_)) {
        chmod(entry.path().c_str(), entry.is_directory() ? 0755 : 0644);
      }
      if (chown(cache_.c_str(), nobody->pw_uid, nogroup->gr_gid) != 0) {
        throw std::runtime_error(std::string("chown cache: ") + std::strerror(errno));
      }
    }
  }

  std::vector<std::string> Arguments(const SnmpsimOptions& options) const {
    std::vector<std::string> args = {kBinary, "--data-dir=" + data_.string(),
                                     "--cache-dir=" + cache_.string(), "--logging-method=stderr"};
    for (const auto& endpoint : options.fixed_endpoints) {
      args.push_back("--agent-udpv4-endpoint=" + endpoint);
    }
    if (options.fixed_endpoints.empty()) {
      for (int port : ports_) {
        args.push_back("--agent-udpv4-endpoint=127.0.0.1:" + std::to_string(port));
      }
    }
    if (options.max_varbinds > 0) {
      args.push_back("--max-varbinds=" + std::to_string(options.max_varbinds));
    }
    for (const auto& u : options.users) {
      args.push_back("--v3-user=" + u.name);
      if (!u.auth_proto.empty()) {
        args.push_back("--v3-auth-key=" + u.auth_key);
        args.push_back("--v3-auth-proto=" + u.auth_proto);
      }
      if (!u.priv_proto.empty()) {
        args.push_back("--v3-priv-key=" + u.priv_key);
        args.push_back("--v3-priv-proto=" + u.priv_proto);
      }
    }
    if (as_root_) {
      args.push_back("--process-user=nobody");
      args.push_back("--process-group=nogroup");
    }
    return args;
  }

  void Start(const SnmpsimOptions& options) {
    if (!Available()) throw std::runtime_error(std::string(kBinary) + " is not installed");
    std::string last_log;
    for (int attempt = 0; attempt < 3; ++attempt) {  // the free port may be taken meanwhile
      ports_ = snmpsim_detail::FreeUdpPorts(std::max(1, options.endpoints));
      std::filesystem::path log = root_ / "snmpsimd.log";
      pid_ = snmpsim_detail::Spawn(Arguments(options), log, nullptr);
      // Endpoints are set up in order; the last one listening means all are.
      std::string listening =
          "Listening at UDP/IPv4 endpoint " +
          (options.fixed_endpoints.empty() ? "127.0.0.1:" + std::to_string(ports_.back())
                                           : options.fixed_endpoints.back()) +
          ",";
      auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
      while (std::chrono::steady_clock::now() < deadline) {
        last_log = Log();
        if (last_log.find(listening) != std::string::npos) return;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          break;  // exited: retry on another port, or report below
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      Stop();
      if (last_log.find("Address already in use") == std::string::npos) break;
    }
    throw std::runtime_error("snmpsimd did not start listening on 127.0.0.1:" +
                             std::to_string(ports_.empty() ? 0 : ports_.back()) + "; its log:\n" +
                             last_log);
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  std::filesystem::path root_;
  std::filesystem::path data_;
  std::filesystem::path cache_;
  bool as_root_ = false;
  std::vector<int> ports_;
  pid_t pid_ = -1;
};

/// A UDP socket bound on 127.0.0.1 that swallows whatever it is sent and never answers:
/// a dead agent that also produces no ICMP port-unreachable.
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      int err = errno;
      close(fd_);
      throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
    }
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() { close(fd_); }
  BlackHole(const BlackHole&) = delete;
  BlackHole& operator=(const BlackHole&) = delete;

  int port() const { return port_; }
  /// Datagrams received and dropped so far (reads the socket without blocking).
  int Drain() {
    char buf[65536];
    while (recv(fd_, buf, sizeof buf, MSG_DONTWAIT) >= 0) ++received_;
    return received_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  int received_ = 0;
};

}  // namespace trinet::testing
