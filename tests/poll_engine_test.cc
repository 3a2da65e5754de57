// The poll engine over the recording fake transport: walking, caps and hostile agents.
#include "snmp/poll_engine.h"

#include <gtest/gtest.h>

#include "snmp/fake_transport.h"

namespace trinet::snmp {
namespace {

const Oid kIfDescr{1, 3, 6, 1, 2, 1, 2, 2, 1, 2};
const Oid kIfOper{1, 3, 6, 1, 2, 1, 2, 2, 1, 8};
const Oid kSysName{1, 3, 6, 1, 2, 1, 1, 5, 0};
const Oid kSysUpTime{1, 3, 6, 1, 2, 1, 1, 3, 0};
const Oid kMissing{1, 3, 6, 1, 2, 1, 1, 99, 0};

FakeTransport::Agent Switch(int ports) {
  FakeTransport::Agent a;
  a.data[kSysName] = Value::Bytes(ValueType::kOctetString, "sw1");
  a.data[kSysUpTime] = Value::Unsigned(ValueType::kTimeTicks, 12345);
  for (std::uint32_t i = 1; i <= static_cast<std::uint32_t>(ports); ++i) {
    a.data[kIfDescr.Append({i})] =
        Value::Bytes(ValueType::kOctetString, "port" + std::to_string(i));
    a.data[kIfOper.Append({i})] = Value::Integer(1);
  }
  // Something after the table, so a walk has to notice it left its columns.
  a.data[Oid{1, 3, 6, 1, 2, 1, 4, 1, 0}] = Value::Integer(1);
  return a;
}

PollJob Job(const std::string& device, const std::string& version = "2c", int port = 161) {
  PollJob job;
  job.target.device = device;
  job.target.host = "127.0.0.1";
  job.target.port = port;
  job.target.credential.id = "c";
  job.target.credential.version = version;
  job.target.credential.community = "public";
  job.scalars = {kSysName, kSysUpTime};
  job.walks = {{"ifTable", {kIfDescr, kIfOper}, 10000, ""}};
  return job;
}

PollResult PollOne(FakeTransport& t, PollJob job, PollEngineOptions options = {}) {
  PollEngine engine(t, options);
  PollResult out;
  bool called = false;
  engine.Submit(std::move(job), [&](PollResult&& r) {
    out = std::move(r);
    called = true;
  });
  engine.Run();
  EXPECT_TRUE(called);
  return out;
}

size_t Rows(const WalkResult& w, const Oid& column) {
  return static_cast<size_t>(
      std::count_if(w.varbinds.begin(), w.varbinds.end(),
                    [&](const Varbind& vb) { return vb.oid.StartsWith(column); }));
}

TEST(PollEngine, WalksSeveralColumnsPerGetBulk) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 161, Switch(48));
  auto r = PollOne(t, Job("sw1"), {.max_repetitions = 25});
  EXPECT_TRUE(r.reachable);
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.scalars.size(), 2u);
  const WalkResult* w = r.Walk("ifTable");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->end, WalkEnd::kComplete);
  EXPECT_EQ(Rows(*w, kIfDescr), 48u);
  EXPECT_EQ(Rows(*w, kIfOper), 48u);
  EXPECT_EQ(w->varbinds.front().oid, kIfDescr.Append({1}));
  EXPECT_TRUE(std::is_sorted(w->varbinds.begin(), w->varbinds.end(),
                             [](const Varbind& a, const Varbind& b) { return a.oid < b.oid; }));
  // 48 rows at 25 repetitions: two bulk requests with both columns, plus one GET.
  size_t bulks = 0;
  for (const auto& [device, req] : t.requests()) {
    if (req.type == PduType::kGetBulk) {
      ++bulks;
      EXPECT_EQ(req.oids.size(), 2u);
    }
  }
  EXPECT_EQ(bulks, 2u);
  EXPECT_EQ(r.stats.requests, 3u);
}

