#include "core/capture.h"

#include <grp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <span>
#include <thread>
#include <utility>

#include "core/log.h"
#include "core/writer.h"
#include "pcap/analyze.h"
#include "pcap/decode.h"
#include "pcap/flow_table.h"
#include "pcap_store.h"

namespace trinet {

// ---- configuration ------------------------------------------------------------------------

bool ParseCaptureSource(const std::string& text, CaptureSource* out, std::string* error) {
  const auto first = text.find(':');
  if (first == std::string::npos) {
    *error = "expected IFACE:NETWORK[:FILTER], e.g. eth1:internal";
    return false;
  }
  const auto second = text.find(':', first + 1);
  CaptureSource s;
  s.interface = text.substr(0, first);
  s.network =
      text.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  if (second != std::string::npos) s.filter = text.substr(second + 1);
  if (s.interface.empty()) {
    *error = "no interface name before the ':'";
    return false;
  }
  // Linux interface names: at most IFNAMSIZ - 1 bytes, no '/' or whitespace.
  if (s.interface.size() > 15 || s.interface.find_first_of("/ \t\r\n") != std::string::npos) {
    *error = "'" + s.interface + "' is not an interface name";
    return false;
  }
  if (s.interface == "any") {
    // The "any" pseudo-device joins every interface, hence every network, into one source.
    *error = "the 'any' device mixes every interface's traffic; name one interface";
    return false;
  }
  if (s.network != "external" && s.network != "internal" && s.network != "classified") {
    *error = "network '" + s.network + "' is not one of external, internal, classified";
    return false;
  }
  *out = std::move(s);
  return true;
}

bool ValidateCaptureFilter(const std::string& filter, std::string* error) {
  if (filter.empty()) return true;
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 512);
  if (!dead) {
    *error = "libpcap could not make a handle to compile the filter";
    return false;
  }
  bpf_program program{};
  const bool ok = pcap_compile(dead, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
  if (ok) {
    pcap_freecode(&program);
  } else {
    *error = "bad BPF filter '" + filter + "': " + pcap_geterr(dead);
  }
  pcap_close(dead);
  return ok;
}

bool DropPrivileges(const std::string& user, std::string* error) {
  std::array<char, 16384> buffer{};
  passwd pw{};
  passwd* found = nullptr;
  const int rc = getpwnam_r(user.c_str(), &pw, buffer.data(), buffer.size(), &found);
  if (rc != 0 || !found) {
    *error = "--capture-user: no such user '" + user + "'";
    return false;
  }
  const uid_t uid = found->pw_uid;
  const gid_t gid = found->pw_gid;
  if (getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid) return true;
  if (geteuid() != 0) {
    *error = "--capture-user " + user + ": switching user needs root (running as uid " +
             std::to_string(geteuid()) + ")";
    return false;
  }
  // Supplementary groups first (needs root), then the group, then the user: after setuid
  // there is no way back.
  if (initgroups(user.c_str(), gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
    *error = "--capture-user " + user + ": " + std::strerror(errno);
    return false;
  }
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
      (uid != 0 && setuid(0) == 0)) {
    *error = "--capture-user " + user + ": the switch did not take effect";
    return false;
  }
  return true;
}

// ---- one source ---------------------------------------------------------------------------

namespace {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

std::int64_t NowSeconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// What to do about each pcap_activate() result, in words for the journal.
std::string ActivateMessage(int rc, pcap_t* p, const std::string& iface) {
  const std::string detail = pcap_geterr(p);
  switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
      return "permission denied: capturing needs root or CAP_NET_RAW (systemd: "
             "AmbientCapabilities=CAP_NET_RAW, see docs/pcap.md)" +
             (detail.empty() ? std::string() : " (" + detail + ")");
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return "no interface named " + iface + (detail.empty() ? std::string() : " (" + detail + ")");
    case PCAP_ERROR_IFACE_NOT_UP:
      return "the interface is not up (ip link set " + iface + " up)";
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return "not allowed to put the interface in promiscuous mode" +
             (detail.empty() ? std::string() : " (" + detail + ")");
    case PCAP_ERROR_RFMON_NOTSUP:
      return "monitor mode is not supported (it is not asked for: a libpcap bug?)";
    case PCAP_ERROR_NOT_RFMON:
      return "the interface is not in monitor mode";
    case PCAP_ERROR_ACTIVATED:
      return "the handle was already activated";
#ifdef PCAP_ERROR_CAPTURE_NOTSUP  // libpcap >= 1.11
    case PCAP_ERROR_CAPTURE_NOTSUP:
      return "the interface does not support capturing" +
             (detail.empty() ? std::string() : " (" + detail + ")");
#endif
    case PCAP_ERROR_NOT_ACTIVATED:
      return "the handle was not activated";
    case PCAP_ERROR_CANTSET_TSTAMP_TYPE:
      return "the timestamp type cannot be set";
    case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP:
      return "the timestamp precision is not supported";
    case PCAP_ERROR_BREAK:
      return "interrupted";
    case PCAP_ERROR:
    default:
      return detail.empty() ? "error " + std::to_string(rc) : detail;
  }
}

// The warning of a positive pcap_activate() result; the handle works.
std::string ActivateWarning(int rc, pcap_t* p) {
  const std::string detail = pcap_geterr(p);
  switch (rc) {
    case PCAP_WARNING_PROMISC_NOTSUP:
      return "promiscuous mode is not supported: only traffic to and from this host is seen" +
             (detail.empty() ? std::string() : " (" + detail + ")");
    case PCAP_WARNING_TSTAMP_TYPE_NOTSUP:
      return "the timestamp type is not supported";
    case PCAP_WARNING:
    default:
      return detail.empty() ? "warning " + std::to_string(rc) : detail;
  }
}

// Opens one source. Every step's failure is one sentence naming the interface.
PcapHandle OpenSource(const CaptureSource& source, const CaptureOptions& options, int* linktype,
                      std::string* error) {
  const std::string name = "capture " + source.interface + " (" + source.network + "): ";
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapHandle p(pcap_create(source.interface.c_str(), errbuf));
  if (!p) {
    *error = name + errbuf;
    return nullptr;
  }
  // Headers, VLAN tags, DNS questions and DHCP options fit in the snap length; payload is
  // neither needed nor kept. Promiscuous: a mirror port delivers frames addressed to others.
  if (pcap_set_snaplen(p.get(), options.snaplen) != 0 || pcap_set_promisc(p.get(), 1) != 0 ||
      pcap_set_timeout(p.get(), options.timeout_ms) != 0 ||
      pcap_set_buffer_size(p.get(), options.buffer_bytes) != 0) {
    *error = name + "cannot set the capture options: " + pcap_geterr(p.get());
    return nullptr;
  }
  const int rc = pcap_activate(p.get());
  if (rc < 0) {
    *error = name + ActivateMessage(rc, p.get(), source.interface);
    return nullptr;
  }
  if (rc > 0) log::Warning(name + ActivateWarning(rc, p.get()));
  // Both directions (no pcap_setdirection): a mirror port's traffic all arrives inbound, and
  // on a host's own interface the rules need what it sends as well.
  *linktype = pcap_datalink(p.get());
  if (*linktype != DLT_EN10MB && *linktype != DLT_LINUX_SLL
#ifdef DLT_LINUX_SLL2
      && *linktype != DLT_LINUX_SLL2
#endif
  ) {
    const char* dlt = pcap_datalink_val_to_name(*linktype);
    *error = name + "link type " + (dlt ? dlt : std::to_string(*linktype)) +
             " is not supported (Ethernet or Linux cooked only)";
    return nullptr;
  }
  if (!source.filter.empty()) {
    bpf_program program{};
    if (pcap_compile(p.get(), &program, source.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      *error = name + "bad BPF filter '" + source.filter + "': " + pcap_geterr(p.get());
      return nullptr;
    }
    const int set = pcap_setfilter(p.get(), &program);
    pcap_freecode(&program);
    if (set != 0) {
      *error = name + "cannot set the filter: " + pcap_geterr(p.get());
      return nullptr;
    }
  }
  // Non-blocking, waited for with poll() by the session: on Linux (TPACKET_V3) a blocking
  // read with a timeout still waits forever while no packet comes, since the kernel's block
  // timer wakes nobody for an empty block; windows and counters must go on regardless.
  if (pcap_setnonblock(p.get(), 1, errbuf) != 0 || pcap_get_selectable_fd(p.get()) < 0) {
    *error = name + "cannot read the handle without blocking: " + errbuf;
    return nullptr;
  }
  return p;
}

}  // namespace

// How long a session waits for packets before it looks at the clock and the stop flag.
constexpr int kPollMs = 250;

struct Capture::Session {
  Capture* owner = nullptr;
  std::size_t index = 0;
  CaptureSource source;
  PcapHandle handle;  // written by the session's thread under handle_mu only
  std::mutex handle_mu;
  int linktype = DLT_EN10MB;
  std::thread thread;

