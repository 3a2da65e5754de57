// network-bridge: a bridge between networks 网间互联 (M2 art. 2, 4).
//
// The three networks must stay physically separate. Signs that they are joined: an LLDP
// link between registered devices of two networks (lldp-neighbour), one chassis seen from
// two networks (chassis-on-two-networks), one device holding addresses of two networks'
// plans (addresses-in-two-plans), and on the classified network any LLDP neighbour that is
// not registered there (classified-unregistered-neighbour). See docs/findings.md.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "findings/rules.h"

namespace trinet::findings {
namespace {

using nlohmann::json;

constexpr const char* kRule = "network-bridge";
constexpr const char* kLldpNeighbour = "lldp-neighbour";
constexpr const char* kChassis = "chassis-on-two-networks";
constexpr const char* kTwoPlans = "addresses-in-two-plans";
constexpr const char* kClassifiedNeighbour = "classified-unregistered-neighbour";

// ---- reading fact values without ever throwing ---------------------------------------------

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

/// A chassis id or serial as one key: MACs as lower-case aa:bb:cc:dd:ee:ff, anything else
/// as reported (trimmed).
std::string CanonicalChassis(std::string_view text) {
  std::string t = Trim(text);
  if (auto mac = NormaliseMac(t)) return *mac;
  return t;
}

/// Placeholders that agents report instead of a real serial or chassis id ("N/A", all
/// zeros, the broadcast MAC, ...): the same placeholder on two networks joins nothing.
bool IsPlaceholder(const std::string& id) {
  static const std::set<std::string> kWords = {"n/a",
                                               "na",
                                               "none",
                                               "null",
                                               "unknown",
                                               "not available",
                                               "notavailable",
                                               "not specified",
                                               "unspecified",
                                               "default",
                                               "default string",
                                               "to be filled by o.e.m.",
                                               "serial",
                                               "0123456789",
                                               "123456789",
                                               "1234567890"};
  const std::string lower = Lower(id);
  if (lower.size() < 3 || kWords.count(lower)) return true;
  std::string significant;
  for (char c : lower) {
    if (c != ':' && c != '-' && c != '.' && c != ' ') significant += c;
  }
  return significant.empty() || std::all_of(significant.begin(), significant.end(),
                                            [&](char c) { return c == significant.front(); });
}

/// How protected a network is: a finding that joins two networks is placed on the more
/// protected side, whose administrators must act.
int Protection(const std::string& network) {
  if (network == "classified") return 0;
  if (network == "internal") return 1;
  if (network == "external") return 2;
  return 3;
}

/// "the external and internal networks", in the order of the format.
std::string NetworkList(const std::set<std::string>& networks) {
  std::vector<std::string> names(networks.begin(), networks.end());
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return std::make_tuple(-Protection(a), a) < std::make_tuple(-Protection(b), b);
  });
  std::string out = "the ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out + " networks";
}

std::string Who(const Device& d) {
  std::string who = d.id + " (";
  if (d.name) who += *d.name + ", ";
  return who + "room " + d.room + ", " + d.network + " network)";
}

std::string LocalPort(const json& v) {
  std::string port = StringField(v, "local_port_id");
  if (port.empty()) port = StringField(v, "local_port_desc");
  if (port.empty()) {
    if (auto n = IntField(v, "local_port")) port = std::to_string(*n);
  }
  return port.empty() ? std::string() : " on local port " + port;
}

/// "neighbour sw9 (chassis aa:bb:..., port Gi0/1)".
std::string NeighbourText(const json& v) {
  const std::string name = StringField(v, "sys_name");
  const std::string chassis = StringField(v, "chassis_id");
  const std::string port = StringField(v, "port_id");
  std::string out = "neighbour";
  if (!name.empty()) out += " " + name;
  std::vector<std::string> details;
  if (!chassis.empty()) details.push_back("chassis " + chassis);
  if (!port.empty()) details.push_back("port " + port);
  for (size_t i = 0; i < details.size(); ++i) out += (i == 0 ? " (" : ", ") + details[i];
  if (!details.empty()) out += ")";
  return out;
}

// ---- collecting findings -------------------------------------------------------------------

/// A finding being built, with the devices it may be placed at.
struct Draft {
  Finding finding;
  std::vector<const Device*> devices;
  std::set<std::string> networks;
  std::vector<std::string> details;  ///< for the summary
};

class Collector {
 public:
  explicit Collector(const RuleContext& ctx) : ctx_(ctx) {}

