#include "core/observe.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "register/ip.h"
#include "snmp/catalogue.h"
#include "snmp/decode.h"

namespace trinet {
namespace {

using nlohmann::json;

void AddWalks(snmp::PollJob& job, const std::vector<snmp::TableWalk>& tables, size_t max_rows) {
  for (const auto& t : tables) job.walks.push_back({t.name, t.columns, max_rows, t.fallback_for});
}

void AddScalars(snmp::PollJob& job, const std::vector<snmp::Oid>& oids) {
  for (const auto& o : oids) {
    if (std::find(job.scalars.begin(), job.scalars.end(), o) == job.scalars.end()) {
      job.scalars.push_back(o);
    }
  }
}

// Every varbind of the poll in one list, moved out of the result (a discovery of a big
// switch holds tens of thousands): the decoders pick their own tables out of it.
std::vector<snmp::Varbind> TakeAllVarbinds(snmp::PollResult& r) {
  std::vector<snmp::Varbind> all = std::move(r.scalars);
  for (auto& w : r.walks) {
    all.insert(all.end(), std::make_move_iterator(w.varbinds.begin()),
               std::make_move_iterator(w.varbinds.end()));
    w.varbinds.clear();
  }
  return all;
}

enum CounterId { kRxBytes, kTxBytes, kRxErrors, kTxErrors, kRxDiscards, kTxDiscards };

std::optional<std::string> NonEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// Entries ordered by (ifindex, which), as one number.
std::uint64_t Key(std::uint32_t ifindex, std::uint8_t which) {
  return (std::uint64_t{ifindex} << 8) | which;
}

std::uint64_t Key(const CounterMemory::Entry& e) { return Key(e.ifindex, e.which); }

}  // namespace

void CounterMemory::Entry::SetLast(const snmp::CounterReading& reading) {
  last_value = reading.value;
  // A byte holds the width. Any width but 32 or 64 is a discontinuity to CounterDelta, so one
  // that does not fit a byte may be kept as 0 (also neither) without changing any delta.
  last_bits =
      reading.bits >= 0 && reading.bits <= 0xff ? static_cast<std::uint8_t>(reading.bits) : 0;
}

const CounterMemory::Entry* CounterMemory::Find(std::uint32_t ifindex, std::uint8_t which) const {
  const auto key = Key(ifindex, which);
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                             [](const Entry& e, std::uint64_t k) { return Key(e) < k; });
  return it != entries_.end() && Key(*it) == key ? &*it : nullptr;
}

std::pair<CounterMemory::Entry&, bool> CounterMemory::FindOrInsert(std::uint32_t ifindex,
                                                                   std::uint8_t which) {
  const auto key = Key(ifindex, which);
  // Observe goes through the interfaces in ifindex order and each one's counters in order, so
  // a new counter usually belongs at the end: no search, no shifting.
  auto it = entries_.end();
  if (!entries_.empty() && Key(entries_.back()) >= key) {
    it = std::lower_bound(entries_.begin(), entries_.end(), key,
                          [](const Entry& e, std::uint64_t k) { return Key(e) < k; });
    if (Key(*it) == key) return {*it, false};
  }
  // Grow by an eighth rather than the vector's doubling: entries are added mostly in a
  // device's first cycle and then kept for months, and half-empty vectors over ten thousand
  // devices would undo much of the saving.
  if (entries_.size() == entries_.capacity()) {
    const auto at = it - entries_.begin();
    entries_.reserve(entries_.size() + entries_.size() / 8 + 8);
    it = entries_.begin() + at;
  }
  Entry fresh;
  fresh.ifindex = ifindex;
  fresh.which = which;
  return {*entries_.insert(it, fresh), true};
}

void CounterMemory::EraseIfNotIn(const std::set<std::uint32_t>& ifindexes) {
  std::erase_if(entries_, [&](const Entry& e) { return !ifindexes.contains(e.ifindex); });
  // A device that lost many interfaces gives the room back, but a little slack is kept so that
  // one interface coming and going (a PPP link) does not reallocate every cycle.
  if (entries_.capacity() > entries_.size() + entries_.size() / 4 + 16) entries_.shrink_to_fit();
}

