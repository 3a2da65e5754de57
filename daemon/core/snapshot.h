#pragma once
// The daemon's latest view of every polled device, published as an immutable value after
// each cycle. /metrics reads only snapshots: a scrape never touches SQLite and never waits
// for a poll.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "register/register.h"

namespace trinet {

/// Whether an instance told to poll `networks` (empty: all) polls `network`.
inline bool WatchesNetwork(const std::vector<std::string>& networks, const std::string& network) {
  return networks.empty() || std::find(networks.begin(), networks.end(), network) != networks.end();
}

struct InterfaceSnapshot {
  std::int64_t ifindex = 0;
  std::string name;  ///< ifName, else ifDescr
  std::string descr;
  std::string alias;
  std::optional<bool> admin_up;
  std::optional<bool> oper_up;
  std::optional<double> speed_bits;  ///< bits per second
  // Counters as monotonic totals: 32-bit wraps are unfolded, agent restarts do not go back.
  std::optional<std::uint64_t> receive_bytes;
  std::optional<std::uint64_t> transmit_bytes;
  std::optional<std::uint64_t> receive_errors;
  std::optional<std::uint64_t> transmit_errors;
  std::optional<std::uint64_t> receive_discards;
  std::optional<std::uint64_t> transmit_discards;
};

struct UpsSnapshot {
  std::optional<bool> on_battery;
  std::optional<double> seconds_on_battery;
  std::optional<double> minutes_remaining;
  std::optional<double> charge_ratio;       ///< 0..1
  std::optional<double> output_load_ratio;  ///< 0..1
  std::optional<double> input_voltage;      ///< volts
};

struct SensorSnapshot {
  std::string name;  ///< entPhysicalName, else the sensor's index
  std::string kind;  ///< "temperature" (celsius) or "humidity" (ratio 0..1)
  double value = 0;
};

struct DeviceSnapshot {
  std::string id;  ///< register id; room, network, role etc. come from Snapshot::reg
  bool up = false;
  std::string reason;  ///< why down ("timeout: …", "authentication failed: …"); empty when up
  double poll_duration_seconds = 0;
  double last_poll_timestamp_seconds = 0;  ///< Unix time of the last poll attempt
  std::vector<InterfaceSnapshot> interfaces;
  std::optional<UpsSnapshot> ups;
  std::vector<SensorSnapshot> sensors;
};

struct SelfSnapshot {
  double poll_cycle_duration_seconds = 0;  ///< of the last completed poll cycle
  double discovery_cycle_duration_seconds = 0;
  double poll_interval_seconds = 0;
  std::map<std::string, std::uint64_t> snmp_requests;  ///< by result: ok, timeout, auth_failure, …
  /// What hostile or broken agents did, by kind: too_big, non_increasing_oid, rows_capped,
  /// error_status, no_such_object, malformed_value.
  std::map<std::string, std::uint64_t> snmp_anomalies;
  std::uint64_t poll_cycles = 0;
  std::uint64_t discovery_cycles = 0;
};

struct Snapshot {
  std::shared_ptr<const Register> reg;            ///< the register the cycle polled
  std::map<std::string, DeviceSnapshot> devices;  ///< polled devices, by id
  SelfSnapshot self;
  std::string version;
  /// Networks the instance polls; empty: all. Exits and room counts of other networks are
  /// another instance's business and are left out, so no instance reports them as down.
  std::vector<std::string> networks;

  bool Watches(const std::string& network) const { return WatchesNetwork(networks, network); }
};

/// One finding as /metrics exports it.
struct FindingSnapshot {
  std::string id, rule, reason, severity;
  std::string state;  ///< open | acknowledged | waived | resolved
  std::string network, platform, room, unit;
  std::string subject;  ///< the subject's id
};

/// The findings after the latest evaluation and the consolidation progress (M2 art. 15),
/// published by the writer thread after it evaluated the rules.
struct FindingsSnapshot {
  double evaluated_at_seconds = 0;         ///< Unix time of the evaluation; 0: none yet
  double evaluation_duration_seconds = 0;  ///< how long it took
  std::vector<FindingSnapshot> findings;   ///< every stored finding, resolved ones too
  /// Registered rooms by (platform, kind, status).
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> rooms;
  /// Department rooms past consolidate_by that are not consolidated, decommissioned or
  /// exempt, by platform (every platform present, 0 included).
  std::map<std::string, std::uint64_t> rooms_overdue;
  /// Units without an administrator, by platform (every platform present, 0 included).
  std::map<std::string, std::uint64_t> units_without_admin;
};

/// One live capture source (`--capture`, docs/pcap.md) as /metrics exports it. Counters are
/// totals since trinetd started.
struct CaptureSourceSnapshot {
  std::string source;                 ///< the interface name
  std::string network;                ///< the network the source watches
  bool up = false;                    ///< the handle is open and being read
  std::uint64_t packets = 0;          ///< packets libpcap delivered to trinetd
  std::uint64_t bytes = 0;            ///< their lengths on the wire
  std::uint64_t kernel_drops = 0;     ///< pcap_stats ps_drop: no room in the capture buffer
  std::uint64_t interface_drops = 0;  ///< pcap_stats ps_ifdrop: dropped by the interface
  std::uint64_t flows_evicted = 0;    ///< flows pushed out of the full flow table
  std::uint64_t flows = 0;            ///< flows held now (in the current window)
  /// Packets that could not be decoded to the end, by kind (every kind, 0 included).
  std::map<std::string, std::uint64_t> decode_errors;
};

/// Every capture source, published by the capture threads.
struct CaptureSnapshot {
  std::vector<CaptureSourceSnapshot> sources;
};

/// The latest snapshots, swapped atomically: writers Publish, readers Get without locks.
class SnapshotHolder {
 public:
  SnapshotHolder()
      : current_(std::make_shared<const Snapshot>()),
        findings_(std::make_shared<const FindingsSnapshot>()) {}
  void Publish(std::shared_ptr<const Snapshot> s) { current_.store(std::move(s)); }
  std::shared_ptr<const Snapshot> Get() const { return current_.load(); }
  void PublishFindings(std::shared_ptr<const FindingsSnapshot> f) { findings_.store(std::move(f)); }
  std::shared_ptr<const FindingsSnapshot> GetFindings() const { return findings_.load(); }
  void PublishCapture(std::shared_ptr<const CaptureSnapshot> c) { capture_.store(std::move(c)); }
  /// nullptr while no capture source is configured.
  std::shared_ptr<const CaptureSnapshot> GetCapture() const { return capture_.load(); }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<std::shared_ptr<const FindingsSnapshot>> findings_;
  std::atomic<std::shared_ptr<const CaptureSnapshot>> capture_;
};

}  // namespace trinet
