#pragma once
// Findings in the store: what the rules read (observations) and what they leave (findings
// with their lifecycle and history). SQL lives here; the rules and the lifecycle are pure
// (daemon/findings/).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "findings/lifecycle.h"
#include "findings/observations.h"
#include "findings/rule_context.h"
#include "register/register.h"
#include "sqlite.h"

namespace trinet {

/// The observations the rules see: device and interface state, room health, the facts
/// that are current (docs/findings.md, "current fact") and what captures found
/// (pcap_observations) recorded at or after `pcap_since` (nullopt: all of it). Call inside a
/// read transaction for one consistent view.
/// With `facts` false the current facts and past LLDP rows are left out (and the walks that
/// decide them are not read): the caller has them from an earlier load.
findings::Observations LoadObservations(sql::Database& db,
                                        std::optional<std::int64_t> pcap_since = std::nullopt,
                                        bool facts = true);

/// The discovery facts of an evaluation (Observations::facts, fdb and past_lldp), kept for the
/// next one. They change only when a discovery cycle is written, and reading and parsing
/// them is most of an evaluation's cost with thousands of devices, so trinetd keeps them
/// between discoveries. `valid` false: read them again.
struct FactsCache {
  bool valid = false;
  std::vector<findings::Fact> facts;
  std::map<std::string, std::vector<findings::FdbEntry>> fdb;
  std::vector<findings::Fact> past_lldp;
};

std::vector<findings::FindingRecord> LoadFindings(sql::Database& db);
std::optional<findings::FindingRecord> LoadFinding(sql::Database& db, const std::string& id);
/// A finding's history, oldest first.
std::vector<findings::HistoryEvent> LoadFindingHistory(sql::Database& db, const std::string& id);

/// Writes records (insert or replace) and appends events; the caller holds the transaction.
void WriteFindings(sql::Database& db, const std::vector<findings::FindingRecord>& records,
                   const std::vector<findings::HistoryEvent>& events);

/// Moves last_seen of the findings `ids` to `at`; the caller holds the transaction.
void TouchFindings(sql::Database& db, const std::vector<std::string>& ids, std::int64_t at);

/// What an evaluation at `now` would make of the stored findings, without writing anything
/// (`trinetctl findings evaluate --at`): every finding as it would then stand. `extra_pcap`
/// are capture sightings not stored (`trinetctl pcap analyze` without --record), added to
/// the stored ones as recording them would (a row of the same key sums into the stored one).
std::vector<findings::FindingRecord> PreviewFindings(
    sql::Database& db, const Register& reg, std::int64_t now, const findings::RuleOptions& options,
    const std::vector<findings::PcapSighting>& extra_pcap = {});

/// Loads the observations, runs every rule, merges the result into the stored findings and
/// writes it, all in one transaction. Returns every stored finding afterwards and what
/// happened to them (opened, resolved, ...), for the log. `events` may be null. With a
/// `facts_cache`, the facts are taken from it when it is valid and left in it afterwards
/// (the caller invalidates it when facts may have changed).
std::vector<findings::FindingRecord> EvaluateFindings(
    sql::Database& db, const Register& reg, std::int64_t now, const findings::RuleOptions& options,
    std::vector<findings::HistoryEvent>* events = nullptr, FactsCache* facts_cache = nullptr);

}  // namespace trinet
