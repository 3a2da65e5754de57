// The daemon's pipeline without a network: real device walks served by the recording fake
// transport, polled by the engine with the daemon's own jobs, decoded into observations.
#include "core/observe.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "snmp/catalogue.h"
#include "snmp/fake_transport.h"
#include "snmp/snmprec.h"
#include "test_util.h"

namespace trinet {
namespace {

using snmp::FakeTransport;

FakeTransport::Agent AgentFrom(const std::string& command, const std::string& name) {
  auto text = testing::RunCommand(command);
  auto parsed = snmp::ParseSnmprec(text.output, name);
  FakeTransport::Agent agent;
  for (auto& vb : parsed.varbinds) agent.data[vb.oid] = vb.value;
  return agent;
}

FakeTransport::Agent Recording(const std::string& file) {
  return AgentFrom("cat " + std::string(TRINET_FIXTURES) + "/snmprec/" + file, file);
}

FakeTransport::Agent Cisco() {
  return AgentFrom("zcat /usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz",
                   "cisco_16_switch");
}

Device MakeDevice(const std::string& id, const std::string& role, int port) {
  Device d;
  d.id = id;
  d.room = "room";
  d.network = "internal";
  d.role = role;
  d.address = "127.0.0.1:" + std::to_string(port);
  d.credentials = "c";
  return d;
}

Credential V2c() {
  Credential c;
  c.id = "c";
  c.version = "2c";
  c.community = "public";
  return c;
}

DeviceOutput Cycle(FakeTransport& t, const Device& d, CycleKind kind, DeviceMemory& memory,
                   std::int64_t now_ms) {
  snmp::PollEngine engine(t, {});
  snmp::PollResult result;
  engine.Submit(BuildJob(d, V2c(), kind, memory, std::chrono::milliseconds(500), 0, 10000),
                [&](snmp::PollResult&& r) { result = std::move(r); });
  engine.Run();
  return Observe(d, std::move(result), kind, memory, now_ms);
}

const InterfaceSnapshot* Interface(const DeviceSnapshot& s, const std::string& name) {
  for (const auto& i : s.interfaces) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

TEST(Observe, CiscoDiscoveryGivesInterfacesChassisAndFacts) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 16101, Cisco());
  DeviceMemory memory;
  auto out = Cycle(t, MakeDevice("sw", "access", 16101), CycleKind::kDiscovery, memory, 1'000'000);
  EXPECT_TRUE(out.snapshot.up);
  EXPECT_TRUE(out.observation.discovery);
  ASSERT_TRUE(out.observation.system);
  EXPECT_EQ(out.observation.system->name, "Profiler3750");
  EXPECT_EQ(out.observation.system->chassis_serial, "CAT0952N20R");
  ASSERT_TRUE(out.observation.interfaces);
  EXPECT_GT(out.observation.interfaces->size(), 50u);
  const auto* vl1 = Interface(out.snapshot, "Vl1");
  ASSERT_NE(vl1, nullptr);
  EXPECT_TRUE(vl1->receive_bytes.has_value());
  bool chassis_fact = false;
  for (const auto& f : out.observation.facts)
    chassis_fact |= f.kind == "chassis" && f.key == "CAT0952N20R";
  EXPECT_TRUE(chassis_fact);
  // Walks are recorded with how they ended, fallbacks that were not needed are not.
  bool if_walk = false;
  for (const auto& w : out.observation.walks) {
    if_walk |= w.walk == "ifTable" && w.end == "complete" && w.varbinds > 0;
    EXPECT_NE(w.end, "skipped");
  }
  EXPECT_TRUE(if_walk);
}

TEST(Observe, CountersStayMonotonicAcrossWrapAndRestart) {
  // The edge router with its 64-bit counters taken away: ifInOctets.2 is 4001234567, close
  // to the 32-bit limit.
  auto agent = Recording("edge-router.snmprec");
  std::erase_if(agent.data,
                [](const auto& kv) { return kv.first.StartsWith(snmp::kIfHCInOctets); });
  const auto in_octets_2 = snmp::kIfInOctets.Append({2});
  ASSERT_EQ(agent.data.at(in_octets_2).unsigned_value, 4001234567u);
  const auto uptime = snmp::kSysUpTime.Append({0});
  Device d = MakeDevice("rtr", "core", 16102);
  DeviceMemory memory;
  auto receive = [](const DeviceOutput& out) {
    for (const auto& i : out.snapshot.interfaces) {
      if (i.ifindex == 2) return i.receive_bytes;
    }
    return std::optional<std::uint64_t>();
  };

  // Polls the agent as it is now, `ms` milliseconds into the test's clock.
  auto poll_at = [&](std::int64_t ms) {
    FakeTransport t;
    t.AddAgent("127.0.0.1", 16102, agent);
    return Cycle(t, d, CycleKind::kPoll, memory, ms);
  };
  auto first = poll_at(1'000'000);
  ASSERT_EQ(receive(first), 4001234567u);

  // 60 s later 300 MB more arrived: the 32-bit counter wrapped to 6267271.
  agent.data[in_octets_2].unsigned_value = (4001234567ull + 300'000'000ull) % (1ull << 32);
  agent.data[uptime].unsigned_value += 6000;
  auto second = poll_at(1'060'000);
  EXPECT_EQ(receive(second), 4001234567ull + 300'000'000ull);

  // Then the agent restarts: sysUpTime back to 5 s and the counter near zero. The total must
  // not move (no negative or invented traffic), then grow again from the new count.
  agent.data[in_octets_2].unsigned_value = 10;
  agent.data[uptime].unsigned_value = 500;
  auto third = poll_at(1'120'000);
  EXPECT_EQ(receive(third), 4001234567ull + 300'000'000ull);

  agent.data[in_octets_2].unsigned_value = 510;
  agent.data[uptime].unsigned_value = 6500;
  auto fourth = poll_at(1'180'000);
  EXPECT_EQ(receive(fourth), 4001234567ull + 300'000'000ull + 500);
}

TEST(Observe, AnIncompleteIfXTableNeitherWipesInterfacesNorBreaksCounters) {
  auto agent = Recording("edge-router.snmprec");
  Device d = MakeDevice("rtr", "core", 16107);
  DeviceMemory memory;
  FakeTransport t1;
  t1.AddAgent("127.0.0.1", 16107, agent);
  auto first = Cycle(t1, d, CycleKind::kPoll, memory, 1'000'000);
  ASSERT_TRUE(first.observation.interfaces);
  const auto before = first.snapshot.interfaces.front().receive_bytes;
  ASSERT_TRUE(before);

  // Next poll the agent times out on every ifXTable request: the 64-bit counters are missing.
  const snmp::Oid kIfXEntry{1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
  for (auto& [oid, value] : agent.data) {
    if (oid.StartsWith(snmp::kIfInOctets) || oid.StartsWith(snmp::kIfHCInOctets)) {
      value.unsigned_value += 1000;
    }
  }
  agent.mutate = [&](const snmp::Request& req, snmp::Response& resp) {
    if (!req.oids.empty() && req.oids.front().StartsWith(kIfXEntry)) {
      resp = {snmp::Outcome::kTimeout, 0, 0, {}, "no response"};
    }
  };
  FakeTransport t2;
  t2.AddAgent("127.0.0.1", 16107, agent);
  auto second = Cycle(t2, d, CycleKind::kPoll, memory, 1'060'000);
  EXPECT_TRUE(second.snapshot.up);
  EXPECT_FALSE(second.observation.interfaces);  // stored interfaces are kept as they were
  EXPECT_EQ(second.snapshot.interfaces.front().receive_bytes, before);

  // When the agent answers fully again, the 1000 octets are counted once, not lost.
  agent.mutate = nullptr;
  FakeTransport t3;
  t3.AddAgent("127.0.0.1", 16107, agent);
  auto third = Cycle(t3, d, CycleKind::kPoll, memory, 1'120'000);
  EXPECT_EQ(third.snapshot.interfaces.front().receive_bytes, *before + 1000);
}

TEST(Observe, UpsOnBatteryBecomesHealthAndSnapshot) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 16103, Recording("ups-on-battery.snmprec"));
  DeviceMemory memory;
  auto out = Cycle(t, MakeDevice("ups1", "ups", 16103), CycleKind::kPoll, memory, 1'000'000);
  ASSERT_TRUE(out.snapshot.ups);
  EXPECT_EQ(out.snapshot.ups->on_battery, true);
  bool health = false;
  for (const auto& [key, value] : out.observation.health)
    health |= key == "ups.on_battery" && value == 1.0;
  EXPECT_TRUE(health);
}

