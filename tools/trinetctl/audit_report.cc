#include "audit_report.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "finding_store.h"
#include "findings/rule_context.h"
#include "findings_report.h"
#include "text.h"

namespace trinet {
namespace {

using findings::FindingRecord;

constexpr std::int64_t kDay = 24 * 3600;
constexpr const char* kRogueExit = "rogue-exit";
constexpr const char* kNetworkBridge = "network-bridge";
constexpr const char* kOrphanRoom = "orphan-room";

// Every label of the HTML and Markdown reports, in both languages, in one place so that a
// translation is checked and changed here and nowhere else. Data words (statuses, rules,
// states, reasons, entities) are keys as stored, so an unknown one falls back to itself.
struct LabelText {
  const char* key;
  const char* zh;
  const char* en;
};

constexpr LabelText kLabels[] = {
    // Title and header.
    {"title", "信息化资源整合审计报告", "Consolidation audit report"},
    {"subtitle", "党政机关信息化资源整合年度考核（M2 第十五条）",
     "Yearly assessment of the consolidation of government IT resources (M2 art. 15)"},
    {"generated_at", "生成时间", "Generated at"},
    {"period", "统计期间", "Period"},
    {"period_to", "至", "to"},
    {"platform_filter", "平台范围", "Platforms"},
    {"all_platforms", "全部平台", "all platforms"},
    {"database", "数据库", "Database"},
    {"evaluated_at", "发现项最近评估", "Findings last evaluated"},
    {"never", "从未评估", "never"},
    {"scope_note",
     "机房数、整合进度和发现项为生成时的状态；期间用于台账变更及期间内新发现、已解决的发现项。",
     "Rooms, progress and findings are as they stand when the report is generated; the period "
     "selects the register changes and the findings first seen or resolved in it."},
    // Sections.
    {"totals", "总计", "Totals"},
    {"progress", "各平台整合进度", "Consolidation progress by platform"},
    {"progress_units", "各单位整合进度", "Consolidation progress by unit"},
    {"rooms", "部门机房", "Department rooms"},
    {"violations", "私接互联网与网间互联", "Rogue Internet exits and bridges between networks"},
    {"orphans", "孤立机房", "Orphan machine rooms"},
    {"orphans_by_reason", "按原因统计", "By reason"},
    {"waivers", "豁免", "Waivers"},
    {"changes", "期间内台账变更", "Register changes in the period"},
    {"applies", "台账导入", "Register applies"},
    {"chart_status", "各平台部门机房状态", "Department rooms by status, per platform"},
    {"chart_progress", "各平台整合完成率", "Consolidation progress, per platform"},
    // Totals.
    {"total_department", "部门机房", "Department rooms"},
    {"total_central", "中心机房", "Central rooms"},
    {"total_overdue", "逾期未整合", "Overdue"},
    {"total_percent", "整合完成率", "Consolidated"},
    {"total_rogue", "私接互联网（未解决）", "Rogue exits (not resolved)"},
    {"total_bridge", "网间互联（未解决）", "Network bridges (not resolved)"},
    {"total_first_seen", "期间内新发现（私接、网间）",
     "Rogue exits and bridges first seen in the period"},
    {"total_resolved", "期间内已解决（私接、网间）",
     "Rogue exits and bridges resolved in the period"},
    {"total_orphans", "孤立机房发现项", "Orphan-room findings"},
    {"total_waivers", "有效豁免", "Active waivers"},
    {"total_changes", "期间内变更字段", "Register fields changed in the period"},
    {"total_applies", "期间内台账导入", "Register applies in the period"},
    {"total_units_without_admin", "未指定管理员的单位", "Units without an administrator"},
    // Columns.
    {"metric", "指标", "Metric"},
    {"value", "数值", "Value"},
    {"count", "数量", "Count"},
    {"platform", "平台", "Platform"},
    {"unit", "单位", "Unit"},
    {"room", "机房", "Room"},
    {"network", "网络", "Network"},
    {"admin", "系统管理员", "Administrator"},
    {"phone", "电话", "Phone"},
    {"status", "状态", "Status"},
    {"state", "处理状态", "State"},
    {"deadline", "整合期限", "Deadline"},
    {"next_deadline", "最近期限", "Next deadline"},
    {"overdue", "逾期", "Overdue"},
    {"percent", "完成率", "Progress"},
    {"department_rooms", "部门机房", "Dept. rooms"},
    {"central_rooms", "中心机房", "Central rooms"},
    {"units", "单位", "Units"},
    {"units_without_admin", "无管理员", "No admin"},
    {"exemption", "保留依据", "Exemption"},
    {"severity", "级别", "Severity"},
    {"rule", "类型", "Rule"},
    {"reason", "原因", "Reason"},
    {"subject", "对象", "Subject"},
    {"first_seen", "首次发现", "First seen"},
    {"last_seen", "最近发现", "Last seen"},
    {"policy", "违反条款", "Policy"},
    {"summary", "说明", "Summary"},
    {"evidence", "证据", "Evidence"},
    {"source", "来源", "Source"},
    {"device", "设备", "Device"},
    {"table", "表", "Table"},
    {"key", "行", "Row"},
    {"observed_at", "观测时间", "Observed"},
    {"what", "内容", "What"},
    {"acknowledged_by", "确认", "Acknowledged"},
    {"waiver", "豁免", "Waiver"},
    {"waived_by", "批准人", "Granted by"},
    {"waived_at", "批准时间", "Granted at"},
    {"until", "有效期至", "Until"},
    {"waiver_until", "有效期至", "until"},
    {"waiver_reason", "理由", "Why"},
    {"waiver_state", "豁免状态", "Waiver"},
    {"waiver_active", "有效", "active"},
    {"waiver_expired", "已过期，下次评估时重新打开", "expired; re-opens at the next evaluation"},
    {"finding", "发现项", "Finding"},
    {"when", "时间", "When"},
    {"by", "操作人", "By"},
    {"file", "文件", "File"},
    {"sha256", "SHA-256", "SHA-256"},
    {"where", "位置", "Where"},
    {"op", "变更", "Change"},
    {"entity", "对象类型", "Entity"},
    {"entity_id", "标识", "Id"},
    {"field", "字段", "Field"},
    {"old", "原值", "Old"},
    {"new", "新值", "New"},
    {"changes_count", "变更字段数", "Fields changed"},
    {"yes", "是", "yes"},
    {"no", "否", "no"},
    {"none", "无", "None."},
    {"no_unit", "（未指定单位）", "(no unit)"},
    {"no_admin", "未指定", "none named"},
    {"not_applicable", "—", "—"},
    // Notes.
    {"percent_note",
     "整合完成率 = 已整合和已撤销的部门机房 ÷ 除依法保留以外的部门机房（与 trinet_rooms "
     "指标的定义相同）。",
     "Progress = consolidated and decommissioned department rooms ÷ department rooms that are not "
     "exempt (the definition of the trinet_rooms metric)."},
    {"overdue_note", "逾期：已过整合期限（期限次日起）且未整合、未撤销、非依法保留的部门机房。",
     "Overdue: department rooms past their consolidation deadline (from the day after it) that are "
     "not consolidated, decommissioned or exempt."},
    {"violations_note", "列出未处理、已确认和已豁免的发现项及其证据；已解决的不列出。",
     "Open, acknowledged and waived findings with their evidence; resolved ones are not listed."},
    {"changes_platform_note",
     "只列出属于所选平台的台账对象的变更；网络和凭据不属于任何平台，不列出。",
     "Only changes of register entries that belong to the platform shown; networks and credentials "
     "belong to no platform and are left out."},
    {"footer",
     "由 trinetctl audit "
     "根据台账和发现项生成。依据：党政机关信息化资源整合和协同办公管理办法第十五条。",
     "Generated by trinetctl audit from the register and the findings. Basis: M2 art. 15 "
     "(yearly assessment of consolidation)."},
    // Room statuses, and as column heads (with soft hyphens, U+00AD, so that a narrow A4
    // column breaks a long English word instead of overflowing the page).
    {"col_active", "在用", "Active"},
    {"col_consolidating", "整合中", "Consoli\u00ADdating"},
    {"col_consolidated", "已整合", "Consoli\u00ADdated"},
    {"col_decommissioned", "已撤销", "Decom\u00ADmissioned"},
    {"col_exempt", "依法保留", "Exempt"},
    {"active", "在用", "active"},
    {"consolidating", "整合中", "consolidating"},
    {"consolidated", "已整合", "consolidated"},
    {"decommissioned", "已撤销", "decommissioned"},
    {"exempt", "依法保留", "exempt"},
    // Rules, states, severities.
    {"rogue-exit", "私接互联网", "rogue exit"},
    {"network-bridge", "网间互联", "network bridge"},
    {"orphan-room", "孤立机房", "orphan room"},
    {"open", "未处理", "open"},
    {"acknowledged", "已确认", "acknowledged"},
    {"waived", "已豁免", "waived"},
    {"resolved", "已解决", "resolved"},
    {"critical", "严重", "critical"},
    {"major", "重要", "major"},
    {"minor", "一般", "minor"},
    // Reasons.
    {"public-route", "公网路由", "public route"},
    {"public-address", "公网地址", "public address"},
    {"public-neighbour", "公网邻居", "public neighbour"},
    {"public-tcp", "公网连接", "public TCP connection"},
    {"lldp-neighbour", "LLDP 邻居属于另一网络", "LLDP neighbour on another network"},
    {"chassis-on-two-networks", "同一机箱出现在两个网络", "one chassis on two networks"},
    {"addresses-in-two-plans", "地址属于两个网络", "addresses in two networks' plans"},
    {"classified-unregistered-neighbour", "机要网未登记邻居",
     "unregistered neighbour on the classified network"},
    {"overdue", "逾期未整合", "overdue"},
    {"island", "无上联通路", "island (no uplink)"},
    {"uplink-unknown", "上联未知", "uplink unknown"},
    {"unregistered", "疑似未登记机房", "unregistered (shadow room)"},
    {"ownerless", "无责任单位或管理员", "ownerless"},
    {"stale", "长期无应答", "stale"},
    {"still-running", "已关闭仍在运行", "still running"},
    // History.
    {"added", "新增", "added"},
    {"changed", "修改", "changed"},
    {"removed", "删除", "removed"},
    {"credential", "凭据", "credential"},
    {"egress", "出口", "exit"},
};

// The data words above have the same key as a column label in a few cases (unit, room,
// platform, device, network, overdue); both mean the same thing, so one entry serves.

template <typename T>
const T* ById(const std::vector<T>& v, const std::string& id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& x) { return x.id == id; });
  return it == v.end() ? nullptr : &*it;
}

