#include "finding_store.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "findings/rules.h"

namespace trinet {
namespace {

using nlohmann::json;

// The walks each kind of fact comes from (collectors/snmp/catalogue.cc), preferred first.
const std::map<std::string, std::vector<std::string>>& KindTables() {
  static const std::map<std::string, std::vector<std::string>> k = {
      {"address", {"ipAddressTable", "ipAddrTable"}},
      {"route", {"inetCidrRouteTable", "ipCidrRouteTable", "ipRouteTable"}},
      {"arp", {"ipNetToPhysicalTable", "ipNetToMediaTable"}},
      {"lldp", {"lldpRemTable"}},
      {"fdb", {"dot1qTpFdbTable", "dot1dTpFdbTable"}},
      {"tcp", {"tcpConnectionTable", "tcpConnTable"}},
      {"chassis", {"entPhysicalTable"}},
  };
  return k;
}

struct WalkState {
  std::int64_t completed_at = 0;
  std::string end;
};

json EvidenceJson(const std::vector<findings::Evidence>& evidence) {
  json a = json::array();
  for (const auto& e : evidence) {
    a.push_back({{"source", e.source},
                 {"device", e.device},
                 {"table", e.table},
                 {"key", e.key},
                 {"value", e.value},
                 {"observed_at", e.observed_at}});
  }
  return a;
}

std::vector<findings::Evidence> EvidenceFrom(const std::string& text) {
  std::vector<findings::Evidence> out;
  const json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& e : a) {
    findings::Evidence ev;
    ev.source = e.value("source", std::string());
    ev.device = e.value("device", std::string());
    ev.table = e.value("table", std::string());
    ev.key = e.value("key", std::string());
    ev.value = e.value("value", std::string());
    ev.observed_at = e.value("observed_at", std::int64_t{0});
    out.push_back(std::move(ev));
  }
  return out;
}

constexpr const char* kFindingColumns =
    "id, rule, reason, severity, state, subject_type, subject_id, subject_name, network, "
    "platform, room, unit, policy, summary, evidence, first_seen, last_seen, resolved_at, "
    "ack_by, ack_note, ack_at, waived_by, waive_reason, waived_until, waived_at";

findings::FindingRecord RecordFrom(const sql::Statement& s) {
  findings::FindingRecord r;
  auto& f = r.finding;
  f.rule = s.Text(1);
  f.reason = s.Text(2);
  f.severity = s.Text(3);
  r.state = s.Text(4);
  f.subject = {s.Text(5), s.Text(6), s.Text(7)};
  f.network = s.Text(8);
  f.platform = s.Text(9);
  f.room = s.Text(10);
  f.unit = s.Text(11);
  f.policy = s.Text(12);
  f.summary = s.Text(13);
  f.evidence = EvidenceFrom(s.Text(14));
  r.first_seen = s.Int(15);
  r.last_seen = s.Int(16);
  r.resolved_at = s.OptInt(17);
  r.ack_by = s.OptText(18);
  r.ack_note = s.OptText(19);
  r.ack_at = s.OptInt(20);
  r.waived_by = s.OptText(21);
  r.waive_reason = s.OptText(22);
  r.waived_until = s.OptText(23);
  r.waived_at = s.OptInt(24);
  return r;
}

std::vector<std::string> StringList(const std::string& text) {
  std::vector<std::string> out;
  const json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& v : a) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// The key of a pcap_observations row.
auto SightingKey(const findings::PcapSighting& s) {
  return std::tie(s.source, s.kind, s.network, s.outer_vlan, s.inner_vlan, s.suspect_mac,
                  s.suspect_address);
}

// Adds `extra` to `into` as RecordPcapObservations would store it.
void AddSightings(std::vector<findings::PcapSighting>& into,
                  const std::vector<findings::PcapSighting>& extra) {
  for (const auto& e : extra) {
    auto it = std::find_if(into.begin(), into.end(), [&](const findings::PcapSighting& s) {
      return SightingKey(s) == SightingKey(e);
    });
    if (it == into.end()) {
      into.push_back(e);
      continue;
    }
    it->packets += e.packets;
    it->bytes += e.bytes;
    it->flows += e.flows;
    it->first_seen_us = std::min(it->first_seen_us, e.first_seen_us);
    it->last_seen_us = std::max(it->last_seen_us, e.last_seen_us);
    if (it->dns_names.empty()) it->dns_names = e.dns_names;
    it->recorded_at = std::max(it->recorded_at, e.recorded_at);
  }
}

// The facts that are current, and the past LLDP rows, into `obs` (whose devices are loaded).
void LoadCurrentFacts(sql::Database& db, findings::Observations& obs) {
  // A fact is current unless the latest walk of its table was complete and did not see it.
  // The latest walks are those at the newest completed_at among the kind's tables (a
  // fallback table skipped since keeps an older row, which says nothing about now).
  std::map<std::pair<std::string, std::string>, WalkState> walks;  // (device, walk)
  {
    sql::Statement s(db, "SELECT device, walk, completed_at, end FROM walks");
    while (s.Step()) walks[{s.Text(0), s.Text(1)}] = {s.Int(2), s.Text(3)};
  }
  // (device, kind) -> the time facts must have been seen at or after; absent: keep all.
  std::map<std::pair<std::string, std::string>, std::int64_t> cutoff;
  std::set<std::string> devices_with_walks;
  for (const auto& [key, w] : walks) devices_with_walks.insert(key.first);
  for (const auto& device : devices_with_walks) {
    for (const auto& [kind, tables] : KindTables()) {
      std::int64_t latest = -1;
      for (const auto& t : tables) {
        if (auto it = walks.find({device, t}); it != walks.end()) {
          latest = std::max(latest, it->second.completed_at);
        }
      }
      if (latest < 0) continue;
      bool complete = true;
      for (const auto& t : tables) {
        auto it = walks.find({device, t});
        if (it != walks.end() && it->second.completed_at == latest &&
            it->second.end != "complete") {
          complete = false;
        }
      }
      if (complete) cutoff[{device, kind}] = latest;
    }
    // The local chassis id is a scalar read at every discovery that answered.
    if (auto it = obs.devices.find(device); it != obs.devices.end() && it->second.discovered_at) {
      cutoff[{device, "lldp_local"}] = *it->second.discovered_at;
    }
  }
  {
    sql::Statement s(db,
                     "SELECT device, kind, key, value, first_seen, last_seen FROM facts "
                     "ORDER BY device, kind, key");
    while (s.Step()) {
      findings::Fact f;
      f.device = s.Text(0);
      f.kind = s.Text(1);
      f.last_seen = s.Int(5);
      const auto it = cutoff.find({f.device, f.kind});
      const bool current = it == cutoff.end() || f.last_seen >= it->second;
      if (!current && f.kind != "lldp") continue;
      f.key = s.Text(2);
      f.value = json::parse(s.Text(3), nullptr, false);
      if (f.value.is_discarded()) continue;
      f.first_seen = s.Int(4);
      if (f.kind == "fdb") {
        // Compact at once: held as Facts, a city's forwarding tables would not fit in memory.
        obs.fdb[f.device].push_back(
            findings::FdbEntryOf(f.key, f.value, f.first_seen, f.last_seen));
        continue;
      }
      (current ? obs.facts : obs.past_lldp).push_back(std::move(f));
    }
  }
}

}  // namespace

