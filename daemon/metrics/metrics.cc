#include "metrics/metrics.h"

#include <CivetServer.h>
#include <prometheus/client_metric.h>
#include <prometheus/exposer.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace trinet::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Label = ClientMetric::Label;
using Labels = std::vector<Label>;

// ---- label values ----------------------------------------------------------------------

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the bytes there are not one
// (overlong forms, surrogates and code points above U+10FFFF are not).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

// `s` as valid UTF-8: each byte that does not start a valid sequence becomes U+FFFD. The
// Prometheus text parser rejects the whole scrape over one invalid label value.
std::string Utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = Utf8SequenceLength(s, i);
    if (n == 0) break;
    i += n;
  }
  if (i == s.size()) return std::string(s);  // the usual case: one pass, one copy
  std::string out(s.substr(0, i));
  out.reserve(s.size() + 8);
  while (i < s.size()) {
    const std::size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string OrUnknown(std::string s) { return s.empty() ? std::string("unknown") : s; }

// The `ifname` label of each interface, in the snapshot's order: the (UTF-8) name, and when
// several interfaces share it, the one with the lowest ifIndex keeps it and the others get
// "#ifIndex" appended (again, should that still collide with another name).
std::vector<std::string> InterfaceLabels(const std::vector<InterfaceSnapshot>& ifs) {
  std::vector<std::string> out;
  out.reserve(ifs.size());
  for (const auto& i : ifs) out.push_back(Utf8(i.name));
  if (ifs.size() < 2) return out;

  std::vector<std::uint32_t> order(ifs.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (int c = out[a].compare(out[b]); c != 0) return c < 0;
    if (ifs[a].ifindex != ifs[b].ifindex) return ifs[a].ifindex < ifs[b].ifindex;
    return a < b;
  });
  std::vector<std::uint32_t> renamed;
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (out[order[k]] == out[order[k - 1]]) renamed.push_back(order[k]);
  }
  if (renamed.empty()) return out;  // the usual case

  // The names kept as they are are distinct; the renamed ones must not take any of them.
  std::unordered_set<std::string> used;
  used.reserve(out.size());
  std::vector<bool> is_renamed(out.size(), false);
  for (auto r : renamed) is_renamed[r] = true;
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (!is_renamed[k]) used.insert(out[k]);
  }
  for (auto r : renamed) {  // in (name, ifIndex) order, so the outcome does not depend on order
    const std::string suffix = "#" + std::to_string(ifs[r].ifindex);
    do {
      out[r] += suffix;
    } while (!used.insert(out[r]).second);
  }
  return out;
}

// The interface an egress names: ifName equal to `name`, else ifDescr equal to it; among
// several, the lowest ifIndex (the one whose ifname label is the plain name).
const InterfaceSnapshot* FindEgressInterface(const DeviceSnapshot& d, const std::string& name) {
  const InterfaceSnapshot* best = nullptr;
  for (const auto& i : d.interfaces) {
    if (i.name == name && (!best || i.ifindex < best->ifindex)) best = &i;
  }
  if (best) return best;
  for (const auto& i : d.interfaces) {
    if (i.descr == name && (!best || i.ifindex < best->ifindex)) best = &i;
  }
  return best;
}

// ---- families --------------------------------------------------------------------------

class Family {
 public:
  Family(const char* name, const char* help, MetricType type, std::size_t reserve = 0) {
    family_.name = name;
    family_.help = help;
    family_.type = type;
    family_.metric.reserve(reserve);
  }

  void Add(Labels labels, double value) {
    auto& m = family_.metric.emplace_back();
    m.label = std::move(labels);
    if (family_.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
  }
  bool empty() const { return family_.metric.empty(); }
  MetricFamily Take() { return std::move(family_); }

 private:
  MetricFamily family_;
};

constexpr auto kGauge = MetricType::Gauge;
constexpr auto kCounter = MetricType::Counter;

double Bool(bool b) { return b ? 1.0 : 0.0; }
double Num(std::uint64_t v) { return static_cast<double>(v); }

// A registered, polled device with what its labels need, found once per scrape.
struct Polled {
  const DeviceSnapshot* snap;
  const Device* dev;
  const std::string* room_platform;  // the room's platform, or empty when the room is unknown
};

const std::string kEmpty;

constexpr std::string_view kOpen = "open";  // the state of a finding nobody has acted on

}  // namespace

