#include "findings_report.h"

#include <algorithm>
#include <sstream>

#include "findings/rule_context.h"
#include "text.h"

namespace trinet {
namespace {

using json = nlohmann::ordered_json;
using text::Align;

int SeverityRank(const std::string& s) {
  if (s == findings::kCritical) return 0;
  if (s == findings::kMajor) return 1;
  return 2;
}

int StateRank(const std::string& s) {
  if (s == findings::kOpen) return 0;
  if (s == findings::kAcknowledged) return 1;
  if (s == findings::kWaived) return 2;
  return 3;
}

template <typename T>
const T* ById(const std::vector<T>& v, const std::string& id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& x) { return x.id == id; });
  return it == v.end() ? nullptr : &*it;
}

// The unit answerable for a finding: its own, else its room's.
const Unit* UnitOf(const findings::Finding& f, const Register& reg) {
  if (!f.unit.empty()) return ById(reg.units, f.unit);
  if (const Room* room = ById(reg.rooms, f.room); room && room->unit) {
    return ById(reg.units, *room->unit);
  }
  return nullptr;
}

json OptJson(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json Time(std::int64_t t) { return findings::FormatUtc(t); }

std::string NameOf(const std::string& id, const std::string& name) {
  return name.empty() || name == id ? id : name + " (" + id + ")";
}

std::string Where(const findings::Finding& f, const Register& reg) {
  std::string where;
  if (const Platform* p = ById(reg.platforms, f.platform)) {
    where = p->name;
  } else {
    where = f.platform;
  }
  if (const Room* r = ById(reg.rooms, f.room)) {
    where += (where.empty() ? "" : " / ") + r->name;
  } else if (!f.room.empty()) {
    where += (where.empty() ? "" : " / ") + f.room;
  }
  if (!f.network.empty()) where += (where.empty() ? "[" : " [") + f.network + "]";
  return where.empty() ? "-" : where;
}

std::string Who(const findings::Finding& f, const Register& reg) {
  const Unit* u = UnitOf(f, reg);
  if (!u) return "no unit";
  if (!u->admin) return u->name + ": no administrator";
  std::string who = u->admin->name;
  if (u->admin->phone) who += " " + *u->admin->phone;
  return who;
}

}  // namespace

bool Matches(const findings::FindingRecord& r, const FindingsFilter& filter) {
  if (filter.state.empty()) {
    if (r.state == findings::kResolved) return false;
  } else if (filter.state != "all" && r.state != filter.state) {
    return false;
  }
  if (filter.rule && r.finding.rule != *filter.rule) return false;
  if (filter.network && r.finding.network != *filter.network) return false;
  if (filter.platform && r.finding.platform != *filter.platform) return false;
  return true;
}

void SortForDesk(std::vector<findings::FindingRecord>& records) {
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    auto key = [](const findings::FindingRecord& r) {
      return std::make_tuple(SeverityRank(r.finding.severity), StateRank(r.state), -r.first_seen,
                             r.finding.Id());
    };
    return key(a) < key(b);
  });
}

json FindingJson(const findings::FindingRecord& r, const Register& reg) {
  const auto& f = r.finding;
  json j;
  j["id"] = f.Id();
  j["rule"] = f.rule;
  j["reason"] = f.reason;
  j["severity"] = f.severity;
  j["state"] = r.state;
  j["summary"] = f.summary;
  j["subject"] = {{"type", f.subject.type}, {"id", f.subject.id}, {"name", f.subject.name}};
  auto id_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  j["network"] = id_or_null(f.network);
  j["platform"] = id_or_null(f.platform);
  j["room"] = id_or_null(f.room);
  j["unit"] = id_or_null(f.unit);
  const Platform* p = ById(reg.platforms, f.platform);
  const Room* room = ById(reg.rooms, f.room);
  const Unit* unit = UnitOf(f, reg);
  j["platform_name"] = p ? json(p->name) : json(nullptr);
  j["room_name"] = room ? json(room->name) : json(nullptr);
  j["unit_name"] = unit ? json(unit->name) : json(nullptr);
  if (unit && unit->admin) {
    j["admin"] = {{"name", unit->admin->name},
                  {"phone", OptJson(unit->admin->phone)},
                  {"email", OptJson(unit->admin->email)}};
  } else {
    j["admin"] = {{"name", nullptr}, {"phone", nullptr}, {"email", nullptr}};
  }
  j["first_seen"] = Time(r.first_seen);
  j["last_seen"] = Time(r.last_seen);
  j["resolved_at"] = r.resolved_at ? Time(*r.resolved_at) : json(nullptr);
  j["policy"] = f.policy;
  j["acknowledged"] = r.ack_by ? json{{"by", *r.ack_by},
                                      {"note", OptJson(r.ack_note)},
                                      {"at", r.ack_at ? Time(*r.ack_at) : json(nullptr)}}
                               : json(nullptr);
  j["waiver"] = r.waived_by ? json{{"by", *r.waived_by},
                                   {"reason", OptJson(r.waive_reason)},
                                   {"until", OptJson(r.waived_until)},
                                   {"at", r.waived_at ? Time(*r.waived_at) : json(nullptr)}}
                            : json(nullptr);
  j["evidence"] = json::array();
  for (const auto& e : f.evidence) {
    j["evidence"].push_back({{"source", e.source},
                             {"device", e.device.empty() ? json(nullptr) : json(e.device)},
                             {"table", e.table},
                             {"key", e.key},
                             {"value", e.value},
                             {"observed_at", Time(e.observed_at)}});
  }
  return j;
}

