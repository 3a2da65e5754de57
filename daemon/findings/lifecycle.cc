#include "findings/lifecycle.h"

#include <algorithm>
#include <map>

#include "findings/rule_context.h"

namespace trinet::findings {

bool WaiverExpired(const FindingRecord& r, std::int64_t now) {
  if (r.state != kWaived || !r.waived_until) return false;
  const auto day = DateToUnix(*r.waived_until);
  return !day || now >= *day + 24 * 3600;
}

ReconcileResult Reconcile(const std::vector<FindingRecord>& stored,
                          const std::vector<Finding>& evaluated, std::int64_t now,
                          const std::vector<std::string>& rules) {
  ReconcileResult out;
  std::map<std::string, const FindingRecord*> by_id;
  for (const auto& r : stored) by_id[r.finding.Id()] = &r;
  auto event = [&](const std::string& id, const char* what, std::string note = {}) {
    out.events.push_back({id, now, what, "trinet", std::move(note)});
  };

  std::map<std::string, bool> found;
  for (const auto& f : evaluated) {
    const std::string id = f.Id();
    found[id] = true;
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      FindingRecord r;
      r.finding = f;
      r.state = kOpen;
      r.first_seen = r.last_seen = now;
      out.changed.push_back(std::move(r));
      event(id, "opened", f.summary);
      continue;
    }
    const FindingRecord& before = *it->second;
    FindingRecord r = before;
    r.finding = f;
    r.last_seen = now;
    // An acknowledgement belongs to one occurrence: it goes when the finding re-opens or
    // its waiver runs out, so "open" never shows someone as being on it.
    auto clear_ack = [&r] {
      r.ack_by.reset();
      r.ack_note.reset();
      r.ack_at.reset();
    };
    if (r.state == kResolved) {
      r.resolved_at.reset();
      clear_ack();
      bool waiver_valid = false;
      if (r.waived_until && r.waived_by) {
        FindingRecord probe = r;
        probe.state = kWaived;
        waiver_valid = !WaiverExpired(probe, now);
        // The waiver ran out while the finding was resolved (it was still valid when it
        // resolved): say so, as for an open one. One that ran out before is on record.
        const auto last_day = DateToUnix(*r.waived_until);
        if (!waiver_valid && last_day && before.resolved_at &&
            *before.resolved_at < *last_day + 24 * 3600) {
          event(id, "waiver-expired", "waived until " + r.waived_until.value_or("?"));
        }
      }
      r.state = waiver_valid ? kWaived : kOpen;
      event(id, "reopened", f.summary);
    } else if (WaiverExpired(r, now)) {
      r.state = kOpen;
      clear_ack();
      event(id, "waiver-expired", "waived until " + r.waived_until.value_or("?"));
    }
    FindingRecord unchanged = before;
    unchanged.last_seen = now;
    if (r == unchanged) {
      out.seen.push_back(id);
    } else {
      out.changed.push_back(std::move(r));
    }
  }

  for (const auto& r : stored) {
    const std::string id = r.finding.Id();
    if (found.count(id)) continue;
    if (std::find(rules.begin(), rules.end(), r.finding.rule) == rules.end()) continue;
    if (r.state == kResolved) continue;
    FindingRecord c = r;
    c.state = kResolved;
    c.resolved_at = now;
    out.changed.push_back(std::move(c));
    event(id, "resolved", "evidence gone");
  }
  return out;
}

std::optional<std::string> Acknowledge(FindingRecord& r, const std::string& by,
                                       const std::string& note, std::int64_t now,
                                       std::vector<HistoryEvent>& events) {
  if (r.state == kResolved) return "finding " + r.finding.Id() + " is resolved";
  if (r.state == kWaived) {
    return "finding " + r.finding.Id() + " is waived until " + r.waived_until.value_or("?");
  }
  r.state = kAcknowledged;
  r.ack_by = by;
  r.ack_note = note;
  r.ack_at = now;
  events.push_back({r.finding.Id(), now, "acknowledged", by, note});
  return std::nullopt;
}

std::optional<std::string> Waive(FindingRecord& r, const std::string& by, const std::string& reason,
                                 const std::string& until, std::int64_t now,
                                 std::vector<HistoryEvent>& events) {
  if (r.state == kResolved) return "finding " + r.finding.Id() + " is resolved";
  const auto day = DateToUnix(until);
  if (!day) return "--until '" + until + "' is not a date (YYYY-MM-DD)";
  if (now >= *day + 24 * 3600) return "--until " + until + " is already past";
  r.state = kWaived;
  r.waived_by = by;
  r.waive_reason = reason;
  r.waived_until = until;
  r.waived_at = now;
  events.push_back({r.finding.Id(), now, "waived", by, reason + " (until " + until + ")"});
  return std::nullopt;
}

}  // namespace trinet::findings