  Draft& Get(const std::string& reason, const std::string& type, const std::string& id,
             const std::string& name) {
    auto [it, inserted] = drafts_.try_emplace(type + ":" + id);
    if (inserted) {
      Finding& f = it->second.finding;
      f.rule = kRule;
      f.reason = reason;
      f.severity = kCritical;
      f.subject = Subject{.type = type, .id = id, .name = name};
    }
    return it->second;
  }

  Evidence MakeEvidence(const Fact& f, const std::string& default_table, std::string value) const {
    Evidence e;
    e.source = "snmp";
    e.device = f.device;
    e.table = StringField(f.value, "table");
    if (e.table.empty()) e.table = default_table;
    e.key = f.key;
    e.value = std::move(value);
    e.observed_at = f.last_seen > 0 ? f.last_seen : ctx_.now();
    return e;
  }

  std::vector<Finding> Finish(const std::set<std::string>& keep_only_if_two_networks) {
    std::vector<Finding> out;
    for (auto& [key, draft] : drafts_) {
      if (keep_only_if_two_networks.count(key) && draft.networks.size() < 2) continue;
      Finding f = std::move(draft.finding);
      auto& ev = f.evidence;
      std::sort(ev.begin(), ev.end(), [](const Evidence& a, const Evidence& b) {
        return std::tie(a.device, a.table, a.key, a.value) <
               std::tie(b.device, b.table, b.key, b.value);
      });
      ev.erase(std::unique(ev.begin(), ev.end()), ev.end());
      const Device* place = nullptr;
      for (const Device* d : draft.devices) {
        if (!place || std::make_tuple(Protection(d->network), d->id) <
                          std::make_tuple(Protection(place->network), place->id)) {
          place = d;
        }
      }
      if (place) ctx_.Place(f, *place);
      f.summary = Summary(f, draft);
      out.push_back(std::move(f));
    }
    std::sort(out.begin(), out.end(),
              [](const Finding& a, const Finding& b) { return a.Id() < b.Id(); });
    return out;
  }

 private:
  std::string Summary(const Finding& f, Draft& draft) const {
    std::sort(draft.details.begin(), draft.details.end());
    draft.details.erase(std::unique(draft.details.begin(), draft.details.end()),
                        draft.details.end());
    std::string details;
    for (size_t i = 0; i < draft.details.size(); ++i) {
      details += (i == 0 ? "" : ", ") + draft.details[i];
    }
    const std::string joined = NetworkList(draft.networks) + " are joined";
    if (f.reason == kLldpNeighbour) {
      return details + " are linked directly (LLDP): " + joined;
    }
    if (f.reason == kChassis) {
      return "chassis " + f.subject.name + " is seen from " + NetworkList(draft.networks) + " (" +
             details + "): " + joined;
    }
    if (f.reason == kTwoPlans) {
      return Who(*draft.devices.front()) + " holds addresses of " + NetworkList(draft.networks) +
             " (" + details + "): " + joined;
    }
    std::string out = Who(*draft.devices.front()) + " has LLDP neighbour " + f.subject.name +
                      ", which is not registered on the classified network";
    if (draft.details.empty()) return out;
    return out + ", on local port" + (draft.details.size() > 1 ? "s " : " ") + details;
  }

  const RuleContext& ctx_;
  std::map<std::string, Draft> drafts_;
};

}  // namespace