std::string RenderFindingsTable(const std::vector<findings::FindingRecord>& records,
                                const Register& reg) {
  if (records.empty()) return "No findings.\n";
  std::vector<std::vector<std::string>> rows = {
      {"SEVERITY", "STATE", "RULE", "WHERE", "WHO", "SINCE", "ID"}};
  std::ostringstream out;
  for (const auto& r : records) {
    const auto& f = r.finding;
    const std::string rule = f.rule + (f.rule == "orphan-room" ? "/" + f.reason : "");
    rows.push_back({f.severity, r.state, rule, Where(f, reg), Who(f, reg),
                    findings::FormatUtc(r.first_seen).substr(0, 16), f.Id()});
  }
  const std::string table = Align(rows);
  // Each row is followed by the finding's sentence, indented: what broke and where, to be
  // read at a glance without a second command.
  std::istringstream lines(table);
  std::string line;
  std::getline(lines, line);
  out << line << "\n";
  for (const auto& r : records) {
    if (!std::getline(lines, line)) break;
    out << line << "\n    " << r.finding.summary << "\n";
  }
  size_t critical = 0;
  for (const auto& r : records) critical += r.finding.severity == findings::kCritical;
  out << records.size() << (records.size() == 1 ? " finding" : " findings") << ", " << critical
      << " critical. Details: trinetctl findings show ID\n";
  return out.str();
}

std::string RenderFindingDetail(const findings::FindingRecord& r, const Register& reg,
                                const std::vector<findings::HistoryEvent>& history) {
  const auto& f = r.finding;
  std::ostringstream out;
  out << f.Id() << "\n  " << f.summary << "\n\n";
  std::vector<std::vector<std::string>> rows = {
      {"rule", f.rule + (f.reason.empty() ? "" : " (" + f.reason + ")")},
      {"severity", f.severity},
      {"state", r.state},
      {"subject", f.subject.type + " " + NameOf(f.subject.id, f.subject.name)},
      {"where", Where(f, reg)},
      {"responsible", Who(f, reg)},
      {"policy", f.policy},
      {"first seen", findings::FormatUtc(r.first_seen)},
      {"last seen", findings::FormatUtc(r.last_seen)},
  };
  if (const Unit* u = UnitOf(f, reg); u && u->admin && u->admin->email) {
    rows.push_back({"email", *u->admin->email});
  }
  if (r.resolved_at) rows.push_back({"resolved", findings::FormatUtc(*r.resolved_at)});
  if (r.ack_by) {
    rows.push_back({"acknowledged", *r.ack_by + ": " + r.ack_note.value_or("")});
  }
  if (r.waived_by) {
    rows.push_back({"waiver", *r.waived_by + " until " + r.waived_until.value_or("?") + ": " +
                                  r.waive_reason.value_or("")});
  }
  out << Align(rows, "  ") << "\nEvidence:\n";
  std::vector<std::vector<std::string>> ev = {
      {"SOURCE", "DEVICE", "TABLE", "ROW", "OBSERVED", "WHAT"}};
  for (const auto& e : f.evidence) {
    ev.push_back({e.source, e.device.empty() ? "-" : e.device, e.table, e.key,
                  findings::FormatUtc(e.observed_at), e.value});
  }
  out << Align(ev, "  ");
  out << "\nHistory:\n";
  std::vector<std::vector<std::string>> hist = {{"WHEN", "EVENT", "BY", "NOTE"}};
  for (const auto& h : history) {
    hist.push_back({findings::FormatUtc(h.at), h.event, h.by, h.note});
  }
  out << Align(hist, "  ");
  return out.str();
}

}  // namespace trinet