int StatusIndex(const std::string& status) {
  const auto& s = enums::kRoomStatuses;
  return static_cast<int>(std::find(s.begin(), s.end(), status) - s.begin());
}

bool IsOpenStatus(const std::string& status) {
  return status == "active" || status == "consolidating";
}

// As trinet_rooms_overdue (daemon/core/findings_eval.cc): overdue from the day after the
// deadline, whether or not the room's devices answer (the orphan-room rule's `overdue`
// reason also wants an answering device; the progress figure is the register's).
bool IsOverdue(const Room& room, std::int64_t now) {
  if (room.kind != "department" || !room.consolidate_by || !IsOpenStatus(room.status)) {
    return false;
  }
  const auto deadline = findings::DateToUnix(*room.consolidate_by);
  return deadline && now >= *deadline + kDay;
}

std::string DateOf(std::int64_t t) { return findings::FormatUtc(t).substr(0, 10); }

// The unit that answers for a finding: its own, else its room's (as findings --json).
const Unit* UnitOf(const findings::Finding& f, const Register& reg) {
  if (!f.unit.empty()) return ById(reg.units, f.unit);
  if (const Room* room = ById(reg.rooms, f.room); room && room->unit) {
    return ById(reg.units, *room->unit);
  }
  return nullptr;
}

AuditFinding Describe(const FindingRecord& r, const Register& reg, std::int64_t now) {
  AuditFinding a;
  a.record = r;
  const auto& f = r.finding;
  if (const Platform* p = ById(reg.platforms, f.platform)) a.platform_name = p->name;
  if (const Room* room = ById(reg.rooms, f.room)) a.room_name = room->name;
  if (const Unit* u = UnitOf(f, reg)) {
    a.unit = u->id;
    a.unit_name = u->name;
    a.admin = u->admin;
  }
  a.waiver_expired = r.state == findings::kWaived && findings::WaiverExpired(r, now);
  return a;
}

void EarliestDeadline(std::optional<std::string>& into, const Room& room) {
  if (room.kind != "department" || !IsOpenStatus(room.status) || !room.consolidate_by) return;
  if (!into || *room.consolidate_by < *into) into = room.consolidate_by;
}

// The platforms a history entry's entity belongs to: from the register as it is now, and
// from the platform (or, for devices, room) it was given in any change recorded, so that a
// removed or moved entry still shows on the platforms it was on.
std::map<std::pair<std::string, std::string>, std::set<std::string>> EntityPlatforms(
    const Register& reg, const std::vector<HistoryEntry>& history) {
  std::map<std::pair<std::string, std::string>, std::set<std::string>> out;
  std::map<std::string, std::set<std::string>> room_platforms;
  for (const auto& r : reg.rooms) room_platforms[r.id].insert(r.platform);
  for (const auto& h : history) {
    if (h.change.entity == "room" && h.change.field == "platform") {
      for (const auto& v : {h.change.old_value, h.change.new_value}) {
        if (v) room_platforms[h.change.id].insert(*v);
      }
    }
  }
  for (const auto& p : reg.platforms) out[{"platform", p.id}].insert(p.id);
  for (const auto& u : reg.units) out[{"unit", u.id}].insert(u.platform);
  for (const auto& e : reg.egress) out[{"egress", e.id}].insert(e.platform);
  for (const auto& [room, platforms] : room_platforms) out[{"room", room}] = platforms;
  for (const auto& d : reg.devices) {
    auto& set = out[{"device", d.id}];
    set.insert(room_platforms[d.room].begin(), room_platforms[d.room].end());
  }
  for (const auto& h : history) {
    const auto& c = h.change;
    auto& set = out[{c.entity, c.id}];
    for (const auto& v : {c.old_value, c.new_value}) {
      if (!v) continue;
      if (c.entity == "platform") set.insert(c.id);
      if ((c.entity == "unit" || c.entity == "egress") && c.field == "platform") set.insert(*v);
      if (c.entity == "device" && c.field == "room") {
        set.insert(room_platforms[*v].begin(), room_platforms[*v].end());
      }
    }
  }
  return out;
}

bool InPeriod(std::int64_t t, const AuditParams& p) {
  const auto since = findings::DateToUnix(p.since);
  const auto until = findings::DateToUnix(p.until);
  return since && until && t >= *since && t < *until + kDay;
}

int RuleRank(const std::string& rule) { return rule == kRogueExit ? 0 : 1; }

int ReasonRank(const std::string& reason) {
  static const std::vector<std::string> order = {
      "overdue", "island", "uplink-unknown", "unregistered", "ownerless", "stale", "still-running"};
  return static_cast<int>(std::find(order.begin(), order.end(), reason) - order.begin());
}

// ---- Text helpers shared by the renderers.

std::string Percent(const std::optional<double>& p) {
  if (!p) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", *p);
  return buf;
}

std::string Int(int n) { return std::to_string(n); }

std::string AdminName(const std::optional<Admin>& a) { return a ? a->name : ""; }
std::string AdminPhone(const std::optional<Admin>& a) {
  return a && a->phone ? *a->phone : std::string();
}

