#include "metrics/metrics.h"

#include <prometheus/client_metric.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "metrics/text_format.h"

namespace trinet::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

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

// ---- the two outputs -----------------------------------------------------------------------
//
// The families below are written once, as a template over an output: FamilyOutput builds
// prometheus-cpp metric families (Collect(), Render()), TextOutput writes the text format
// straight into a string (RenderText(), /metrics). Each family is written whole before the
// next begins, so the text needs no buffer per family; a family with no sample writes
// nothing. Label sets used by several families (an interface's five labels go into nine
// series) are made once with MakeLabels() and passed again.

struct LabelPair {
  std::string_view name;
  std::string_view value;
};
using LabelList = std::initializer_list<LabelPair>;

// A sample value. Counts from the snapshot stay integers, so the text writes a 64-bit
// counter exactly instead of rounding it through a double.
struct Value {
  double real = 0;
  std::uint64_t integer = 0;
  bool is_integer = false;
};
constexpr Value Real(double v) { return {v, 0, false}; }
constexpr Value Num(std::uint64_t v) { return {0, v, true}; }
constexpr Value Bool(bool b) { return Num(b ? 1 : 0); }
constexpr Value kOne = Num(1);

constexpr auto kGauge = MetricType::Gauge;
constexpr auto kCounter = MetricType::Counter;

class FamilyOutput {
 public:
  using Labels = std::vector<ClientMetric::Label>;

  explicit FamilyOutput(std::vector<MetricFamily>& out) : out_(out) {}

  Labels MakeLabels(LabelList labels) const {
    Labels l;
    l.reserve(labels.size());
    for (const auto& [name, value] : labels) l.push_back({std::string(name), std::string(value)});
    return l;
  }
  void Begin(std::string_view name, std::string_view help, MetricType type) {
    auto& f = out_.emplace_back();
    f.name = name;
    f.help = help;
    f.type = type;
  }
  void Add(Labels labels, Value v) {
    MetricFamily& f = out_.back();
    auto& m = f.metric.emplace_back();
    m.label = std::move(labels);
    const double value = v.is_integer ? static_cast<double>(v.integer) : v.real;
    if (f.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
  }
  void Add(LabelList labels, Value v) { Add(MakeLabels(labels), v); }
  void Add(const Labels& labels, LabelPair extra, Value v) {
    Labels l;
    l.reserve(labels.size() + 1);
    l = labels;
    l.push_back({std::string(extra.name), std::string(extra.value)});
    Add(std::move(l), v);
  }
  void End() {
    if (out_.back().metric.empty()) out_.pop_back();  // a family with no series is left out
  }

 private:
  std::vector<MetricFamily>& out_;
};

class TextOutput {
 public:
  // A label set used by several families (`device="core-1",ifname="Gi0/1"`, escaped, without
  // the braces), kept in the scratch buffer: one buffer for all of them instead of one
  // allocation each, and the caller can keep it for the next render.
  struct Labels {
    std::size_t offset = 0;
    std::size_t size = 0;
  };

  TextOutput(std::string& out, std::string& scratch) : out_(out), scratch_(scratch) {
    scratch_.clear();
  }

  Labels MakeLabels(LabelList labels) {
    const std::size_t offset = scratch_.size();
    AppendLabels(scratch_, labels);
    return {offset, scratch_.size() - offset};
  }
  void Begin(std::string_view name, std::string_view help, MetricType type) {
    name_ = name;
    help_ = help;
    type_ = type;
    header_written_ = false;
  }
  void Add(const Labels& labels, Value v) {
    Start();
    if (labels.size != 0) {
      out_ += '{';
      out_ += View(labels);
      out_ += '}';
    }
    Finish(v);
  }
  void Add(LabelList labels, Value v) {
    Start();
    if (labels.size() != 0) {
      out_ += '{';
      AppendLabels(out_, labels);
      out_ += '}';
    }
    Finish(v);
  }
  void Add(const Labels& labels, LabelPair extra, Value v) {
    Start();
    out_ += '{';
    out_ += View(labels);
    if (labels.size != 0) out_ += ',';
    AppendLabels(out_, {extra});
    out_ += '}';
    Finish(v);
  }
  void End() {}

