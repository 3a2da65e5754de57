#pragma once
// The one lifecycle every finding goes through, whatever its rule:
//
//   open ──ack──▶ acknowledged        open/acknowledged ──waive──▶ waived (until a date)
//   any state ──evidence gone──▶ resolved ──evidence back──▶ open again (same id, history kept)
//   waived ──waiver expires──▶ open
//
// Pure: the store (schema/finding_store.h) loads and saves records, trinetd and trinetctl
// call these functions in between.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "findings/finding.h"

namespace trinet::findings {

inline constexpr const char* kOpen = "open";
inline constexpr const char* kAcknowledged = "acknowledged";
inline constexpr const char* kWaived = "waived";
inline constexpr const char* kResolved = "resolved";

/// A finding as stored: its latest content and where it is in its lifecycle.
struct FindingRecord {
  Finding finding;  ///< the latest evaluation that produced it (its evidence then)
  std::string state = kOpen;
  std::int64_t first_seen = 0;  ///< first evaluation that produced it
  std::int64_t last_seen = 0;   ///< latest evaluation that produced it
  std::optional<std::int64_t> resolved_at;
  std::optional<std::string> ack_by, ack_note;
  std::optional<std::int64_t> ack_at;
  std::optional<std::string> waived_by, waive_reason;
  std::optional<std::string> waived_until;  ///< YYYY-MM-DD, the last day it is waived
  std::optional<std::int64_t> waived_at;

  bool operator==(const FindingRecord&) const = default;
};

/// One line of a finding's history.
struct HistoryEvent {
  std::string finding;  ///< id
  std::int64_t at = 0;
  /// opened | reopened | resolved | acknowledged | waived | waiver-expired
  std::string event;
  std::string by;    ///< who, for acknowledged/waived; "trinet" otherwise
  std::string note;  ///< the note, the waiver's reason and date, ...

  bool operator==(const HistoryEvent&) const = default;
};

struct ReconcileResult {
  std::vector<FindingRecord> changed;  ///< records to write whole (new, or content/state changed)
  /// Found again with nothing changed but last_seen (= the evaluation time): the store only
  /// moves their last_seen, rather than rewrite every finding every cycle.
  std::vector<std::string> seen;
  std::vector<HistoryEvent> events;
};

/// Merges an evaluation into the stored findings at `now`. Found ones are opened, updated
/// or re-opened (acknowledgement cleared; a still valid waiver kept); stored ones not found
/// are resolved; waivers whose last day has passed re-open. Only findings of `rules` are
/// resolved when missing, so an evaluation of some rules does not close the others'.
ReconcileResult Reconcile(const std::vector<FindingRecord>& stored,
                          const std::vector<Finding>& evaluated, std::int64_t now,
                          const std::vector<std::string>& rules);

/// Whether the waiver of `r` has expired at `now` (its last day is over, UTC).
bool WaiverExpired(const FindingRecord& r, std::int64_t now);

/// An acknowledgement by a person. Fails (returns an error sentence) for a resolved finding.
std::optional<std::string> Acknowledge(FindingRecord& r, const std::string& by,
                                       const std::string& note, std::int64_t now,
                                       std::vector<HistoryEvent>& events);

/// A waiver approved by `by`, for `reason`, until the end of `until` (YYYY-MM-DD). Fails for
/// a resolved finding, a malformed date or one already past.
std::optional<std::string> Waive(FindingRecord& r, const std::string& by, const std::string& reason,
                                 const std::string& until, std::int64_t now,
                                 std::vector<HistoryEvent>& events);

}  // namespace trinet::findings
