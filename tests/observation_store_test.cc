#include "observation_store.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace trinet {
namespace {

using testing::TempDir;

DeviceObservation Obs(std::int64_t at) {
  DeviceObservation o;
  o.device = "sw1";
  o.observed_at = at;
  o.up = true;
  o.poll_duration = 0.25;
  o.discovery = true;
  o.system = SystemRow{"sw1", "Cisco IOS", "1.3.6.1.4.1.9.1.516", "room 3",
                       "noc", 100,         "CAT0952N20R",         "WS-C3750"};
  InterfaceRow i;
  i.ifindex = 1;
  i.name = "Gi0/1";
  i.oper_up = true;
  i.rx_bytes = 18446744073709551615ull;  // the largest Counter64
  o.interfaces = std::vector<InterfaceRow>{i};
  o.facts = {{"route", "0.0.0.0/0 via 198.51.100.1", R"({"next_hop":"198.51.100.1"})"}};
  o.walks = {{"inetCidrRouteTable", "complete", 1}};
  o.health = {{"ups.on_battery", 0}};
  return o;
}

std::int64_t Scalar(sql::Database& db, const std::string& query) {
  sql::Statement s(db, query);
  s.Step();
  return s.Int(0);
}

TEST(ObservationStore, FactsKeepFirstSeenAndMoveLastSeen) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  WriteObservations(db, {Obs(1000)});
  auto second = Obs(2000);
  second.facts.push_back({"arp", "10.32.0.9", R"({"mac":"00:1b:54:aa:00:09"})"});
  WriteObservations(db, {second});
  auto facts = LoadFacts(db, "route");
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].first_seen, 1000);
  EXPECT_EQ(facts[0].last_seen, 2000);
  ASSERT_EQ(LoadFacts(db, "arp").size(), 1u);
  EXPECT_EQ(LoadFacts(db, "arp")[0].first_seen, 2000);
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM interface_status"), 1);
  EXPECT_EQ(static_cast<std::uint64_t>(Scalar(db, "SELECT rx_bytes FROM interface_status")),
            18446744073709551615ull);
  EXPECT_EQ(Scalar(db, "SELECT discovered_at FROM device_status"), 2000);
}

TEST(ObservationStore, DownDeviceKeepsItsLastUpTimeAndInterfaces) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  WriteObservations(db, {Obs(1000)});
  DeviceObservation down;
  down.device = "sw1";
  down.observed_at = 1060;
  down.reason = "timeout: no response from 127.0.0.1:161";
  WriteObservations(db, {down});
  EXPECT_EQ(Scalar(db, "SELECT up FROM device_status"), 0);
  EXPECT_EQ(Scalar(db, "SELECT last_up_at FROM device_status"), 1000);
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM interface_status"), 1);
}

TEST(ObservationStore, ABadRowWritesNothingOfTheBatch) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  auto bad = Obs(1000);
  bad.device = "sw2";
  bad.facts.push_back({"lldp", "1", "not json"});
  EXPECT_THROW(WriteObservations(db, {Obs(1000), bad}), sql::Error);
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM device_status"), 0);
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM facts"), 0);
}

}  // namespace
}  // namespace trinet
