// `trinetctl audit` (docs/audit.md): the pure parts (period, counting, escaping) and the
// built binary end to end on a database made as in production: the audit fixture register
// applied twice with `inventory apply`, observations as trinetd stores them, the findings
// from `findings evaluate`, one acknowledged and one waived. Every number the report shows
// is checked against SQL on that database or `findings --json`.
#include "audit_report.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "findings/rule_context.h"
#include "sqlite.h"
#include "test_util.h"

namespace trinet {
namespace {

using nlohmann::json;
using testing::Quote;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;

const std::string kRegister = TRINET_FIXTURES "/audit/register.yaml";
const std::string kObservations = TRINET_FIXTURES "/audit/observations.sql";
const std::string kBridge = "network-bridge:device:gaj-int-sw1";
const std::string kRogueCzj = "rogue-exit:device:czj-int-sw1";
const std::string kRogueQd = "rogue-exit:device:qd-int-sw1";
const std::string kRogueWc = "rogue-exit:device:wc-int-sw1";
const std::string kHostileUnit = R"(<script>alert("x")</script> & 局)";

// 2026-11-29T12:00:00Z
constexpr std::int64_t kNow = 1795953600;

// ---- Pure functions.

TEST(AuditPeriod, DefaultsToTheTwelveMonthsUpToToday) {
  AuditParams p;
  p.now = kNow;
  EXPECT_EQ(ResolveAuditPeriod(std::nullopt, std::nullopt, p), std::nullopt);
  EXPECT_EQ(p.since, "2025-11-29");
  EXPECT_EQ(p.until, "2026-11-29");
  EXPECT_EQ(ResolveAuditPeriod(std::nullopt, "2028-02-29", p), std::nullopt);
  EXPECT_EQ(p.since, "2027-02-28") << "29 February falls back to the 28th";
  EXPECT_EQ(ResolveAuditPeriod("2026-01-01", std::nullopt, p), std::nullopt);
  EXPECT_EQ(p.since, "2026-01-01");
  EXPECT_EQ(p.until, "2026-11-29");
  EXPECT_EQ(ResolveAuditPeriod("2026-03-01", "2026-03-01", p), std::nullopt) << "one day";
}

TEST(AuditPeriod, BadDatesAreNamed) {
  AuditParams p;
  p.now = kNow;
  auto e = ResolveAuditPeriod("2026-02-30", std::nullopt, p);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("--since '2026-02-30' is not a date"), std::string::npos) << *e;
  e = ResolveAuditPeriod(std::nullopt, "yesterday", p);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("--until 'yesterday'"), std::string::npos) << *e;
  e = ResolveAuditPeriod("2026-05-01", "2026-04-30", p);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("is after --until"), std::string::npos) << *e;
}

Register SmallRegister() {
  Register reg;
  reg.platforms = {{"p", "P", "city", std::nullopt, std::nullopt}};
  reg.units = {{"u", "U|nit", "p", Admin{"管理员", "123", std::nullopt}},
               {"v", "V", "p", std::nullopt}};
  auto room = [](std::string id, std::string status, std::optional<std::string> by) {
    Room r;
    r.id = id;
    r.name = id;
    r.unit = "u";
    r.platform = "p";
    r.kind = "department";
    r.status = status;
    r.consolidate_by = by;
    if (status == "exempt") r.exemption = "law";
    return r;
  };
  reg.rooms = {room("today", "active", "2026-11-29"),      // deadline today: not yet overdue
               room("yesterday", "active", "2026-11-28"),  // overdue since today
               room("done", "consolidated", "2010-01-01"),
               room("gone", "decommissioned", std::nullopt), room("kept", "exempt", std::nullopt)};
  Room central = room("dc", "active", std::nullopt);
  central.kind = "central";
  central.consolidate_by.reset();
  central.unit.reset();
  reg.rooms.push_back(central);
  return reg;
}

