// The findings lifecycle, pure (Reconcile, Acknowledge, Waive) and through the store
// (LoadObservations' current facts).
#include <gtest/gtest.h>

#include <map>

#include "core/findings_eval.h"
#include "finding_store.h"
#include "findings/lifecycle.h"
#include "findings/rule_context.h"
#include "observation_store.h"
#include "register/register_yaml.h"
#include "test_util.h"

namespace trinet {
namespace {

using findings::Finding;
using findings::FindingRecord;
using findings::Reconcile;

const std::vector<std::string> kAllRules = {"rogue-exit", "egress-down"};
constexpr std::int64_t kDay = 86400;
const std::int64_t kT0 = *findings::DateToUnix("2026-11-01");

Finding Rogue(const std::string& device) {
  Finding f;
  f.rule = "rogue-exit";
  f.reason = "public-route";
  f.severity = findings::kCritical;
  f.subject = {"device", device, device};
  f.summary = device + " routes to the Internet";
  f.evidence = {{"snmp", device, "ipCidrRouteTable", "0.0.0.0/0 via 198.51.100.1", "default", kT0}};
  return f;
}

// Stores what Reconcile changed, as the store does, and returns the events' names.
std::vector<std::string> Step(std::map<std::string, FindingRecord>& store,
                              const std::vector<Finding>& evaluated, std::int64_t now,
                              const std::vector<std::string>& rules = kAllRules) {
  std::vector<FindingRecord> stored;
  for (const auto& [id, r] : store) stored.push_back(r);
  auto result = Reconcile(stored, evaluated, now, rules);
  for (auto& r : result.changed) store[r.finding.Id()] = r;
  for (const auto& id : result.seen) store[id].last_seen = now;
  std::vector<std::string> events;
  for (const auto& e : result.events) events.push_back(e.finding + " " + e.event);
  return events;
}

TEST(FindingsLifecycle, OpenUpdateResolveReopenKeepsIdAndFirstSeen) {
  std::map<std::string, FindingRecord> store;
  const std::string id = "rogue-exit:device:sw1";
  EXPECT_EQ(Step(store, {Rogue("sw1")}, kT0), std::vector<std::string>{id + " opened"});
  EXPECT_EQ(store[id].state, findings::kOpen);
  EXPECT_EQ(store[id].first_seen, kT0);

  EXPECT_TRUE(Step(store, {Rogue("sw1")}, kT0 + 60).empty());
  EXPECT_EQ(store[id].last_seen, kT0 + 60);

  EXPECT_EQ(Step(store, {}, kT0 + 120), std::vector<std::string>{id + " resolved"});
  EXPECT_EQ(store[id].state, findings::kResolved);
  EXPECT_EQ(store[id].resolved_at, kT0 + 120);
  EXPECT_TRUE(Step(store, {}, kT0 + 180).empty()) << "resolved once, not again";

  EXPECT_EQ(Step(store, {Rogue("sw1")}, kT0 + 240), std::vector<std::string>{id + " reopened"});
  EXPECT_EQ(store[id].state, findings::kOpen);
  EXPECT_EQ(store[id].first_seen, kT0);
  EXPECT_FALSE(store[id].resolved_at);
}

TEST(FindingsLifecycle, OnlyTheEvaluatedRulesResolve) {
  std::map<std::string, FindingRecord> store;
  Step(store, {Rogue("sw1")}, kT0);
  EXPECT_TRUE(Step(store, {}, kT0 + 60, {"egress-down"}).empty());
  EXPECT_EQ(store["rogue-exit:device:sw1"].state, findings::kOpen);
}

TEST(FindingsLifecycle, AcknowledgementLastsUntilResolvedThenClears) {
  std::map<std::string, FindingRecord> store;
  Step(store, {Rogue("sw1")}, kT0);
  auto& r = store["rogue-exit:device:sw1"];
  std::vector<findings::HistoryEvent> events;
  EXPECT_FALSE(findings::Acknowledge(r, "王值班", "calling the unit", kT0 + 10, events));
  EXPECT_EQ(r.state, findings::kAcknowledged);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].by, "王值班");
  Step(store, {Rogue("sw1")}, kT0 + 60);
  EXPECT_EQ(store["rogue-exit:device:sw1"].state, findings::kAcknowledged);
  Step(store, {}, kT0 + 120);
  Step(store, {Rogue("sw1")}, kT0 + 180);
  EXPECT_EQ(store["rogue-exit:device:sw1"].state, findings::kOpen);
  EXPECT_FALSE(store["rogue-exit:device:sw1"].ack_by);
  auto resolved = store["rogue-exit:device:sw1"];
  resolved.state = findings::kResolved;
  EXPECT_TRUE(findings::Acknowledge(resolved, "x", "y", kT0, events));
}

