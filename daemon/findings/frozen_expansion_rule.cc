// frozen-expansion — expansion of a frozen room or platform 违规扩建 (M2 art. 4).
// docs/findings.md.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

#include "findings/lldp_graph.h"
#include "findings/rules.h"

namespace trinet::findings {
namespace {

constexpr const char* kRule = "frozen-expansion";

std::string Who(const RuleContext& ctx, const Room& r) { return RoomOwner(ctx, r); }

/// When a room was frozen and why: the earlier of its platform's frozen_since and, for a
/// department room, the day the measures took effect. Empty when the room is not frozen.
struct Freeze {
  std::int64_t since = 0;
  std::string date;   ///< YYYY-MM-DD
  std::string table;  ///< the register field or option that froze it
  std::string key;
  std::string why;  ///< in words
};

std::optional<Freeze> FreezeOf(const RuleContext& ctx, const Room& room) {
  std::optional<Freeze> freeze;
  const Platform* p = ctx.FindPlatform(room.platform);
  if (p != nullptr && p->frozen_since) {
    if (auto t = DateToUnix(*p->frozen_since)) {
      freeze = Freeze{*t, *p->frozen_since, "platforms.frozen_since", p->id,
                      p->name + " (" + p->id + ") may not expand since " + *p->frozen_since};
    }
  }
  if (room.kind == "department") {
    const std::string& date = ctx.options().department_rooms_frozen_since;
    if (auto t = DateToUnix(date); t && (!freeze || *t < freeze->since)) {
      freeze = Freeze{*t, date, "rooms.kind", room.id,
                      room.name +
                          " is a department room, frozen (不再扩建) since the measures "
                          "took effect on " +
                          date};
    }
  }
  return freeze;
}

}  // namespace

std::vector<Finding> FrozenExpansionRule(const RuleContext& ctx) {
  std::vector<Finding> out;

  // installed-after-freeze: the register says the device came after its room was frozen.
  for (const Device& d : ctx.reg().devices) {
    if (!d.installed) continue;
    const Room* room = ctx.FindRoom(d.room);
    if (room == nullptr) continue;
    const auto installed = DateToUnix(*d.installed);
    const auto freeze = FreezeOf(ctx, *room);
    if (!installed || !freeze || *installed < freeze->since) continue;
    Finding f;
    f.rule = kRule;
    f.reason = "installed-after-freeze";
    f.severity = kMajor;
    f.subject = {"device", d.id, d.name.value_or(d.id)};
    ctx.Place(f, d);
    f.summary = DeviceLabel(d) + " was installed on " + *d.installed + " in " + RoomLabel(*room) +
                ", frozen since " + freeze->date + "; " + Who(ctx, *room);
    f.evidence.push_back({"register", "", "devices.installed", d.id,
                          DeviceLabel(d) + " installed on " + *d.installed, ctx.now()});
    f.evidence.push_back({"register", "", freeze->table, freeze->key, freeze->why, ctx.now()});
    SortEvidence(f);
    out.push_back(std::move(f));
  }

  // new-neighbour: an unregistered neighbour that appeared on a frozen room's device after
  // that device's first discovery. The first discovery is the earliest first_seen among the
  // device's current facts: every fact of one discovery carries that discovery's time.
  lldp::Graph graph(ctx);
  for (const auto& [device_id, neighbours] : graph.unmatched()) {
    const Device* d = ctx.FindDevice(device_id);
    const Room* room = d ? ctx.FindRoom(d->room) : nullptr;
    if (room == nullptr) continue;
    const auto freeze = FreezeOf(ctx, *room);
    if (!freeze) continue;
    std::int64_t first_discovery = std::numeric_limits<std::int64_t>::max();
    for (const auto& kind : {"lldp_local", "chassis", "address", "route", "arp", "lldp", "tcp"}) {
      for (const Fact* f : ctx.FactsOf(device_id, kind)) {
        first_discovery = std::min(first_discovery, f->first_seen);
      }
    }
    for (const FdbEntry& e : ctx.FdbOf(device_id)) {
      first_discovery = std::min(first_discovery, e.first_seen);
    }
    for (const auto& [key, n] : neighbours) {
      if (n.first_seen <= first_discovery || n.first_seen < freeze->since) continue;
      Finding f;
      f.rule = kRule;
      f.reason = "new-neighbour";
      f.severity = kMajor;
      f.subject = {"neighbour", device_id + "/" + key, n.label};
      ctx.Place(f, *d);
      f.summary = "Unregistered device " + n.label + " appeared on " + DeviceLabel(*d) + " in " +
                  RoomLabel(*room) + " on " + FormatUtc(n.first_seen) +
                  ", after the room was frozen (" + freeze->date + "); " + Who(ctx, *room);
      for (const Fact* row : n.rows) {
        f.evidence.push_back({"snmp", device_id, lldp::Table(*row), row->key,
                              lldp::LocalPort(*row) + " sees " + n.label + ", first seen " +
                                  FormatUtc(row->first_seen) +
                                  ", after the device's first discovery " +
                                  FormatUtc(first_discovery),
                              row->last_seen});
      }
      f.evidence.push_back({"register", "", freeze->table, freeze->key, freeze->why, ctx.now()});
      SortEvidence(f);
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace trinet::findings