TEST(PollEngine, SnmpV1UsesGetNextAndNoSuchName) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 161, Switch(3));
  PollJob job = Job("old", "1");
  job.scalars = {kSysName, kMissing, kSysUpTime};
  auto r = PollOne(t, job);
  EXPECT_TRUE(r.reachable);
  // The missing scalar is dropped and the GET asked again without it.
  ASSERT_EQ(r.scalars.size(), 2u);
  EXPECT_EQ(r.stats.exceptions, 1u);
  const WalkResult* w = r.Walk("ifTable");
  EXPECT_EQ(w->end, WalkEnd::kComplete);
  EXPECT_EQ(Rows(*w, kIfDescr), 3u);
  for (const auto& [device, req] : t.requests()) EXPECT_NE(req.type, PduType::kGetBulk);
}

TEST(PollEngine, NeverMoreThanTheCapInFlightPerDevice) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 161, Switch(10));
  PollJob job = Job("sw1");
  for (int i = 0; i < 6; ++i) job.walks.push_back({"w" + std::to_string(i), {kIfOper}, 10000, ""});
  auto r = PollOne(t, job, {.per_device_in_flight = 2, .max_repetitions = 3});
  EXPECT_TRUE(r.reachable);
  EXPECT_EQ(t.max_in_flight_per_device(), 2);
  for (const auto& w : r.walks) EXPECT_EQ(w.end, WalkEnd::kComplete) << w.name;
}

TEST(PollEngine, TooBigHalvesRepetitionsThenColumns) {
  FakeTransport t;
  auto agent = Switch(20);
  agent.max_response_varbinds = 3;
  t.AddAgent("127.0.0.1", 161, agent);
  PollJob job = Job("sw1");
  job.scalars = {kSysName};
  auto r = PollOne(t, job, {.max_repetitions = 16});
  const WalkResult* w = r.Walk("ifTable");
  EXPECT_EQ(w->end, WalkEnd::kComplete) << w->detail;
  EXPECT_EQ(Rows(*w, kIfDescr), 20u);
  EXPECT_EQ(Rows(*w, kIfOper), 20u);
  EXPECT_GE(r.stats.too_big, 3u);  // 16 → 8 → 4 → 2 repetitions
}

TEST(PollEngine, TooBigAtOneVarbindGivesUpTheWalk) {
  FakeTransport t;
  auto agent = Switch(5);
  agent.mutate = [](const Request& req, Response& resp) {
    if (req.type == PduType::kGetBulk) {
      resp.varbinds.clear();
      resp.error_status = kTooBig;
    }
  };
  t.AddAgent("127.0.0.1", 161, agent);
  auto r = PollOne(t, Job("sw1"));
  EXPECT_EQ(r.Walk("ifTable")->end, WalkEnd::kTooBig);
  EXPECT_TRUE(r.reachable);
}

TEST(PollEngine, GenErrForTooManyVarbindsAsksForFewerColumns) {
  FakeTransport t;
  auto agent = Switch(7);
  // Like snmpsimd --max-varbinds=1: more than one OID in a request is a genErr.
  agent.mutate = [](const Request& req, Response& resp) {
    if (req.oids.size() > 1) {
      resp.varbinds.clear();
      resp.error_status = kGenErr;
    }
  };
  t.AddAgent("127.0.0.1", 161, agent);
  auto r = PollOne(t, Job("sw1"));
  const WalkResult* w = r.Walk("ifTable");
  EXPECT_EQ(w->end, WalkEnd::kComplete) << w->detail;
  EXPECT_EQ(Rows(*w, kIfDescr), 7u);
  EXPECT_EQ(Rows(*w, kIfOper), 7u);
  EXPECT_EQ(r.scalars.size(), 2u);  // the GET of two scalars was split as well
  EXPECT_GE(r.stats.error_status, 2u);
}