SnapshotCollectable::SnapshotCollectable(const SnapshotHolder& holder, MetricsOptions options)
    : holder_(holder), options_(std::move(options)) {}

std::vector<prometheus::MetricFamily> SnapshotCollectable::Collect() const {
  static const Snapshot kNoSnapshot;
  static const FindingsSnapshot kNoFindings;
  static const CaptureSnapshot kNoCapture;
  const std::shared_ptr<const Snapshot> snapshot = holder_.Get();
  const std::shared_ptr<const FindingsSnapshot> findings = holder_.GetFindings();
  const std::shared_ptr<const CaptureSnapshot> capture = holder_.GetCapture();
  return Render(snapshot ? *snapshot : kNoSnapshot, findings ? *findings : kNoFindings,
                capture ? *capture : kNoCapture);
}

std::vector<prometheus::MetricFamily> SnapshotCollectable::Render(const Snapshot& s,
                                                                  const FindingsSnapshot& fs,
                                                                  const CaptureSnapshot& cs) const {
  static const Register kNoRegister;
  const Register& reg = s.reg ? *s.reg : kNoRegister;

  // ---- indexes, built once per scrape -----------------------------------------------------
  std::unordered_map<std::string_view, std::size_t> room_index;
  room_index.reserve(reg.rooms.size());
  for (std::size_t k = 0; k < reg.rooms.size(); ++k) room_index.emplace(reg.rooms[k].id, k);
  std::vector<std::uint32_t> room_devices(reg.rooms.size(), 0);
  std::vector<std::uint32_t> room_devices_up(reg.rooms.size(), 0);

  struct Registered {
    const Device* dev;
    std::size_t room;  // index into reg.rooms, or npos
  };
  constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();
  std::unordered_map<std::string_view, Registered> device_index;
  device_index.reserve(reg.devices.size());
  for (const auto& d : reg.devices) {
    auto r = room_index.find(d.room);
    const std::size_t room = r == room_index.end() ? npos : r->second;
    if (room != npos && s.Watches(d.network)) ++room_devices[room];
    device_index.emplace(d.id, Registered{&d, room});
  }

  std::vector<Polled> polled;
  polled.reserve(s.devices.size());
  std::size_t down = 0, interfaces = 0, ups = 0, sensors = 0;
  const std::size_t cap =
      options_.max_interfaces_per_device.value_or(std::numeric_limits<std::size_t>::max());
  for (const auto& [id, snap] : s.devices) {
    auto r = device_index.find(id);
    if (r == device_index.end()) continue;  // not (or no longer) in the register
    const std::size_t room = r->second.room;
    polled.push_back({&snap, r->second.dev, room == npos ? &kEmpty : &reg.rooms[room].platform});
    if (!snap.up) ++down;
    if (snap.up && room != npos) ++room_devices_up[room];
    interfaces += std::min(snap.interfaces.size(), cap);
    if (snap.ups) ++ups;
    sensors += snap.sensors.size();
  }

  std::vector<MetricFamily> out;
  out.reserve(56);
  const auto emit = [&out](Family& f) {
    if (!f.empty()) out.push_back(f.Take());
  };

  // ---- devices ---------------------------------------------------------------------------
  {
    Family up("trinet_device_up",
              "Whether the device answered its last poll (1) or not (0). "
              "See trinet_device_down_info for why.",
              kGauge, polled.size());
    Family down_info("trinet_device_down_info",
                     "Always 1, one series per device that did not answer its last poll; "
                     "the reason label says why (timeout, authentication failed, ...).",
                     kGauge, down);
    Family duration("trinet_device_poll_duration_seconds",
                    "How long the last poll of the device took, in seconds.", kGauge,
                    polled.size());
    Family last("trinet_device_last_poll_timestamp_seconds",
                "When the device was last polled, as Unix time in seconds.", kGauge, polled.size());
    for (const auto& p : polled) {
      const std::string& id = p.dev->id;
      up.Add({{"device", id},
              {"network", p.dev->network},
              {"platform", *p.room_platform},
              {"room", p.dev->room},
              {"role", p.dev->role}},
             Bool(p.snap->up));
      if (!p.snap->up) {
        down_info.Add({{"device", id}, {"reason", OrUnknown(Utf8(p.snap->reason))}}, 1);
      }
      duration.Add({{"device", id}}, p.snap->poll_duration_seconds);
      last.Add({{"device", id}}, p.snap->last_poll_timestamp_seconds);
    }
    emit(up);
    emit(down_info);
    emit(duration);
    emit(last);
  }

  // ---- interfaces ------------------------------------------------------------------------
  {
    Family oper("trinet_interface_oper_up",
                "Whether the interface is operationally up, passing traffic (1), or not (0).",
                kGauge, interfaces);
    Family admin("trinet_interface_admin_up",
                 "Whether the interface is enabled in the device's configuration (1) or shut "
                 "down on purpose (0).",
                 kGauge, interfaces);
    Family speed("trinet_interface_speed_bytes",
                 "Nominal speed of the interface, in bytes per second (bits per second / 8).",
                 kGauge, interfaces);
    Family rx("trinet_interface_receive_bytes_total",
              "Bytes received on the interface since the device started counting.", kCounter,
              interfaces);
    Family tx("trinet_interface_transmit_bytes_total",
              "Bytes sent out of the interface since the device started counting.", kCounter,
              interfaces);
    Family errors("trinet_interface_errors_total",
                  "Packets the interface could not receive or send because of errors "
                  "(bad cabling, duplex mismatch, faulty optics), by direction.",
                  kCounter, 2 * interfaces);
    Family discards("trinet_interface_discards_total",
                    "Packets the interface dropped although they had no error, usually for "
                    "lack of buffer space under congestion, by direction.",
                    kCounter, 2 * interfaces);

    const bool all_roles = options_.interface_roles.empty();
    for (const auto& p : polled) {
      const auto& ifs = p.snap->interfaces;
      if (ifs.empty() || cap == 0) continue;
      if (!all_roles && std::find(options_.interface_roles.begin(), options_.interface_roles.end(),
                                  p.dev->role) == options_.interface_roles.end()) {
        continue;
      }
      const std::vector<std::string> names = InterfaceLabels(ifs);
      std::size_t kept = 0;
      for (std::size_t k = 0; k < ifs.size() && kept < cap; ++k) {
        const InterfaceSnapshot& i = ifs[k];
        if (options_.drop_admin_down_interfaces && i.admin_up == false) continue;
        ++kept;
        const Labels base{{"device", p.dev->id},
                          {"ifname", names[k]},
                          {"network", p.dev->network},
                          {"platform", *p.room_platform},
                          {"room", p.dev->room}};
        const auto with_direction = [&base](const char* direction) {
          Labels l;
          l.reserve(base.size() + 1);
          l = base;
          l.push_back({"direction", direction});
          return l;
        };
        if (i.oper_up) oper.Add(base, Bool(*i.oper_up));
        if (i.admin_up) admin.Add(base, Bool(*i.admin_up));
        if (i.speed_bits) speed.Add(base, *i.speed_bits / 8.0);
        if (i.receive_bytes) rx.Add(base, Num(*i.receive_bytes));
        if (i.transmit_bytes) tx.Add(base, Num(*i.transmit_bytes));
        if (i.receive_errors) errors.Add(with_direction("receive"), Num(*i.receive_errors));
        if (i.transmit_errors) errors.Add(with_direction("transmit"), Num(*i.transmit_errors));
        if (i.receive_discards) discards.Add(with_direction("receive"), Num(*i.receive_discards));
        if (i.transmit_discards) {
          discards.Add(with_direction("transmit"), Num(*i.transmit_discards));
        }
      }
    }
    emit(oper);
    emit(admin);
    emit(speed);
    emit(rx);
    emit(tx);
    emit(errors);
    emit(discards);
  }

  // ---- sanctioned Internet exits -----------------------------------------------------------
  {
    const std::size_t n = reg.egress.size();
    Family up("trinet_egress_up",
              "Whether the sanctioned Internet exit is usable: its device answered and its "
              "exit interface is up (1), or the device or interface is down or missing (0).",
              kGauge, n);
    Family rx("trinet_egress_receive_bytes_total",
              "Bytes received from the Internet on the exit interface.", kCounter, n);
    Family tx("trinet_egress_transmit_bytes_total",
              "Bytes sent to the Internet on the exit interface.", kCounter, n);
    Family speed("trinet_egress_speed_bytes",
                 "Nominal speed of the exit interface, in bytes per second (bits per second / 8).",
                 kGauge, n);
    Family info("trinet_egress_info",
                "Always 1: the device and interface (its ifname label in the trinet_interface_* "
                "families, empty while not found) of each sanctioned Internet exit, for joins.",
                kGauge, n);
    for (const auto& e : reg.egress) {
      if (!s.Watches(e.network)) continue;
      const DeviceSnapshot* d = nullptr;
      if (device_index.contains(e.device)) {
        if (auto it = s.devices.find(e.device); it != s.devices.end()) d = &it->second;
      }
      const InterfaceSnapshot* i = d ? FindEgressInterface(*d, e.interface) : nullptr;
      const Labels labels{{"egress", e.id}, {"network", e.network}, {"platform", e.platform}};
      std::string ifname;
      if (i) {
        // The same label the interface families give it (a repeated name gets #ifIndex).
        const auto names = InterfaceLabels(d->interfaces);
        ifname = names[static_cast<std::size_t>(i - d->interfaces.data())];
      }
      info.Add({{"egress", e.id},
                {"device", e.device},
                {"ifname", ifname},
                {"network", e.network},
                {"platform", e.platform}},
               1);
      up.Add(labels, Bool(d && d->up && i && i->oper_up == true));
      if (!i) continue;
      if (i->receive_bytes) rx.Add(labels, Num(*i->receive_bytes));
      if (i->transmit_bytes) tx.Add(labels, Num(*i->transmit_bytes));
      if (i->speed_bits) speed.Add(labels, *i->speed_bits / 8.0);
    }
    emit(up);
    emit(rx);
    emit(tx);
    emit(speed);
    emit(info);
  }

  // ---- rooms -----------------------------------------------------------------------------
  {
    Family total("trinet_room_devices",
                 "Devices the register places in the room (on the networks this instance polls).",
                 kGauge, reg.rooms.size());
    Family up("trinet_room_devices_up", "Devices of the room that answered their last poll.",
              kGauge, reg.rooms.size());
    for (std::size_t k = 0; k < reg.rooms.size(); ++k) {
      const Room& r = reg.rooms[k];
      const Labels labels{{"room", r.id},
                          {"platform", r.platform},
                          {"unit", r.unit.value_or(std::string())},
                          {"kind", r.kind},
                          {"status", r.status}};
      total.Add(labels, room_devices[k]);
      up.Add(labels, room_devices_up[k]);
    }
    emit(total);
    emit(up);
  }

  // ---- units and who answers for them --------------------------------------------------------
  {
    // Who to call, joinable by `unit` (group_left) onto rooms and findings, so that an alert
    // can name the administrator and phone without trinetctl (M2 art. 10, 12).
    Family info("trinet_unit_info",
                "Always 1: a unit of the register with its name and its system administrator's "
                "name, phone and email (empty when not registered); M2 art. 10.",
                kGauge, reg.units.size());
    for (const Unit& u : reg.units) {
      info.Add({{"unit", u.id},
                {"platform", u.platform},
                {"name", Utf8(u.name)},
                {"admin", u.admin ? Utf8(u.admin->name) : std::string()},
                {"phone", u.admin && u.admin->phone ? Utf8(*u.admin->phone) : std::string()},
                {"email", u.admin && u.admin->email ? Utf8(*u.admin->email) : std::string()}},
               1);
    }
    emit(info);
  }

  // ---- UPS -------------------------------------------------------------------------------
  {
    Family on_battery("trinet_ups_on_battery",
                      "Whether the UPS is running on battery because mains power failed (1) "
                      "or not (0).",
                      kGauge, ups);
    Family remaining("trinet_ups_battery_seconds_remaining",
                     "How long the UPS battery can still carry the load, as the UPS estimates "
                     "it, in seconds.",
                     kGauge, ups);
    Family charge("trinet_ups_battery_charge_ratio",
                  "Charge left in the UPS battery, 0 to 1 (1 = full).", kGauge, ups);
    Family load("trinet_ups_output_load_ratio",
                "Load on the UPS output as a share of its capacity, 0 to 1 (1 = fully loaded).",
                kGauge, ups);
    Family on_battery_for("trinet_ups_seconds_on_battery",
                          "How long the UPS has been running on battery, in seconds "
                          "(0 on mains power).",
                          kGauge, ups);
    Family voltage("trinet_ups_input_voltage_volts", "Mains voltage at the UPS input, in volts.",
                   kGauge, ups);
    for (const auto& p : polled) {
      if (!p.snap->ups) continue;
      const UpsSnapshot& u = *p.snap->ups;
      const Labels labels{
          {"device", p.dev->id}, {"room", p.dev->room}, {"platform", *p.room_platform}};
      if (u.on_battery) on_battery.Add(labels, Bool(*u.on_battery));
      if (u.minutes_remaining) remaining.Add(labels, *u.minutes_remaining * 60.0);
      if (u.charge_ratio) charge.Add(labels, *u.charge_ratio);
      if (u.output_load_ratio) load.Add(labels, *u.output_load_ratio);
      if (u.seconds_on_battery) on_battery_for.Add(labels, *u.seconds_on_battery);
      if (u.input_voltage) voltage.Add(labels, *u.input_voltage);
    }
    emit(on_battery);
    emit(remaining);
    emit(charge);
    emit(load);
    emit(on_battery_for);
    emit(voltage);
  }

  // ---- environment sensors -----------------------------------------------------------------
  {
    Family temperature("trinet_sensor_temperature_celsius",
                       "Temperature measured by the sensor, in degrees Celsius.", kGauge, sensors);
    Family humidity("trinet_sensor_humidity_ratio",
                    "Relative humidity measured by the sensor, 0 to 1 (0.45 = 45 %).", kGauge,
                    sensors);
    std::unordered_set<std::string> seen;  // sensor labels of one device and kind
    for (const auto& p : polled) {
      if (p.snap->sensors.empty()) continue;
      seen.clear();
      for (const auto& sensor : p.snap->sensors) {
        Family* f = sensor.kind == "temperature" ? &temperature
                    : sensor.kind == "humidity"  ? &humidity
                                                 : nullptr;
        if (!f) continue;
        // Unique per device and kind: a repeated name gets "#2", "#3", ...
        const std::string name = Utf8(sensor.name);
        std::string label = name;
        for (int n = 2; !seen.insert(sensor.kind + '\n' + label).second; ++n) {
          label = name + "#" + std::to_string(n);
        }
        f->Add({{"device", p.dev->id}, {"room", p.dev->room}, {"sensor", std::move(label)}},
               sensor.value);
      }
    }
    emit(temperature);
    emit(humidity);
  }

  // ---- findings and consolidation progress -------------------------------------------------
  // Not filtered by the snapshot's networks: the findings snapshot is the whole evaluation.
  {
    // Counted by (rule, severity, network, platform, state), in that order.
    std::map<std::array<std::string, 5>, std::uint64_t> counts;
    std::size_t open_count = 0;
    for (const auto& finding : fs.findings) {
      ++counts[{Utf8(finding.rule), Utf8(finding.severity), Utf8(finding.network),
                Utf8(finding.platform), Utf8(finding.state)}];
      if (finding.state == kOpen) ++open_count;
    }
    Family findings("trinet_findings",
                    "Findings of the latest rule evaluation by rule, severity, network, platform "
                    "and state (open, acknowledged, waived, resolved), resolved ones included. "
                    "A label set without findings has no series. The rules and the policy "
                    "articles they enforce: docs/findings.md.",
                    kGauge, counts.size());
    for (const auto& [key, n] : counts) {
      findings.Add({{"rule", key[0]},
                    {"severity", key[1]},
                    {"network", key[2]},
                    {"platform", key[3]},
                    {"state", key[4]}},
                   Num(n));
    }
    emit(findings);

    Family open("trinet_finding_open",
                "Always 1, one series per open finding (not acknowledged, waived or resolved), "
                "with its labels for alerts. The rules and the policy articles they enforce: "
                "docs/findings.md.",
                kGauge, open_count);
    std::unordered_set<std::string> ids;  // a repeated id would be a duplicate series
    ids.reserve(open_count);
    for (const auto& finding : fs.findings) {
      if (finding.state != kOpen) continue;
      std::string id = Utf8(finding.id);
      if (!ids.insert(id).second) continue;
      open.Add({{"id", std::move(id)},
                {"rule", Utf8(finding.rule)},
                {"reason", Utf8(finding.reason)},
                {"severity", Utf8(finding.severity)},
                {"network", Utf8(finding.network)},
                {"platform", Utf8(finding.platform)},
                {"room", Utf8(finding.room)},
                {"unit", Utf8(finding.unit)},
                {"subject", Utf8(finding.subject)}},
               1);
    }
    emit(open);

    Family rooms("trinet_rooms",
                 "Machine rooms in the register by platform, kind (central, department) and "
                 "consolidation status (active, consolidating, consolidated, decommissioned, "
                 "exempt); M2 art. 4, 15.",
                 kGauge, fs.rooms.size());
    for (const auto& [key, n] : fs.rooms) {
      const auto& [platform, kind, status] = key;
      rooms.Add({{"platform", Utf8(platform)}, {"kind", Utf8(kind)}, {"status", Utf8(status)}},
                Num(n));
    }
    emit(rooms);
    Family overdue("trinet_rooms_overdue",
                   "Department rooms past their consolidate_by deadline that are not "
                   "consolidated, decommissioned or exempt, by platform; M2 art. 4, 15.",
                   kGauge, fs.rooms_overdue.size());
    for (const auto& [platform, n] : fs.rooms_overdue) {
      overdue.Add({{"platform", Utf8(platform)}}, Num(n));
    }
    emit(overdue);
    Family admin_missing("trinet_unit_admin_missing",
                         "Units in the register without a system administrator, by platform; "
                         "M2 art. 10.",
                         kGauge, fs.units_without_admin.size());
    for (const auto& [platform, n] : fs.units_without_admin) {
      admin_missing.Add({{"platform", Utf8(platform)}}, Num(n));
    }
    emit(admin_missing);

    Family evaluated("trinet_findings_last_evaluation_timestamp_seconds",
                     "When the rules were last evaluated (the time of the findings above), as "
                     "Unix time in seconds. Absent until the first evaluation.",
                     kGauge, 1);
    if (fs.evaluated_at_seconds > 0) evaluated.Add({}, fs.evaluated_at_seconds);
    emit(evaluated);

    Family took("trinet_findings_evaluation_duration_seconds",
                "How long the last evaluation of the findings rules took (loading the "
                "observations, the rules, storing the lifecycle), in seconds.",
                kGauge, 1);
    if (fs.evaluated_at_seconds > 0) took.Add({}, fs.evaluation_duration_seconds);
    emit(took);
  }

  // ---- live capture ------------------------------------------------------------------------
  {
    const std::size_t n = cs.sources.size();
    std::size_t kinds = 0;
    for (const auto& c : cs.sources) kinds += c.decode_errors.size();
    Family up("trinet_capture_up",
              "Whether the capture source (a mirror port, see docs/pcap.md) is being captured "
              "(1) or its handle failed and is being reopened (0).",
              kGauge, n);
    Family packets("trinet_capture_packets_total",
                   "Packets the capture source delivered to trinet (after its BPF filter).",
                   kCounter, n);
    Family bytes("trinet_capture_bytes_total",
                 "Bytes of the packets the capture source delivered, as long as they were on "
                 "the wire (not only the captured part).",
                 kCounter, n);
    Family dropped("trinet_capture_dropped_total",
                   "Packets the capture lost, by where: kernel (the capture buffer was full, "
                   "trinet did not keep up) or interface (dropped by the network interface).",
                   kCounter, 2 * n);
    Family flows("trinet_capture_flows",
                 "Flows the capture source holds in its current window (bounded by "
                 "--capture-max-flows).",
                 kGauge, n);
    Family evicted("trinet_capture_flows_evicted_total",
                   "Flows pushed out of the full flow table to make room (analysed before "
                   "they went, so no evidence is lost; raise --capture-max-flows if high).",
                   kCounter, n);
    Family errors("trinet_capture_decode_errors_total",
                  "Captured packets that could not be decoded to the end (truncated or "
                  "malformed), by kind; they are counted and skipped.",
                  kCounter, kinds);
    for (const auto& c : cs.sources) {
      const std::string source = Utf8(c.source);
      up.Add({{"source", source}}, Bool(c.up));
      packets.Add({{"source", source}}, Num(c.packets));
      bytes.Add({{"source", source}}, Num(c.bytes));
      dropped.Add({{"source", source}, {"where", "kernel"}}, Num(c.kernel_drops));
      dropped.Add({{"source", source}, {"where", "interface"}}, Num(c.interface_drops));
      flows.Add({{"source", source}}, Num(c.flows));
      evicted.Add({{"source", source}}, Num(c.flows_evicted));
      for (const auto& [kind, count] : c.decode_errors) {
        errors.Add({{"source", source}, {"kind", OrUnknown(Utf8(kind))}}, Num(count));
      }
    }
    emit(up);
    emit(packets);
    emit(bytes);
    emit(dropped);
    emit(flows);
    emit(evicted);
    emit(errors);
  }

  // ---- the daemon itself -------------------------------------------------------------------
  {
    Family poll_cycle("trinet_poll_cycle_duration_seconds",
                      "How long the last complete poll cycle over all devices took, in seconds. "
                      "Near or above trinet_poll_interval_seconds means polling falls behind.",
                      kGauge, 1);
    poll_cycle.Add({}, s.self.poll_cycle_duration_seconds);
    emit(poll_cycle);
    Family discovery_cycle("trinet_discovery_cycle_duration_seconds",
                           "How long the last discovery cycle took, in seconds.", kGauge, 1);
    discovery_cycle.Add({}, s.self.discovery_cycle_duration_seconds);
    emit(discovery_cycle);
    Family interval("trinet_poll_interval_seconds",
                    "How often each device is meant to be polled, in seconds.", kGauge, 1);
    interval.Add({}, s.self.poll_interval_seconds);
    emit(interval);
    Family requests("trinet_snmp_requests_total",
                    "SNMP requests sent to devices, by result (ok, timeout, auth_failure, ...).",
                    kCounter, s.self.snmp_requests.size());
    for (const auto& [result, n] : s.self.snmp_requests) {
      requests.Add({{"result", OrUnknown(Utf8(result))}}, Num(n));
    }
    emit(requests);
    Family anomalies("trinet_snmp_anomalies_total",
                     "What agents did wrong, by kind: too_big (request halved), "
                     "non_increasing_oid (walk stopped at a loop), rows_capped (table cut), "
                     "error_status, no_such_object (asked for, not there), malformed_value "
                     "(skipped, not stored).",
                     kCounter, s.self.snmp_anomalies.size());
    for (const auto& [kind, n] : s.self.snmp_anomalies) {
      anomalies.Add({{"kind", OrUnknown(Utf8(kind))}}, Num(n));
    }
    emit(anomalies);
    Family poll_cycles("trinet_poll_cycles_total",
                       "Poll cycles completed since the daemon started.", kCounter, 1);
    poll_cycles.Add({}, Num(s.self.poll_cycles));
    emit(poll_cycles);
    Family discovery_cycles("trinet_discovery_cycles_total",
                            "Discovery cycles completed since the daemon started.", kCounter, 1);
    discovery_cycles.Add({}, Num(s.self.discovery_cycles));
    emit(discovery_cycles);
    Family build("trinet_build_info",
                 "Always 1; the version label is the version of the running trinet daemon.", kGauge,
                 1);
    build.Add({{"version", OrUnknown(Utf8(s.version))}}, 1);
    emit(build);
  }
  return out;
}

