#pragma once
// What `trinetctl audit` writes for the consolidation office's yearly assessment (M2 art. 15):
// the consolidation progress, the rogue exits and bridges, the orphan rooms, the waivers and
// the register changes of a period. Loading reads the store; everything else is pure.
// See docs/audit.md.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "findings/lifecycle.h"
#include "register/register.h"
#include "register_store.h"
#include "sqlite.h"

namespace trinet {

/// What a report covers.
struct AuditParams {
  std::int64_t now = 0;                 ///< when it is generated, Unix seconds (UTC)
  std::string since;                    ///< first day of the period, YYYY-MM-DD (included)
  std::string until;                    ///< last day of the period, YYYY-MM-DD (included)
  std::optional<std::string> platform;  ///< only this platform (register id)
  std::string database;                 ///< the database path, shown in the header
};

/// Fills `params.since` and `params.until` from the flags: both optional, YYYY-MM-DD real
/// calendar days. The default period is the 12 months up to `params.now`: from the same day
/// one year before `--until` (default: today, UTC) to `--until`, both days included.
/// Returns an error sentence for a malformed date or a period that ends before it starts.
std::optional<std::string> ResolveAuditPeriod(const std::optional<std::string>& since,
                                              const std::optional<std::string>& until,
                                              AuditParams& params);

/// Department rooms by status, and what the consolidation progress is computed from.
struct RoomCounts {
  /// Department rooms per status, in the order of enums::kRoomStatuses: active,
  /// consolidating, consolidated, decommissioned, exempt.
  std::array<int, 5> by_status{};
  int central = 0;  ///< central rooms (the rooms departments consolidate into)
  /// Department rooms past their consolidate_by (from the day after it) that are not
  /// consolidated, decommissioned or exempt: trinet_rooms_overdue (docs/metrics.md).
  int overdue = 0;

  int Department() const;
  /// Consolidated or decommissioned department rooms.
  int Closed() const;
  /// (consolidated + decommissioned) / (department rooms − exempt) × 100, the "consolidation
  /// progress" of docs/metrics.md; nullopt when there is no non-exempt department room.
  std::optional<double> Percent() const;
  void Add(const RoomCounts& other);
};

/// One row of the progress tables: a platform, or a unit (its rooms on the platforms shown).
struct ProgressRow {
  std::string platform, platform_name;
  /// Unit rows: the unit id, or empty for the rooms of `platform` that name no unit.
  std::string unit, unit_name;
  std::optional<Admin> admin;  ///< unit rows: the unit's administrator
  RoomCounts rooms;
  /// The earliest consolidate_by of an active or consolidating department room.
  std::optional<std::string> next_deadline;
  int units = 0;                ///< platform rows: units registered on the platform
  int units_without_admin = 0;  ///< platform rows: of those, units with no admin (M2 art. 10)
};

/// A department room and where it stands.
struct RoomLine {
  std::string id, name, platform, platform_name, unit, unit_name, status;
  std::optional<std::string> consolidate_by, exemption;
  std::optional<Admin> admin;
  bool overdue = false;
};

/// A stored finding with the names of where it is and who answers for it, as
/// `trinetctl findings --json` gives them (the finding's unit, else its room's).
struct AuditFinding {
  findings::FindingRecord record;
  std::string platform_name, room_name, unit, unit_name;
  std::optional<Admin> admin;
  bool waiver_expired = false;  ///< waived, but its last day is over (re-opens at next evaluation)
};

struct AuditTotals {
  RoomCounts rooms;
  int units = 0, units_without_admin = 0;
  /// Rogue-exit and network-bridge findings not resolved, by rule and state.
  std::map<std::string, std::map<std::string, int>> violations;
  int violations_first_seen_in_period = 0;       ///< rogue-exit/bridge first seen in the period
  int violations_resolved_in_period = 0;         ///< rogue-exit/bridge resolved in the period
  std::map<std::string, int> orphans_by_reason;  ///< orphan-room findings not resolved
  int orphans = 0;
  int waivers_active = 0;  ///< waived findings whose last day is not over
  int changes = 0;         ///< register fields changed in the period
  int applies = 0;         ///< applies in the period that changed something
};

/// One register apply in the period and how many of the fields shown it changed.
struct ApplySummary {
  std::string applied_at, applied_by, file, sha256;
  int changes = 0;
};

struct AuditData {
  AuditParams params;
  /// When the findings were last evaluated (the newest last_seen); nullopt: never.
  std::optional<std::int64_t> evaluated_at;
  std::vector<ProgressRow> platforms;  ///< register order
  std::vector<ProgressRow> units;      ///< by platform, register order; no-unit rows last
  std::vector<RoomLine> rooms;         ///< department rooms, by platform, register order
  /// Rogue-exit and network-bridge findings that are open, acknowledged or waived.
  std::vector<AuditFinding> violations;
  std::vector<AuditFinding> orphans;  ///< orphan-room findings not resolved, by reason
  std::vector<AuditFinding> waivers;  ///< every finding in state waived
  std::vector<ApplySummary> applies;  ///< oldest first
  std::vector<HistoryEntry> changes;  ///< register changes in the period, oldest first
  AuditTotals totals;
};

/// Everything the report shows, from the register, the stored findings and the register
/// history (all of it; the period and the platform are applied here).
AuditData BuildAuditData(const Register& reg, const std::vector<findings::FindingRecord>& records,
                         const std::vector<HistoryEntry>& history, const AuditParams& params);

/// Reads the register, the findings and the history in one read transaction and builds the
/// report's data. The platform must exist (the caller checks it).
AuditData LoadAuditData(sql::Database& db, const AuditParams& params);

struct AuditRenderOptions {
  std::string lang = "zh";  ///< zh | en: the labels of HTML and Markdown
};

/// The label `key` in `lang` (zh or en): every label of the report comes from one table.
/// Words of the data (statuses, rules, states, reasons) are keys too; an unknown key is
/// returned as it is.
std::string AuditLabel(const std::string& key, const std::string& lang);

/// `s` escaped for HTML text and attribute values alike (& < > " '), invalid UTF-8 replaced.
std::string AuditHtmlEscape(std::string_view s);

/// One self-contained HTML page (inline CSS and SVG, no script, nothing fetched), printable
/// on A4. Numbers carry data-metric (with data-platform, data-unit, data-scope="total", …)
/// attributes for machines; every text from the database is escaped.
std::string RenderAuditHtml(const AuditData& data, const AuditRenderOptions& options);

/// One long-format CSV table, a `section` column first (docs/audit.md lists the columns):
/// UTF-8 with BOM, CRLF, RFC 4180 quoting. Column names and codes are English whatever the
/// language; names from the register are as registered.
std::string RenderAuditCsv(const AuditData& data, const AuditRenderOptions& options);

/// Markdown headings and tables, for reports and tickets.
std::string RenderAuditMarkdown(const AuditData& data, const AuditRenderOptions& options);

}  // namespace trinet