findings::Observations LoadObservations(sql::Database& db, std::optional<std::int64_t> pcap_since,
                                        bool facts) {
  findings::Observations obs;
  {
    sql::Statement s(db,
                     "SELECT device, up, coalesce(reason, ''), coalesce(first_poll_at, "
                     "last_poll_at), last_poll_at, last_up_at, discovered_at, sys_name, "
                     "sys_location, chassis_serial FROM device_status");
    while (s.Step()) {
      findings::DeviceState d;
      d.up = s.Int(1) != 0;
      d.reason = s.Text(2);
      d.first_poll_at = s.Int(3);
      d.last_poll_at = s.Int(4);
      d.last_up_at = s.OptInt(5);
      d.discovered_at = s.OptInt(6);
      d.sys_name = s.OptText(7);
      d.sys_location = s.OptText(8);
      d.chassis_serial = s.OptText(9);
      obs.devices.emplace(s.Text(0), std::move(d));
    }
  }
  {
    sql::Statement s(db,
                     "SELECT device, ifindex, name, coalesce(descr, ''), "
                     "coalesce(phys_address, ''), admin_up, oper_up, updated_at "
                     "FROM interface_status ORDER BY device, ifindex");
    while (s.Step()) {
      findings::InterfaceState i;
      i.device = s.Text(0);
      i.ifindex = s.Int(1);
      i.name = s.Text(2);
      i.descr = s.Text(3);
      i.phys_address = s.Text(4);
      if (auto v = s.OptInt(5)) i.admin_up = *v != 0;
      if (auto v = s.OptInt(6)) i.oper_up = *v != 0;
      i.updated_at = s.Int(7);
      obs.interfaces.push_back(std::move(i));
    }
  }
  if (facts) LoadCurrentFacts(db, obs);
  {
    sql::Statement s(db, "SELECT device, key, value, updated_at FROM health ORDER BY device, key");
    while (s.Step()) obs.health.push_back({s.Text(0), s.Text(1), s.Real(2), s.Int(3)});
  }
  {
    sql::Statement s(db,
                     "SELECT kind, network, source, outer_vlan, inner_vlan, suspect_mac, "
                     "suspect_address, src_mac, dst_mac, src, dst, dns_names, routers, "
                     "dns_servers, first_seen_us, last_seen_us, packets, bytes, flows, "
                     "recorded_at FROM pcap_observations WHERE ?1 IS NULL OR recorded_at >= ?1 "
                     "ORDER BY kind, network, suspect_mac, suspect_address, source, outer_vlan, "
                     "inner_vlan");
    s.Bind(1, pcap_since);
    while (s.Step()) {
      findings::PcapSighting p;
      p.kind = s.Text(0);
      p.network = s.Text(1);
      p.source = s.Text(2);
      p.outer_vlan = static_cast<int>(s.Int(3));
      p.inner_vlan = static_cast<int>(s.Int(4));
      p.suspect_mac = s.Text(5);
      p.suspect_address = s.Text(6);
      p.src_mac = s.Text(7);
      p.dst_mac = s.Text(8);
      p.src = s.Text(9);
      p.dst = s.Text(10);
      p.dns_names = StringList(s.Text(11));
      p.routers = StringList(s.Text(12));
      p.dns_servers = StringList(s.Text(13));
      p.first_seen_us = s.Int(14);
      p.last_seen_us = s.Int(15);
      p.packets = s.Int(16);
      p.bytes = s.Int(17);
      p.flows = s.Int(18);
      p.recorded_at = s.Int(19);
      obs.pcap.push_back(std::move(p));
    }
  }
  return obs;
}

