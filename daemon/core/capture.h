#pragma once
// trinetd's live capture (the passive egress watch, issue 6, docs/pcap.md "Live capture"):
// one libpcap handle and one thread per `--capture IFACE:NETWORK[:FILTER]` source.
//
// Each thread reads packets with pcap_dispatch, decodes them (collectors/pcap/decode.h) and
// aggregates them into a bounded FlowTable whose evictions go to the window's Analyzer.
// Every window (the poll interval) the thread hands all flows to the Analyzer, passes its
// observations (what was seen in that window only: the store adds them up) to the writer
// thread, and starts a new window with the policy of the current register. Counters go to
// the SnapshotHolder's CaptureSnapshot for /metrics.
//
// Safety: a handle is opened for reading only. Nothing here calls pcap_inject or
// pcap_sendpacket, and no captured address is ever resolved to a name. The handles are
// opened before anything else (the privileged part), then DropPrivileges() switches to an
// unprivileged user like `tcpdump -Z`, or the daemon runs with CAP_NET_RAW alone.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/snapshot.h"
#include "register/register.h"

namespace trinet {

class ObservationWriter;

/// One `--capture` source.
struct CaptureSource {
  std::string interface;  ///< the capture interface; also the metrics' `source` label
  std::string network;    ///< external | internal | classified
  std::string filter;     ///< BPF filter expression; empty: every packet

  bool operator==(const CaptureSource&) const = default;
};

/// Parses "IFACE:NETWORK[:FILTER]" (the filter may itself contain colons). Checks the
/// interface name (1 to 15 bytes, no '/', whitespace or ':') and the network; the filter is
/// checked by ValidateCaptureFilter.
bool ParseCaptureSource(const std::string& text, CaptureSource* out, std::string* error);

/// Compiles `filter` for an Ethernet capture without opening any device (no privileges
/// needed), so that a bad filter fails start-up. Empty filters are valid.
bool ValidateCaptureFilter(const std::string& filter, std::string* error);

/// Switches the process to `user` (its primary group and supplementary groups), then checks
/// that root cannot be regained. Call before any thread is started.
bool DropPrivileges(const std::string& user, std::string* error);

struct CaptureOptions {
  std::size_t max_flows = 100000;               ///< FlowTable cap per source
  std::chrono::milliseconds window{60000};      ///< how often observations go to the writer
  std::chrono::milliseconds stats_every{1000};  ///< how often counters are published
  int snaplen = 512;                            ///< bytes kept of each packet
  int buffer_bytes = 4 * 1024 * 1024;           ///< kernel ring buffer per source
  int timeout_ms = 500;                         ///< libpcap's read timeout
};

/// Every capture source of the daemon.
class Capture {
 public:
  /// Opens and activates a handle per source (the part that needs CAP_NET_RAW). On failure
  /// returns nullptr and sets *error to a message naming the source and what to do.
  static std::unique_ptr<Capture> Open(const std::vector<CaptureSource>& sources,
                                       CaptureOptions options, std::string* error);
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  /// Starts one thread per source. `writer` and `snapshots` must outlive this object (or
  /// Stop() must be called first).
  void Start(ObservationWriter& writer, SnapshotHolder& snapshots,
             std::shared_ptr<const Register> reg);
  /// The register whose policy the next window applies.
  void SetRegister(std::shared_ptr<const Register> reg);
  /// Breaks every loop, joins the threads and hands the last window to the writer.
  void Stop();

  std::size_t sources() const;

  struct Session;  // one source: its handle, thread, table and counters (capture.cc)

 private:
  Capture() = default;
  void PublishStats(std::size_t index, CaptureSourceSnapshot stats);

  CaptureOptions options_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::atomic<std::shared_ptr<const Register>> reg_;
  std::atomic<bool> stop_{false};
  SnapshotHolder* snapshots_ = nullptr;
  ObservationWriter* writer_ = nullptr;
  std::mutex stats_mu_;
  std::vector<CaptureSourceSnapshot> stats_;
};

}  // namespace trinet