TEST(PollEngine, GenErrWithOneColumnLeftHalvesRowsNotColumns) {
  // Two columns of different length: once the short one ends, one column is left; a genErr
  // then must not shrink the request to zero columns (which looks like the walk's end).
  FakeTransport t;
  auto agent = Switch(2);
  for (std::uint32_t i = 3; i <= 50; ++i) agent.data[kIfOper.Append({i})] = Value::Integer(1);
  int bulk_with_one_column = 0;
  agent.mutate = [&](const Request& req, Response& resp) {
    if (req.type == PduType::kGetBulk && req.oids.size() == 1 && ++bulk_with_one_column == 1) {
      resp.varbinds.clear();
      resp.error_status = kGenErr;
    }
  };
  t.AddAgent("127.0.0.1", 161, agent);
  auto r = PollOne(t, Job("sw1"), {.max_repetitions = 4});
  const WalkResult* w = r.Walk("ifTable");
  EXPECT_EQ(w->end, WalkEnd::kComplete) << w->detail;
  EXPECT_EQ(Rows(*w, kIfDescr), 2u);
  EXPECT_EQ(Rows(*w, kIfOper), 50u);
  EXPECT_EQ(bulk_with_one_column > 1, true);
}

TEST(PollEngine, StopsAWalkAtANonIncreasingOid) {
  FakeTransport t;
  auto agent = Switch(5);
  // A broken agent that answers every GETBULK with the first row again: a loop.
  agent.mutate = [](const Request& req, Response& resp) {
    if (req.type == PduType::kGetBulk) {
      resp.varbinds = {{kIfDescr.Append({1}), Value::Bytes(ValueType::kOctetString, "port1")},
                       {kIfOper.Append({1}), Value::Integer(1)}};
    }
  };
  t.AddAgent("127.0.0.1", 161, agent);
  auto r = PollOne(t, Job("sw1"));
  const WalkResult* w = r.Walk("ifTable");
  EXPECT_EQ(w->end, WalkEnd::kNonIncreasing);
  EXPECT_EQ(r.stats.non_increasing, 1u);
  EXPECT_EQ(Rows(*w, kIfDescr), 1u);  // what came before the loop is kept
  EXPECT_LE(r.stats.requests, 3u);
}

TEST(PollEngine, CapsRowsPerColumn) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 161, Switch(100));
  PollJob job = Job("sw1");
  job.walks[0].max_rows = 30;
  auto r = PollOne(t, job);
  const WalkResult* w = r.Walk("ifTable");
  EXPECT_EQ(w->end, WalkEnd::kRowCap);
  EXPECT_EQ(Rows(*w, kIfDescr), 30u);
  EXPECT_EQ(Rows(*w, kIfOper), 30u);
  EXPECT_EQ(r.stats.rows_capped, 1u);
}

TEST(PollEngine, DeadDeviceCostsOneRoundOfTimeouts) {
  FakeTransport t;
  auto agent = Switch(5);
  agent.dead = true;
  t.AddAgent("127.0.0.1", 161, agent);
  PollJob job = Job("dead");
  for (int i = 0; i < 10; ++i) job.walks.push_back({"w" + std::to_string(i), {kIfOper}, 10000, ""});
  auto r = PollOne(t, job);
  EXPECT_FALSE(r.reachable);
  EXPECT_EQ(r.error, "timeout: no response from 127.0.0.1:161");
  EXPECT_LE(r.stats.requests, 2u);
  for (const auto& w : r.walks) EXPECT_EQ(w.end, WalkEnd::kAborted) << w.name;
}

TEST(PollEngine, AuthFailureGivesUpWithTheReason) {
  FakeTransport t;
  auto agent = Switch(5);
  agent.reject_auth = true;
  t.AddAgent("127.0.0.1", 161, agent);
  auto r = PollOne(t, Job("v3dev", "3"));
  EXPECT_FALSE(r.reachable);
  EXPECT_EQ(r.error, "authentication failed: usmStatsWrongDigests");
  EXPECT_EQ(r.stats.auth_failures, 1u);
}