TEST(FindingsLifecycle, WaiverHoldsUntilItsLastDayThenReopens) {
  std::map<std::string, FindingRecord> store;
  Step(store, {Rogue("sw1")}, kT0);
  auto& r = store["rogue-exit:device:sw1"];
  std::vector<findings::HistoryEvent> events;
  EXPECT_TRUE(findings::Waive(r, "局长", "law", "2026-10-31", kT0, events)) << "already past";
  EXPECT_TRUE(findings::Waive(r, "局长", "law", "tomorrow", kT0, events)) << "not a date";
  EXPECT_EQ(r.state, findings::kOpen);
  EXPECT_FALSE(findings::Waive(r, "局长", "公安法规要求", "2026-11-03", kT0, events));
  EXPECT_EQ(r.state, findings::kWaived);

  EXPECT_TRUE(Step(store, {Rogue("sw1")}, kT0 + 2 * kDay + 86399).empty()) << "last day";
  EXPECT_EQ(store["rogue-exit:device:sw1"].state, findings::kWaived);
  EXPECT_EQ(Step(store, {Rogue("sw1")}, kT0 + 3 * kDay),
            std::vector<std::string>{"rogue-exit:device:sw1 waiver-expired"});
  EXPECT_EQ(store["rogue-exit:device:sw1"].state, findings::kOpen);
}

TEST(FindingsLifecycle, AValidWaiverSurvivesResolveAndReopen) {
  std::map<std::string, FindingRecord> store;
  Step(store, {Rogue("sw1")}, kT0);
  std::vector<findings::HistoryEvent> events;
  ASSERT_FALSE(
      findings::Waive(store["rogue-exit:device:sw1"], "局长", "law", "2026-12-31", kT0, events));
  Step(store, {}, kT0 + 60);
  EXPECT_EQ(store["rogue-exit:device:sw1"].state, findings::kResolved);
  Step(store, {Rogue("sw1")}, kT0 + 120);
  EXPECT_EQ(store["rogue-exit:device:sw1"].state, findings::kWaived);
}

TEST(FindingsLifecycle, AWaiverThatRanOutWhileResolvedIsOnRecordWhenItReopens) {
  std::map<std::string, FindingRecord> store;
  Step(store, {Rogue("sw1")}, kT0);
  std::vector<findings::HistoryEvent> events;
  ASSERT_FALSE(
      findings::Waive(store["rogue-exit:device:sw1"], "局长", "law", "2026-11-02", kT0, events));
  Step(store, {}, kT0 + 60);
  EXPECT_EQ(Step(store, {Rogue("sw1")}, kT0 + 5 * kDay),
            (std::vector<std::string>{"rogue-exit:device:sw1 waiver-expired",
                                      "rogue-exit:device:sw1 reopened"}));
  EXPECT_EQ(store["rogue-exit:device:sw1"].state, findings::kOpen);
}

TEST(FindingsLifecycle, OnlyLastSeenMovesForAnUnchangedFinding) {
  std::map<std::string, FindingRecord> store;
  Step(store, {Rogue("sw1")}, kT0);
  auto result = Reconcile({store["rogue-exit:device:sw1"]}, {Rogue("sw1")}, kT0 + 60, kAllRules);
  EXPECT_TRUE(result.changed.empty());
  EXPECT_EQ(result.seen, std::vector<std::string>{"rogue-exit:device:sw1"});
  Finding more = Rogue("sw1");
  more.evidence.push_back({"snmp", "sw1", "ipAddressTable", "192.0.2.9/30", "public", kT0});
  result = Reconcile({store["rogue-exit:device:sw1"]}, {more}, kT0 + 60, kAllRules);
  ASSERT_EQ(result.changed.size(), 1u) << "new evidence is written";
  EXPECT_EQ(result.changed[0].finding.evidence.size(), 2u);
}

TEST(FindingsLifecycle, DatesMustBeDaysOfTheCalendar) {
  EXPECT_EQ(findings::DateToUnix("2026-11-01"), kT0);
  EXPECT_TRUE(findings::DateToUnix("2024-02-29"));
  for (const char* bad : {"2026-02-29", "2026-02-30", "2099-13-45", "2026-00-10", "2026-04-31",
                          "2026-1-01", "2026/11/01", ""}) {
    EXPECT_FALSE(findings::DateToUnix(bad)) << bad;
  }
}

// ---- the store ----------------------------------------------------------------------------

DeviceObservation Discovery(std::int64_t at, std::vector<FactRow> facts, const std::string& end,
                            const std::string& device = "sw1") {
  DeviceObservation o;
  o.device = device;
  o.observed_at = at;
  o.up = true;
  o.discovery = true;
  o.system = SystemRow{};
  o.facts = std::move(facts);
  o.walks = {{"inetCidrRouteTable", end, 1}, {"ipCidrRouteTable", "complete", 0}};
  return o;
}

