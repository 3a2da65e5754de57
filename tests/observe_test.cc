// The daemon's pipeline without a network: real device walks served by the recording fake
// transport, polled by the engine with the daemon's own jobs, decoded into observations.
#include "core/observe.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>

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

TEST(Observe, CountersOfInterfacesThatAreGoneAreForgotten) {
  auto agent = Recording("edge-router.snmprec");
  Device d = MakeDevice("rtr", "core", 16108);
  DeviceMemory memory;
  FakeTransport t1;
  t1.AddAgent("127.0.0.1", 16108, agent);
  auto first = Cycle(t1, d, CycleKind::kPoll, memory, 1'000'000);
  ASSERT_GE(first.snapshot.interfaces.size(), 2u);
  std::set<std::uint32_t> remembered;
  for (const auto& e : memory.counters.entries()) remembered.insert(e.ifindex);
  std::set<std::uint32_t> polled;
  for (const auto& i : first.snapshot.interfaces) polled.insert(i.ifindex);
  EXPECT_EQ(remembered, polled);

  // The first interface goes away (its rows leave ifTable and ifXTable).
  const auto gone = first.snapshot.interfaces.front().ifindex;
  const auto kept = first.snapshot.interfaces.back();
  const snmp::Oid kIfEntry{1, 3, 6, 1, 2, 1, 2, 2, 1};
  const snmp::Oid kIfXEntry{1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
  std::erase_if(agent.data, [&](const auto& kv) {
    const auto& oid = kv.first;
    return (oid.StartsWith(kIfEntry) || oid.StartsWith(kIfXEntry)) && oid[oid.size() - 1] == gone;
  });
  FakeTransport t2;
  t2.AddAgent("127.0.0.1", 16108, agent);
  auto second = Cycle(t2, d, CycleKind::kPoll, memory, 1'060'000);
  ASSERT_EQ(second.snapshot.interfaces.size(), first.snapshot.interfaces.size() - 1);
  for (const auto& e : memory.counters.entries()) EXPECT_NE(e.ifindex, gone);
  ASSERT_TRUE(memory.counters.Find(kept.ifindex, 0));
  EXPECT_EQ(memory.counters.Find(kept.ifindex, 0)->total, kept.receive_bytes);
  EXPECT_EQ(second.snapshot.interfaces.back().receive_bytes, kept.receive_bytes);
}

TEST(CounterMemory, KeepsEntriesSortedWhenInsertedOutOfOrder) {
  CounterMemory m;
  const std::vector<std::pair<std::uint32_t, std::uint8_t>> keys = {{5, 1}, {2, 0}, {5, 0}, {9, 3},
                                                                    {2, 5}, {1, 4}, {9, 0}};
  std::uint64_t n = 0;
  for (const auto& [ifindex, which] : keys) {
    auto [e, fresh] = m.FindOrInsert(ifindex, which);
    EXPECT_TRUE(fresh);
    EXPECT_EQ(e.ifindex, ifindex);
    EXPECT_EQ(e.which, which);
    EXPECT_EQ(e.total, 0u);
    e.total = ++n * 100;
    e.SetLast({n, 64});
  }
  ASSERT_EQ(m.size(), keys.size());
  for (size_t i = 1; i < m.entries().size(); ++i) {
    const auto& a = m.entries()[i - 1];
    const auto& b = m.entries()[i];
    EXPECT_TRUE(a.ifindex < b.ifindex || (a.ifindex == b.ifindex && a.which < b.which));
  }
  n = 0;
  for (const auto& [ifindex, which] : keys) {
    ++n;
    const auto* e = m.Find(ifindex, which);
    ASSERT_TRUE(e) << ifindex << "/" << int{which};
    EXPECT_EQ(e->total, n * 100);
    EXPECT_EQ(e->Last(), (snmp::CounterReading{n, 64}));
    auto [again, fresh] = m.FindOrInsert(ifindex, which);
    EXPECT_FALSE(fresh);
    EXPECT_EQ(&again, e);
  }
  EXPECT_EQ(m.size(), keys.size());
  EXPECT_FALSE(m.Find(5, 2));
  EXPECT_FALSE(m.Find(3, 0));
  EXPECT_FALSE(m.Find(0, 0));
  EXPECT_FALSE(m.Find(10, 0));
}

TEST(CounterMemory, EraseIfNotInForgetsInterfacesThatAreGone) {
  CounterMemory m;
  for (std::uint32_t ifindex : {1u, 2u, 3u, 4u}) {
    for (std::uint8_t which = 0; which < 6; ++which) {
      m.FindOrInsert(ifindex, which).first.total = ifindex * 10 + which;
    }
  }
  ASSERT_EQ(m.size(), 24u);
  m.EraseIfNotIn({2, 4, 7});
  EXPECT_EQ(m.size(), 12u);
  EXPECT_FALSE(m.Find(1, 0));
  EXPECT_FALSE(m.Find(3, 5));
  ASSERT_TRUE(m.Find(4, 5));
  EXPECT_EQ(m.Find(4, 5)->total, 45u);
  ASSERT_TRUE(m.Find(2, 0));
  EXPECT_EQ(m.Find(2, 0)->total, 20u);
  m.EraseIfNotIn({});
  EXPECT_EQ(m.size(), 0u);
}

TEST(CounterMemory, KeepsTheReadingItWasGiven) {
  CounterMemory m;
  auto& e = m.FindOrInsert(1, 0).first;
  e.SetLast({0xffff'ffff'ffff'fffful, 64});
  EXPECT_EQ(e.Last(), (snmp::CounterReading{0xffff'ffff'ffff'fffful, 64}));
  e.SetLast({7, 32});
  EXPECT_EQ(e.Last(), (snmp::CounterReading{7, 32}));
  // A width that does not fit the entry stays a discontinuity, as it was.
  e.SetLast({7, 32 + 256});
  EXPECT_FALSE(snmp::CounterDelta(e.Last(), {8, 32}));
  EXPECT_FALSE(snmp::CounterDelta(e.Last(), {8, 64}));
}

TEST(CounterMemory, ACounterCostsAboutTwentyFourBytes) {
  // The entry is the whole cost: it holds no pointer and owns nothing on the heap.
  static_assert(sizeof(CounterMemory::Entry) <= 24);
  static_assert(std::is_trivially_copyable_v<CounterMemory::Entry>);
  // A 52-port switch, inserted as Observe does (in ifindex order): the vector is the only
  // allocation and has little room to spare.
  CounterMemory m;
  for (std::uint32_t ifindex = 1; ifindex <= 52; ++ifindex) {
    for (std::uint8_t which = 0; which < 6; ++which) m.FindOrInsert(ifindex, which);
  }
  ASSERT_EQ(m.size(), 312u);
  const double bytes_per_counter =
      static_cast<double>(m.capacity() * sizeof(CounterMemory::Entry) + sizeof(m)) /
      static_cast<double>(m.size());
  EXPECT_LE(m.capacity(), m.size() + m.size() / 8 + 8);
  EXPECT_LT(bytes_per_counter, 28.0);
  // Losing most interfaces gives the room back.
  m.EraseIfNotIn({1, 2});
  EXPECT_EQ(m.size(), 12u);
  EXPECT_LE(m.capacity(), 12u + 12u / 4 + 16);
}

}  // namespace
}  // namespace trinet