 private:
  std::string_view View(const Labels& labels) const {
    return {scratch_.data() + labels.offset, labels.size};
  }
  static void AppendLabels(std::string& out, LabelList labels) {
    bool first = true;
    for (const auto& [name, value] : labels) {
      if (!first) out += ',';
      first = false;
      out += name;
      out += "=\"";
      text::AppendLabelValue(out, value);
      out += '"';
    }
  }
  // The family's HELP and TYPE lines before its first sample, then the sample's name.
  void Start() {
    if (!header_written_) {
      header_written_ = true;
      if (!help_.empty()) {
        out_ += "# HELP ";
        out_ += name_;
        out_ += ' ';
        text::AppendHelp(out_, help_);
        out_ += '\n';
      }
      out_ += "# TYPE ";
      out_ += name_;
      out_ += type_ == MetricType::Counter ? " counter\n" : " gauge\n";
    }
    out_ += name_;
  }
  void Finish(Value v) {
    out_ += ' ';
    if (v.is_integer) {
      text::AppendValue(out_, v.integer);
    } else {
      text::AppendValue(out_, v.real);
    }
    out_ += '\n';
  }

  std::string& out_;
  std::string& scratch_;
  std::string_view name_, help_;
  MetricType type_ = MetricType::Gauge;
  bool header_written_ = false;
};

// Whether `options` export the interface family `name` (without its trinet_interface_).
bool Exported(const MetricsOptions& options, std::string_view name) {
  return options.interface_families.empty() ||
         std::find(options.interface_families.begin(), options.interface_families.end(), name) !=
             options.interface_families.end();
}

// A registered, polled device with what its labels need, found once per render.
struct Polled {
  const DeviceSnapshot* snap;
  const Device* dev;
  const std::string* room_platform;  // the room's platform, or empty when the room is unknown
};

const std::string kEmpty;

constexpr std::string_view kOpen = "open";  // the state of a finding nobody has acted on

// ---- the families that change once per cycle ------------------------------------------------

// Devices to findings: everything that depends on the snapshot and the findings snapshot
// alone.
template <class Out>
void WriteCycleFamilies(Out& out, const MetricsOptions& options, const Snapshot& s,
                        const FindingsSnapshot& fs) {
  static const Register kNoRegister;
  const Register& reg = s.reg ? *s.reg : kNoRegister;

  // ---- indexes, built once per render -----------------------------------------------------
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
  std::size_t interfaces = 0;
  const std::size_t cap =
      options.max_interfaces_per_device.value_or(std::numeric_limits<std::size_t>::max());
  for (const auto& [id, snap] : s.devices) {
    auto r = device_index.find(id);
    if (r == device_index.end()) continue;  // not (or no longer) in the register
    const std::size_t room = r->second.room;
    polled.push_back({&snap, r->second.dev, room == npos ? &kEmpty : &reg.rooms[room].platform});
    if (snap.up && room != npos) ++room_devices_up[room];
    interfaces += std::min(snap.interfaces.size(), cap);
  }

  // ---- devices ---------------------------------------------------------------------------
  out.Begin("trinet_device_up",
            "Whether the device answered its last poll (1) or not (0). "
            "See trinet_device_down_info for why.",
            kGauge);
  for (const auto& p : polled) {
    out.Add({{"device", p.dev->id},
             {"network", p.dev->network},
             {"platform", *p.room_platform},
             {"room", p.dev->room},
             {"role", p.dev->role}},
            Bool(p.snap->up));
  }
  out.End();
  out.Begin("trinet_device_down_info",
            "Always 1, one series per device that did not answer its last poll; "
            "the reason label says why (timeout, authentication failed, ...).",
            kGauge);
  for (const auto& p : polled) {
    if (!p.snap->up)
      out.Add({{"device", p.dev->id}, {"reason", OrUnknown(Utf8(p.snap->reason))}}, kOne);
  }
  out.End();
  out.Begin("trinet_device_poll_duration_seconds",
            "How long the last poll of the device took, in seconds.", kGauge);
  for (const auto& p : polled)
    out.Add({{"device", p.dev->id}}, Real(p.snap->poll_duration_seconds));
  out.End();
  out.Begin("trinet_device_last_poll_timestamp_seconds",
            "When the device was last polled, as Unix time in seconds.", kGauge);
  for (const auto& p : polled) {
    out.Add({{"device", p.dev->id}}, Real(p.snap->last_poll_timestamp_seconds));
  }
  out.End();

  // ---- interfaces ------------------------------------------------------------------------
  {
    // The kept interfaces with their five labels, escaped once for the nine series each.
    struct Kept {
      typename Out::Labels labels;
      const InterfaceSnapshot* i;
    };
    std::vector<Kept> kept;
    kept.reserve(interfaces);
    const bool all_roles = options.interface_roles.empty();
    for (const auto& p : polled) {
      const auto& ifs = p.snap->interfaces;
      if (ifs.empty() || cap == 0) continue;
      if (!all_roles && std::find(options.interface_roles.begin(), options.interface_roles.end(),
                                  p.dev->role) == options.interface_roles.end()) {
        continue;
      }
      const std::vector<std::string> names = InterfaceLabels(ifs);
      std::size_t n = 0;
      for (std::size_t k = 0; k < ifs.size() && n < cap; ++k) {
        if (options.drop_admin_down_interfaces && ifs[k].admin_up == false) continue;
        ++n;
        kept.push_back({out.MakeLabels({{"device", p.dev->id},
                                        {"ifname", names[k]},
                                        {"network", p.dev->network},
                                        {"platform", *p.room_platform},
                                        {"room", p.dev->room}}),
                        &ifs[k]});
      }
    }
    if (Exported(options, "oper_up")) {
      out.Begin("trinet_interface_oper_up",
                "Whether the interface is operationally up, passing traffic (1), or not (0).",
                kGauge);
      for (const auto& k : kept) {
        if (k.i->oper_up) out.Add(k.labels, Bool(*k.i->oper_up));
      }
      out.End();
    }
    if (Exported(options, "admin_up")) {
      out.Begin("trinet_interface_admin_up",
                "Whether the interface is enabled in the device's configuration (1) or shut "
                "down on purpose (0).",
                kGauge);
      for (const auto& k : kept) {
        if (k.i->admin_up) out.Add(k.labels, Bool(*k.i->admin_up));
      }
      out.End();
    }
    if (Exported(options, "speed_bytes")) {
      out.Begin("trinet_interface_speed_bytes",
                "Nominal speed of the interface, in bytes per second (bits per second / 8).",
                kGauge);
      for (const auto& k : kept) {
        if (k.i->speed_bits) out.Add(k.labels, Real(*k.i->speed_bits / 8.0));
      }
      out.End();
    }
    if (Exported(options, "receive_bytes_total")) {
      out.Begin("trinet_interface_receive_bytes_total",
                "Bytes received on the interface since the device started counting.", kCounter);
      for (const auto& k : kept) {
        if (k.i->receive_bytes) out.Add(k.labels, Num(*k.i->receive_bytes));
      }
      out.End();
    }
    if (Exported(options, "transmit_bytes_total")) {
      out.Begin("trinet_interface_transmit_bytes_total",
                "Bytes sent out of the interface since the device started counting.", kCounter);
      for (const auto& k : kept) {
        if (k.i->transmit_bytes) out.Add(k.labels, Num(*k.i->transmit_bytes));
      }
      out.End();
    }
    if (Exported(options, "errors_total")) {
      out.Begin("trinet_interface_errors_total",
                "Packets the interface could not receive or send because of errors "
                "(bad cabling, duplex mismatch, faulty optics), by direction.",
                kCounter);
      for (const auto& k : kept) {
        if (k.i->receive_errors) {
          out.Add(k.labels, {"direction", "receive"}, Num(*k.i->receive_errors));
        }
        if (k.i->transmit_errors) {
          out.Add(k.labels, {"direction", "transmit"}, Num(*k.i->transmit_errors));
        }
      }
      out.End();
    }
    if (Exported(options, "discards_total")) {
      out.Begin("trinet_interface_discards_total",
                "Packets the interface dropped although they had no error, usually for "
                "lack of buffer space under congestion, by direction.",
                kCounter);
      for (const auto& k : kept) {
        if (k.i->receive_discards) {
          out.Add(k.labels, {"direction", "receive"}, Num(*k.i->receive_discards));
        }
        if (k.i->transmit_discards) {
          out.Add(k.labels, {"direction", "transmit"}, Num(*k.i->transmit_discards));
        }
      }
      out.End();
    }
  }

  // ---- sanctioned Internet exits -----------------------------------------------------------
  {
    struct Exit {
      const Egress* e;
      const DeviceSnapshot* d;     // null when not polled (or not registered)
      const InterfaceSnapshot* i;  // null when not found
      std::string ifname;          // the label the interface families give it
      typename Out::Labels labels;
    };
    std::vector<Exit> exits;
    exits.reserve(reg.egress.size());
    for (const auto& e : reg.egress) {
      if (!s.Watches(e.network)) continue;
      Exit x{&e, nullptr, nullptr, {}, {}};
      if (device_index.contains(e.device)) {
        if (auto it = s.devices.find(e.device); it != s.devices.end()) x.d = &it->second;
      }
      x.i = x.d ? FindEgressInterface(*x.d, e.interface) : nullptr;
      if (x.i) {
        // The same label the interface families give it (a repeated name gets #ifIndex).
        const auto names = InterfaceLabels(x.d->interfaces);
        x.ifname = names[static_cast<std::size_t>(x.i - x.d->interfaces.data())];
      }
      x.labels =
          out.MakeLabels({{"egress", e.id}, {"network", e.network}, {"platform", e.platform}});
      exits.push_back(std::move(x));
    }
    out.Begin("trinet_egress_up",
              "Whether the sanctioned Internet exit is usable: its device answered and its "
              "exit interface is up (1), or the device or interface is down or missing (0).",
              kGauge);
    for (const auto& x : exits)
      out.Add(x.labels, Bool(x.d && x.d->up && x.i && x.i->oper_up == true));
    out.End();
    out.Begin("trinet_egress_receive_bytes_total",
              "Bytes received from the Internet on the exit interface.", kCounter);
    for (const auto& x : exits) {
      if (x.i && x.i->receive_bytes) out.Add(x.labels, Num(*x.i->receive_bytes));
    }
    out.End();
    out.Begin("trinet_egress_transmit_bytes_total",
              "Bytes sent to the Internet on the exit interface.", kCounter);
    for (const auto& x : exits) {
      if (x.i && x.i->transmit_bytes) out.Add(x.labels, Num(*x.i->transmit_bytes));
    }
    out.End();
    out.Begin("trinet_egress_speed_bytes",
              "Nominal speed of the exit interface, in bytes per second (bits per second / 8).",
              kGauge);
    for (const auto& x : exits) {
      if (x.i && x.i->speed_bits) out.Add(x.labels, Real(*x.i->speed_bits / 8.0));
    }
    out.End();
    out.Begin("trinet_egress_info",
              "Always 1: the device and interface (its ifname label in the trinet_interface_* "
              "families, empty while not found) of each sanctioned Internet exit, for joins.",
              kGauge);
    for (const auto& x : exits) {
      out.Add({{"egress", x.e->id},
               {"device", x.e->device},
               {"ifname", x.ifname},
               {"network", x.e->network},
               {"platform", x.e->platform}},
              kOne);
    }
    out.End();
  }

  // ---- rooms -----------------------------------------------------------------------------
  {
    std::vector<typename Out::Labels> labels;
    labels.reserve(reg.rooms.size());
    for (const Room& r : reg.rooms) {
      labels.push_back(out.MakeLabels({{"room", r.id},
                                       {"platform", r.platform},
                                       {"unit", r.unit ? std::string_view(*r.unit) : kEmpty},
                                       {"kind", r.kind},
                                       {"status", r.status}}));
    }
    out.Begin("trinet_room_devices",
              "Devices the register places in the room (on the networks this instance polls).",
              kGauge);
    for (std::size_t k = 0; k < reg.rooms.size(); ++k) out.Add(labels[k], Num(room_devices[k]));
    out.End();
    out.Begin("trinet_room_devices_up", "Devices of the room that answered their last poll.",
              kGauge);
    for (std::size_t k = 0; k < reg.rooms.size(); ++k) out.Add(labels[k], Num(room_devices_up[k]));
    out.End();
  }

  // ---- units and who answers for them --------------------------------------------------------
  // Who to call, joinable by `unit` (group_left) onto rooms and findings, so that an alert can
  // name the administrator and phone without trinetctl (M2 art. 10, 12).
  out.Begin("trinet_unit_info",
            "Always 1: a unit of the register with its name and its system administrator's "
            "name, phone and email (empty when not registered); M2 art. 10.",
            kGauge);
  for (const Unit& u : reg.units) {
    out.Add({{"unit", u.id},
             {"platform", u.platform},
             {"name", Utf8(u.name)},
             {"admin", u.admin ? Utf8(u.admin->name) : std::string()},
             {"phone", u.admin && u.admin->phone ? Utf8(*u.admin->phone) : std::string()},
             {"email", u.admin && u.admin->email ? Utf8(*u.admin->email) : std::string()}},
            kOne);
  }
  out.End();

  // ---- UPS -------------------------------------------------------------------------------
  {
    struct Ups {
      typename Out::Labels labels;
      const UpsSnapshot* u;
    };
    std::vector<Ups> ups;
    for (const auto& p : polled) {
      if (!p.snap->ups) continue;
      ups.push_back(
          {out.MakeLabels(
               {{"device", p.dev->id}, {"room", p.dev->room}, {"platform", *p.room_platform}}),
           &*p.snap->ups});
    }
    // One family per member of UpsSnapshot, the value left out when the agent lacks it.
    const auto family = [&](const char* name, const char* help, auto value) {
      out.Begin(name, help, kGauge);
      for (const auto& x : ups) {
        if (const std::optional<Value> v = value(*x.u)) out.Add(x.labels, *v);
      }
      out.End();
    };
    const auto real = [](const std::optional<double>& v, double scale = 1) {
      return v ? std::optional<Value>(Real(*v * scale)) : std::nullopt;
    };
    family("trinet_ups_on_battery",
           "Whether the UPS is running on battery because mains power failed (1) or not (0).",
           [](const UpsSnapshot& u) {
             return u.on_battery ? std::optional<Value>(Bool(*u.on_battery)) : std::nullopt;
           });
    family("trinet_ups_battery_seconds_remaining",
           "How long the UPS battery can still carry the load, as the UPS estimates it, in "
           "seconds.",
           [&](const UpsSnapshot& u) { return real(u.minutes_remaining, 60.0); });
    family("trinet_ups_battery_charge_ratio", "Charge left in the UPS battery, 0 to 1 (1 = full).",
           [&](const UpsSnapshot& u) { return real(u.charge_ratio); });
    family("trinet_ups_output_load_ratio",
           "Load on the UPS output as a share of its capacity, 0 to 1 (1 = fully loaded).",
           [&](const UpsSnapshot& u) { return real(u.output_load_ratio); });
    family("trinet_ups_seconds_on_battery",
           "How long the UPS has been running on battery, in seconds (0 on mains power).",
           [&](const UpsSnapshot& u) { return real(u.seconds_on_battery); });
    family("trinet_ups_input_voltage_volts", "Mains voltage at the UPS input, in volts.",
           [&](const UpsSnapshot& u) { return real(u.input_voltage); });
  }

  // ---- environment sensors -----------------------------------------------------------------
  {
    struct Sensor {
      bool temperature;  // else humidity
      typename Out::Labels labels;
      double value;
    };
    std::vector<Sensor> sensors;
    std::unordered_set<std::string> seen;  // sensor labels of one device and kind
    for (const auto& p : polled) {
      if (p.snap->sensors.empty()) continue;
      seen.clear();
      for (const auto& sensor : p.snap->sensors) {
        if (sensor.kind != "temperature" && sensor.kind != "humidity") continue;
        // Unique per device and kind: a repeated name gets "#2", "#3", ...
        const std::string name = Utf8(sensor.name);
        std::string label = name;
        for (int n = 2; !seen.insert(sensor.kind + '\n' + label).second; ++n) {
          label = name + "#" + std::to_string(n);
        }
        sensors.push_back(
            {sensor.kind == "temperature",
             out.MakeLabels({{"device", p.dev->id}, {"room", p.dev->room}, {"sensor", label}}),
             sensor.value});
      }
    }
    out.Begin("trinet_sensor_temperature_celsius",
              "Temperature measured by the sensor, in degrees Celsius.", kGauge);
    for (const auto& x : sensors) {
      if (x.temperature) out.Add(x.labels, Real(x.value));
    }
    out.End();
    out.Begin("trinet_sensor_humidity_ratio",
              "Relative humidity measured by the sensor, 0 to 1 (0.45 = 45 %).", kGauge);
    for (const auto& x : sensors) {
      if (!x.temperature) out.Add(x.labels, Real(x.value));
    }
    out.End();
  }

  // ---- findings and consolidation progress -------------------------------------------------
  // Not filtered by the snapshot's networks: the findings snapshot is the whole evaluation.
  {
    // Counted by (rule, severity, network, platform, state), in that order.
    std::map<std::array<std::string, 5>, std::uint64_t> counts;
    for (const auto& finding : fs.findings) {
      ++counts[{Utf8(finding.rule), Utf8(finding.severity), Utf8(finding.network),
                Utf8(finding.platform), Utf8(finding.state)}];
    }
    out.Begin("trinet_findings",
              "Findings of the latest rule evaluation by rule, severity, network, platform "
              "and state (open, acknowledged, waived, resolved), resolved ones included. "
              "A label set without findings has no series. The rules and the policy "
              "articles they enforce: docs/findings.md.",
              kGauge);
    for (const auto& [key, n] : counts) {
      out.Add({{"rule", key[0]},
               {"severity", key[1]},
               {"network", key[2]},
               {"platform", key[3]},
               {"state", key[4]}},
              Num(n));
    }
    out.End();

    out.Begin("trinet_finding_open",
              "Always 1, one series per open finding (not acknowledged, waived or resolved), "
              "with its labels for alerts. The rules and the policy articles they enforce: "
              "docs/findings.md.",
              kGauge);
    std::unordered_set<std::string> ids;  // a repeated id would be a duplicate series
    for (const auto& finding : fs.findings) {
      if (finding.state != kOpen) continue;
      std::string id = Utf8(finding.id);
      if (!ids.insert(id).second) continue;
      out.Add({{"id", id},
               {"rule", Utf8(finding.rule)},
               {"reason", Utf8(finding.reason)},
               {"severity", Utf8(finding.severity)},
               {"network", Utf8(finding.network)},
               {"platform", Utf8(finding.platform)},
               {"room", Utf8(finding.room)},
               {"unit", Utf8(finding.unit)},
               {"subject", Utf8(finding.subject)}},
              kOne);
    }
    out.End();

    out.Begin("trinet_rooms",
              "Machine rooms in the register by platform, kind (central, department) and "
              "consolidation status (active, consolidating, consolidated, decommissioned, "
              "exempt); M2 art. 4, 15.",
              kGauge);
    for (const auto& [key, n] : fs.rooms) {
      const auto& [platform, kind, status] = key;
      out.Add({{"platform", Utf8(platform)}, {"kind", Utf8(kind)}, {"status", Utf8(status)}},
              Num(n));
    }
    out.End();
    out.Begin("trinet_rooms_overdue",
              "Department rooms past their consolidate_by deadline that are not "
              "consolidated, decommissioned or exempt, by platform; M2 art. 4, 15.",
              kGauge);
    for (const auto& [platform, n] : fs.rooms_overdue)
      out.Add({{"platform", Utf8(platform)}}, Num(n));
    out.End();
    out.Begin("trinet_unit_admin_missing",
              "Units in the register without a system administrator, by platform; "
              "M2 art. 10.",
              kGauge);
    for (const auto& [platform, n] : fs.units_without_admin) {
      out.Add({{"platform", Utf8(platform)}}, Num(n));
    }
    out.End();

    out.Begin("trinet_findings_last_evaluation_timestamp_seconds",
              "When the rules were last evaluated (the time of the findings above), as "
              "Unix time in seconds. Absent until the first evaluation.",
              kGauge);
    if (fs.evaluated_at_seconds > 0) out.Add(LabelList{}, Real(fs.evaluated_at_seconds));
    out.End();
    out.Begin("trinet_findings_evaluation_duration_seconds",
              "How long the last evaluation of the findings rules took (loading the "
              "observations, the rules, storing the lifecycle), in seconds.",
              kGauge);
    if (fs.evaluated_at_seconds > 0) out.Add(LabelList{}, Real(fs.evaluation_duration_seconds));
    out.End();
  }
}

// ---- the families rendered at every scrape ---------------------------------------------------

// Live capture (republished about once a second) and the daemon itself, which come last.
template <class Out>
void WriteTailFamilies(Out& out, const Snapshot& s, const CaptureSnapshot& cs) {
  // ---- live capture ------------------------------------------------------------------------
  {
    std::vector<std::string> sources;
    sources.reserve(cs.sources.size());
    for (const auto& c : cs.sources) sources.push_back(Utf8(c.source));
    // One family with one series per source, the value from `value`.
    const auto per_source = [&](const char* name, const char* help, MetricType type, auto value) {
      out.Begin(name, help, type);
      for (std::size_t k = 0; k < cs.sources.size(); ++k) {
        out.Add({{"source", sources[k]}}, value(cs.sources[k]));
      }
      out.End();
    };
    per_source("trinet_capture_up",
               "Whether the capture source (a mirror port, see docs/pcap.md) is being captured "
               "(1) or its handle failed and is being reopened (0).",
               kGauge, [](const CaptureSourceSnapshot& c) { return Bool(c.up); });
    per_source("trinet_capture_packets_total",
               "Packets the capture source delivered to trinet (after its BPF filter).", kCounter,
               [](const CaptureSourceSnapshot& c) { return Num(c.packets); });
    per_source("trinet_capture_bytes_total",
               "Bytes of the packets the capture source delivered, as long as they were on "
               "the wire (not only the captured part).",
               kCounter, [](const CaptureSourceSnapshot& c) { return Num(c.bytes); });
    out.Begin("trinet_capture_dropped_total",
              "Packets the capture lost, by where: kernel (the capture buffer was full, "
              "trinet did not keep up) or interface (dropped by the network interface).",
              kCounter);
    for (std::size_t k = 0; k < cs.sources.size(); ++k) {
      out.Add({{"source", sources[k]}, {"where", "kernel"}}, Num(cs.sources[k].kernel_drops));
      out.Add({{"source", sources[k]}, {"where", "interface"}}, Num(cs.sources[k].interface_drops));
    }
    out.End();
    per_source("trinet_capture_flows",
               "Flows the capture source holds in its current window (bounded by "
               "--capture-max-flows).",
               kGauge, [](const CaptureSourceSnapshot& c) { return Num(c.flows); });
    per_source("trinet_capture_flows_evicted_total",
               "Flows pushed out of the full flow table to make room (analysed before "
               "they went, so no evidence is lost; raise --capture-max-flows if high).",
               kCounter, [](const CaptureSourceSnapshot& c) { return Num(c.flows_evicted); });
    out.Begin("trinet_capture_decode_errors_total",
              "Captured packets that could not be decoded to the end (truncated or "
              "malformed), by kind; they are counted and skipped.",
              kCounter);
    for (std::size_t k = 0; k < cs.sources.size(); ++k) {
      for (const auto& [kind, count] : cs.sources[k].decode_errors) {
        out.Add({{"source", sources[k]}, {"kind", OrUnknown(Utf8(kind))}}, Num(count));
      }
    }
    out.End();
  }

  // ---- the daemon itself -------------------------------------------------------------------
  out.Begin("trinet_poll_cycle_duration_seconds",
            "How long the last complete poll cycle over all devices took, in seconds. "
            "Near or above trinet_poll_interval_seconds means polling falls behind.",
            kGauge);
  out.Add(LabelList{}, Real(s.self.poll_cycle_duration_seconds));
  out.End();
  out.Begin("trinet_discovery_cycle_duration_seconds",
            "How long the last discovery cycle took, in seconds.", kGauge);
  out.Add(LabelList{}, Real(s.self.discovery_cycle_duration_seconds));
  out.End();
  out.Begin("trinet_poll_interval_seconds",
            "How often each device is meant to be polled, in seconds.", kGauge);
  out.Add(LabelList{}, Real(s.self.poll_interval_seconds));
  out.End();
  out.Begin("trinet_snmp_requests_total",
            "SNMP requests sent to devices, by result (ok, timeout, auth_failure, ...).", kCounter);
  for (const auto& [result, n] : s.self.snmp_requests) {
    out.Add({{"result", OrUnknown(Utf8(result))}}, Num(n));
  }
  out.End();
  out.Begin("trinet_snmp_anomalies_total",
            "What agents did wrong, by kind: too_big (request halved), "
            "non_increasing_oid (walk stopped at a loop), rows_capped (table cut), "
            "error_status, no_such_object (asked for, not there), malformed_value "
            "(skipped, not stored).",
            kCounter);
  for (const auto& [kind, n] : s.self.snmp_anomalies) {
    out.Add({{"kind", OrUnknown(Utf8(kind))}}, Num(n));
  }
  out.End();
  out.Begin("trinet_poll_cycles_total", "Poll cycles completed since the daemon started.",
            kCounter);
  out.Add(LabelList{}, Num(s.self.poll_cycles));
  out.End();
  out.Begin("trinet_discovery_cycles_total", "Discovery cycles completed since the daemon started.",
            kCounter);
  out.Add(LabelList{}, Num(s.self.discovery_cycles));
  out.End();
  out.Begin("trinet_build_info",
            "Always 1; the version label is the version of the running trinet daemon.", kGauge);
  out.Add({{"version", OrUnknown(Utf8(s.version))}}, kOne);
  out.End();
}

}  // namespace

