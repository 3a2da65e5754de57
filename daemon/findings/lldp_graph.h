#pragma once
// What the LLDP neighbour tables say, read once per evaluation for the rules that need it
// (orphan-room, frozen-expansion, unregistered-device): the links between registered devices
// of one network, and the neighbours that match no registered device. Header-only, internal
// to daemon/findings. See docs/findings.md ("neighbour match").

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "findings/rule_context.h"

namespace trinet::findings::lldp {

/// A field of a fact value as text: strings as they are, numbers written out, anything else
/// (absent, null, an object) empty. Never throws.
inline std::string Text(const nlohmann::json& value, const char* key) {
  if (!value.is_object()) return {};
  auto it = value.find(key);
  if (it == value.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

/// How a neighbour is told apart: its chassis id, else its sysName (lower case); empty when
/// the row has neither. The same neighbour seen on several local ports of one switch is one
/// neighbour.
inline std::string NeighbourKey(const Fact& f) {
  std::string key = Lower(Text(f.value, "chassis_id"));
  if (key.empty()) key = Lower(Text(f.value, "sys_name"));
  return key;
}

/// "sysName chassis" of a neighbour, for people.
inline std::string NeighbourLabel(const Fact& f) {
  const std::string name = Text(f.value, "sys_name");
  const std::string chassis = Text(f.value, "chassis_id");
  if (!name.empty() && !chassis.empty()) return name + " (chassis " + chassis + ")";
  if (!name.empty()) return name;
  if (!chassis.empty()) return "chassis " + chassis;
  return f.key;
}

/// "port X" for the local port a row was seen on, for people; "a port" when unknown.
inline std::string LocalPort(const Fact& f) {
  std::string port = Text(f.value, "local_port_desc");
  if (port.empty()) port = Text(f.value, "local_port_id");
  if (port.empty()) port = Text(f.value, "local_port");
  return port.empty() ? "a port" : "port " + port;
}

/// The MIB table of an LLDP row.
inline std::string Table(const Fact& f) {
  if (f.value.is_object()) {
    auto it = f.value.find("table");
    if (it != f.value.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  return "lldpRemTable";
}

/// The evidence row for one LLDP row of a neighbour that matches no registered device.
inline Evidence UnmatchedEvidence(const std::string& switch_id, const Fact& row,
                                  const std::string& label) {
  return {"snmp",
          switch_id,
          Table(row),
          row.key,
          LocalPort(row) + " sees " + label + ", which matches no registered device",
          row.last_seen};
}

/// One neighbour that matches no registered device, on one switch.
struct Unmatched {
  std::string key;                ///< NeighbourKey
  std::vector<const Fact*> rows;  ///< every local port it was seen on, sorted by fact key
  std::int64_t first_seen = 0;    ///< the earliest first_seen of its rows
  std::string label;              ///< NeighbourLabel of its first row
};

/// The LLDP view of one evaluation.
class Graph {
 public:
  explicit Graph(const RuleContext& ctx) : ctx_(ctx) {
    const auto& devices = ctx.reg().devices;
    parent_.resize(devices.size());
    std::iota(parent_.begin(), parent_.end(), std::size_t{0});
    for (const Fact* f : ctx.FactsOfKind("lldp")) {
      const Device* local = ctx.FindDevice(f->device);
      if (local == nullptr || !f->value.is_object()) continue;
      has_lldp_.insert(local->id);
      const Device* remote = ctx.MatchNeighbour(f->value);
      if (remote != nullptr) {
        // A link between registered devices of one network, either direction. A link to
        // another network is a bridge (network-bridge), never a path.
        if (remote != local && remote->network == local->network) {
          Union(Index(*local), Index(*remote));
        }
        continue;
      }
      if (local->network == "classified") continue;  // network-bridge reports these
      std::string key = NeighbourKey(*f);
      if (key.empty()) continue;  // nothing to tell this neighbour by
      auto& n = unmatched_[local->id][key];
      if (n.rows.empty()) {
        n.key = std::move(key);
        n.first_seen = f->first_seen;
      }
      n.first_seen = std::min(n.first_seen, f->first_seen);
      n.rows.push_back(f);
    }
    // A neighbour seen earlier on another port (that row no longer current) was there since.
    for (const Fact& f : ctx.obs().past_lldp) {
      auto dev = unmatched_.find(f.device);
      if (dev == unmatched_.end() || !f.value.is_object()) continue;
      auto n = dev->second.find(NeighbourKey(f));
      if (n != dev->second.end())
        n->second.first_seen = std::min(n->second.first_seen, f.first_seen);
    }
    for (auto& [device, neighbours] : unmatched_) {
      for (auto& [key, n] : neighbours) {
        std::sort(n.rows.begin(), n.rows.end(),
                  [](const Fact* a, const Fact* b) { return a->key < b->key; });
        n.label = NeighbourLabel(*n.rows.front());
      }
    }
    // Which central rooms each component reaches: the platforms, and whether any of them is
    // a city-level platform.
    for (const auto& d : devices) {
      const Room* room = ctx.FindRoom(d.room);
      if (room == nullptr || room->kind != "central") continue;
      auto& reach = reach_[Find(Index(d))];
      reach.platforms.insert(room->platform);
      if (const Platform* p = ctx.FindPlatform(room->platform); p && p->level == "city") {
        reach.city = true;
      }
    }
  }

  /// Whether the device is linked, through LLDP links between registered devices of its
  /// network and through any rooms, to a device in a central room of `platform` or of a
  /// city-level platform.
  bool ReachesCentral(const Device& d, const std::string& platform) {
    auto it = reach_.find(Find(Index(d)));
    if (it == reach_.end()) return false;
    return it->second.city || it->second.platforms.count(platform) > 0;
  }

  /// Whether the device reported any LLDP neighbour.
  bool HasNeighbours(const std::string& device) const { return has_lldp_.count(device) > 0; }

  /// The neighbours matching no registered device, per switch (sorted by device id, then by
  /// neighbour key). Neighbours of classified-network devices are left out.
  const std::map<std::string, std::map<std::string, Unmatched>>& unmatched() const {
    return unmatched_;
  }

 private:
  struct Reach {
    std::set<std::string> platforms;
    bool city = false;
  };

  std::size_t Index(const Device& d) const {
    return static_cast<std::size_t>(&d - ctx_.reg().devices.data());
  }
  std::size_t Find(std::size_t i) {
    while (parent_[i] != i) {
      parent_[i] = parent_[parent_[i]];
      i = parent_[i];
    }
    return i;
  }
  void Union(std::size_t a, std::size_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

  const RuleContext& ctx_;
  std::vector<std::size_t> parent_;
  std::map<std::size_t, Reach> reach_;
  std::set<std::string> has_lldp_;
  std::map<std::string, std::map<std::string, Unmatched>> unmatched_;
};

}  // namespace trinet::findings::lldp