TEST(PollEngine, EmptyResponseEndsTheWalkWithoutLooping) {
  FakeTransport t;
  auto agent = Switch(5);
  agent.mutate = [](const Request& req, Response& resp) {
    if (req.type == PduType::kGetBulk) resp.varbinds.clear();
  };
  t.AddAgent("127.0.0.1", 161, agent);
  auto r = PollOne(t, Job("sw1"));
  EXPECT_EQ(r.Walk("ifTable")->end, WalkEnd::kError);
  EXPECT_EQ(r.Walk("ifTable")->detail, "empty response");
}

TEST(PollEngine, ManyDevicesAllComplete) {
  FakeTransport t;
  PollEngine engine(t, {.max_devices_in_flight = 7});
  std::vector<PollResult> results;
  for (int i = 0; i < 50; ++i) {
    t.AddAgent("127.0.0.1", 20000 + i, Switch(8));
    engine.Submit(Job("d" + std::to_string(i), "2c", 20000 + i),
                  [&](PollResult&& r) { results.push_back(std::move(r)); });
  }
  PollJob dead = Job("dead", "2c", 19999);  // nobody there
  engine.Submit(dead, [&](PollResult&& r) { results.push_back(std::move(r)); });
  engine.Run();
  ASSERT_EQ(results.size(), 51u);
  EXPECT_EQ(engine.pending(), 0u);
  int up = 0;
  for (const auto& r : results) up += r.reachable;
  EXPECT_EQ(up, 50);
}

TEST(PollEngine, FallbackWalksOnlyWhenThePrimaryIsEmpty) {
  FakeTransport t;
  t.AddAgent("127.0.0.1", 161, Switch(4));
  const Oid kNewTable{1, 3, 6, 1, 2, 1, 4, 34, 1, 3};  // nothing there on this agent
  PollJob job = Job("sw1");
  job.walks = {{"new", {kNewTable}, 100, ""},
               {"old", {kIfDescr}, 100, "new"},
               {"older", {kIfOper}, 100, "old"},
               {"unused", {kIfOper}, 100, "ifTable-not-walked"}};
  auto r = PollOne(t, job);
  EXPECT_EQ(r.Walk("new")->end, WalkEnd::kComplete);
  EXPECT_TRUE(r.Walk("new")->varbinds.empty());
  EXPECT_EQ(r.Walk("old")->end, WalkEnd::kComplete);
  EXPECT_EQ(r.Walk("old")->varbinds.size(), 4u);
  EXPECT_EQ(r.Walk("older")->end, WalkEnd::kSkipped);
  EXPECT_TRUE(r.Walk("older")->varbinds.empty());
  EXPECT_EQ(r.Walk("unused")->end, WalkEnd::kSkipped);
}

TEST(UnreachableBackoff, DoublesUpToTheCapAndResetsOnSuccess) {
  using namespace std::chrono_literals;
  UnreachableBackoff b(60s, 600s);
  auto t0 = UnreachableBackoff::Clock::time_point{} + 1000h;
  EXPECT_TRUE(b.ShouldPoll("d", t0));
  b.RecordFailure("d", t0);
  EXPECT_FALSE(b.ShouldPoll("d", t0 + 59s));
  EXPECT_TRUE(b.ShouldPoll("d", t0 + 60s));
  b.RecordFailure("d", t0);
  EXPECT_FALSE(b.ShouldPoll("d", t0 + 119s));
  EXPECT_TRUE(b.ShouldPoll("d", t0 + 120s));
  for (int i = 0; i < 10; ++i) b.RecordFailure("d", t0);
  EXPECT_TRUE(b.ShouldPoll("d", t0 + 600s));
  EXPECT_EQ(b.Failures("d"), 12);
  b.RecordSuccess("d");
  EXPECT_TRUE(b.ShouldPoll("d", t0));
  EXPECT_EQ(b.Failures("d"), 0);
}

}  // namespace
}  // namespace trinet::snmp