TEST(Observe, SensorsFoundAtDiscoveryAreReadEveryPoll) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 16104, Recording("sensors.snmprec"));
  DeviceMemory memory;
  Device d = MakeDevice("env", "sensor", 16104);
  auto job = BuildJob(d, V2c(), CycleKind::kPoll, memory, std::chrono::milliseconds(500), 0, 100);
  bool has_sensor_walk = false;
  for (const auto& w : job.walks) has_sensor_walk |= w.name == "entPhySensorTable";
  EXPECT_FALSE(has_sensor_walk);
  auto out = Cycle(t, d, CycleKind::kDiscovery, memory, 1'000'000);
  EXPECT_TRUE(memory.has_sensors);
  ASSERT_FALSE(out.snapshot.sensors.empty());
  EXPECT_EQ(out.snapshot.sensors.front().kind, "temperature");
  job = BuildJob(d, V2c(), CycleKind::kPoll, memory, std::chrono::milliseconds(500), 0, 100);
  has_sensor_walk = false;
  for (const auto& w : job.walks) has_sensor_walk |= w.name == "entPhySensorTable";
  EXPECT_TRUE(has_sensor_walk);
  // A poll does not walk entPhysicalTable, yet the sensor keeps its discovered name.
  auto poll = Cycle(t, d, CycleKind::kPoll, memory, 1'060'000);
  ASSERT_EQ(poll.snapshot.sensors.size(), out.snapshot.sensors.size());
  EXPECT_EQ(poll.snapshot.sensors.front().name, out.snapshot.sensors.front().name);
  EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(out.snapshot.sensors.front().name[0])));
}