// ---- the endpoint ------------------------------------------------------------------------

namespace {

// civetweb reports why it cannot start (e.g. "cannot bind to 127.0.0.1:9870: 98 (Address
// already in use)") only through its log callback, on the thread that starts it. While a
// MetricsServer is being constructed, that thread's messages are kept here.
thread_local std::string* startup_log = nullptr;

int LogMessage(const mg_connection*, const char* message) {
  if (startup_log == nullptr || message == nullptr) return 0;  // civetweb's default handling
  if (!startup_log->empty()) *startup_log += "; ";
  *startup_log += message;
  return 1;
}

}  // namespace

MetricsServer::MetricsServer(const std::string& bind_address, const SnapshotHolder& holder,
                             MetricsOptions options, std::size_t threads)
    : bind_address_(bind_address),
      collectable_(std::make_shared<SnapshotCollectable>(holder, std::move(options))) {
  CivetCallbacks callbacks;
  callbacks.log_message = &LogMessage;
  std::string log;
  startup_log = &log;
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(bind_address, threads, &callbacks);
  } catch (const std::exception& e) {
    startup_log = nullptr;
    throw std::runtime_error("metrics: cannot listen on \"" + bind_address +
                             "\": " + (log.empty() ? std::string(e.what()) : log));
  }
  startup_log = nullptr;
  exposer_->RegisterCollectable(collectable_);
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const {
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace trinet::metrics