const FactRow kDefault{"route", "0.0.0.0/0 via 198.51.100.1",
                       R"({"destination":"0.0.0.0","prefix_length":0,"next_hop":"198.51.100.1"})"};
const FactRow kStatic{"route", "10.0.0.0/8 via 10.32.0.1",
                      R"({"destination":"10.0.0.0","prefix_length":8,"next_hop":"10.32.0.1"})"};

std::vector<std::string> CurrentRouteKeys(sql::Database& db) {
  std::vector<std::string> keys;
  for (const auto& f : LoadObservations(db).facts) {
    if (f.kind == "route") keys.push_back(f.key);
  }
  return keys;
}

TEST(FindingStore, AFactIsGoneOnlyAfterACompleteWalkDidNotSeeIt) {
  testing::TempDir dir;
  auto db = sql::Database::Open(dir.path() / "t.db");
  WriteObservations(db, {Discovery(kT0, {kDefault, kStatic}, "complete")});
  EXPECT_EQ(CurrentRouteKeys(db), (std::vector<std::string>{kDefault.key, kStatic.key}));

  // A timed-out walk that read only part of the table says nothing about the rest.
  WriteObservations(db, {Discovery(kT0 + 900, {kStatic}, "timeout")});
  EXPECT_EQ(CurrentRouteKeys(db), (std::vector<std::string>{kDefault.key, kStatic.key}));

  WriteObservations(db, {Discovery(kT0 + 1800, {kStatic}, "complete")});
  EXPECT_EQ(CurrentRouteKeys(db), std::vector<std::string>{kStatic.key});
  // Still stored, with its last sighting, for the audit.
  EXPECT_EQ(LoadFacts(db, std::string("route")).size(), 2u);
}

// trinetd keeps the discovery facts between evaluations (a poll cycle writes none) and reads
// them again after a discovery or when the register changed.
TEST(FindingStore, TheEvaluatorRereadsFactsOnlyAfterADiscoveryOrANewRegister) {
  testing::TempDir dir;
  auto db = sql::Database::Open(dir.path() / "t.db");
  auto load = LoadRegisterFile(std::string(TRINET_FIXTURES) + "/register/inventory.yaml");
  ASSERT_TRUE(load.reg);
  auto reg = std::make_shared<const Register>(*load.reg);
  SnapshotHolder snapshots;
  FindingsEvaluator evaluate(snapshots, {});
  const std::string rogue = "rogue-exit:device:czj-int-sw1";
  auto state = [&snapshots, &rogue]() -> std::string {
    for (const auto& f : snapshots.GetFindings()->findings) {
      if (f.id.rfind(rogue, 0) == 0) return f.state;
    }
    return "none";
  };

  WriteObservations(db, {Discovery(kT0, {kDefault}, "complete", "czj-int-sw1")});
  evaluate(db, {true, reg, kT0});
  EXPECT_EQ(state(), findings::kOpen);

  // The facts change in the store (only a discovery does that); a poll cycle's evaluation
  // still works from the facts it kept...
  WriteObservations(db, {Discovery(kT0 + 60, {}, "complete", "czj-int-sw1")});
  evaluate(db, {false, reg, kT0 + 60});
  EXPECT_EQ(state(), findings::kOpen);
  // ...a discovery's reads them again.
  evaluate(db, {true, reg, kT0 + 120});
  EXPECT_EQ(state(), findings::kResolved);

  // A new register (SIGHUP, inventory apply) also reads them again.
  WriteObservations(db, {Discovery(kT0 + 180, {kDefault}, "complete", "czj-int-sw1")});
  evaluate(db, {false, reg, kT0 + 180});
  EXPECT_EQ(state(), findings::kResolved);
  evaluate(db, {false, std::make_shared<const Register>(*load.reg), kT0 + 240});
  EXPECT_EQ(state(), findings::kOpen);
}

TEST(FindingStore, RecordsRoundTripWithHistory) {
  testing::TempDir dir;
  auto db = sql::Database::Open(dir.path() / "t.db");
  FindingRecord r;
  r.finding = Rogue("交换机-1");
  r.first_seen = r.last_seen = kT0;
  r.waived_by = "局长";
  r.waived_until = "2026-12-31";
  r.waived_at = kT0;
  r.state = findings::kWaived;
  WriteFindings(db, {r}, {{r.finding.Id(), kT0, "waived", "局长", "law (until 2026-12-31)"}});
  auto back = LoadFinding(db, r.finding.Id());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  auto history = LoadFindingHistory(db, r.finding.Id());
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].event, "waived");
  EXPECT_FALSE(LoadFinding(db, "rogue-exit:device:nope"));
}

}  // namespace
}  // namespace trinet