snmp::PollJob BuildJob(const Device& device, const Credential& credential, CycleKind kind,
                       const DeviceMemory& memory, std::chrono::milliseconds timeout, int retries,
                       size_t max_table_rows) {
  snmp::PollJob job;
  job.target.device = device.id;
  std::string error;
  // The register validated the address when it was applied.
  auto address = ParseManagementAddress(device.address, &error);
  job.target.host = address ? address->host : device.address;
  job.target.port = address ? address->port : 161;
  job.target.credential = credential;
  job.target.timeout = timeout;
  job.target.retries = retries;
  if (kind == CycleKind::kDiscovery) AddScalars(job, snmp::DiscoveryScalars());
  AddScalars(job, snmp::PollScalars());
  if (device.role == "ups") AddScalars(job, snmp::HealthScalars());
  AddWalks(job, snmp::PollTables(), max_table_rows);
  if (kind == CycleKind::kDiscovery) AddWalks(job, snmp::DiscoveryTables(), max_table_rows);
  // Sensors are looked for at every discovery and read at every poll where they were found.
  if (kind == CycleKind::kDiscovery || memory.has_sensors) {
    AddWalks(job, snmp::HealthTables(), max_table_rows);
  }
  return job;
}

DeviceOutput Observe(const Device& device, snmp::PollResult&& result, CycleKind kind,
                     DeviceMemory& memory, std::int64_t now_ms) {
  DeviceOutput out;
  DeviceObservation& o = out.observation;
  DeviceSnapshot& s = out.snapshot;
  o.device = s.id = device.id;
  o.observed_at = now_ms / 1000;
  o.up = s.up = result.reachable;
  o.reason = s.reason = result.error;
  o.poll_duration = s.poll_duration_seconds = result.duration().count();
  o.discovery = kind == CycleKind::kDiscovery;
  s.last_poll_timestamp_seconds = static_cast<double>(now_ms) / 1000.0;
  if (!result.reachable) return out;

  for (const auto& w : result.walks) {
    if (w.end == snmp::WalkEnd::kSkipped) continue;
    o.walks.push_back(
        {w.name, snmp::ToString(w.end), static_cast<std::int64_t>(w.varbinds.size())});
  }
  // Which table each kind of fact came from, for the findings' evidence: the decoders use
  // a fallback table only when the preferred one yields nothing, so it is the first of them
  // that returned rows.
  auto source = [&result](std::initializer_list<const char*> tables) -> std::string {
    for (const char* t : tables) {
      if (const auto* w = result.Walk(t); w && !w->varbinds.empty()) return t;
    }
    return *tables.begin();
  };
  const std::string address_table = source({"ipAddressTable", "ipAddrTable"});
  const std::string route_table =
      source({"inetCidrRouteTable", "ipCidrRouteTable", "ipRouteTable"});
  const std::string arp_table = source({"ipNetToPhysicalTable", "ipNetToMediaTable"});
  const std::string fdb_table = source({"dot1qTpFdbTable", "dot1dTpFdbTable"});
  const std::string tcp_table = source({"tcpConnectionTable", "tcpConnTable"});
  const auto all = TakeAllVarbinds(result);
  snmp::DecodeIssues issues;

  // sysUpTime tells whether the agent restarted since the last poll: its counters then
  // started from zero again, which is a discontinuity and not traffic.
  auto system = snmp::DecodeSystem(all);
  issues += system.issues;
  bool restarted = false;
  if (system.result.uptime_ticks) {
    if (memory.uptime_ticks) {
      restarted = snmp::AgentRestarted(*memory.uptime_ticks, *system.result.uptime_ticks,
                                       std::chrono::milliseconds(now_ms - memory.uptime_at_ms));
    }
    memory.uptime_ticks = system.result.uptime_ticks;
    memory.uptime_at_ms = now_ms;
  }

  auto complete = [&result](const char* walk) {
    const auto* w = result.Walk(walk);
    return w && w->end == snmp::WalkEnd::kComplete;
  };
  // Without a complete ifXTable the 64-bit counters are missing and the decoder falls back
  // to 32-bit ones: a change of width is a discontinuity, so such a cycle leaves the totals
  // as they were instead of losing two intervals of traffic.
  const bool interfaces_complete = complete("ifTable") && complete("ifXTable");
  auto interfaces = snmp::DecodeInterfaces(all);
  issues += interfaces.issues;
  std::vector<InterfaceRow> rows;
  for (const auto& i : interfaces.result) {
    InterfaceRow row;
    InterfaceSnapshot snap;
    row.ifindex = snap.ifindex = i.ifindex;
    row.name = snap.name = i.name;
    row.descr = NonEmpty(i.descr);
    snap.descr = i.descr;
    row.alias = NonEmpty(i.alias);
    snap.alias = i.alias;
    row.phys_address = NonEmpty(i.phys_address);
    if (i.type) row.type = *i.type;
    row.admin_up = snap.admin_up = i.admin_up;
    row.oper_up = snap.oper_up = i.oper_up;
    if (i.speed_bits) row.speed_bits = snap.speed_bits = static_cast<double>(*i.speed_bits);
    auto total =
        [&](CounterId id,
            const std::optional<snmp::CounterReading>& reading) -> std::optional<std::uint64_t> {
      if (!reading) return std::nullopt;
      if (!interfaces_complete) {
        const auto* known = memory.counters.Find(i.ifindex, id);
        return known ? std::optional<std::uint64_t>(known->total) : std::nullopt;
      }
      auto [c, fresh] = memory.counters.FindOrInsert(i.ifindex, id);
      if (fresh) {
        c.total = reading->value;  // start from the agent's own count
      } else if (!restarted) {
        if (auto delta = snmp::CounterDelta(c.Last(), *reading)) c.total += *delta;
      }
      c.SetLast(*reading);
      return c.total;
    };
    row.rx_bytes = snap.receive_bytes = total(kRxBytes, i.in_octets);
    row.tx_bytes = snap.transmit_bytes = total(kTxBytes, i.out_octets);
    row.rx_errors = snap.receive_errors = total(kRxErrors, i.in_errors);
    row.tx_errors = snap.transmit_errors = total(kTxErrors, i.out_errors);
    row.rx_discards = snap.receive_discards = total(kRxDiscards, i.in_discards);
    row.tx_discards = snap.transmit_discards = total(kTxDiscards, i.out_discards);
    rows.push_back(std::move(row));
    s.interfaces.push_back(std::move(snap));
  }
  // An incomplete interface walk must not wipe the stored interfaces.
  if (interfaces_complete) {
    o.interfaces = std::move(rows);
    // Interfaces that are gone (a PPP or VPN interface with a new ifIndex each time) leave the
    // counter memory too, so it does not grow for ever.
    std::set<std::uint32_t> present;
    for (const auto& i : interfaces.result) present.insert(i.ifindex);
    memory.counters.EraseIfNotIn(present);
  }

  auto ups = snmp::DecodeUps(all);
  issues += ups.issues;
  if (ups.result) {
    const auto& u = *ups.result;
    UpsSnapshot snap;
    snap.on_battery = u.on_battery;
    if (u.seconds_on_battery) snap.seconds_on_battery = static_cast<double>(*u.seconds_on_battery);
    if (u.minutes_remaining) snap.minutes_remaining = static_cast<double>(*u.minutes_remaining);
    snap.charge_ratio = u.charge_ratio;
    snap.output_load_ratio = u.output_load_ratio;
    snap.input_voltage = u.input_voltage;
    auto health = [&](const char* key, const std::optional<double>& v) {
      if (v) o.health.emplace_back(key, *v);
    };
    if (u.on_battery) health("ups.on_battery", *u.on_battery ? 1.0 : 0.0);
    health("ups.seconds_on_battery", snap.seconds_on_battery);
    health("ups.minutes_remaining", snap.minutes_remaining);
    health("ups.charge_ratio", snap.charge_ratio);
    health("ups.output_load_ratio", snap.output_load_ratio);
    health("ups.input_voltage", snap.input_voltage);
    s.ups = snap;
  }

  if (result.Walk("entPhySensorTable")) {
    auto sensors = snmp::DecodeSensors(all);
    issues += sensors.issues;
    // What a failed walk did not show is not gone: only a complete walk says which sensors
    // exist and (at discovery, with entPhysicalTable) what they are called.
    const bool learn =
        complete("entPhySensorTable") && (kind == CycleKind::kPoll || complete("entPhysicalTable"));
    if (learn) {
      memory.has_sensors = !sensors.result.empty();
      if (kind == CycleKind::kDiscovery) memory.sensor_names.clear();
    }
    for (const auto& r : sensors.result) {
      if (learn && kind == CycleKind::kDiscovery && !r.name.empty()) {
        memory.sensor_names[r.index] = r.name;
      }
      if (!r.value) continue;
      std::string name = r.name;
      if (name.empty()) {
        auto known = memory.sensor_names.find(r.index);
        name = known != memory.sensor_names.end() ? known->second : std::to_string(r.index);
      }
      const bool temperature = r.kind == snmp::SensorKind::kTemperature;
      SensorSnapshot snap{name, temperature ? "temperature" : "humidity",
                          temperature ? *r.value : *r.value / 100.0};
      o.health.emplace_back("sensor." + snap.kind + "." + snap.name, snap.value);
      s.sensors.push_back(std::move(snap));
    }
  }

  if (kind == CycleKind::kDiscovery) {
    auto entity = snmp::DecodeEntity(all);
    issues += entity.issues;
    SystemRow sys;
    const auto& si = system.result;
    sys.name = NonEmpty(si.name);
    sys.descr = NonEmpty(si.descr);
    sys.object_id = NonEmpty(si.object_id);
    sys.location = NonEmpty(si.location);
    sys.contact = NonEmpty(si.contact);
    if (si.uptime_ticks) sys.uptime_ticks = *si.uptime_ticks;
    if (entity.result) {
      sys.chassis_serial = NonEmpty(entity.result->serial);
      sys.chassis_model = NonEmpty(entity.result->model);
      if (!entity.result->serial.empty()) {
        o.facts.push_back(
            {"chassis", entity.result->serial,
             json{{"serial", entity.result->serial}, {"model", entity.result->model}}.dump()});
      }
    }
    o.system = sys;
    if (!si.lldp_chassis_id.empty()) {
      o.facts.push_back(
          {"lldp_local", si.lldp_chassis_id, json{{"chassis_id", si.lldp_chassis_id}}.dump()});
    }

    auto addresses = snmp::DecodeAddresses(all);
    issues += addresses.issues;
    for (const auto& a : addresses.result) {
      std::string key = a.address + (a.prefix_length ? "/" + std::to_string(*a.prefix_length) : "");
      o.facts.push_back({"address", key,
                         json{{"ifindex", a.ifindex},
                              {"family", a.family},
                              {"address", a.address},
                              {"prefix_length", Opt(a.prefix_length)},
                              {"table", address_table}}
                             .dump()});
    }
    auto routes = snmp::DecodeRoutes(all);
    issues += routes.issues;
    for (const auto& r : routes.result) {
      std::string key = r.destination + "/" + std::to_string(r.prefix_length) +
                        (r.next_hop.empty() ? "" : " via " + r.next_hop);
      o.facts.push_back({"route", key,
                         json{{"family", r.family},
                              {"destination", r.destination},
                              {"prefix_length", r.prefix_length},
                              {"next_hop", r.next_hop},
                              {"ifindex", Opt(r.ifindex)},
                              {"type", Opt(r.type)},
                              {"protocol", Opt(r.protocol)},
                              {"table", route_table}}
                             .dump()});
    }
    auto neighbors = snmp::DecodeNeighbors(all);
    issues += neighbors.issues;
    for (const auto& n : neighbors.result) {
      o.facts.push_back({"arp", n.ip + "@" + std::to_string(n.ifindex),
                         json{{"ifindex", n.ifindex},
                              {"family", n.family},
                              {"ip", n.ip},
                              {"mac", n.mac},
                              {"type", Opt(n.type)},
                              {"table", arp_table}}
                             .dump()});
    }
    auto lldp = snmp::DecodeLldpNeighbors(all);
    issues += lldp.issues;
    for (const auto& n : lldp.result) {
      o.facts.push_back({"lldp",
                         std::to_string(n.local_port) + "|" + n.chassis_id + "|" + n.port_id,
                         json{{"local_port", n.local_port},
                              {"local_port_id", n.local_port_id},
                              {"local_port_desc", n.local_port_desc},
                              {"chassis_id_subtype", Opt(n.chassis_id_subtype)},
                              {"chassis_id", n.chassis_id},
                              {"port_id_subtype", Opt(n.port_id_subtype)},
                              {"port_id", n.port_id},
                              {"port_desc", n.port_desc},
                              {"sys_name", n.sys_name},
                              {"sys_desc", n.sys_desc},
                              {"management_addresses", n.management_addresses},
                              {"table", "lldpRemTable"}}
                             .dump()});
    }
    auto fdb = snmp::DecodeFdb(all);
    issues += fdb.issues;
    for (const auto& f : fdb.result) {
      o.facts.push_back({"fdb", (f.vlan ? std::to_string(*f.vlan) : "-") + "|" + f.mac,
                         json{{"vlan", Opt(f.vlan)},
                              {"mac", f.mac},
                              {"bridge_port", f.bridge_port},
                              {"ifindex", Opt(f.ifindex)},
                              {"status", Opt(f.status)},
                              {"table", fdb_table}}
                             .dump()});
    }
    auto tcp = snmp::DecodeTcpConnections(all);
    issues += tcp.issues;
    for (const auto& c : tcp.result) {
      o.facts.push_back({"tcp",
                         c.local_address + ":" + std::to_string(c.local_port) + "-" +
                             c.remote_address + ":" + std::to_string(c.remote_port),
                         json{{"local_address", c.local_address},
                              {"local_port", c.local_port},
                              {"remote_address", c.remote_address},
                              {"remote_port", c.remote_port},
                              {"state", c.state},
                              {"table", tcp_table}}
                             .dump()});
    }
  }
  out.decode_issues = issues.Total();
  return out;
}

}  // namespace trinet