// ---- SnapshotCollectable ---------------------------------------------------------------------

std::optional<std::string> MetricsOptions::Check() const {
  for (const auto& name : interface_families) {
    if (std::find(kInterfaceFamilies.begin(), kInterfaceFamilies.end(), name) !=
        kInterfaceFamilies.end()) {
      continue;
    }
    std::string known;
    for (const auto k : kInterfaceFamilies) known += (known.empty() ? "" : ", ") + std::string(k);
    return "unknown interface family \"" + name + "\" (known: " + known + ")";
  }
  return std::nullopt;
}

SnapshotCollectable::SnapshotCollectable(const SnapshotHolder& holder, MetricsOptions options)
    : holder_(holder), options_(std::move(options)) {
  // A misspelt family would silently leave it out of every scrape.
  if (auto error = options_.Check()) throw std::invalid_argument("metrics: " + *error);
}

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
  std::vector<MetricFamily> families;
  families.reserve(64);
  FamilyOutput out(families);
  WriteCycleFamilies(out, options_, s, fs);
  WriteTailFamilies(out, s, cs);
  return families;
}

std::size_t EstimateTextSize(const Snapshot& s) {
  std::size_t interfaces = 0;
  for (const auto& [id, d] : s.devices) interfaces += d.interfaces.size();
  return 64 * 1024 + s.devices.size() * 4 * 128 + interfaces * 9 * 192;
}

std::string SnapshotCollectable::RenderText(const Snapshot& s, const FindingsSnapshot& fs,
                                            const CaptureSnapshot& cs) const {
  std::string text;
  text::Reserve(text, EstimateTextSize(s));
  AppendCycleText(text, s, fs);
  AppendTailText(text, s, cs);
  return text;
}

void SnapshotCollectable::AppendCycleText(std::string& text, const Snapshot& s,
                                          const FindingsSnapshot& fs, std::string* scratch) const {
  std::string temporary;
  TextOutput out(text, scratch ? *scratch : temporary);
  WriteCycleFamilies(out, options_, s, fs);
}

void SnapshotCollectable::AppendTailText(std::string& text, const Snapshot& s,
                                         const CaptureSnapshot& cs) const {
  std::string scratch;
  TextOutput out(text, scratch);
  WriteTailFamilies(out, s, cs);
}

}  // namespace trinet::metrics