// `s` as valid UTF-8: each byte that does not start a well-formed sequence (overlong,
// surrogate, truncated) becomes U+FFFD, and so do control characters other than tab and
// newline. Register names are user input; a browser must not be handed broken text.
std::string CleanUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if ((b < 0x20 && b != '\t' && b != '\n') || b == 0x7F) {
        out += "\xEF\xBF\xBD";
      } else {
        out += static_cast<char>(b);
      }
      ++i;
      continue;
    }
    const size_t len = (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    bool ok = len != 0 && i + len <= s.size();
    std::uint32_t c = ok ? b & (0x7F >> len) : 0;
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + k]);
      ok = (cb & 0xC0) == 0x80;
      c = (c << 6) | (cb & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && c >= kMin[len] && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF);
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// Text for HTML content and attribute values alike.
std::string Html(std::string_view s) {
  std::string out;
  for (char c : CleanUtf8(s)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A Markdown table cell: one line, and the characters that would start markup (emphasis,
// links, code, HTML, entities, the cell separator) escaped with a backslash, so that a
// register name pasted into a ticket reads as written.
std::string Md(std::string_view s) {
  std::string out;
  for (char c : CleanUtf8(s)) {
    if (c == '\n' || c == '\t') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\|*_`<>[]&#!~").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out.empty() ? " " : out;
}

// At most `columns` display columns of `s`, with an ellipsis when cut (chart labels).
std::string Truncate(const std::string& s, int columns) {
  if (text::DisplayWidth(s) <= columns) return s;
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80           ? 1
                 : (b >> 5) == 0x6  ? 2
                 : (b >> 4) == 0xE  ? 3
                 : (b >> 3) == 0x1E ? 4
                                    : 1;
    len = std::min(len, s.size() - i);
    const std::string next = s.substr(i, len);
    if (text::DisplayWidth(out + next) > columns - 1) break;
    out += next;
    i += len;
  }
  return out + "…";
}

std::string NameAndId(const std::string& name, const std::string& id) {
  if (name.empty() || name == id) return id;
  return name + " (" + id + ")";
}

std::string Where(const AuditFinding& a) {
  const auto& f = a.record.finding;
  std::string where = a.platform_name.empty() ? f.platform : a.platform_name;
  const std::string room = a.room_name.empty() ? f.room : a.room_name;
  if (!room.empty()) where += (where.empty() ? "" : " / ") + room;
  return where;
}

class Labels {
 public:
  explicit Labels(std::string lang) : lang_(std::move(lang)) {}
  std::string operator()(const std::string& key) const { return AuditLabel(key, lang_); }
  const std::string& lang() const { return lang_; }

 private:
  std::string lang_;
};

// ---- HTML.

const char* const kStatusColours[] = {"#c0392b", "#e67e22", "#27ae60", "#7f8c8d", "#bdc3c7"};

constexpr const char* kCss = R"css(
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",system-ui,sans-serif;font-size:10.5pt;line-height:1.45;color:#1b1f23;margin:0 auto;max-width:280mm;padding:10mm 6mm}
h1{font-size:18pt;margin:0 0 1mm;color:#1f4e79}
.subtitle{margin:0 0 4mm;color:#444}
h2{font-size:13.5pt;color:#1f4e79;border-bottom:2px solid #1f4e79;padding-bottom:1mm;margin:8mm 0 3mm}
h3{font-size:11pt;margin:4mm 0 2mm}
table{border-collapse:collapse;width:100%;margin:1mm 0 4mm;font-size:9pt}
th,td{border:1px solid #c8ccd0;padding:1mm 1.5mm;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#eef2f6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th.num{text-align:right}
.d{white-space:nowrap}
thead{display:table-header-group}
tr{break-inside:avoid;page-break-inside:avoid}
tr.group th{background:#dde5ee;break-after:avoid;page-break-after:avoid}
table.meta{width:auto}
table.meta th{width:40mm}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:2mm;margin:2mm 0 4mm}
.card{border:1px solid #c8ccd0;border-radius:1.5mm;padding:2mm 2.5mm;break-inside:avoid}
.card .n{display:block;font-size:16pt;font-weight:700;color:#1f4e79}
.card .l{font-size:8.5pt;color:#444}
.note{color:#555;font-size:8.5pt;margin:1mm 0 3mm}
.mono{font-family:"DejaVu Sans Mono","Noto Sans Mono",monospace;font-size:8pt;word-break:break-all}
.badge{display:inline-block;border-radius:1mm;padding:0 1.5mm;font-size:8.5pt;color:#fff;background:#7f8c8d}
.badge.open{background:#c0392b}.badge.acknowledged{background:#e67e22}.badge.waived{background:#2471a3}
.overdue{color:#c0392b;font-weight:700}
.finding{border:1px solid #c8ccd0;border-left:4px solid #c0392b;padding:2mm 3mm;margin:0 0 4mm;break-inside:avoid;page-break-inside:avoid}
.finding h3{margin:0 0 1mm}
.finding p{margin:0 0 2mm}
.finding table{margin-bottom:1mm}
figure{margin:0 0 4mm;break-inside:avoid;page-break-inside:avoid}
figcaption{font-size:9pt;font-weight:600;margin-bottom:1mm}
svg{display:block;max-width:100%;height:auto}
svg text{font-family:inherit;font-size:12px;fill:#1b1f23}
svg text.in{fill:#fff;font-size:11px}
footer{margin-top:8mm;font-size:8.5pt;color:#555;border-top:1px solid #c8ccd0;padding-top:2mm}
@page{size:A4;margin:14mm 12mm}
@media print{
body{max-width:none;padding:0;font-size:9.5pt}
table{font-size:7.5pt}
th,td{padding:.6mm 1mm}
td{overflow-wrap:anywhere}
table.evidence td{overflow-wrap:break-word}
section.page{break-before:page;page-break-before:always}
h2,h3,figcaption{break-after:avoid;page-break-after:avoid}
.cards{grid-template-columns:repeat(4,1fr)}
}
)css";

class HtmlWriter {
 public:
  HtmlWriter(const AuditData& d, const Labels& l) : d_(d), l_(l) {}

  std::string Render() {
    const bool zh = l_.lang() == "zh";
    out_ += "<!DOCTYPE html>\n<html lang=\"";
    out_ += zh ? "zh-CN" : "en";
    out_ += "\">\n<head>\n<meta charset=\"utf-8\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += "<meta name=\"generator\" content=\"trinetctl audit\">\n<title>" + Html(l_("title"));
    if (d_.params.platform) out_ += " — " + Html(PlatformLabel());
    out_ += "</title>\n<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n";
    Header();
    Totals();
    Progress();
    Units();
    Rooms();
    Violations();
    Orphans();
    Waivers();
    Changes();
    out_ += "<footer>" + Html(l_("footer")) + "</footer>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  std::string PlatformLabel() const {
    if (!d_.params.platform) return l_("all_platforms");
    for (const auto& p : d_.platforms) {
      if (p.platform == *d_.params.platform) return NameAndId(p.platform_name, p.platform);
    }
    return *d_.params.platform;
  }

  // A cell holding one number, findable by its data attributes.
  std::string NumCell(const std::string& metric, const std::string& attrs, int n) {
    return "<td class=\"num\" data-metric=\"" + metric + "\"" + attrs + ">" + Int(n) + "</td>";
  }
  std::string PercentCell(const std::string& attrs, const std::optional<double>& p) {
    const std::string v = Percent(p);
    return "<td class=\"num\" data-metric=\"percent-consolidated\"" + attrs + " data-value=\"" + v +
           "\">" + (v.empty() ? Html(l_("not_applicable")) : v + " %") + "</td>";
  }
  std::string Td(const std::string& s) { return "<td>" + Html(s) + "</td>"; }
  // A date or time, kept on one line.
  std::string TdDate(const std::string& s) { return "<td class=\"d\">" + Html(s) + "</td>"; }
  std::string Th(const std::string& key, bool num = false) {
    return std::string(num ? "<th class=\"num\">" : "<th>") + Html(l_(key)) + "</th>";
  }
  // The administrator's name with the phone beneath it, unbroken; a unit that names none is
  // marked (M2 art. 10).
  std::string AdminCell(const std::optional<Admin>& admin, bool has_unit) {
    if (!admin) {
      return has_unit ? "<td class=\"overdue\">" + Html(l_("no_admin")) + "</td>" : "<td></td>";
    }
    std::string cell = "<td>" + Html(admin->name);
    if (admin->phone) cell += "<br><span class=\"d\">" + Html(*admin->phone) + "</span>";
    return cell + "</td>";
  }
  std::string Badge(const std::string& state) {
    return "<span class=\"badge " + Html(state) + "\">" + Html(l_(state)) + "</span>";
  }

  void Header() {
    const auto& p = d_.params;
    out_ += "<header>\n<h1>" + Html(l_("title")) + "</h1>\n<p class=\"subtitle\">" +
            Html(l_("subtitle")) + "</p>\n<table class=\"meta\">\n";
    auto row = [&](const std::string& key, const std::string& id, const std::string& value) {
      out_ +=
          "<tr><th>" + Html(l_(key)) + "</th><td id=\"" + id + "\">" + Html(value) + "</td></tr>\n";
    };
    row("generated_at", "generated-at", findings::FormatUtc(p.now));
    out_ += "<tr><th>" + Html(l_("period")) + "</th><td id=\"period\" data-since=\"" +
            Html(p.since) + "\" data-until=\"" + Html(p.until) + "\">" + Html(p.since) + " " +
            Html(l_("period_to")) + " " + Html(p.until) + "</td></tr>\n";
    out_ += "<tr><th>" + Html(l_("platform_filter")) + "</th><td id=\"platform-filter\" " +
            "data-platform=\"" + Html(p.platform.value_or("")) + "\">" + Html(PlatformLabel()) +
            "</td></tr>\n";
    row("database", "database", p.database);
    row("evaluated_at", "evaluated-at",
        d_.evaluated_at ? findings::FormatUtc(*d_.evaluated_at) : l_("never"));
    out_ += "</table>\n<p class=\"note\">" + Html(l_("scope_note")) + "</p>\n</header>\n";
  }

  void Card(const std::string& metric, const std::string& label, const std::string& value,
            const std::string& extra = "") {
    out_ += "<div class=\"card\"><span class=\"n\" data-metric=\"" + metric +
            "\" data-scope=\"total\"" + extra + ">" + value + "</span><span class=\"l\">" +
            Html(label) + "</span></div>\n";
  }

  void Totals() {
    const auto& t = d_.totals;
    out_ += "<section id=\"totals\">\n<h2>" + Html(l_("totals")) + "</h2>\n<div class=\"cards\">\n";
    Card("rooms-department", l_("total_department"), Int(t.rooms.Department()));
    Card("rooms-central", l_("total_central"), Int(t.rooms.central));
    Card("rooms-overdue", l_("total_overdue"), Int(t.rooms.overdue));
    const std::string pct = Percent(t.rooms.Percent());
    Card("percent-consolidated", l_("total_percent"),
         pct.empty() ? Html(l_("not_applicable")) : pct + " %", " data-value=\"" + pct + "\"");
    auto sum = [&](const char* rule) {
      int n = 0;
      if (auto it = t.violations.find(rule); it != t.violations.end()) {
        for (const auto& [state, count] : it->second) n += count;
      }
      return n;
    };
    Card("findings-rogue-exit", l_("total_rogue"), Int(sum(kRogueExit)));
    Card("findings-network-bridge", l_("total_bridge"), Int(sum(kNetworkBridge)));
    Card("violations-first-seen", l_("total_first_seen"), Int(t.violations_first_seen_in_period));
    Card("violations-resolved", l_("total_resolved"), Int(t.violations_resolved_in_period));
    Card("orphan-rooms", l_("total_orphans"), Int(t.orphans));
    Card("waivers-active", l_("total_waivers"), Int(t.waivers_active));
    Card("register-changes", l_("total_changes"), Int(t.changes));
    Card("units-without-admin", l_("total_units_without_admin"), Int(t.units_without_admin));
    out_ += "</div>\n";
    // Rogue exits and bridges by state, every cell present (0 too) so that a reader and a
    // test find each number in one place.
    out_ += "<table class=\"by-state\">\n<thead><tr>" + Th("rule");
    for (const char* s : {findings::kOpen, findings::kAcknowledged, findings::kWaived}) {
      out_ += Th(s, true);
    }
    out_ += "</tr></thead>\n<tbody>\n";
    for (const char* rule : {kRogueExit, kNetworkBridge}) {
      out_ += "<tr>" + Td(l_(rule));
      for (const char* s : {findings::kOpen, findings::kAcknowledged, findings::kWaived}) {
        int n = 0;
        if (auto it = t.violations.find(rule); it != t.violations.end()) {
          if (auto jt = it->second.find(s); jt != it->second.end()) n = jt->second;
        }
        out_ += NumCell("findings",
                        " data-scope=\"total\" data-rule=\"" + std::string(rule) +
                            "\" data-state=\"" + s + "\"",
                        n);
      }
      out_ += "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  void StatusChart() {
    const int label_w = 170, bar_w = 400, row_h = 26, top = 6;
    int max = 1;
    for (const auto& p : d_.platforms) max = std::max(max, p.rooms.Department());
    const int rows = static_cast<int>(d_.platforms.size());
    const int legend_y = top + rows * row_h + 14;
    const int height = legend_y + 16;
    out_ += "<figure id=\"chart-status\">\n<figcaption>" + Html(l_("chart_status")) +
            "</figcaption>\n<svg role=\"img\" "
            "aria-label=\"" +
            Html(l_("chart_status")) + "\" viewBox=\"0 0 640 " + Int(height) + "\" width=\"640\" " +
            "height=\"" + Int(height) + "\">\n";
    for (int i = 0; i < rows; ++i) {
      const auto& p = d_.platforms[static_cast<size_t>(i)];
      const int y = top + i * row_h;
      out_ += "<g data-platform=\"" + Html(p.platform) + "\"><title>" +
              Html(NameAndId(p.platform_name, p.platform)) + "</title>";
      out_ += "<text x=\"0\" y=\"" + Int(y + 15) + "\">" +
              Html(Truncate(p.platform_name.empty() ? p.platform : p.platform_name, 24)) +
              "</text>";
      double x = label_w;
      for (size_t s = 0; s < 5; ++s) {
        const int n = p.rooms.by_status[s];
        if (n == 0) continue;
        const double w = static_cast<double>(n) * bar_w / max;
        char geom[96];
        std::snprintf(geom, sizeof geom, "x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\"", x,
                      y + 2, w, row_h - 6);
        out_ += "<rect " + std::string(geom) + " fill=\"" + kStatusColours[s] + "\"><title>" +
                Html(l_(enums::kRoomStatuses[s])) + ": " + Int(n) + "</title></rect>";
        if (w >= 16) {
          char pos[64];
          std::snprintf(pos, sizeof pos, "x=\"%.1f\" y=\"%d\"", x + w / 2, y + 16);
          out_ += "<text class=\"in\" " + std::string(pos) + " text-anchor=\"middle\">" + Int(n) +
                  "</text>";
        }
        x += w;
      }
      char pos[64];
      std::snprintf(pos, sizeof pos, "x=\"%.1f\" y=\"%d\"", x + 6, y + 15);
      out_ += "<text " + std::string(pos) + ">" + Int(p.rooms.Department()) + "</text></g>\n";
    }
    int lx = 0;
    for (size_t s = 0; s < 5; ++s) {
      const std::string name = l_(enums::kRoomStatuses[s]);
      out_ += "<rect x=\"" + Int(lx) + "\" y=\"" + Int(legend_y - 9) +
              "\" width=\"10\" height=\"10\" fill=\"" + kStatusColours[s] + "\"/><text x=\"" +
              Int(lx + 14) + "\" y=\"" + Int(legend_y) + "\">" + Html(name) + "</text>";
      lx += 14 + text::DisplayWidth(name) * 7 + 20;
    }
    out_ += "\n</svg>\n</figure>\n";
  }

  void ProgressChart() {
    const int label_w = 170, bar_w = 400, row_h = 24, top = 4;
    const int rows = static_cast<int>(d_.platforms.size());
    const int height = top + rows * row_h + 4;
    out_ += "<figure id=\"chart-progress\">\n<figcaption>" + Html(l_("chart_progress")) +
            "</figcaption>\n<svg role=\"img\" "
            "aria-label=\"" +
            Html(l_("chart_progress")) + "\" viewBox=\"0 0 640 " + Int(height) +
            "\" width=\"640\" height=\"" + Int(height) + "\">\n";
    for (int i = 0; i < rows; ++i) {
      const auto& p = d_.platforms[static_cast<size_t>(i)];
      const int y = top + i * row_h;
      const auto pct = p.rooms.Percent();
      out_ += "<g data-platform=\"" + Html(p.platform) + "\"><title>" +
              Html(NameAndId(p.platform_name, p.platform)) + "</title>";
      out_ += "<text x=\"0\" y=\"" + Int(y + 14) + "\">" +
              Html(Truncate(p.platform_name.empty() ? p.platform : p.platform_name, 24)) +
              "</text>";
      out_ += "<rect x=\"" + Int(label_w) + "\" y=\"" + Int(y + 3) + "\" width=\"" + Int(bar_w) +
              "\" height=\"14\" fill=\"#e5e8eb\"/>";
      if (pct) {
        char geom[96];
        std::snprintf(geom, sizeof geom, "x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\"", label_w,
                      y + 3, *pct * bar_w / 100);
        out_ += "<rect " + std::string(geom) + " fill=\"" + kStatusColours[2] + "\"/>";
      }
      const std::string v = Percent(pct);
      out_ += "<text x=\"" + Int(label_w + bar_w + 6) + "\" y=\"" + Int(y + 14) + "\">" +
              (v.empty() ? Html(l_("not_applicable")) : v + " %") + "</text></g>\n";
    }
    out_ += "</svg>\n</figure>\n";
  }

  void CountCells(const RoomCounts& c, const std::string& attrs) {
    for (size_t s = 0; s < 5; ++s) {
      out_ += NumCell("rooms-" + enums::kRoomStatuses[s], attrs, c.by_status[s]);
    }
    out_ += NumCell("rooms-department", attrs, c.Department());
    out_ += NumCell("rooms-central", attrs, c.central);
    out_ += "<td class=\"num" + std::string(c.overdue ? " overdue" : "") +
            "\" data-metric=\"rooms-overdue\"" + attrs + ">" + Int(c.overdue) + "</td>";
    out_ += PercentCell(attrs, c.Percent());
  }

  void CountHeads() {
    for (const auto& s : enums::kRoomStatuses) out_ += Th("col_" + s, true);
    out_ += Th("department_rooms", true) + Th("central_rooms", true) + Th("overdue", true) +
            Th("percent", true);
  }

  void Progress() {
    out_ += "<section id=\"progress\" class=\"page\">\n<h2>" + Html(l_("progress")) + "</h2>\n";
    if (d_.platforms.empty()) {
      out_ += "<p>" + Html(l_("none")) + "</p>\n</section>\n";
      return;
    }
    StatusChart();
    ProgressChart();
    out_ += "<table id=\"progress-platforms\">\n<thead><tr>" + Th("platform");
    CountHeads();
    out_ += Th("next_deadline") + Th("units", true) + Th("units_without_admin", true) +
            "</tr></thead>\n<tbody>\n";
    for (const auto& p : d_.platforms) {
      const std::string attrs = " data-platform=\"" + Html(p.platform) + "\"";
      out_ += "<tr data-platform=\"" + Html(p.platform) + "\">" +
              Td(NameAndId(p.platform_name, p.platform));
      CountCells(p.rooms, attrs);
      out_ += "<td class=\"d\" data-metric=\"next-deadline\"" + attrs + ">" +
              Html(p.next_deadline.value_or("")) + "</td>";
      out_ += NumCell("units", attrs, p.units);
      out_ += NumCell("units-without-admin", attrs, p.units_without_admin);
      out_ += "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n<p class=\"note\">" + Html(l_("percent_note")) + " " +
            Html(l_("overdue_note")) + "</p>\n</section>\n";
  }

  void Units() {
    out_ += "<section id=\"units\" class=\"page\">\n<h2>" + Html(l_("progress_units")) + "</h2>\n";
    if (d_.units.empty()) {
      out_ += "<p>" + Html(l_("none")) + "</p>\n</section>\n";
      return;
    }
    out_ += "<table id=\"progress-units\">\n<thead><tr>" + Th("unit") + Th("admin");
    CountHeads();
    out_ += Th("next_deadline") + "</tr></thead>\n<tbody>\n";
    const std::string* platform = nullptr;
    for (const auto& u : d_.units) {
      if (!platform || *platform != u.platform) {
        platform = &u.platform;
        GroupRow(u.platform_name, u.platform, 12);
      }
      const std::string attrs =
          " data-platform=\"" + Html(u.platform) + "\" data-unit=\"" + Html(u.unit) + "\"";
      out_ +=
          "<tr" + attrs + ">" + Td(u.unit.empty() ? l_("no_unit") : NameAndId(u.unit_name, u.unit));
      out_ += AdminCell(u.admin, !u.unit.empty());
      CountCells(u.rooms, attrs);
      out_ += "<td class=\"d\" data-metric=\"next-deadline\"" + attrs + ">" +
              Html(u.next_deadline.value_or("")) + "</td></tr>\n";
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  // A platform's heading inside a table grouped by platform: one column less to fit A4.
  void GroupRow(const std::string& name, const std::string& id, int columns) {
    out_ += "<tr class=\"group\"><th colspan=\"" + Int(columns) + "\">" +
            Html(NameAndId(name, id)) + "</th></tr>\n";
  }

  void Rooms() {
    out_ += "<section id=\"rooms\">\n<h2>" + Html(l_("rooms")) + "</h2>\n";
    if (d_.rooms.empty()) {
      out_ += "<p>" + Html(l_("none")) + "</p>\n</section>\n";
      return;
    }
    out_ += "<table id=\"department-rooms\">\n<thead><tr>" + Th("room") + Th("unit") + Th("admin") +
            Th("status") + Th("deadline") + Th("overdue") + Th("exemption") +
            "</tr></thead>\n<tbody>\n";
    const std::string* platform = nullptr;
    for (const auto& r : d_.rooms) {
      if (!platform || *platform != r.platform) {
        platform = &r.platform;
        GroupRow(r.platform_name, r.platform, 7);
      }
      out_ += "<tr data-room=\"" + Html(r.id) + "\" data-platform=\"" + Html(r.platform) +
              "\" data-status=\"" + Html(r.status) + "\" data-overdue=\"" +
              (r.overdue ? "1" : "0") + "\">" + Td(NameAndId(r.name, r.id)) +
              Td(r.unit.empty() ? l_("no_unit") : NameAndId(r.unit_name, r.unit)) +
              AdminCell(r.admin, !r.unit.empty()) + Td(l_(r.status)) +
              TdDate(r.consolidate_by.value_or("")) +
              (r.overdue ? "<td class=\"overdue\">" + Html(l_("yes")) + "</td>"
                         : "<td>" + Html(l_("no")) + "</td>") +
              Td(r.exemption.value_or("")) + "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  void Violation(const AuditFinding& a) {
    const auto& r = a.record;
    const auto& f = r.finding;
    out_ += "<article class=\"finding\" data-finding=\"" + Html(f.Id()) + "\" data-rule=\"" +
            Html(f.rule) + "\" data-state=\"" + Html(r.state) + "\" data-platform=\"" +
            Html(f.platform) + "\">\n<h3>" + Badge(r.state) + " " + Html(l_(f.rule)) + " · " +
            Html(l_(f.reason)) + " — " + Html(NameAndId(f.subject.name, f.subject.id)) +
            "</h3>\n<p>" + Html(f.summary) + "</p>\n<table class=\"meta\">\n";
    auto row = [&](const std::string& key, const std::string& value, const std::string& cls = "") {
      out_ += "<tr><th>" + Html(l_(key)) + "</th><td" + cls + ">" + Html(value) + "</td></tr>\n";
    };
    row("finding", f.Id(), " class=\"mono\"");
    row("severity", l_(f.severity));
    row("where", Where(a));
    if (!f.network.empty()) row("network", f.network);
    row("unit", a.unit.empty() ? l_("no_unit") : NameAndId(a.unit_name, a.unit));
    out_ += "<tr><th>" + Html(l_("admin")) + "</th><td data-admin=\"" + Html(AdminName(a.admin)) +
            "\" data-phone=\"" + Html(AdminPhone(a.admin)) + "\">" +
            Html(a.admin ? a.admin->name + (a.admin->phone ? " " + *a.admin->phone : "")
                         : l_("no_admin")) +
            "</td></tr>\n";
    row("first_seen", findings::FormatUtc(r.first_seen));
    row("last_seen", findings::FormatUtc(r.last_seen));
    row("policy", f.policy);
    if (r.ack_by) row("acknowledged_by", *r.ack_by + ": " + r.ack_note.value_or(""));
    if (r.waived_by) {
      row("waiver", *r.waived_by + ", " + l_("waiver_until") + " " + r.waived_until.value_or("?") +
                        ": " + r.waive_reason.value_or(""));
    }
    out_ += "</table>\n<table class=\"evidence\">\n<thead><tr>" + Th("source") + Th("device") +
            Th("table") + Th("key") + Th("observed_at") + Th("what") + "</tr></thead>\n<tbody>\n";
    for (const auto& e : f.evidence) {
      out_ += "<tr data-evidence>" + Td(e.source) + Td(e.device) + Td(e.table) +
              "<td class=\"mono\">" + Html(e.key) + "</td>" +
              TdDate(findings::FormatUtc(e.observed_at)) + Td(e.value) + "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n</article>\n";
  }

  void Violations() {
    out_ += "<section id=\"violations\" class=\"page\">\n<h2>" + Html(l_("violations")) +
            "</h2>\n<p class=\"note\">" + Html(l_("violations_note")) + "</p>\n";
    if (d_.violations.empty()) out_ += "<p>" + Html(l_("none")) + "</p>\n";
    for (const auto& a : d_.violations) Violation(a);
    out_ += "</section>\n";
  }

  void Orphans() {
    out_ += "<section id=\"orphans\" class=\"page\">\n<h2>" + Html(l_("orphans")) + "</h2>\n";
    out_ += "<h3>" + Html(l_("orphans_by_reason")) + "</h3>\n<table id=\"orphans-by-reason\">\n" +
            "<thead><tr>" + Th("reason") + Th("count", true) + "</tr></thead>\n<tbody>\n";
    for (const auto& [reason, n] : d_.totals.orphans_by_reason) {
      out_ +=
          "<tr>" + Td(l_(reason) + " (" + reason + ")") +
          NumCell("orphan-rooms", " data-scope=\"total\" data-reason=\"" + Html(reason) + "\"", n) +
          "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n";
    if (d_.orphans.empty()) {
      out_ += "<p>" + Html(l_("none")) + "</p>\n</section>\n";
      return;
    }
    out_ += "<table id=\"orphan-list\">\n<thead><tr>" + Th("reason") + Th("where") + Th("unit") +
            Th("admin") + Th("state") + Th("first_seen") + Th("summary") +
            "</tr></thead>\n<tbody>\n";
    for (const auto& a : d_.orphans) {
      const auto& r = a.record;
      out_ += "<tr data-finding=\"" + Html(r.finding.Id()) + "\" data-reason=\"" +
              Html(r.finding.reason) + "\" data-state=\"" + Html(r.state) + "\">" +
              Td(l_(r.finding.reason)) + Td(Where(a)) +
              Td(a.unit.empty() ? l_("no_unit") : NameAndId(a.unit_name, a.unit)) +
              AdminCell(a.admin, !a.unit.empty()) + "<td>" + Badge(r.state) + "</td>" +
              TdDate(findings::FormatUtc(r.first_seen)) + Td(r.finding.summary) + "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  void Waivers() {
    out_ += "<section id=\"waivers\">\n<h2>" + Html(l_("waivers")) + "</h2>\n";
    if (d_.waivers.empty()) {
      out_ += "<p>" + Html(l_("none")) + "</p>\n</section>\n";
      return;
    }
    out_ += "<table id=\"waiver-list\">\n<thead><tr>" + Th("finding") + Th("rule") + Th("where") +
            Th("unit") + Th("waived_by") + Th("waived_at") + Th("until") + Th("waiver_state") +
            Th("waiver_reason") + "</tr></thead>\n<tbody>\n";
    for (const auto& a : d_.waivers) {
      const auto& r = a.record;
      out_ += "<tr data-waiver=\"" + Html(r.finding.Id()) + "\" data-until=\"" +
              Html(r.waived_until.value_or("")) + "\" data-expired=\"" +
              (a.waiver_expired ? "1" : "0") + "\"><td class=\"mono\">" + Html(r.finding.Id()) +
              "</td>" + Td(l_(r.finding.rule) + " · " + l_(r.finding.reason)) + Td(Where(a)) +
              Td(a.unit.empty() ? l_("no_unit") : NameAndId(a.unit_name, a.unit)) +
              Td(r.waived_by.value_or("")) +
              TdDate(r.waived_at ? findings::FormatUtc(*r.waived_at) : "") +
              TdDate(r.waived_until.value_or("")) +
              Td(l_(a.waiver_expired ? "waiver_expired" : "waiver_active")) +
              Td(r.waive_reason.value_or("")) + "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  void Changes() {
    out_ += "<section id=\"changes\" class=\"page\">\n<h2>" + Html(l_("changes")) + "</h2>\n";
    out_ += "<p class=\"note\">" + Html(l_("period")) + ": " + Html(d_.params.since) + " " +
            Html(l_("period_to")) + " " + Html(d_.params.until) + ".";
    if (d_.params.platform) out_ += " " + Html(l_("changes_platform_note"));
    out_ += "</p>\n";
    if (d_.changes.empty()) {
      out_ += "<p>" + Html(l_("none")) + "</p>\n</section>\n";
      return;
    }
    out_ += "<h3>" + Html(l_("applies")) + "</h3>\n<table id=\"applies\">\n<thead><tr>" +
            Th("when") + Th("by") + Th("file") + Th("sha256") + Th("changes_count", true) +
            "</tr></thead>\n<tbody>\n";
    for (const auto& a : d_.applies) {
      out_ += "<tr data-apply=\"" + Html(a.applied_at) + "\">" + TdDate(a.applied_at) +
              Td(a.applied_by) + Td(a.file) + "<td class=\"mono\">" + Html(a.sha256) + "</td>" +
              "<td class=\"num\">" + Int(a.changes) + "</td></tr>\n";
    }
    out_ += "</tbody>\n</table>\n<table id=\"change-list\">\n<thead><tr>" + Th("when") + Th("by") +
            Th("op") + Th("entity") + Th("entity_id") + Th("field") + Th("old") + Th("new") +
            "</tr></thead>\n<tbody>\n";
    for (const auto& h : d_.changes) {
      const auto& c = h.change;
      out_ += "<tr data-change data-entity=\"" + Html(c.entity) + "\" data-id=\"" + Html(c.id) +
              "\">" + TdDate(h.applied_at) + Td(h.applied_by) + Td(l_(c.op)) + Td(l_(c.entity)) +
              Td(c.id) + Td(c.field) + Td(c.old_value.value_or("")) + Td(c.new_value.value_or("")) +
              "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  const AuditData& d_;
  const Labels& l_;
  std::string out_;
};

// ---- CSV.

// The columns of the one long-format table (docs/audit.md says which section fills which).
const std::vector<std::string>& CsvColumns() {
  static const std::vector<std::string> c = {
      "section",   "platform",  "platform_name", "unit",        "unit_name", "room",
      "room_name", "metric",    "value",         "finding",     "rule",      "reason",
      "severity",  "state",     "admin",         "admin_phone", "date",      "until",
      "by",        "source",    "device",        "table",       "key",       "op",
      "entity",    "entity_id", "field",         "old",         "new",       "file",
      "sha256",    "detail"};
  return c;
}

class CsvRow {
 public:
  explicit CsvRow(const std::string& section) : fields_(CsvColumns().size()) {
    Set("section", section);
  }
  CsvRow& Set(const std::string& column, const std::string& value) {
    const auto& c = CsvColumns();
    const auto it = std::find(c.begin(), c.end(), column);
    if (it == c.end()) throw std::logic_error("no CSV column " + column);
    fields_[static_cast<size_t>(it - c.begin())] = CleanUtf8(value);
    return *this;
  }
  std::vector<std::string> Take() { return std::move(fields_); }

 private:
  std::vector<std::string> fields_;
};

void SetPlace(CsvRow& row, const AuditFinding& a) {
  const auto& f = a.record.finding;
  row.Set("platform", f.platform)
      .Set("platform_name", a.platform_name)
      .Set("unit", a.unit)
      .Set("unit_name", a.unit_name)
      .Set("room", f.room)
      .Set("room_name", a.room_name)
      .Set("admin", AdminName(a.admin))
      .Set("admin_phone", AdminPhone(a.admin));
}

CsvRow FindingRow(const std::string& section, const AuditFinding& a) {
  const auto& r = a.record;
  CsvRow row(section);
  SetPlace(row, a);
  row.Set("finding", r.finding.Id())
      .Set("rule", r.finding.rule)
      .Set("reason", r.finding.reason)
      .Set("severity", r.finding.severity)
      .Set("state", r.state)
      .Set("date", findings::FormatUtc(r.first_seen))
      .Set("until", r.waived_until.value_or(""))
      .Set("by", r.waived_by ? *r.waived_by : r.ack_by.value_or(""))
      .Set("detail", r.finding.summary);
  return row;
}

void ProgressRows(std::vector<std::vector<std::string>>& rows, const std::string& section,
                  const ProgressRow& p) {
  auto metric = [&](const std::string& name, const std::string& value) {
    CsvRow row(section);
    row.Set("platform", p.platform).Set("platform_name", p.platform_name);
    if (section == "progress-unit") {
      row.Set("unit", p.unit)
          .Set("unit_name", p.unit_name)
          .Set("admin", AdminName(p.admin))
          .Set("admin_phone", AdminPhone(p.admin));
    }
    row.Set("metric", name).Set("value", value);
    rows.push_back(row.Take());
  };
  for (size_t s = 0; s < 5; ++s) {
    metric("rooms-" + enums::kRoomStatuses[s], Int(p.rooms.by_status[s]));
  }
  metric("rooms-department", Int(p.rooms.Department()));
  metric("rooms-central", Int(p.rooms.central));
  metric("rooms-overdue", Int(p.rooms.overdue));
  metric("percent-consolidated", Percent(p.rooms.Percent()));
  metric("next-deadline", p.next_deadline.value_or(""));
  if (section == "progress") {
    metric("units", Int(p.units));
    metric("units-without-admin", Int(p.units_without_admin));
  }
}

// ---- Markdown.

std::string MdRow(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const auto& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string MdTable(const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows,
                    const std::vector<bool>& numeric = {}) {
  std::string out = MdRow(header);
  out += "|";
  for (size_t i = 0; i < header.size(); ++i) {
    out += i < numeric.size() && numeric[i] ? " ---: |" : " --- |";
  }
  out += "\n";
  for (const auto& r : rows) out += MdRow(r);
  return out + "\n";
}

}  // namespace

// ---- Counting.

int RoomCounts::Department() const {
  int n = 0;
  for (int c : by_status) n += c;
  return n;
}

int RoomCounts::Closed() const { return by_status[2] + by_status[3]; }

std::optional<double> RoomCounts::Percent() const {
  const int counted = Department() - by_status[4];
  if (counted <= 0) return std::nullopt;
  return 100.0 * Closed() / counted;
}

void RoomCounts::Add(const RoomCounts& other) {
  for (size_t i = 0; i < by_status.size(); ++i) by_status[i] += other.by_status[i];
  central += other.central;
  overdue += other.overdue;
}

std::optional<std::string> ResolveAuditPeriod(const std::optional<std::string>& since,
                                              const std::optional<std::string>& until,
                                              AuditParams& params) {
  for (const auto& [flag, value] : {std::pair{"--since", &since}, std::pair{"--until", &until}}) {
    if (*value && !findings::DateToUnix(**value)) {
      return std::string(flag) + " '" + **value + "' is not a date: expected YYYY-MM-DD";
    }
  }
  params.until = until.value_or(DateOf(params.now));
  if (since) {
    params.since = *since;
  } else {
    // The same day a year before: 12 months, both ends included; 29 February falls back to
    // the 28th.
    const int year = std::stoi(params.until.substr(0, 4)) - 1;
    std::string day = params.until.substr(5);
    if (day == "02-29") day = "02-28";
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-", std::max(year, 0));
    params.since = buf + day;
  }
  if (params.since > params.until) {
    return "--since " + params.since + " is after --until " + params.until +
           ": the period would be empty";
  }
  return std::nullopt;
}

std::string AuditLabel(const std::string& key, const std::string& lang) {
  for (const auto& l : kLabels) {
    if (key == l.key) return lang == "en" ? l.en : l.zh;
  }
  return key;
}

AuditData BuildAuditData(const Register& reg, const std::vector<FindingRecord>& records,
                         const std::vector<HistoryEntry>& history, const AuditParams& params) {
  AuditData d;
  d.params = params;
  const std::int64_t now = params.now;
  auto in_scope = [&](const std::string& platform) {
    return !params.platform || *params.platform == platform;
  };
  std::map<std::string, size_t> platform_index;
  for (const auto& p : reg.platforms) {
    if (!in_scope(p.id)) continue;
    platform_index[p.id] = d.platforms.size();
    ProgressRow row;
    row.platform = p.id;
    row.platform_name = p.name;
    d.platforms.push_back(std::move(row));
  }
  auto platform_name = [&](const std::string& id) {
    const Platform* p = ById(reg.platforms, id);
    return p ? p->name : std::string();
  };

  // Unit rows: every unit of the platforms shown, then any other unit with rooms on them,
  // then per platform the rooms that name no unit.
  std::map<std::pair<std::string, std::string>, size_t> unit_index;  // (unit, platform if none)
  auto unit_row = [&](const Unit* u, const std::string& room_platform) -> ProgressRow& {
    const std::pair<std::string, std::string> key{u ? u->id : "", u ? "" : room_platform};
    if (auto it = unit_index.find(key); it != unit_index.end()) return d.units[it->second];
    ProgressRow row;
    row.platform = u ? u->platform : room_platform;
    row.platform_name = platform_name(row.platform);
    if (u) {
      row.unit = u->id;
      row.unit_name = u->name;
      row.admin = u->admin;
    }
    unit_index[key] = d.units.size();
    d.units.push_back(std::move(row));
    return d.units.back();
  };
  for (const auto& u : reg.units) {
    if (auto it = platform_index.find(u.platform); it != platform_index.end()) {
      auto& p = d.platforms[it->second];
      p.units += 1;
      p.units_without_admin += u.admin ? 0 : 1;
      unit_row(&u, "");
    }
  }
  for (const auto& room : reg.rooms) {
    if (!in_scope(room.platform)) continue;
    RoomCounts c;
    if (room.kind == "central") {
      c.central = 1;
    } else if (const int s = StatusIndex(room.status); s < 5) {
      c.by_status[static_cast<size_t>(s)] = 1;
      c.overdue = IsOverdue(room, now) ? 1 : 0;
    }
    const Unit* unit = room.unit ? ById(reg.units, *room.unit) : nullptr;
    for (ProgressRow* row :
         {&d.platforms[platform_index.at(room.platform)], &unit_row(unit, room.platform)}) {
      row->rooms.Add(c);
      EarliestDeadline(row->next_deadline, room);
    }
    if (room.kind != "department") continue;
    RoomLine line;
    line.id = room.id;
    line.name = room.name;
    line.platform = room.platform;
    line.platform_name = platform_name(room.platform);
    if (unit) {
      line.unit = unit->id;
      line.unit_name = unit->name;
      line.admin = unit->admin;
    }
    line.status = room.status;
    line.consolidate_by = room.consolidate_by;
    line.exemption = room.exemption;
    line.overdue = c.overdue > 0;
    d.rooms.push_back(std::move(line));
  }
  auto order = [&](const std::string& platform) {
    auto it = platform_index.find(platform);
    return it == platform_index.end() ? platform_index.size() : it->second;
  };
  std::stable_sort(d.units.begin(), d.units.end(), [&](const auto& a, const auto& b) {
    return std::make_tuple(order(a.platform), a.unit.empty()) <
           std::make_tuple(order(b.platform), b.unit.empty());
  });
  std::stable_sort(d.rooms.begin(), d.rooms.end(), [&](const auto& a, const auto& b) {
    return order(a.platform) < order(b.platform);
  });
  for (const auto& p : d.platforms) {
    d.totals.rooms.Add(p.rooms);
    d.totals.units += p.units;
    d.totals.units_without_admin += p.units_without_admin;
  }

  // Findings.
  std::vector<FindingRecord> violations, orphans, waivers;
  for (const auto& r : records) {
    if (!d.evaluated_at || r.last_seen > *d.evaluated_at) d.evaluated_at = r.last_seen;
    const auto& f = r.finding;
    if (!in_scope(f.platform)) continue;
    const bool violation = f.rule == kRogueExit || f.rule == kNetworkBridge;
    const bool resolved = r.state == findings::kResolved;
    if (violation) {
      if (InPeriod(r.first_seen, params)) d.totals.violations_first_seen_in_period += 1;
      if (resolved && r.resolved_at && InPeriod(*r.resolved_at, params)) {
        d.totals.violations_resolved_in_period += 1;
      }
      if (!resolved) {
        violations.push_back(r);
        d.totals.violations[f.rule][r.state] += 1;
      }
    }
    if (f.rule == kOrphanRoom && !resolved) {
      orphans.push_back(r);
      d.totals.orphans_by_reason[f.reason] += 1;
      d.totals.orphans += 1;
    }
    if (r.state == findings::kWaived) {
      waivers.push_back(r);
      d.totals.waivers_active += findings::WaiverExpired(r, now) ? 0 : 1;
    }
  }
  SortForDesk(violations);
  std::stable_sort(violations.begin(), violations.end(), [](const auto& a, const auto& b) {
    return RuleRank(a.finding.rule) < RuleRank(b.finding.rule);
  });
  std::sort(orphans.begin(), orphans.end(), [&](const auto& a, const auto& b) {
    return std::make_tuple(ReasonRank(a.finding.reason), order(a.finding.platform),
                           a.finding.Id()) <
           std::make_tuple(ReasonRank(b.finding.reason), order(b.finding.platform), b.finding.Id());
  });
  std::sort(waivers.begin(), waivers.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.waived_until.value_or(""), a.finding.Id()) <
           std::make_tuple(b.waived_until.value_or(""), b.finding.Id());
  });
  for (const auto& r : violations) d.violations.push_back(Describe(r, reg, now));
  for (const auto& r : orphans) d.orphans.push_back(Describe(r, reg, now));
  for (const auto& r : waivers) d.waivers.push_back(Describe(r, reg, now));

  // Register changes: the period by the day of the apply (UTC), then the platform.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> platforms_of;
  if (params.platform) platforms_of = EntityPlatforms(reg, history);
  for (const auto& h : history) {
    const std::string day = h.applied_at.substr(0, 10);
    if (day < params.since || day > params.until) continue;
    if (params.platform) {
      auto it = platforms_of.find({h.change.entity, h.change.id});
      if (it == platforms_of.end() || !it->second.count(*params.platform)) continue;
    }
    if (d.applies.empty() || d.applies.back().applied_at != h.applied_at ||
        d.applies.back().sha256 != h.sha256 || d.applies.back().file != h.file ||
        d.applies.back().applied_by != h.applied_by) {
      d.applies.push_back({h.applied_at, h.applied_by, h.file, h.sha256, 0});
    }
    d.applies.back().changes += 1;
    d.changes.push_back(h);
  }
  d.totals.changes = static_cast<int>(d.changes.size());
  d.totals.applies = static_cast<int>(d.applies.size());
  return d;
}

AuditData LoadAuditData(sql::Database& db, const AuditParams& params) {
  sql::ReadTransaction snapshot(db);
  const Register reg = LoadRegister(db);
  const auto records = LoadFindings(db);
  // The whole history: a platform's entries are told by changes that may predate the period
  // (the room a device was moved out of); the period is applied in BuildAuditData.
  const auto history = LoadHistory(db, std::nullopt);
  return BuildAuditData(reg, records, history, params);
}

std::string RenderAuditHtml(const AuditData& data, const AuditRenderOptions& options) {
  const Labels labels(options.lang);
  return HtmlWriter(data, labels).Render();
}

std::string RenderAuditCsv(const AuditData& d, const AuditRenderOptions& /*options*/) {
  std::vector<std::vector<std::string>> rows;
  auto meta = [&](const std::string& section, const std::string& metric, const std::string& v) {
    rows.push_back(CsvRow(section).Set("metric", metric).Set("value", v).Take());
  };
  const auto& p = d.params;
  meta("report", "generated-at", findings::FormatUtc(p.now));
  meta("report", "period-since", p.since);
  meta("report", "period-until", p.until);
  meta("report", "platform-filter", p.platform.value_or(""));
  meta("report", "database", p.database);
  meta("report", "findings-evaluated-at",
       d.evaluated_at ? findings::FormatUtc(*d.evaluated_at) : "");
  const auto& t = d.totals;
  for (size_t s = 0; s < 5; ++s) {
    meta("total", "rooms-" + enums::kRoomStatuses[s], Int(t.rooms.by_status[s]));
  }
  meta("total", "rooms-department", Int(t.rooms.Department()));
  meta("total", "rooms-central", Int(t.rooms.central));
  meta("total", "rooms-overdue", Int(t.rooms.overdue));
  meta("total", "percent-consolidated", Percent(t.rooms.Percent()));
  meta("total", "units", Int(t.units));
  meta("total", "units-without-admin", Int(t.units_without_admin));
  for (const char* rule : {kRogueExit, kNetworkBridge}) {
    for (const char* state : {findings::kOpen, findings::kAcknowledged, findings::kWaived}) {
      int n = 0;
      if (auto it = t.violations.find(rule); it != t.violations.end()) {
        if (auto jt = it->second.find(state); jt != it->second.end()) n = jt->second;
      }
      rows.push_back(CsvRow("total")
                         .Set("metric", "findings")
                         .Set("rule", rule)
                         .Set("state", state)
                         .Set("value", Int(n))
                         .Take());
    }
  }
  meta("total", "violations-first-seen", Int(t.violations_first_seen_in_period));
  meta("total", "violations-resolved", Int(t.violations_resolved_in_period));
  meta("total", "orphan-rooms", Int(t.orphans));
  for (const auto& [reason, n] : t.orphans_by_reason) {
    rows.push_back(CsvRow("total")
                       .Set("metric", "orphan-rooms")
                       .Set("rule", kOrphanRoom)
                       .Set("reason", reason)
                       .Set("value", Int(n))
                       .Take());
  }
  meta("total", "waivers-active", Int(t.waivers_active));
  meta("total", "register-changes", Int(t.changes));
  meta("total", "register-applies", Int(t.applies));
  for (const auto& row : d.platforms) ProgressRows(rows, "progress", row);
  for (const auto& row : d.units) ProgressRows(rows, "progress-unit", row);
  for (const auto& r : d.rooms) {
    rows.push_back(CsvRow("room")
                       .Set("platform", r.platform)
                       .Set("platform_name", r.platform_name)
                       .Set("unit", r.unit)
                       .Set("unit_name", r.unit_name)
                       .Set("room", r.id)
                       .Set("room_name", r.name)
                       .Set("admin", AdminName(r.admin))
                       .Set("admin_phone", AdminPhone(r.admin))
                       .Set("state", r.status)
                       .Set("date", r.consolidate_by.value_or(""))
                       .Set("metric", "overdue")
                       .Set("value", r.overdue ? "1" : "0")
                       .Set("detail", r.exemption.value_or(""))
                       .Take());
  }
  for (const auto& a : d.violations) {
    rows.push_back(FindingRow("finding", a).Take());
    for (const auto& e : a.record.finding.evidence) {
      CsvRow row("evidence");
      SetPlace(row, a);
      rows.push_back(row.Set("finding", a.record.finding.Id())
                         .Set("rule", a.record.finding.rule)
                         .Set("reason", a.record.finding.reason)
                         .Set("state", a.record.state)
                         .Set("source", e.source)
                         .Set("device", e.device)
                         .Set("table", e.table)
                         .Set("key", e.key)
                         .Set("date", findings::FormatUtc(e.observed_at))
                         .Set("detail", e.value)
                         .Take());
    }
  }
  for (const auto& a : d.orphans) rows.push_back(FindingRow("orphan", a).Take());
  for (const auto& a : d.waivers) {
    const auto& r = a.record;
    CsvRow row("waiver");
    SetPlace(row, a);
    rows.push_back(row.Set("finding", r.finding.Id())
                       .Set("rule", r.finding.rule)
                       .Set("reason", r.finding.reason)
                       .Set("severity", r.finding.severity)
                       .Set("state", r.state)
                       .Set("metric", "waiver")
                       .Set("value", a.waiver_expired ? "expired" : "active")
                       .Set("by", r.waived_by.value_or(""))
                       .Set("date", r.waived_at ? findings::FormatUtc(*r.waived_at) : "")
                       .Set("until", r.waived_until.value_or(""))
                       .Set("detail", r.waive_reason.value_or(""))
                       .Take());
  }
  for (const auto& h : d.changes) {
    rows.push_back(CsvRow("change")
                       .Set("date", h.applied_at)
                       .Set("by", h.applied_by)
                       .Set("file", h.file)
                       .Set("sha256", h.sha256)
                       .Set("op", h.change.op)
                       .Set("entity", h.change.entity)
                       .Set("entity_id", h.change.id)
                       .Set("field", h.change.field)
                       .Set("old", h.change.old_value.value_or(""))
                       .Set("new", h.change.new_value.value_or(""))
                       .Take());
  }
  return text::Csv(CsvColumns(), rows);
}

std::string RenderAuditMarkdown(const AuditData& d, const AuditRenderOptions& options) {
  const Labels l(options.lang);
  const auto& p = d.params;
  std::string out = "# " + Md(l("title")) + "\n\n" + Md(l("subtitle")) + "\n\n";
  std::string platform = l("all_platforms");
  if (p.platform) {
    platform = d.platforms.size() == 1
                   ? NameAndId(d.platforms[0].platform_name, d.platforms[0].platform)
                   : *p.platform;
  }
  out += MdTable({Md(l("metric")), Md(l("value"))},
                 {{Md(l("generated_at")), Md(findings::FormatUtc(p.now))},
                  {Md(l("period")), Md(p.since + " " + l("period_to") + " " + p.until)},
                  {Md(l("platform_filter")), Md(platform)},
                  {Md(l("database")), Md(p.database)},
                  {Md(l("evaluated_at")),
                   Md(d.evaluated_at ? findings::FormatUtc(*d.evaluated_at) : l("never"))}});
  out += Md(l("scope_note")) + "\n\n";

  const auto& t = d.totals;
  auto violations = [&](const char* rule) {
    int n = 0;
    if (auto it = t.violations.find(rule); it != t.violations.end()) {
      for (const auto& [state, count] : it->second) n += count;
    }
    return n;
  };
  const std::string pct = Percent(t.rooms.Percent());
  out += "## " + Md(l("totals")) + "\n\n";
  out += MdTable({Md(l("metric")), Md(l("value"))},
                 {{Md(l("total_department")), Int(t.rooms.Department())},
                  {Md(l("total_central")), Int(t.rooms.central)},
                  {Md(l("total_overdue")), Int(t.rooms.overdue)},
                  {Md(l("total_percent")), pct.empty() ? l("not_applicable") : pct + " %"},
                  {Md(l("total_rogue")), Int(violations(kRogueExit))},
                  {Md(l("total_bridge")), Int(violations(kNetworkBridge))},
                  {Md(l("total_first_seen")), Int(t.violations_first_seen_in_period)},
                  {Md(l("total_resolved")), Int(t.violations_resolved_in_period)},
                  {Md(l("total_orphans")), Int(t.orphans)},
                  {Md(l("total_waivers")), Int(t.waivers_active)},
                  {Md(l("total_changes")), Int(t.changes)},
                  {Md(l("total_applies")), Int(t.applies)},
                  {Md(l("total_units_without_admin")), Int(t.units_without_admin)}},
                 {false, true});

  auto counts = [&](const RoomCounts& c) {
    std::vector<std::string> cells;
    for (int n : c.by_status) cells.push_back(Int(n));
    const std::string v = Percent(c.Percent());
    cells.push_back(Int(c.Department()));
    cells.push_back(Int(c.central));
    cells.push_back(Int(c.overdue));
    cells.push_back(v.empty() ? l("not_applicable") : v + " %");
    return cells;
  };
  std::vector<std::string> count_heads;
  for (const auto& s : enums::kRoomStatuses) count_heads.push_back(Md(l(s)));
  for (const char* k : {"department_rooms", "central_rooms", "overdue", "percent"}) {
    count_heads.push_back(Md(l(k)));
  }

  out += "## " + Md(l("progress")) + "\n\n";
  {
    std::vector<std::string> head = {Md(l("platform"))};
    head.insert(head.end(), count_heads.begin(), count_heads.end());
    head.insert(head.end(), {Md(l("next_deadline")), Md(l("units")), Md(l("units_without_admin"))});
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : d.platforms) {
      std::vector<std::string> cells = {Md(NameAndId(row.platform_name, row.platform))};
      for (auto& c : counts(row.rooms)) cells.push_back(c);
      cells.insert(cells.end(), {Md(row.next_deadline.value_or("")), Int(row.units),
                                 Int(row.units_without_admin)});
      rows.push_back(std::move(cells));
    }
    std::vector<bool> numeric(head.size(), true);
    numeric[0] = false;
    numeric[10] = false;
    out += MdTable(head, rows, numeric);
    out += Md(l("percent_note")) + " " + Md(l("overdue_note")) + "\n\n";
  }

  out += "## " + Md(l("progress_units")) + "\n\n";
  {
    std::vector<std::string> head = {Md(l("platform")), Md(l("unit")), Md(l("admin")),
                                     Md(l("phone"))};
    head.insert(head.end(), count_heads.begin(), count_heads.end());
    head.push_back(Md(l("next_deadline")));
    std::vector<std::vector<std::string>> rows;
    for (const auto& u : d.units) {
      std::vector<std::string> cells = {
          Md(u.platform_name.empty() ? u.platform : u.platform_name),
          Md(u.unit.empty() ? l("no_unit") : NameAndId(u.unit_name, u.unit)),
          Md(u.admin ? u.admin->name : (u.unit.empty() ? "" : l("no_admin"))),
          Md(AdminPhone(u.admin))};
      for (auto& c : counts(u.rooms)) cells.push_back(c);
      cells.push_back(Md(u.next_deadline.value_or("")));
      rows.push_back(std::move(cells));
    }
    std::vector<bool> numeric(head.size(), true);
    for (size_t i : {0, 1, 2, 3}) numeric[i] = false;
    numeric.back() = false;
    out += MdTable(head, rows, numeric);
  }

  out += "## " + Md(l("rooms")) + "\n\n";
  if (d.rooms.empty()) {
    out += Md(l("none")) + "\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : d.rooms) {
      rows.push_back({Md(r.platform_name.empty() ? r.platform : r.platform_name),
                      Md(NameAndId(r.name, r.id)),
                      Md(r.unit.empty() ? l("no_unit") : NameAndId(r.unit_name, r.unit)),
                      Md(AdminName(r.admin)), Md(AdminPhone(r.admin)), Md(l(r.status)),
                      Md(r.consolidate_by.value_or("")), Md(l(r.overdue ? "yes" : "no")),
                      Md(r.exemption.value_or(""))});
    }
    out += MdTable({Md(l("platform")), Md(l("room")), Md(l("unit")), Md(l("admin")), Md(l("phone")),
                    Md(l("status")), Md(l("deadline")), Md(l("overdue")), Md(l("exemption"))},
                   rows);
  }

  out += "## " + Md(l("violations")) + "\n\n" + Md(l("violations_note")) + "\n\n";
  if (d.violations.empty()) {
    out += Md(l("none")) + "\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : d.violations) {
      const auto& r = a.record;
      rows.push_back({Md(l(r.state)), Md(l(r.finding.rule)), Md(l(r.finding.reason)), Md(Where(a)),
                      Md(a.unit.empty() ? l("no_unit") : NameAndId(a.unit_name, a.unit)),
                      Md(AdminName(a.admin)), Md(AdminPhone(a.admin)),
                      Md(findings::FormatUtc(r.first_seen)), Md(r.finding.Id())});
    }
    out += MdTable({Md(l("state")), Md(l("rule")), Md(l("reason")), Md(l("where")), Md(l("unit")),
                    Md(l("admin")), Md(l("phone")), Md(l("first_seen")), Md(l("finding"))},
                   rows);
    for (const auto& a : d.violations) {
      const auto& r = a.record;
      out += "### " + Md(r.finding.Id()) + "\n\n" + Md(r.finding.summary) + "\n\n";
      if (r.ack_by) {
        out += "- " + Md(l("acknowledged_by")) + ": " +
               Md(*r.ack_by + ": " + r.ack_note.value_or("")) + "\n";
      }
      if (r.waived_by) {
        out += "- " + Md(l("waiver")) + ": " +
               Md(*r.waived_by + ", " + l("waiver_until") + " " + r.waived_until.value_or("?") +
                  ": " + r.waive_reason.value_or("")) +
               "\n";
      }
      out += "- " + Md(l("policy")) + ": " + Md(r.finding.policy) + "\n\n";
      std::vector<std::vector<std::string>> ev;
      for (const auto& e : r.finding.evidence) {
        ev.push_back({Md(e.source), Md(e.device), Md(e.table), Md(e.key),
                      Md(findings::FormatUtc(e.observed_at)), Md(e.value)});
      }
      out += MdTable({Md(l("source")), Md(l("device")), Md(l("table")), Md(l("key")),
                      Md(l("observed_at")), Md(l("what"))},
                     ev);
    }
  }

  out += "## " + Md(l("orphans")) + "\n\n";
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [reason, n] : t.orphans_by_reason) {
      rows.push_back({Md(l(reason) + " (" + reason + ")"), Int(n)});
    }
    out += MdTable({Md(l("reason")), Md(l("count"))}, rows, {false, true});
  }
  if (!d.orphans.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : d.orphans) {
      const auto& r = a.record;
      rows.push_back({Md(l(r.finding.reason)), Md(Where(a)),
                      Md(a.unit.empty() ? l("no_unit") : NameAndId(a.unit_name, a.unit)),
                      Md(AdminName(a.admin)), Md(AdminPhone(a.admin)), Md(l(r.state)),
                      Md(findings::FormatUtc(r.first_seen)), Md(r.finding.summary)});
    }
    out += MdTable({Md(l("reason")), Md(l("where")), Md(l("unit")), Md(l("admin")), Md(l("phone")),
                    Md(l("state")), Md(l("first_seen")), Md(l("summary"))},
                   rows);
  }

  out += "## " + Md(l("waivers")) + "\n\n";
  if (d.waivers.empty()) {
    out += Md(l("none")) + "\n\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : d.waivers) {
      const auto& r = a.record;
      rows.push_back({Md(r.finding.Id()), Md(Where(a)),
                      Md(a.unit.empty() ? l("no_unit") : NameAndId(a.unit_name, a.unit)),
                      Md(r.waived_by.value_or("")),
                      Md(r.waived_at ? findings::FormatUtc(*r.waived_at) : ""),
                      Md(r.waived_until.value_or("")),
                      Md(l(a.waiver_expired ? "waiver_expired" : "waiver_active")),
                      Md(r.waive_reason.value_or(""))});
    }
    out +=
        MdTable({Md(l("finding")), Md(l("where")), Md(l("unit")), Md(l("waived_by")),
                 Md(l("waived_at")), Md(l("until")), Md(l("waiver_state")), Md(l("waiver_reason"))},
                rows);
  }

  out += "## " + Md(l("changes")) + "\n\n" + Md(l("period")) + ": " +
         Md(p.since + " " + l("period_to") + " " + p.until) + ".";
  if (p.platform) out += " " + Md(l("changes_platform_note"));
  out += "\n\n";
  if (d.changes.empty()) {
    out += Md(l("none")) + "\n";
  } else {
    std::vector<std::vector<std::string>> applies;
    for (const auto& a : d.applies) {
      applies.push_back(
          {Md(a.applied_at), Md(a.applied_by), Md(a.file), Md(a.sha256), Int(a.changes)});
    }
    out += MdTable(
        {Md(l("when")), Md(l("by")), Md(l("file")), Md(l("sha256")), Md(l("changes_count"))},
        applies, {false, false, false, false, true});
    std::vector<std::vector<std::string>> rows;
    for (const auto& h : d.changes) {
      const auto& c = h.change;
      rows.push_back({Md(h.applied_at), Md(h.applied_by), Md(l(c.op)), Md(l(c.entity)), Md(c.id),
                      Md(c.field), Md(c.old_value.value_or("")), Md(c.new_value.value_or(""))});
    }
    out += MdTable({Md(l("when")), Md(l("by")), Md(l("op")), Md(l("entity")), Md(l("entity_id")),
                    Md(l("field")), Md(l("old")), Md(l("new"))},
                   rows);
  }
  return out;
}

std::string AuditHtmlEscape(std::string_view s) { return Html(s); }

}  // namespace trinet
