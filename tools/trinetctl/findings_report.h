#pragma once
// What `trinetctl findings` prints: pure functions of the stored findings and the register.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "findings/lifecycle.h"
#include "register/register.h"

namespace trinet {

struct FindingsFilter {
  /// open | acknowledged | waived | resolved | all; empty: every state but resolved.
  std::string state;
  std::optional<std::string> rule, network, platform;
};

bool Matches(const findings::FindingRecord& r, const FindingsFilter& filter);

/// Duty-desk order: severity (critical first), open before acknowledged/waived/resolved,
/// newest first, then id.
void SortForDesk(std::vector<findings::FindingRecord>& records);

/// The JSON contract of `findings --json` (docs/findings.md): id, rule, reason, severity,
/// state, summary, subject{type,id,name}, network, platform, room, unit (ids) with their
/// names, admin{name,phone,email} (the unit's administrator, nulls when none), first_seen,
/// last_seen, resolved_at, policy, acknowledged, waiver and evidence[].
nlohmann::ordered_json FindingJson(const findings::FindingRecord& r, const Register& reg);

/// The table: severity, state, rule/reason, where (platform / room), who (admin and phone),
/// since, id, and the summary on its own line.
std::string RenderFindingsTable(const std::vector<findings::FindingRecord>& records,
                                const Register& reg);

/// One finding with its evidence and history.
std::string RenderFindingDetail(const findings::FindingRecord& r, const Register& reg,
                                const std::vector<findings::HistoryEvent>& history);

}  // namespace trinet