std::vector<findings::FindingRecord> LoadFindings(sql::Database& db) {
  std::vector<findings::FindingRecord> out;
  sql::Statement s(db, std::string("SELECT ") + kFindingColumns + " FROM findings ORDER BY id");
  while (s.Step()) out.push_back(RecordFrom(s));
  return out;
}

std::optional<findings::FindingRecord> LoadFinding(sql::Database& db, const std::string& id) {
  sql::Statement s(db, std::string("SELECT ") + kFindingColumns + " FROM findings WHERE id = ?1");
  s.Bind(1, id);
  if (!s.Step()) return std::nullopt;
  return RecordFrom(s);
}

std::vector<findings::HistoryEvent> LoadFindingHistory(sql::Database& db, const std::string& id) {
  std::vector<findings::HistoryEvent> out;
  sql::Statement s(db,
                   "SELECT finding, at, event, by, note FROM finding_history WHERE finding = ?1 "
                   "ORDER BY seq");
  s.Bind(1, id);
  while (s.Step()) out.push_back({s.Text(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4)});
  return out;
}

void WriteFindings(sql::Database& db, const std::vector<findings::FindingRecord>& records,
                   const std::vector<findings::HistoryEvent>& events) {
  sql::Statement upsert(
      db, std::string("INSERT OR REPLACE INTO findings (") + kFindingColumns +
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
              "?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)");
  for (const auto& r : records) {
    const auto& f = r.finding;
    upsert.Bind(1, f.Id()).Bind(2, f.rule).Bind(3, f.reason).Bind(4, f.severity).Bind(5, r.state);
    upsert.Bind(6, f.subject.type).Bind(7, f.subject.id).Bind(8, f.subject.name);
    upsert.Bind(9, f.network).Bind(10, f.platform).Bind(11, f.room).Bind(12, f.unit);
    upsert.Bind(13, f.policy).Bind(14, f.summary).Bind(15, EvidenceJson(f.evidence).dump());
    upsert.Bind(16, r.first_seen).Bind(17, r.last_seen).Bind(18, r.resolved_at);
    upsert.Bind(19, r.ack_by).Bind(20, r.ack_note).Bind(21, r.ack_at);
    upsert.Bind(22, r.waived_by).Bind(23, r.waive_reason).Bind(24, r.waived_until);
    upsert.Bind(25, r.waived_at);
    upsert.Run();
  }
  sql::Statement history(
      db, "INSERT INTO finding_history (finding, at, event, by, note) VALUES (?1, ?2, ?3, ?4, ?5)");
  for (const auto& e : events) {
    history.Bind(1, e.finding).Bind(2, e.at).Bind(3, e.event).Bind(4, e.by).Bind(5, e.note).Run();
  }
}