TEST(AuditData, ProgressOverdueAndPercentAsTheMetrics) {
  AuditParams p;
  p.now = kNow;
  ASSERT_EQ(ResolveAuditPeriod(std::nullopt, std::nullopt, p), std::nullopt);
  const auto d = BuildAuditData(SmallRegister(), {}, {}, p);
  ASSERT_EQ(d.platforms.size(), 1u);
  const auto& c = d.platforms[0].rooms;
  EXPECT_EQ(c.by_status, (std::array<int, 5>{2, 0, 1, 1, 1}));
  EXPECT_EQ(c.central, 1);
  EXPECT_EQ(c.overdue, 1) << "from the day after the deadline, as trinet_rooms_overdue";
  ASSERT_TRUE(c.Percent());
  EXPECT_DOUBLE_EQ(*c.Percent(), 50.0) << "2 closed of 4 non-exempt department rooms";
  EXPECT_EQ(d.platforms[0].next_deadline, "2026-11-28");
  EXPECT_EQ(d.platforms[0].units, 2);
  EXPECT_EQ(d.platforms[0].units_without_admin, 1);
  // Unit rows: u (5 department rooms), v (none), then the central room that names no unit.
  ASSERT_EQ(d.units.size(), 3u);
  EXPECT_EQ(d.units[0].unit, "u");
  EXPECT_EQ(d.units[1].unit, "v");
  EXPECT_EQ(d.units[2].unit, "");
  EXPECT_EQ(d.units[2].rooms.central, 1);
  EXPECT_FALSE(d.units[1].rooms.Percent()) << "nothing to consolidate: no percentage";
  EXPECT_EQ(d.rooms.size(), 5u) << "department rooms only";

  const auto csv = RenderAuditCsv(d, {});
  EXPECT_NE(csv.find("progress,p,P,,,,,percent-consolidated,50.0,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("progress-unit,p,P,v,V,,,percent-consolidated,,"), std::string::npos) << csv;
  // Markdown: the cell separator in a name is escaped, so the table keeps its columns.
  const auto md = RenderAuditMarkdown(d, {"en"});
  EXPECT_NE(md.find("U\\|nit (u)"), std::string::npos) << md;
  EXPECT_NE(md.find("| 50.0 % |"), std::string::npos) << md;
}

TEST(AuditData, WaiversAndViolationsFromRecords) {
  AuditParams p;
  p.now = kNow;
  ASSERT_EQ(ResolveAuditPeriod(std::nullopt, std::nullopt, p), std::nullopt);
  auto record = [](std::string rule, std::string state, std::int64_t first_seen) {
    findings::FindingRecord r;
    r.finding.rule = rule;
    r.finding.reason = "public-route";
    r.finding.severity = "critical";
    r.finding.subject = {"device", rule + state, ""};
    r.finding.platform = "p";
    r.finding.room = "today";
    r.state = state;
    r.first_seen = first_seen;
    r.last_seen = first_seen;
    return r;
  };
  auto waived = record("rogue-exit", "waived", kNow - 100);
  waived.waived_by = "局长";
  waived.waived_until = "2026-11-28";  // its last day is over: expired, not active
  auto resolved = record("rogue-exit", "resolved", kNow - 400 * 86400);
  resolved.resolved_at = kNow - 86400;
  const auto d =
      BuildAuditData(SmallRegister(),
                     {record("rogue-exit", "open", kNow - 10),
                      record("network-bridge", "acknowledged", kNow - 20), waived, resolved},
                     {}, p);
  ASSERT_EQ(d.violations.size(), 3u) << "resolved ones are not listed";
  EXPECT_EQ(d.violations[0].record.finding.rule, "rogue-exit");
  EXPECT_EQ(d.violations[0].unit, "u") << "the room's unit answers";
  EXPECT_EQ(d.violations[0].admin->name, "管理员");
  EXPECT_EQ(d.totals.violations_first_seen_in_period, 3);
  EXPECT_EQ(d.totals.violations_resolved_in_period, 1);
  ASSERT_EQ(d.waivers.size(), 1u);
  EXPECT_TRUE(d.waivers[0].waiver_expired);
  EXPECT_EQ(d.totals.waivers_active, 0);
  EXPECT_EQ(d.evaluated_at, kNow - 10);
}

TEST(AuditLabels, BothLanguagesAndUnknownWordsAsThemselves) {
  EXPECT_EQ(AuditLabel("consolidated", "zh"), "已整合");
  EXPECT_EQ(AuditLabel("consolidated", "en"), "consolidated");
  EXPECT_EQ(AuditLabel("some-new-reason", "zh"), "some-new-reason");
}

// ---- The binary end to end.

// Pulls the numbers out of the HTML by their data attributes: `data-metric="M"` followed by
// exactly `attrs` (e.g. ` data-platform="city"`), then `>N<`.
std::optional<std::string> Metric(const std::string& html, const std::string& metric,
                                  const std::string& attrs) {
  const std::string head = "data-metric=\"" + metric + "\"" + attrs;
  const auto at = html.find(head);
  if (at == std::string::npos) return std::nullopt;
  const auto open = html.find('>', at + head.size());
  const auto close = html.find('<', open);
  return html.substr(open + 1, close - open - 1);
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// RFC 4180: fields, quoted with doubled quotes, records ended by CRLF.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

class AuditCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Ctl("inventory apply " + Quote(kRegister));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    {
      auto db = sql::Database::Open(db_path());
      db.Exec(ReadFile(kObservations));
    }
    r = Ctl("findings evaluate");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = Ctl("findings ack " + kBridge + " --by 王值班 --note 'unplugging the second NIC'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = Ctl("findings waive " + kRogueQd +
            " --by 局长 --reason '教育专网, 批准' --until 2099-12-31");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // A second apply: one unit's phone changes (city) and one room is renamed (qindu).
    std::string text = ReadFile(kRegister);
    text = testing::Replace(text, "+86 29 3321 0002", "+86 29 3321 0009");
    text = testing::Replace(text, "name: 秦都区教育局三号机房", "name: 秦都区教育局3号机房");
    testing::WriteFile(dir_ / "register-v2.yaml", text);
    r = Ctl("inventory apply " + Quote(dir_ / "register-v2.yaml"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  testing::CommandResult Ctl(const std::string& args) {
    return RunCommand(std::string(TRINETCTL) + " --db " + Quote(db_path()) + " " + args);
  }
  // Standard output only, for the report itself.
  std::string Report(const std::string& args) {
    const auto r = RunCommand("(" + std::string(TRINETCTL) + " --db " + Quote(db_path()) +
                              " audit " + args + " 2>/dev/null)");
    EXPECT_EQ(r.exit_code, 0) << args;
    return r.output;
  }
  std::filesystem::path db_path() const { return dir_.path() / "t.db"; }

  // (platform, metric) -> value computed with SQL from the register tables.
  std::map<std::pair<std::string, std::string>, std::string> ExpectedProgress() {
    std::map<std::pair<std::string, std::string>, std::string> out;
    auto db = sql::Database::Open(db_path());
    const std::string today = findings::FormatUtc(std::time(nullptr)).substr(0, 10);
    sql::Statement s(
        db,
        "SELECT p.id, "
        " (SELECT count(*) FROM rooms r WHERE r.platform = p.id AND kind = 'department' "
        "  AND status = 'active'), "
        " (SELECT count(*) FROM rooms r WHERE r.platform = p.id AND kind = 'department' "
        "  AND status = 'consolidating'), "
        " (SELECT count(*) FROM rooms r WHERE r.platform = p.id AND kind = 'department' "
        "  AND status = 'consolidated'), "
        " (SELECT count(*) FROM rooms r WHERE r.platform = p.id AND kind = 'department' "
        "  AND status = 'decommissioned'), "
        " (SELECT count(*) FROM rooms r WHERE r.platform = p.id AND kind = 'department' "
        "  AND status = 'exempt'), "
        " (SELECT count(*) FROM rooms r WHERE r.platform = p.id AND kind = 'central'), "
        " (SELECT count(*) FROM rooms r WHERE r.platform = p.id AND kind = 'department' "
        "  AND status IN ('active', 'consolidating') AND consolidate_by < ?1), "
        " (SELECT count(*) FROM units u WHERE u.platform = p.id AND admin_name IS NULL) "
        "FROM platforms p ORDER BY p.ord");
    s.Bind(1, today);
    while (s.Step()) {
      const std::string p = s.Text(0);
      const char* names[] = {"rooms-active",         "rooms-consolidating", "rooms-consolidated",
                             "rooms-decommissioned", "rooms-exempt",        "rooms-central",
                             "rooms-overdue",        "units-without-admin"};
      for (int i = 0; i < 8; ++i) out[{p, names[i]}] = std::to_string(s.Int(i + 1));
      const auto closed = s.Int(3) + s.Int(4);
      const auto counted = s.Int(1) + s.Int(2) + s.Int(3) + s.Int(4);
      char pct[32] = "";
      if (counted > 0) std::snprintf(pct, sizeof pct, "%.1f", 100.0 * closed / counted);
      out[{p, "percent"}] = pct;
    }
    return out;
  }

  json Findings(const std::string& args = "") {
    auto r = RunCommand("(" + std::string(TRINETCTL) + " --db " + Quote(db_path()) +
                        " findings --json " + args + " 2>/dev/null)");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return json::parse(r.output, nullptr, false);
  }

  TempDir dir_;
};

TEST_F(AuditCli, HtmlNumbersMatchTheDatabase) {
  const auto html = Report("--format html");
  const auto expected = ExpectedProgress();
  ASSERT_EQ(expected.size(), 4u * 9u) << "four platforms";
  for (const auto& [key, value] : expected) {
    const auto& [platform, metric] = key;
    const std::string attrs = " data-platform=\"" + platform + "\"";
    if (metric == "percent") {
      EXPECT_NE(html.find("data-metric=\"percent-consolidated\"" + attrs + " data-value=\"" +
                          value + "\""),
                std::string::npos)
          << platform << " " << value;
    } else {
      EXPECT_EQ(Metric(html, metric, attrs), value) << platform << " " << metric;
    }
  }
  // The fixture's own arithmetic, so that a wrong SQL above cannot hide a wrong report.
  EXPECT_EQ(expected.at({"city", "percent"}), "50.0");
  EXPECT_EQ(expected.at({"qindu", "percent"}), "33.3");
  EXPECT_EQ(expected.at({"sanyuan", "percent"}), "") << "exempt rooms only";
  EXPECT_EQ(expected.at({"weicheng", "rooms-overdue"}), "1");
  EXPECT_EQ(Metric(html, "rooms-overdue", " data-scope=\"total\""), "3");
  EXPECT_EQ(Metric(html, "rooms-department", " data-scope=\"total\""), "9");
  EXPECT_EQ(Metric(html, "units-without-admin", " data-scope=\"total\""), "1");

  // Rogue exits and bridges: exactly those `findings --json` lists, in their state.
  std::map<std::string, std::string> states;
  std::map<std::pair<std::string, std::string>, int> by_rule_state;
  for (const auto& f : Findings()) {
    if (f["rule"] != "rogue-exit" && f["rule"] != "network-bridge") continue;
    states[f["id"]] = f["state"];
    by_rule_state[{f["rule"], f["state"]}] += 1;
    const std::string article = "<article class=\"finding\" data-finding=\"" +
                                f["id"].get<std::string>() + "\" data-rule=\"" +
                                f["rule"].get<std::string>() + "\" data-state=\"" +
                                f["state"].get<std::string>() + "\"";
    EXPECT_NE(html.find(article), std::string::npos) << article;
    if (f["admin"]["name"].is_string()) {
      EXPECT_NE(html.find("data-admin=\"" + AuditHtmlEscape(f["admin"]["name"].get<std::string>()) +
                          "\""),
                std::string::npos)
          << f["admin"];
    }
  }
  EXPECT_EQ(states, (std::map<std::string, std::string>{{kRogueCzj, "open"},
                                                        {kRogueQd, "waived"},
                                                        {kRogueWc, "open"},
                                                        {kBridge, "acknowledged"}}));
  EXPECT_EQ(Count(html, "<article class=\"finding\""), states.size());
  for (const char* rule : {"rogue-exit", "network-bridge"}) {
    for (const char* state : {"open", "acknowledged", "waived"}) {
      const auto it = by_rule_state.find({rule, state});
      EXPECT_EQ(Metric(html, "findings",
                       std::string(" data-scope=\"total\" data-rule=\"") + rule +
                           "\" data-state=\"" + state + "\""),
                std::to_string(it == by_rule_state.end() ? 0 : it->second))
          << rule << " " << state;
    }
  }
  // Evidence and who answers for it: the route, the two plans' addresses, 李娜's phone.
  EXPECT_NE(html.find("0.0.0.0/0 via 198.51.100.1"), std::string::npos);
  EXPECT_NE(html.find("10.16.7.1"), std::string::npos);
  EXPECT_NE(html.find("data-admin=\"李娜\" data-phone=\"+86 29 3321 0001\""), std::string::npos);
  EXPECT_NE(html.find("王值班: unplugging the second NIC"), std::string::npos);

  // Orphan rooms by reason: as many as findings --json lists per reason.
  std::map<std::string, int> orphans;
  for (const auto& f : Findings("--rule orphan-room")) orphans[f["reason"]] += 1;
  ASSERT_GE(orphans["overdue"], 3) << "czj-room, qd-jyj-room, wc-room";
  ASSERT_GE(orphans["ownerless"], 1) << "sy-dc";
  for (const auto& [reason, n] : orphans) {
    EXPECT_EQ(Metric(html, "orphan-rooms", " data-scope=\"total\" data-reason=\"" + reason + "\""),
              std::to_string(n))
        << reason;
  }

  // The waiver, with who granted it, until when and why.
  EXPECT_NE(html.find("data-waiver=\"" + kRogueQd +
                      "\" data-until=\"2099-12-31\" "
                      "data-expired=\"0\""),
            std::string::npos);
  EXPECT_NE(html.find("教育专网, 批准"), std::string::npos);
  EXPECT_EQ(Metric(html, "waivers-active", " data-scope=\"total\""), "1");

  // Register changes: both applies are in the default period.
  EXPECT_EQ(Count(html, "<tr data-apply="), 2u);
  EXPECT_NE(html.find("+86 29 3321 0009"), std::string::npos);
  auto db = sql::Database::Open(db_path());
  sql::Statement changes(db, "SELECT count(*) FROM register_history");
  ASSERT_TRUE(changes.Step());
  EXPECT_EQ(Metric(html, "register-changes", " data-scope=\"total\""),
            std::to_string(changes.Int(0)));
  EXPECT_EQ(Count(html, "<tr data-change "), static_cast<size_t>(changes.Int(0)));
}

TEST_F(AuditCli, HtmlIsSelfContainedEscapedAndPrintable) {
  const auto html = Report("--format html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"zh-CN\">", 0), 0u) << html.substr(0, 80);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* fetch : {"http://", "https://", "src=", "@import", "url(", "<link", "<script",
                            "<img", "<iframe", "<object", "<embed"}) {
    EXPECT_EQ(lower.find(fetch), std::string::npos) << fetch;
  }
  // The hostile names come out as text.
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 局"),
            std::string::npos);
  EXPECT_NE(html.find("渭城区&lt;b&gt;&quot;平台&quot;&lt;/b&gt; &amp; &#39;x&#39;"),
            std::string::npos);
  EXPECT_NE(html.find("机房 &lt;img onerror=alert(1)&gt; &amp; &quot;A&quot;"), std::string::npos);
  EXPECT_NE(html.find("O&#39;Brien &lt;admin&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  // Print: A4 pages, sections on new pages, rows not cut.
  EXPECT_NE(html.find("@page{size:A4"), std::string::npos);
  EXPECT_NE(html.find("break-before:page"), std::string::npos);
  EXPECT_NE(html.find("tr{break-inside:avoid"), std::string::npos);
  // Charts: inline SVG, a bar per platform.
  EXPECT_NE(html.find("<figure id=\"chart-status\">"), std::string::npos);
  EXPECT_NE(html.find("<figure id=\"chart-progress\">"), std::string::npos);
  EXPECT_EQ(Count(html, "<g data-platform="), 8u) << "4 platforms × 2 charts";
}

TEST_F(AuditCli, Languages) {
  const auto zh = Report("--format html --lang zh");
  const auto en = Report("--format html --lang en");
  EXPECT_NE(zh.find("<html lang=\"zh-CN\">"), std::string::npos);
  EXPECT_NE(zh.find("各平台整合进度"), std::string::npos);
  EXPECT_NE(zh.find("整合中"), std::string::npos);
  EXPECT_EQ(zh.find("Consolidation progress by platform"), std::string::npos);
  EXPECT_NE(en.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(en.find("Consolidation progress by platform"), std::string::npos);
  EXPECT_EQ(en.find("各平台整合进度"), std::string::npos);
  EXPECT_EQ(Report("--format html").substr(0, 200), zh.substr(0, 200)) << "zh is the default";
  const auto md = Report("--format md --lang en");
  EXPECT_NE(md.find("## Consolidation progress by platform"), std::string::npos);
  EXPECT_NE(Report("--format md").find("## 各平台整合进度"), std::string::npos);
}

TEST_F(AuditCli, CsvIsOneLongTableForSpreadsheets) {
  const auto csv = Report("--format csv");
  ASSERT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u) << "UTF-8 BOM";
  for (size_t i = 0; i < csv.size(); ++i) {
    if (csv[i] == '\n') {
      ASSERT_TRUE(i > 0 && csv[i - 1] == '\r') << "bare LF at byte " << i;
    }
  }
  const auto rows = ParseCsv(csv.substr(3));
  ASSERT_GT(rows.size(), 50u);
  const auto& header = rows[0];
  EXPECT_EQ(header[0], "section");
  for (const auto& r : rows) ASSERT_EQ(r.size(), header.size()) << r[0];
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  // The hostile name round-trips through RFC 4180 quoting.
  EXPECT_NE(csv.find(R"("<script>alert(""x"")</script> & 局")"), std::string::npos);
  std::set<std::string> sections;
  std::map<std::pair<std::string, std::string>, std::string> progress;
  std::set<std::string> findings_listed;
  bool hostile = false;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    sections.insert(r[0]);
    if (r[0] == "progress") progress[{r[col("platform")], r[col("metric")]}] = r[col("value")];
    if (r[0] == "finding") findings_listed.insert(r[col("finding")]);
    hostile = hostile || r[col("unit_name")] == kHostileUnit;
  }
  EXPECT_TRUE(hostile);
  EXPECT_EQ(sections, (std::set<std::string>{"report", "total", "progress", "progress-unit", "room",
                                             "finding", "evidence", "orphan", "waiver", "change"}));
  for (const auto& [key, value] : ExpectedProgress()) {
    const std::string metric = key.second == "percent" ? "percent-consolidated" : key.second;
    EXPECT_EQ((progress[{key.first, metric}]), value) << key.first << " " << metric;
  }
  EXPECT_EQ(findings_listed, (std::set<std::string>{kRogueCzj, kRogueQd, kRogueWc, kBridge}));
}

TEST_F(AuditCli, MarkdownTables) {
  const auto md = Report("--format md --lang en");
  EXPECT_EQ(md.rfind("# Consolidation audit report\n", 0), 0u);
  EXPECT_NE(md.find("| Overdue | 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("### " + std::string("rogue-exit:device:czj-int-sw1")), std::string::npos);
  // Every table row has as many cells as its header: nothing in a name splits a row.
  std::istringstream lines(md);
  std::string line;
  size_t cells = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("|", 0) != 0) {
      cells = 0;
      continue;
    }
    std::string unescaped;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
        continue;
      }
      unescaped += line[i];
    }
    const size_t n = Count(unescaped, "|");
    if (cells == 0) cells = n;
    EXPECT_EQ(n, cells) << line;
  }
  EXPECT_NE(md.find("\\<script\\>alert(\"x\")\\</script\\> \\& 局"), std::string::npos);
}

