#pragma once
// The one metrics facade: the latest Snapshot rendered as Prometheus metric families at
// scrape time, and the HTTP endpoint that serves them.

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/snapshot.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace trinet::metrics {

/// Cardinality controls. They apply to the `trinet_interface_*` families only, which are the
/// ones that grow with the size of the networks (one device can carry hundreds of ports);
/// device, egress, room, UPS, sensor and self families are always exported in full.
///
/// The filters are applied per device in this order: role, admin status, cap. Labels of
/// duplicate interface names are always decided over all of a device's interfaces, so an
/// interface keeps its `ifname` label whatever the filters drop.
struct MetricsOptions {
  /// Export interface series only for devices whose register role is in this list, e.g.
  /// `{"core", "distribution", "egress", "firewall"}` to leave out access switches and
  /// cameras. Empty (the default) means every role.
  std::vector<std::string> interface_roles;

  /// Leave out interfaces whose ifAdminStatus is down (shut on purpose, nothing to watch).
  /// Interfaces whose admin status is unknown are kept. Default: keep them.
  bool drop_admin_down_interfaces = false;

  /// At most this many interfaces per device, the first ones in the snapshot's order (the
  /// poller's ifIndex order) after the filters above. nullopt (the default): no cap; 0: no
  /// interface series at all.
  std::optional<std::size_t> max_interfaces_per_device;
};

/// Renders the snapshots published in a SnapshotHolder as Prometheus metric families.
///
/// Every Collect() reads the holder's snapshot and findings snapshot once each (lock-free
/// loads) and builds the families from them alone: nothing is kept between scrapes, so a
/// device, interface or finding that is gone from the snapshots is gone from the output.
/// Collect() may run on several threads at once.
///
/// Families (their names and labels are a contract with dashboards and alerts; a family
/// with no series is left out):
///
/// Devices: every device of the snapshot's register that the snapshot polled.
/// - `trinet_device_up{device,network,platform,room,role}` gauge, 1 answered / 0 down
/// - `trinet_device_down_info{device,reason}` gauge, 1 for each down device
/// - `trinet_device_poll_duration_seconds{device}` gauge
/// - `trinet_device_last_poll_timestamp_seconds{device}` gauge, Unix time
///
/// Interfaces, labels `{device,ifname,network,platform,room}` (subject to MetricsOptions).
/// `ifname` is ifName, else ifDescr; when several interfaces of one device share a name, the
/// one with the lowest ifIndex keeps it and the others get `name#ifIndex`. A value the
/// snapshot lacks is left out.
/// - `trinet_interface_oper_up`, `trinet_interface_admin_up` gauges 1/0
/// - `trinet_interface_speed_bytes` gauge, bytes per second (ifSpeed / 8)
/// - `trinet_interface_receive_bytes_total`, `trinet_interface_transmit_bytes_total` counters
/// - `trinet_interface_errors_total`, `trinet_interface_discards_total` counters with one more
///   label, `direction`: `receive` or `transmit`
///
/// Sanctioned Internet exits, labels `{egress,network,platform}`, every egress of the register.
/// The exit interface is the device's interface whose ifName equals the register's
/// `interface`, else the one whose ifDescr does.
/// - `trinet_egress_up` gauge, 1 when the device answered and the interface is oper up,
///   0 when the device is down or not polled or the interface is missing or not up
/// - `trinet_egress_receive_bytes_total`, `trinet_egress_transmit_bytes_total` counters
/// - `trinet_egress_speed_bytes` gauge, bytes per second
///
/// Rooms, labels `{room,platform,unit,kind,status}` (unit empty when the room has none),
/// every room of the register:
/// - `trinet_room_devices` gauge, registered devices in the room (0 allowed)
/// - `trinet_room_devices_up` gauge, those of them polled and answering
///
/// UPS, labels `{device,room,platform}`:
/// - `trinet_ups_on_battery` gauge 1/0
/// - `trinet_ups_battery_seconds_remaining` gauge (the agent's minutes × 60)
/// - `trinet_ups_battery_charge_ratio`, `trinet_ups_output_load_ratio` gauges 0..1
/// - `trinet_ups_seconds_on_battery` gauge, `trinet_ups_input_voltage_volts` gauge
///
/// Environment sensors, labels `{device,room,sensor}`:
/// - `trinet_sensor_temperature_celsius`, `trinet_sensor_humidity_ratio` gauges
///
/// Findings and consolidation progress, from the holder's FindingsSnapshot (the latest rule
/// evaluation; see docs/findings.md). Not limited to the snapshot's networks: every finding
/// and every platform is exported. Empty labels stand for "unknown" (e.g. the room of an
/// unregistered neighbour).
/// - `trinet_findings{rule,severity,network,platform,state}` gauge, how many findings have
///   those labels, every state (`open`, `acknowledged`, `waived`, `resolved`); only label
///   sets with at least one finding have a series (absent = 0)
/// - `trinet_finding_open{id,rule,reason,severity,network,platform,room,unit,subject}` gauge,
///   always 1, one series per finding in state `open` (the first one of a repeated id)
/// - `trinet_rooms{platform,kind,status}` gauge, registered rooms (M2 art. 4, 15)
/// - `trinet_rooms_overdue{platform}` gauge, department rooms past consolidate_by and not
///   consolidated, decommissioned or exempt (M2 art. 4, 15)
/// - `trinet_unit_admin_missing{platform}` gauge, units without an administrator (M2 art. 10)
/// - `trinet_findings_last_evaluation_timestamp_seconds` gauge, Unix time of the evaluation;
///   absent until the first one
///
/// The daemon itself:
/// - `trinet_poll_cycle_duration_seconds`, `trinet_discovery_cycle_duration_seconds`,
///   `trinet_poll_interval_seconds` gauges
/// - `trinet_snmp_requests_total{result}`, `trinet_poll_cycles_total`,
///   `trinet_discovery_cycles_total` counters
/// - `trinet_build_info{version}` gauge, always 1
///
/// Live capture (`--capture`, docs/pcap.md), from the holder's CaptureSnapshot; `source` is
/// the capture interface. Absent when no source is configured.
/// - `trinet_capture_up{source}` gauge, 1 while the source is being captured
/// - `trinet_capture_packets_total{source}`, `trinet_capture_bytes_total{source}` counters,
///   packets libpcap delivered (after the BPF filter) and their wire lengths
/// - `trinet_capture_dropped_total{source,where}` counter, `where` = `kernel` (pcap_stats
///   ps_drop: the capture buffer was full) or `interface` (ps_ifdrop)
/// - `trinet_capture_flows{source}` gauge, flows held in the current window
/// - `trinet_capture_flows_evicted_total{source}` counter, flows pushed out at the cap
/// - `trinet_capture_decode_errors_total{source,kind}` counter, packets that could not be
///   decoded to the end, every kind of collectors/pcap/decode.h (0 included)
///
/// Label values that come from agents (interface and sensor names, down reasons) and every
/// label of the findings families are made valid UTF-8 (bad bytes become U+FFFD) so one odd
/// agent cannot break the whole scrape.
class SnapshotCollectable final : public prometheus::Collectable {
 public:
  /// `holder` must outlive this object.
  explicit SnapshotCollectable(const SnapshotHolder& holder, MetricsOptions options = {});

  /// Builds every family from the holder's current snapshot, findings snapshot and capture
  /// snapshot.
  std::vector<prometheus::MetricFamily> Collect() const override;

  /// Builds every family from `snapshot`, `findings` and `capture` (what Collect() does with
  /// the holder's snapshots).
  std::vector<prometheus::MetricFamily> Render(const Snapshot& snapshot,
                                               const FindingsSnapshot& findings = {},
                                               const CaptureSnapshot& capture = {}) const;

  const MetricsOptions& options() const { return options_; }

 private:
  const SnapshotHolder& holder_;
  MetricsOptions options_;
};

/// The /metrics HTTP endpoint: a prometheus-cpp Exposer (civetweb) serving a
/// SnapshotCollectable it owns. Stopping is destruction.
class MetricsServer {
 public:
  /// Listens on `bind_address`, e.g. "127.0.0.1:9870" or "[::1]:9870" (port 0 picks a free
  /// port, see port()), and serves the snapshots of `holder`, which must outlive the server,
  /// at /metrics with `threads` worker threads.
  /// @throws std::runtime_error naming the address when it cannot listen there.
  MetricsServer(const std::string& bind_address, const SnapshotHolder& holder,
                MetricsOptions options = {}, std::size_t threads = 2);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// The port actually listened on (the first one when civetweb reports several).
  int port() const;
  /// The address as given to the constructor.
  const std::string& bind_address() const { return bind_address_; }

 private:
  std::string bind_address_;
  // Declared before the exposer, so the exposer (whose threads call Collect) stops first.
  std::shared_ptr<SnapshotCollectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace trinet::metrics