TEST(Observe, EdgeRouterRoutesAndPublicAddressesBecomeFacts) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 16105, Recording("edge-router.snmprec"));
  DeviceMemory memory;
  auto out = Cycle(t, MakeDevice("rtr", "core", 16105), CycleKind::kDiscovery, memory, 1'000'000);
  std::map<std::string, int> kinds;
  for (const auto& f : out.observation.facts) {
    ++kinds[f.kind];
    EXPECT_TRUE(nlohmann::json::accept(f.value)) << f.value;
  }
  EXPECT_GT(kinds["route"], 0);
  EXPECT_GT(kinds["address"], 0);
}

TEST(Observe, DownDeviceKeepsReasonAndNoInterfaces) {
  FakeTransport t;
  auto agent = Cisco();
  agent.dead = true;
  t.AddAgent("127.0.0.1", 16106, agent);
  DeviceMemory memory;
  auto out = Cycle(t, MakeDevice("dead", "core", 16106), CycleKind::kPoll, memory, 1'000'000);
  EXPECT_FALSE(out.snapshot.up);
  EXPECT_EQ(out.snapshot.reason, "timeout: no response from 127.0.0.1:16106");
  EXPECT_TRUE(out.snapshot.interfaces.empty());
  EXPECT_FALSE(out.observation.interfaces);
}

}  // namespace
}  // namespace trinet
