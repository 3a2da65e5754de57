#pragma once
// The one metrics facade: the latest Snapshot rendered in the Prometheus text format (once
// per snapshot, shared by every scrape until the next one), the same families as
// prometheus-cpp metric families, and the HTTP endpoint that serves them.

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/snapshot.h"

namespace trinet::metrics {

/// Cardinality controls. They apply to the `trinet_interface_*` families only, which are the
/// ones that grow with the size of the networks (one device can carry hundreds of ports);
/// device, egress, room, UPS, sensor and self families are always exported in full.
///
/// The filters are applied per device in this order: role, admin status, cap. Labels of
/// duplicate interface names are always decided over all of a device's interfaces, so an
/// interface keeps its `ifname` label whatever the filters drop. `interface_families` then
/// chooses which of the seven families the kept interfaces appear in. docs/metrics.md
/// ("Cardinality") has the series arithmetic.
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

  /// Export only these `trinet_interface_*` families, named without the prefix:
  /// kInterfaceFamilies lists them, e.g. `{"oper_up", "receive_bytes_total",
  /// "transmit_bytes_total"}` for status and traffic (3 series per interface instead of 9).
  /// Empty (the default) means all seven. Unknown names are an error (Check()).
  std::vector<std::string> interface_families;

  /// The names `interface_families` takes, in output order, with the series each gives per
  /// interface: oper_up 1, admin_up 1, speed_bytes 1, receive_bytes_total 1,
  /// transmit_bytes_total 1, errors_total 2, discards_total 2 (the last two by direction).
  static constexpr std::array<std::string_view, 7> kInterfaceFamilies = {
      "oper_up",      "admin_up",      "speed_bytes", "receive_bytes_total", "transmit_bytes_total",
      "errors_total", "discards_total"};

  /// Why these options cannot be used (an unknown interface family, naming the valid ones),
  /// or nullopt when they can.
  std::optional<std::string> Check() const;
};

/// Renders the snapshots published in a SnapshotHolder, as Prometheus metric families
/// (Collect(), Render()) or straight as text in the exposition format 0.0.4 (RenderText()).
/// Both come from one template over the families below, so they cannot drift apart; the
/// tests pin the text to prometheus-cpp's TextSerializer over Render().
///
/// Every Collect() reads the holder's snapshot and findings snapshot once each (lock-free
/// loads) and builds the families from them alone: a device, interface or finding that is
/// gone from the snapshots is gone from the output. Every method may run on several threads
/// at once. /metrics is served from the text through Exposition, which renders once per
/// snapshot.
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
  /// @throws std::invalid_argument with MetricsOptions::Check()'s message when `options`
  /// cannot be used.
  explicit SnapshotCollectable(const SnapshotHolder& holder, MetricsOptions options = {});

  /// Builds every family from the holder's current snapshot, findings snapshot and capture
  /// snapshot.
  std::vector<prometheus::MetricFamily> Collect() const override;

  /// Builds every family from `snapshot`, `findings` and `capture` (what Collect() does with
  /// the holder's snapshots).
  std::vector<prometheus::MetricFamily> Render(const Snapshot& snapshot,
                                               const FindingsSnapshot& findings = {},
                                               const CaptureSnapshot& capture = {}) const;

  /// The same families as Render(), in the same order, as the text exposition format 0.0.4:
  /// what `prometheus::TextSerializer().Serialize(Render(...))` gives, except for sample
  /// values prometheus-cpp rounds (see text::AppendValue). Valid UTF-8 when the register's
  /// ids are.
  std::string RenderText(const Snapshot& snapshot, const FindingsSnapshot& findings = {},
                         const CaptureSnapshot& capture = {}) const;

  /// RenderText() in two parts, for Exposition's cache: AppendCycleText() appends every
  /// family that depends on `snapshot` and `findings` alone (devices to findings), which
  /// change once per cycle; AppendTailText() appends what follows them, the capture families
  /// (republished about once a second) and the daemon's own. RenderText() is the two
  /// concatenated. `scratch` holds the label sets that several families share (an
  /// interface's, ~95 bytes each) while rendering; a caller that renders again can pass the
  /// same one to reuse its memory (it is cleared first), nullptr takes a temporary one.
  void AppendCycleText(std::string& out, const Snapshot& snapshot, const FindingsSnapshot& findings,
                       std::string* scratch = nullptr) const;
  void AppendTailText(std::string& out, const Snapshot& snapshot,
                      const CaptureSnapshot& capture) const;

  const MetricsOptions& options() const { return options_; }
  const SnapshotHolder& holder() const { return holder_; }

 private:
  const SnapshotHolder& holder_;
  MetricsOptions options_;
};

