// orphan-room — orphan machine room 孤立/游离机房 (M2 art. 4, M1 art. 8). docs/findings.md.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "findings/lldp_graph.h"
#include "findings/rules.h"

namespace trinet::findings {
namespace {

constexpr const char* kRule = "orphan-room";

bool Closed(const Room& r) { return r.status == "consolidated" || r.status == "decommissioned"; }

std::string Who(const RuleContext& ctx, const Room& r) { return RoomOwner(ctx, r); }

std::string Count(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

bool Answering(const RuleContext& ctx, const Device& d) {
  const DeviceState* s = ctx.StateOf(d.id);
  return s != nullptr && s->up;
}

Finding RoomFinding(const RuleContext& ctx, const Room& r, const char* reason,
                    const char* severity) {
  Finding f;
  f.rule = kRule;
  f.reason = reason;
  f.severity = severity;
  f.subject = {"room", r.id, r.name};
  ctx.Place(f, r);
  return f;
}

Evidence Register(const RuleContext& ctx, std::string table, std::string key, std::string value) {
  return {"register", "", std::move(table), std::move(key), std::move(value), ctx.now()};
}

/// The poll state of an answering device.
Evidence Answers(const Device& d, const DeviceState& s) {
  return {"snmp",
          d.id,
          "device_status",
          "up",
          DeviceLabel(d) + " answered its latest poll at " + FormatUtc(s.last_poll_at),
          s.last_poll_at};
}

/// The room's devices that answer, in register order.
std::vector<const Device*> AnsweringDevices(const RuleContext& ctx, const Room& r) {
  std::vector<const Device*> out;
  for (const Device* d : ctx.DevicesIn(r.id)) {
    if (Answering(ctx, *d)) out.push_back(d);
  }
  return out;
}

// overdue: a department room past its consolidate_by, still answering.
void Overdue(const RuleContext& ctx, const Room& r, std::vector<Finding>& out) {
  if (r.kind != "department" || !r.consolidate_by || Closed(r) || r.status == "exempt") return;
  const auto deadline = DateToUnix(*r.consolidate_by);
  if (!deadline || ctx.now() < *deadline + 86400) return;  // past it: from the day after
  const auto answering = AnsweringDevices(ctx, r);
  if (answering.empty()) return;
  Finding f = RoomFinding(ctx, r, "overdue", kMajor);
  f.summary = RoomLabel(r) + " is past its consolidation deadline " + *r.consolidate_by + " and " +
              Count(answering.size(), "device still answers", "devices still answer") + "; " +
              Who(ctx, r);
  f.evidence.push_back(Register(ctx, "rooms.consolidate_by", r.id,
                                "to be consolidated into the central room by " + *r.consolidate_by +
                                    "; status is " + r.status));
  for (const Device* d : answering) f.evidence.push_back(Answers(*d, *ctx.StateOf(d->id)));
  SortEvidence(f);
  out.push_back(std::move(f));
}

/// The central rooms a room must reach: its platform's, or the city platform's.
std::string Served(const RuleContext& ctx, const Room& r) {
  const Platform* p = ctx.FindPlatform(r.platform);
  if (p != nullptr && p->level == "city") return "the central room of " + p->name;
  const std::string name = p != nullptr ? p->name : r.platform;
  return "the central room of " + name + " or of the city platform";
}

// island / uplink-unknown: no LLDP path from the room to a central room, per network.
void Island(const RuleContext& ctx, lldp::Graph& graph, const Room& r, std::vector<Finding>& out) {
  if (r.kind == "central" || Closed(r) || r.status == "exempt") return;
  // The room's devices per network; the networks where at least one answers.
  std::map<std::string, std::vector<const Device*>> by_network;
  std::set<std::string> answering_networks;
  for (const Device* d : ctx.DevicesIn(r.id)) {
    by_network[d->network].push_back(d);
    if (Answering(ctx, *d)) answering_networks.insert(d->network);
  }
  std::vector<std::string> island, unknown;
  for (const auto& n : answering_networks) {
    const auto& devices = by_network[n];
    if (std::any_of(devices.begin(), devices.end(),
                    [&](const Device* d) { return graph.ReachesCentral(*d, r.platform); })) {
      continue;
    }
    const bool any_lldp = std::any_of(devices.begin(), devices.end(), [&](const Device* d) {
      return Answering(ctx, *d) && graph.HasNeighbours(d->id);
    });
    (any_lldp ? island : unknown).push_back(n);
  }
  if (!island.empty()) {
    Finding f = RoomFinding(ctx, r, "island", kMajor);
    f.network = island.front();
    std::string networks;
    for (const auto& n : island) networks += (networks.empty() ? "" : ", ") + n;
    f.summary = RoomLabel(r) + " has live devices on the " + networks +
                " network but no LLDP path to " + Served(ctx, r) +
                " (a possible private network); " + Who(ctx, r);
    for (const auto& n : island) {
      for (const Device* d : by_network[n]) {
        for (const Fact* row : ctx.FactsOf(d->id, "lldp")) {
          std::string what =
              DeviceLabel(*d) + " " + lldp::LocalPort(*row) + " sees " + lldp::NeighbourLabel(*row);
          if (const Device* m = ctx.MatchNeighbour(row->value)) {
            if (m->network != d->network) {
              what += ", registered device " + m->id + " of the " + m->network +
                      " network: a bridge, not a path";
            } else if (const Room* mr = ctx.FindRoom(m->room); mr && mr->kind == "central") {
              what += ", registered device " + m->id + " in " + RoomLabel(*mr) +
                      ", the central room of another platform (" + mr->platform +
                      "), not this room's";
            } else {
              what += ", registered device " + m->id + " in room " + m->room +
                      ", which has no path to the central room either";
            }
          } else {
            what += ", which matches no registered device";
          }
          f.evidence.push_back({"snmp", d->id, lldp::Table(*row), row->key, what, row->last_seen});
        }
      }
    }
    SortEvidence(f);
    out.push_back(std::move(f));
  } else if (!unknown.empty()) {
    Finding f = RoomFinding(ctx, r, "uplink-unknown", kMinor);
    f.network = unknown.front();
    std::string networks;
    for (const auto& n : unknown) networks += (networks.empty() ? "" : ", ") + n;
    f.summary = RoomLabel(r) + " has live devices on the " + networks +
                " network but none reports LLDP neighbours, so its uplink to " + Served(ctx, r) +
                " is unknown; " + Who(ctx, r);
    for (const auto& n : unknown) {
      for (const Device* d : by_network[n]) {
        const DeviceState* s = ctx.StateOf(d->id);
        if (s == nullptr || !s->up) continue;
        f.evidence.push_back({"snmp", d->id, "lldpRemTable", "",
                              DeviceLabel(*d) + " answers but reports no LLDP neighbours",
                              s->discovered_at.value_or(s->last_poll_at)});
      }
    }
    SortEvidence(f);
    out.push_back(std::move(f));
  }
}

// unregistered: two or more unregistered LLDP neighbours on one registered switch.
void ShadowRooms(const RuleContext& ctx, const lldp::Graph& graph, std::vector<Finding>& out) {
  for (const auto& [switch_id, neighbours] : graph.unmatched()) {
    if (neighbours.size() < 2) continue;  // one alone is unregistered-device
    const Device* sw = ctx.FindDevice(switch_id);
    if (sw == nullptr) continue;
    const DeviceState* s = ctx.StateOf(switch_id);
    const std::string location =
        s && s->sys_location && !s->sys_location->empty() ? *s->sys_location : std::string();
    Finding f;
    f.rule = kRule;
    f.reason = "unregistered";
    f.severity = kMajor;
    f.subject = {"shadow-room", switch_id, location.empty() ? DeviceLabel(*sw) : location};
    ctx.Place(f, *sw);
    std::string where = location.empty() ? "" : " at \"" + location + "\"";
    std::string who;
    if (const Room* r = ctx.FindRoom(sw->room)) {
      where += " in " + RoomLabel(*r);
      who = "; " + Who(ctx, *r);
    }
    f.summary = Count(neighbours.size(), "unregistered device", "unregistered devices") +
                " hang off switch " + DeviceLabel(*sw) + where + " on the " + sw->network +
                " network: a candidate shadow room" + who;
    for (const auto& [key, n] : neighbours) {
      for (const Fact* row : n.rows) {
        f.evidence.push_back(lldp::UnmatchedEvidence(switch_id, *row, n.label));
      }
    }
    SortEvidence(f);
    out.push_back(std::move(f));
  }
}

// ownerless: no unit, or a unit without an administrator.
void Ownerless(const RuleContext& ctx, const Room& r, std::vector<Finding>& out) {
  if (Closed(r)) return;
  const Unit* u = r.unit ? ctx.FindUnit(*r.unit) : nullptr;
  if (u != nullptr && u->admin) return;
  Finding f = RoomFinding(ctx, r, "ownerless", kMajor);
  if (u == nullptr) {
    f.summary = RoomLabel(r) +
                " has no responsible unit in the register, so nobody answers "
                "for it (M2 art. 10)";
    f.evidence.push_back(Register(
        ctx, "rooms.unit", r.id,
        r.unit ? "unit '" + *r.unit + "' is not registered" : "no unit is named for the room"));
  } else {
    f.summary = RoomLabel(r) + " belongs to " + u->name + " (" + u->id +
                "), which names no system administrator (M2 art. 10)";
    f.evidence.push_back(
        Register(ctx, "units.admin", u->id, u->name + " names no system administrator"));
  }
  out.push_back(std::move(f));
}

std::string Days(std::int64_t seconds) {
  if (seconds % 86400 == 0) return Count(static_cast<std::size_t>(seconds / 86400), "day", "days");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f days", static_cast<double>(seconds) / 86400.0);
  return buf;
}

// stale: every device polled, none answering for longer than --stale-after.
void Stale(const RuleContext& ctx, const Room& r, std::vector<Finding>& out) {
  if (Closed(r)) return;
  const auto& devices = ctx.DevicesIn(r.id);
  if (devices.empty()) return;
  const std::int64_t limit = ctx.options().stale_after_seconds;
  std::vector<Evidence> evidence;
  for (const Device* d : devices) {
    const DeviceState* s = ctx.StateOf(d->id);
    if (s == nullptr || s->up) return;  // never polled (not ours to judge), or answering
    const std::int64_t since = s->last_up_at.value_or(s->first_poll_at);
    if (ctx.now() - since <= limit) return;
    const std::string value =
        s->last_up_at ? DeviceLabel(*d) + " has not answered since " + FormatUtc(*s->last_up_at) +
                            " (" + Days(ctx.now() - since) + ")"
                      : DeviceLabel(*d) + " has never answered since it was first polled at " +
                            FormatUtc(s->first_poll_at);
    evidence.push_back({"snmp", d->id, "device_status", "last_up_at", value, s->last_poll_at});
  }
  Finding f = RoomFinding(ctx, r, "stale", kMajor);
  f.summary = RoomLabel(r) + " is registered as " + r.status + " but none of its " +
              Count(devices.size(), "device", "devices") + " has answered for more than " +
              Days(limit) + "; check the register; " + Who(ctx, r);
  f.evidence = std::move(evidence);
  SortEvidence(f);
  out.push_back(std::move(f));
}

// still-running: a closed room with an answering device or a loaded UPS.
void StillRunning(const RuleContext& ctx, const Room& r, std::vector<Finding>& out) {
  if (!Closed(r)) return;
  std::vector<Evidence> evidence;
  std::size_t running = 0;
  std::set<std::string> ups_in_room;
  for (const Device* d : ctx.DevicesIn(r.id)) {
    const DeviceState* s = ctx.StateOf(d->id);
    if (s == nullptr || !s->up) continue;
    // A UPS answering is the room's power, not a system in it: it counts when it carries a
    // load (below).
    if (d->role == "ups") {
      ups_in_room.insert(d->id);
      continue;
    }
    evidence.push_back(Answers(*d, *s));
    ++running;
  }
  // Only this room's UPSes: a scan of every reading per closed room would grow with the
  // consolidation project times the sensors.
  for (const std::string& ups : ups_in_room) {
    const HealthReading* load_reading = ctx.HealthOf(ups, "ups.output_load_ratio");
    if (load_reading == nullptr || load_reading->value <= 0) continue;
    const HealthReading& h = *load_reading;
    const Device* d = ctx.FindDevice(h.device);
    char load[32];
    std::snprintf(load, sizeof load, "%.0f%%", h.value * 100);
    evidence.push_back({"snmp", h.device, "upsOutputTable", h.key,
                        DeviceLabel(*d) + " answers and carries an output load of " + load,
                        h.updated_at > 0 ? h.updated_at : ctx.now()});
    ++running;
  }
  if (evidence.empty()) return;
  Finding f = RoomFinding(ctx, r, "still-running", kMajor);
  f.summary = RoomLabel(r) + " is registered as " + r.status + " but " +
              Count(running, "device is", "devices are") + " still running in it; " + Who(ctx, r);
  evidence.push_back(Register(ctx, "rooms.status", r.id, "the room is " + r.status));
  f.evidence = std::move(evidence);
  SortEvidence(f);
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Finding> OrphanRoomRule(const RuleContext& ctx) {
  std::vector<Finding> out;
  lldp::Graph graph(ctx);
  for (const Room& r : ctx.reg().rooms) {
    Overdue(ctx, r, out);
    Island(ctx, graph, r, out);
    Ownerless(ctx, r, out);
    Stale(ctx, r, out);
    StillRunning(ctx, r, out);
  }
  ShadowRooms(ctx, graph, out);
  return out;
}

}  // namespace trinet::findings