TEST_F(AuditCli, PlatformFilter) {
  const auto html = Report("--format html --platform city");
  std::set<std::string> platforms;
  const std::regex attr("data-platform=\"([^\"]*)\"");
  for (std::sregex_iterator it(html.begin(), html.end(), attr), end; it != end; ++it) {
    platforms.insert((*it)[1]);
  }
  EXPECT_EQ(platforms, (std::set<std::string>{"city"}));
  EXPECT_NE(html.find("data-finding=\"" + kRogueCzj + "\""), std::string::npos);
  EXPECT_EQ(html.find("data-finding=\"" + kRogueQd + "\""), std::string::npos) << "qindu";
  EXPECT_EQ(Metric(html, "rooms-department", " data-scope=\"total\""), "4");
  // Changes: the city unit's phone, not the qindu room's name, nor networks or credentials.
  EXPECT_NE(html.find("+86 29 3321 0009"), std::string::npos);
  EXPECT_EQ(html.find("秦都区教育局3号机房"), std::string::npos);
  EXPECT_EQ(html.find("data-entity=\"network\""), std::string::npos);
  EXPECT_EQ(html.find("data-entity=\"credential\""), std::string::npos);
  EXPECT_NE(html.find("data-entity=\"device\" data-id=\"czj-int-sw1\""), std::string::npos);

  auto typo = Ctl("audit --format md --platform citi");
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.output.find("no platform 'citi' in the register; did you mean 'city'?"),
            std::string::npos)
      << typo.output;
}