std::vector<findings::FindingRecord> EvaluateFindings(sql::Database& db, const Register& reg,
                                                      std::int64_t now,
                                                      const findings::RuleOptions& options,
                                                      std::vector<findings::HistoryEvent>* events,
                                                      FactsCache* facts_cache) {
  sql::Transaction tx(db);
  const bool cached = facts_cache && facts_cache->valid;
  auto obs = LoadObservations(db, now - options.pcap_evidence_seconds, !cached);
  if (cached) {
    // Invalid while the facts are out: an exception below must not leave it half empty.
    facts_cache->valid = false;
    obs.facts = std::move(facts_cache->facts);
    obs.fdb = std::move(facts_cache->fdb);
    obs.past_lldp = std::move(facts_cache->past_lldp);
  }
  const auto evaluated = findings::EvaluateRules(findings::RuleContext(reg, obs, now, options));
  if (facts_cache) {
    facts_cache->facts = std::move(obs.facts);
    facts_cache->fdb = std::move(obs.fdb);
    facts_cache->past_lldp = std::move(obs.past_lldp);
    facts_cache->valid = true;
  }
  std::vector<std::string> rules;
  for (const auto& r : findings::Rules()) rules.emplace_back(r.name);
  const auto stored = LoadFindings(db);
  const auto result = findings::Reconcile(stored, evaluated, now, rules);
  WriteFindings(db, result.changed, result.events);
  TouchFindings(db, result.seen, now);
  auto all = LoadFindings(db);
  tx.Commit();
  if (events) *events = result.events;
  return all;
}

void TouchFindings(sql::Database& db, const std::vector<std::string>& ids, std::int64_t at) {
  sql::Statement touch(db, "UPDATE findings SET last_seen = ?2 WHERE id = ?1");
  for (const auto& id : ids) touch.Bind(1, id).Bind(2, at).Run();
}

std::vector<findings::FindingRecord> PreviewFindings(
    sql::Database& db, const Register& reg, std::int64_t now, const findings::RuleOptions& options,
    const std::vector<findings::PcapSighting>& extra_pcap) {
  sql::ReadTransaction snapshot(db);
  auto obs = LoadObservations(db, now - options.pcap_evidence_seconds);
  AddSightings(obs.pcap, extra_pcap);
  const findings::RuleContext ctx(reg, obs, now, options);
  std::vector<std::string> rules;
  for (const auto& r : findings::Rules()) rules.emplace_back(r.name);
  std::map<std::string, findings::FindingRecord> by_id;
  for (auto& r : LoadFindings(db)) by_id[r.finding.Id()] = std::move(r);
  std::vector<findings::FindingRecord> stored;
  for (const auto& [id, r] : by_id) stored.push_back(r);
  const auto result = findings::Reconcile(stored, findings::EvaluateRules(ctx), now, rules);
  for (const auto& r : result.changed) by_id[r.finding.Id()] = r;
  for (const auto& id : result.seen) by_id[id].last_seen = now;
  std::vector<findings::FindingRecord> out;
  for (auto& [id, r] : by_id) out.push_back(std::move(r));
  return out;
}

}  // namespace trinet
