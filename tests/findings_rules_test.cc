// Runs every fixture in tests/fixtures/findings/<rule>/: the rule named by the fixture,
// on its register and observations, must give exactly the findings it expects: every
// violation found, no near-miss reported.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "findings/rules.h"
#include "findings_fixture.h"

namespace trinet {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> FixtureFiles() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(TRINET_FIXTURES) / "findings")) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Describe(const findings::Finding& f) {
  std::string s = f.Id() + " [" + f.severity + "] " + f.summary;
  for (const auto& e : f.evidence) {
    s += "\n    " + e.source + " " + e.device + " " + e.table + " " + e.key + ": " + e.value;
  }
  return s;
}

class RuleFixtureTest : public ::testing::TestWithParam<fs::path> {};

TEST_P(RuleFixtureTest, FindsExactlyWhatIsExpected) {
  const auto fx = testing::LoadRuleFixture(GetParam());
  const auto* rule = findings::FindRule(fx.rule);
  ASSERT_NE(rule, nullptr) << "unknown rule " << fx.rule;
  findings::RuleContext ctx(fx.reg, fx.obs, fx.now, fx.options);
  auto found = rule->evaluate(ctx);

  std::string all;
  for (const auto& f : found) all += "\n  " + Describe(f);
  SCOPED_TRACE(fx.description + "\nfound:" + (found.empty() ? " nothing" : all));

  std::set<std::string> expected_ids;
  for (const auto& e : fx.expect) expected_ids.insert(e.at("id").get<std::string>());
  std::multiset<std::string> found_ids;
  for (const auto& f : found) found_ids.insert(f.Id());
  EXPECT_EQ(std::set<std::string>(found_ids.begin(), found_ids.end()), expected_ids);
  EXPECT_EQ(found_ids.size(), expected_ids.size()) << "one finding per id";

  for (const auto& e : fx.expect) {
    const std::string id = e.at("id").get<std::string>();
    auto it = std::find_if(found.begin(), found.end(),
                           [&](const findings::Finding& f) { return f.Id() == id; });
    if (it == found.end()) continue;
    EXPECT_FALSE(it->summary.empty()) << id;
    EXPECT_FALSE(it->evidence.empty()) << id << ": a finding needs evidence";
    for (const auto& ev : it->evidence) {
      EXPECT_FALSE(ev.source.empty() || ev.table.empty() || ev.value.empty())
          << id << ": evidence needs source, table and value";
      EXPECT_GT(ev.observed_at, 0) << id;
    }
    if (e.contains("severity")) {
      EXPECT_EQ(it->severity, e["severity"].get<std::string>()) << id;
    }
    if (e.contains("reason")) {
      EXPECT_EQ(it->reason, e["reason"].get<std::string>()) << id;
    }
    if (e.contains("evidence")) {
      EXPECT_EQ(it->evidence.size(), e["evidence"].get<size_t>()) << id;
    }
    if (e.contains("evidence_tables")) {
      std::set<std::string> tables;
      for (const auto& ev : it->evidence) tables.insert(ev.table);
      EXPECT_EQ(tables, e["evidence_tables"].get<std::set<std::string>>()) << id;
    }
    for (const char* field : {"network", "platform", "room", "unit"}) {
      if (!e.contains(field)) continue;
      const std::string want = e[field].get<std::string>();
      const std::string got = field == std::string("network")    ? it->network
                              : field == std::string("platform") ? it->platform
                              : field == std::string("room")     ? it->room
                                                                 : it->unit;
      EXPECT_EQ(got, want) << id << " " << field;
    }
  }
}

std::string FixtureName(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name =
      info.param.parent_path().filename().string() + "_" + info.param.stem().string();
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RuleFixtureTest, ::testing::ValuesIn(FixtureFiles()),
                         FixtureName);

TEST(RuleTable, EveryRuleHasFixturesForViolationAndNearMiss) {
  for (const auto& rule : findings::Rules()) {
    bool violation = false, near_miss = false;
    for (const auto& file : FixtureFiles()) {
      const auto fx = testing::LoadRuleFixture(file);
      if (fx.rule != rule.name) continue;
      (fx.expect.empty() ? near_miss : violation) = true;
    }
    EXPECT_TRUE(violation) << rule.name << " has no violation fixture";
    EXPECT_TRUE(near_miss) << rule.name << " has no near-miss fixture";
  }
}

}  // namespace
}  // namespace trinet