std::vector<Finding> NetworkBridgeRule(const RuleContext& ctx) {
  Collector c(ctx);
  std::set<std::string> chassis_keys;  // chassis drafts: a finding only on two networks

  auto chassis_sighting = [&](const std::string& chassis, const Device& d, Evidence e) {
    Draft& draft = c.Get(kChassis, "chassis", chassis, chassis);
    chassis_keys.insert("chassis:" + chassis);
    draft.finding.evidence.push_back(std::move(e));
    draft.devices.push_back(&d);
    draft.networks.insert(d.network);
    draft.details.push_back(d.id + " on " + d.network);
  };

  for (const Device& d : ctx.reg().devices) {
    // LLDP neighbours.
    for (const Fact* f : ctx.FactsOf(d.id, "lldp")) {
      if (!f->value.is_object()) continue;
      const Device* m = ctx.MatchNeighbour(f->value);
      if (m == &d) continue;  // its own advertisement, looped back
      const std::string where = d.id + LocalPort(f->value);
      if (m) {
        if (m->network == d.network) continue;  // a link within one network
        const auto& [a, b] = std::minmax(d.id, m->id);
        const Device* da = a == d.id ? &d : m;
        const Device* db = a == d.id ? m : &d;
        Draft& draft = c.Get(kLldpNeighbour, "link", a + "~" + b,
                             da->name.value_or(da->id) + " ~ " + db->name.value_or(db->id));
        draft.finding.evidence.push_back(c.MakeEvidence(*f, "lldpRemTable",
                                                        where + ": " + NeighbourText(f->value) +
                                                            " is registered device " + m->id +
                                                            " of the " + m->network + " network"));
        draft.devices = {da, db};
        draft.networks = {da->network, db->network};
        draft.details = {Who(*da) + " and " + Who(*db)};
        continue;
      }
      // A neighbour that matches no registered device, known by its chassis id or sysName
      // (a row with neither names nothing that could be found again).
      const std::string chassis = CanonicalChassis(StringField(f->value, "chassis_id"));
      const std::string sys_name = Trim(StringField(f->value, "sys_name"));
      if (chassis.empty() && sys_name.empty()) continue;
      if (!chassis.empty() && !IsPlaceholder(chassis)) {
        chassis_sighting(chassis, d,
                         c.MakeEvidence(*f, "lldpRemTable",
                                        where + ": unregistered LLDP " + NeighbourText(f->value) +
                                            ", seen from the " + d.network + " network"));
      }
      if (d.network == "classified") {
        const std::string id = chassis.empty() ? sys_name : chassis;
        Draft& draft = c.Get(kClassifiedNeighbour, "neighbour", d.id + "/" + id,
                             sys_name.empty() || sys_name == id ? id : sys_name + " (" + id + ")");
        draft.finding.evidence.push_back(
            c.MakeEvidence(*f, "lldpRemTable",
                           where + ": " + NeighbourText(f->value) +
                               " matches no device registered on the classified network"));
        draft.devices = {&d};
        draft.networks = {d.network};
        if (std::string port = LocalPort(f->value); !port.empty()) {
          draft.details.push_back(port.substr(std::string_view(" on local port ").size()));
        }
      }
    }

    // The device's own chassis: its LLDP chassis id and its serial.
    for (const Fact* f : ctx.FactsOf(d.id, "lldp_local")) {
      std::string text = StringField(f->value, "chassis_id");
      if (text.empty()) text = f->key;
      const std::string chassis = CanonicalChassis(text);
      if (chassis.empty() || IsPlaceholder(chassis)) continue;
      chassis_sighting(chassis, d,
                       c.MakeEvidence(*f, "lldpLocalSystemData",
                                      d.id + " of the " + d.network +
                                          " network reports LLDP chassis id " + chassis));
    }
    for (const Fact* f : ctx.FactsOf(d.id, "chassis")) {
      std::string text = StringField(f->value, "serial");
      if (text.empty()) text = f->key;
      const std::string serial = CanonicalChassis(text);
      if (serial.empty() || IsPlaceholder(serial)) continue;
      std::string value =
          d.id + " of the " + d.network + " network reports chassis serial " + serial;
      if (auto model = StringField(f->value, "model"); !model.empty()) {
        value += " (model " + model + ")";
      }
      chassis_sighting(serial, d, c.MakeEvidence(*f, "entPhysicalTable", std::move(value)));
    }

    // Interface addresses in the plans of two networks.
    std::map<std::string, std::vector<std::pair<const Fact*, std::string>>> by_plan;
    for (const Fact* f : ctx.FactsOf(d.id, "address")) {
      std::string text = StringField(f->value, "address");
      if (text.empty()) text = f->key;
      auto a = RuleContext::ParseFactAddress(text);
      if (!a) continue;
      if (auto plan = ctx.PlanOf(*a)) by_plan[*plan].emplace_back(f, a->ToString());
    }
    if (by_plan.size() >= 2) {
      Draft& draft = c.Get(kTwoPlans, "device", d.id, d.name.value_or(d.id));
      draft.devices = {&d};
      for (const auto& [network, addresses] : by_plan) {
        draft.networks.insert(network);
        for (const auto& [f, address] : addresses) {
          std::string value = "address " + address;
          if (auto length = IntField(f->value, "prefix_length")) {
            value += "/" + std::to_string(*length);
          }
          if (auto ifindex = IntField(f->value, "ifindex"); ifindex && *ifindex > 0) {
            value += " on ifindex " + std::to_string(*ifindex);
            for (const InterfaceState* i : ctx.InterfacesOf(d.id)) {
              if (i->ifindex == *ifindex && !i->name.empty()) value += " (" + i->name + ")";
            }
          }
          value += ", in the plan of the " + network + " network";
          draft.finding.evidence.push_back(c.MakeEvidence(*f, "ipAddressTable", value));
          draft.details.push_back(address + " " + network);
        }
      }
    }
  }
  return c.Finish(chassis_keys);
}

}  // namespace trinet::findings