  // Owned by the session's thread once it runs.
  pcap::Packet packet;
  std::unique_ptr<pcap::FlowTable> table;
  std::unique_ptr<pcap::Analyzer> analyzer;  // the current window's
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(pcap::DecodeError::kCount)> errors{};
  // pcap_stats of handles closed after an error, so the totals never go back.
  std::uint64_t closed_kernel_drops = 0;
  std::uint64_t closed_interface_drops = 0;
  pcap_stat last_stats{};

  static void OnPacket(u_char* user, const pcap_pkthdr* header, const u_char* data) {
    auto* s = reinterpret_cast<Session*>(user);
    const std::span<const std::uint8_t> bytes_seen(data, header->caplen);
    const auto error = pcap::DecodePacket(bytes_seen, header->len, s->linktype, &s->packet);
    s->errors[static_cast<std::size_t>(error)] += 1;
    s->packets += 1;
    s->bytes += header->len;
    const std::int64_t ts = static_cast<std::int64_t>(header->ts.tv_sec) * 1000000 +
                            static_cast<std::int64_t>(header->ts.tv_usec);
    s->table->Add(s->packet, header->len, ts);
  }

  void NewWindow() {
    auto reg = owner->reg_.load();
    static const Register kNoRegister;
    analyzer = std::make_unique<pcap::Analyzer>(
        PolicyFor(reg ? *reg : kNoRegister, source.network, source.interface));
  }

