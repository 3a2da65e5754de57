#include "core/findings_eval.h"

#include <chrono>

#include "core/log.h"

namespace trinet {

FindingsSnapshot BuildFindingsSnapshot(const Register& reg,
                                       const std::vector<findings::FindingRecord>& records,
                                       std::int64_t now) {
  FindingsSnapshot s;
  s.evaluated_at_seconds = static_cast<double>(now);
  s.findings.reserve(records.size());
  for (const auto& r : records) {
    const auto& f = r.finding;
    s.findings.push_back({f.Id(), f.rule, f.reason, f.severity, r.state, f.network, f.platform,
                          f.room, f.unit, f.subject.id});
  }
  for (const auto& p : reg.platforms) {
    s.rooms_overdue[p.id] = 0;
    s.units_without_admin[p.id] = 0;
  }
  for (const auto& room : reg.rooms) {
    s.rooms[{room.platform, room.kind, room.status}] += 1;
    if (room.kind != "department" || !room.consolidate_by) continue;
    if (room.status == "consolidated" || room.status == "decommissioned" ||
        room.status == "exempt") {
      continue;
    }
    const auto deadline = findings::DateToUnix(*room.consolidate_by);
    if (deadline && now >= *deadline + 24 * 3600) s.rooms_overdue[room.platform] += 1;
  }
  for (const auto& u : reg.units) {
    if (!u.admin) s.units_without_admin[u.platform] += 1;
  }
  return s;
}

void FindingsEvaluator::operator()(sql::Database& db, const CycleEnd& end) {
  if (!end.reg) return;
  const auto started = std::chrono::steady_clock::now();
  std::vector<findings::HistoryEvent> events;
  if (end.discovery || end.reg != facts_register_) facts_.valid = false;
  facts_register_ = end.reg;
  const auto records = EvaluateFindings(db, *end.reg, end.at, options_, &events, &facts_);
  // The journal tells the duty desk what changed without a query; what did not change
  // (also after a restart) is not repeated.
  for (const auto& e : events) {
    if (e.event == "opened" || e.event == "reopened" || e.event == "waiver-expired") {
      log::Warning("finding " + e.finding + " " + e.event + ": " + e.note);
    } else if (e.event == "resolved") {
      log::Info("finding " + e.finding + " resolved");
    }
  }
  size_t open = 0, critical = 0;
  for (const auto& r : records) {
    if (r.state == findings::kResolved) continue;
    open += 1;
    critical += r.finding.severity == findings::kCritical;
  }
  log::Debug("findings evaluated: " + std::to_string(open) + " not resolved, " +
             std::to_string(critical) + " critical");
  auto snapshot = BuildFindingsSnapshot(*end.reg, records, end.at);
  snapshot.evaluation_duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  snapshots_.PublishFindings(std::make_shared<const FindingsSnapshot>(std::move(snapshot)));
}

}  // namespace trinet