TEST_F(AuditCli, PeriodSelectsTheChanges) {
  const auto none = Report("--format csv --since 2099-01-01 --until 2099-12-31");
  EXPECT_EQ(none.find("\r\nchange,"), std::string::npos);
  EXPECT_NE(none.find("report,,,,,,,period-since,2099-01-01,"), std::string::npos);
  const auto all = Report("--format csv");
  EXPECT_NE(all.find("\r\nchange,"), std::string::npos);
}

TEST_F(AuditCli, BadFlagsAndDates) {
  auto r = Ctl("audit");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--format"), std::string::npos) << r.output;
  r = Ctl("audit --format pdf");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Ctl("audit --format html --lang fr");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Ctl("audit --format html --since 2026-02-30");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--since '2026-02-30' is not a date: expected YYYY-MM-DD"),
            std::string::npos)
      << r.output;
  r = Ctl("audit --format html --until 31.12.2026");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--until '31.12.2026' is not a date"), std::string::npos) << r.output;
  r = Ctl("audit --format html --since 2026-06-01 --until 2026-05-01");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("is after --until"), std::string::npos) << r.output;
  // An audit of a database that is not there creates nothing.
  const auto missing = dir_ / "missing.db";
  r = RunCommand(std::string(TRINETCTL) + " --db " + Quote(missing) + " audit --format md");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no database at"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(AuditCli, OutIsWrittenWholeOrNotAtAll) {
  const auto out_dir = dir_ / "out";
  std::filesystem::create_directories(out_dir);
  const auto out = out_dir / "audit.html";
  auto r = Ctl("audit --format html --out " + Quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote"), std::string::npos);
  const auto html = ReadFile(out);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");

  // Errors after --out was given: the previous report stays as it was, and no temporary
  // file is left beside it.
  testing::WriteFile(out, "previous report");
  for (const std::string args : {"--since 2026-13-01", "--platform nowhere", "--lang fr"}) {
    r = Ctl("audit --format html --out " + Quote(out) + " " + args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(ReadFile(out), "previous report") << args;
  }
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(out_dir)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "audit.html");
  }
  EXPECT_EQ(files, 1u);
  // A folder that does not exist: a runtime failure, nothing created.
  r = Ctl("audit --format csv --out " + Quote(dir_ / "no-such-dir" / "a.csv"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("cannot create"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "no-such-dir"));
  // --out naming a folder.
  r = Ctl("audit --format csv --out " + Quote(out_dir));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // A report replaced in place is complete: CSV over the HTML.
  r = Ctl("audit --format csv --out " + Quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadFile(out).rfind("\xEF\xBB\xBFsection,", 0), 0u);
}

}  // namespace
}  // namespace trinet