  // Ends the window: every flow to the Analyzer, its observations to the writer.
  void EndWindow() {
    table->Flush();
    auto found = analyzer->Observations();
    if (!found.empty()) {
      log::Debug("capture " + source.interface + ": " + std::to_string(found.size()) +
                 " observations this window");
      owner->writer_->SubmitPcap(std::move(found), NowSeconds());
    }
    NewWindow();
  }

  CaptureSourceSnapshot Stats(bool up) {
    if (handle) {
      pcap_stat st{};
      if (pcap_stats(handle.get(), &st) == 0) last_stats = st;
    }
    CaptureSourceSnapshot out;
    out.source = source.interface;
    out.network = source.network;
    out.up = up;
    out.packets = packets;
    out.bytes = bytes;
    out.kernel_drops = closed_kernel_drops + (handle ? last_stats.ps_drop : 0);
    out.interface_drops = closed_interface_drops + (handle ? last_stats.ps_ifdrop : 0);
    const auto t = table->Stats();
    out.flows_evicted = t.evictions;
    out.flows = t.flows;
    for (std::size_t k = 1; k < errors.size(); ++k) {
      out.decode_errors[std::string(pcap::DecodeErrorName(static_cast<pcap::DecodeError>(k)))] =
          errors[k];
    }
    return out;
  }

  void CloseAfterError() {
    pcap_stat st{};
    if (pcap_stats(handle.get(), &st) == 0) last_stats = st;
    closed_kernel_drops += last_stats.ps_drop;
    closed_interface_drops += last_stats.ps_ifdrop;
    last_stats = {};
    std::lock_guard lock(handle_mu);
    handle.reset();
  }