/// About how many bytes the text of `snapshot` takes, a little more than it will (192 per
/// interface series; they take ~153), so that a render can reserve it once instead of
/// copying the text while it grows. Reserved pages that are never written cost no memory.
std::size_t EstimateTextSize(const Snapshot& snapshot);

/// Whether an `Accept-Encoding` request header value accepts gzip: a `gzip`, `x-gzip` or `*`
/// coding whose q-value is not 0 (RFC 9110 12.5.3; case-insensitive).
bool AcceptsGzip(std::string_view accept_encoding);

/// The /metrics response bodies of a SnapshotHolder, rendered once per snapshot.
///
/// The families that change once per poll cycle (AppendCycleText()) are rendered at the first
/// scrape after the holder publishes a new snapshot or findings snapshot, and kept with the
/// two they were rendered from (as weak pointers, so an old snapshot is neither kept alive
/// nor mistaken for a new one at the same address); every later scrape of the same pair is
/// served those bytes. The capture and daemon families are rendered per scrape (a few dozen
/// lines). Concurrent scrapes render once: the others wait for it. The gzip form is made
/// from the text at the first scrape that asks for it, once, at zlib's fastest level, and
/// kept beside it; per scrape only the tail is compressed and joined to it.
///
/// Memory: the text (~153 bytes per series) and its gzip form (~9 bytes per series), kept
/// until the next render, which reuses their buffers when no scrape is still sending them
/// (else they are freed with the last such scrape), and the render's scratch buffer (~95
/// bytes per interface).
class Exposition {
 public:
  struct Cached;

  /// One scrape's body: Parts() in order. Keeps the cached bytes it points into alive.
  class Body {
   public:
    /// Whether the parts are gzip (Content-Encoding: gzip).
    bool gzip() const { return gzip_; }
    /// The bytes to send, in order: the cached part, then the per-scrape tail.
    std::array<std::string_view, 2> Parts() const;
    /// The total size, for Content-Length.
    std::size_t size() const;
    /// The parts joined (tests, the benchmark's dump).
    std::string Join() const;

   private:
    friend class Exposition;
    bool gzip_ = false;
    std::shared_ptr<const Cached> cached_;
    std::string tail_;  // plain: the tail's text; gzip: its deflate stream and the trailer
  };

  /// `holder` must outlive this object.
  explicit Exposition(const SnapshotHolder& holder, MetricsOptions options = {});
  ~Exposition();
  Exposition(const Exposition&) = delete;
  Exposition& operator=(const Exposition&) = delete;

  /// The body for the holder's current snapshots, plain text or gzip.
  Body Get(bool gzip) const;

  /// How often the cycle families have been rendered (once per snapshot pair scraped).
  std::uint64_t renders() const { return renders_.load(); }
  /// How often the cached text has been compressed (at most once per render).
  std::uint64_t compressions() const { return compressions_.load(); }

  const SnapshotCollectable& collectable() const { return collectable_; }

 private:
  // The cached text for these snapshots, rendered now when it is not there yet.
  std::shared_ptr<const Cached> Current(
      const std::shared_ptr<const Snapshot>& snapshot,
      const std::shared_ptr<const FindingsSnapshot>& findings) const;

  SnapshotCollectable collectable_;
  mutable std::mutex mutex_;  // held while rendering, so that concurrent scrapes render once
  mutable std::shared_ptr<Cached> current_;
  mutable std::string scratch_;        // AppendCycleText()'s, kept for the next render
  mutable std::size_t last_size_ = 0;  // the previous render's size, to reserve the next one
  mutable std::atomic<std::size_t> last_gzip_size_{0};  // likewise for its gzip form
  mutable std::atomic<std::uint64_t> renders_{0};
  mutable std::atomic<std::uint64_t> compressions_{0};
};

/// The /metrics HTTP endpoint: civetweb serving an Exposition it owns. Stopping is
/// destruction.
///
/// GET and HEAD of `/metrics` (any query string) answer 200 with `Content-Type: text/plain;
/// version=0.0.4; charset=utf-8`, a Content-Length, and `Content-Encoding: gzip` when the
/// request's Accept-Encoding allows it (Prometheus always asks); other methods answer 405,
/// other paths 404. Connections are closed after each response (no keep-alive), so that a
/// scraper never holds one of the few worker threads.
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
  /// What the endpoint serves (for its counters).
  const Exposition& exposition() const;

 private:
  struct Impl;
  std::string bind_address_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trinet::metrics