  void Run() {
    using Clock = std::chrono::steady_clock;
    const auto& options = owner->options_;
    auto window_end = Clock::now() + options.window;
    auto next_stats = Clock::now();
    auto next_reopen = Clock::now();
    bool reopen_failed_logged = false;
    while (!owner->stop_.load()) {
      if (!handle) {
        // The interface went away or down: try again every 10 s. After --capture-user this
        // fails for want of privileges, which the first failure says.
        if (Clock::now() >= next_reopen) {
          std::string error;
          auto reopened = OpenSource(source, options, &linktype, &error);
          if (reopened) {
            std::lock_guard lock(handle_mu);
            handle = std::move(reopened);
          }
          if (handle) {
            log::Info("capture " + source.interface + ": capturing again");
            reopen_failed_logged = false;
          } else if (!reopen_failed_logged) {
            log::Error(error + "; trying again every 10 s");
            reopen_failed_logged = true;
          }
          next_reopen = Clock::now() + std::chrono::seconds(10);
        }
        if (!handle) std::this_thread::sleep_for(std::chrono::milliseconds(250));
      } else {
        // Wait at most kPollMs for the kernel to hand over a block of packets (it does after
        // the read timeout at the latest), then take what is there without blocking.
        pollfd fd{pcap_get_selectable_fd(handle.get()), POLLIN, 0};
        const int ready = poll(&fd, 1, kPollMs);
        int n = 0;
        if (ready != 0 && !owner->stop_.load()) {
          n = pcap_dispatch(handle.get(), -1, &Session::OnPacket, reinterpret_cast<u_char*>(this));
        }
        if (n == PCAP_ERROR) {
          log::Error("capture " + source.interface + ": " + pcap_geterr(handle.get()) +
                     "; capture stopped, trying to reopen");
          CloseAfterError();
          next_reopen = Clock::now() + std::chrono::seconds(10);
          owner->PublishStats(index, Stats(false));
        }
      }
      const auto now = Clock::now();
      if (now >= window_end) {
        EndWindow();
        window_end = now + options.window;
      }
      if (now >= next_stats) {
        owner->PublishStats(index, Stats(handle != nullptr));
        next_stats = now + options.stats_every;
      }
    }
    EndWindow();  // the last window: written by the writer before it stops
    owner->PublishStats(index, Stats(false));
  }
};

// ---- every source -------------------------------------------------------------------------

std::unique_ptr<Capture> Capture::Open(const std::vector<CaptureSource>& sources,
                                       CaptureOptions options, std::string* error) {
  std::unique_ptr<Capture> c(new Capture());
  c->options_ = options;
  for (const CaptureSource& source : sources) {
    auto s = std::make_unique<Session>();
    s->owner = c.get();
    s->index = c->sessions_.size();
    s->source = source;
    s->handle = OpenSource(source, options, &s->linktype, error);
    if (!s->handle) return nullptr;
    c->sessions_.push_back(std::move(s));
  }
  return c;
}

Capture::~Capture() { Stop(); }

std::size_t Capture::sources() const { return sessions_.size(); }

void Capture::SetRegister(std::shared_ptr<const Register> reg) { reg_.store(std::move(reg)); }

void Capture::PublishStats(std::size_t index, CaptureSourceSnapshot stats) {
  std::lock_guard lock(stats_mu_);
  stats_[index] = std::move(stats);
  auto snapshot = std::make_shared<CaptureSnapshot>();
  snapshot->sources = stats_;
  snapshots_->PublishCapture(std::move(snapshot));
}

void Capture::Start(ObservationWriter& writer, SnapshotHolder& snapshots,
                    std::shared_ptr<const Register> reg) {
  writer_ = &writer;
  snapshots_ = &snapshots;
  reg_.store(std::move(reg));
  {
    std::lock_guard lock(stats_mu_);
    stats_.resize(sessions_.size());
  }
  for (auto& s : sessions_) {
    Session* session = s.get();
    session->table = std::make_unique<pcap::FlowTable>(
        options_.max_flows, [session](const pcap::Flow& f) { session->analyzer->AddFlow(f); });
    session->NewWindow();
    PublishStats(session->index, session->Stats(true));
    session->thread = std::thread([session] { session->Run(); });
  }
}

void Capture::Stop() {
  stop_.store(true);
  for (auto& s : sessions_) {
    // Ends a pcap_dispatch busy with a large batch; a session waiting in poll() sees the
    // flag within kPollMs.
    std::lock_guard lock(s->handle_mu);
    if (s->handle && s->thread.joinable()) pcap_breakloop(s->handle.get());
  }
  for (auto& s : sessions_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

}  // namespace trinet
