// `trinetctl findings` end to end: the built binary on a real database holding the example
// register and observations written as trinetd writes them, evaluated with
// `findings evaluate` as trinetd evaluates after a cycle.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "observation_store.h"
#include "sqlite.h"
#include "test_util.h"

namespace trinet {
namespace {

using nlohmann::json;
using testing::Quote;
using testing::RunCommand;
using testing::TempDir;

const std::string kExample = TRINET_FIXTURES "/register/inventory.yaml";
const std::string kRogue = "rogue-exit:device:czj-int-sw1";
const std::string kOverdue = "orphan-room:overdue:room:czj-room";

// 2026-11-01T00:00:00Z: when the first test's observations were made.
constexpr std::int64_t kT0 = 1793491200;

class FindingsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Ctl("inventory apply " + Quote(kExample));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  testing::CommandResult Ctl(const std::string& args) {
    return RunCommand(std::string(TRINETCTL) + " --db " + Quote(db_path()) + " " + args);
  }
  std::filesystem::path db_path() const { return dir_.path() / "t.db"; }

  // A discovery of czj-int-sw1 at `at`; with `rogue`, a default route to an ISP.
  void Discover(std::int64_t at, bool rogue) {
    DeviceObservation o;
    o.device = "czj-int-sw1";
    o.observed_at = at;
    o.up = true;
    o.discovery = true;
    o.system = SystemRow{};
    o.system->name = "czj-int-sw1";
    o.facts.push_back({"route", "10.32.0.0/12 via 10.32.1.1",
                       R"({"family":4,"destination":"10.32.0.0","prefix_length":12,)"
                       R"("next_hop":"10.32.1.1","type":4,"table":"ipCidrRouteTable"})"});
    if (rogue) {
      o.facts.push_back({"route", "0.0.0.0/0 via 198.51.100.1",
                         R"({"family":4,"destination":"0.0.0.0","prefix_length":0,)"
                         R"("next_hop":"198.51.100.1","type":4,"table":"ipCidrRouteTable"})"});
    }
    o.walks = {{"ipCidrRouteTable", "complete", 10}};
    auto db = sql::Database::Open(db_path());
    WriteObservations(db, {o});
  }

  testing::CommandResult Evaluate() { return Ctl("findings evaluate"); }

  void Sql(const std::string& statement) {
    auto db = sql::Database::Open(db_path());
    db.Exec(statement);
  }

  json List(const std::string& args = "") {
    auto r = Ctl("findings --json " + args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return json::parse(r.output, nullptr, false);
  }

  json Find(const json& list, const std::string& id) {
    for (const auto& f : list) {
      if (f["id"] == id) return f;
    }
    return json();
  }

  TempDir dir_;
};

TEST_F(FindingsCli, JsonContractAndDeskTable) {
  Discover(kT0, true);
  auto eval = Evaluate();
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  const auto list = List();
  ASSERT_TRUE(list.is_array());
  const auto f = Find(list, kRogue);
  ASSERT_TRUE(f.is_object()) << list.dump(2);
  for (const char* key :
       {"id", "rule", "reason", "severity", "state", "subject", "network", "platform", "room",
        "unit", "admin", "first_seen", "last_seen", "policy", "evidence"}) {
    EXPECT_TRUE(f.contains(key)) << key;
  }
  EXPECT_EQ(f["rule"], "rogue-exit");
  EXPECT_EQ(f["severity"], "critical");
  EXPECT_EQ(f["state"], "open");
  EXPECT_EQ(f["subject"]["type"], "device");
  EXPECT_EQ(f["subject"]["id"], "czj-int-sw1");
  EXPECT_EQ(f["network"], "internal");
  EXPECT_EQ(f["platform"], "city");
  EXPECT_EQ(f["room"], "czj-room");
  EXPECT_EQ(f["unit"], "czj");
  EXPECT_EQ(f["admin"]["name"], "李娜");
  EXPECT_EQ(f["admin"]["phone"], "+86 29 3321 0001");
  EXPECT_TRUE(f["admin"]["email"].is_null());
  EXPECT_EQ(f["first_seen"].get<std::string>().size(), 20u) << f["first_seen"];
  EXPECT_EQ(f["policy"], "M1 art. 8, M2 art. 4");
  ASSERT_FALSE(f["evidence"].empty());
  const auto& e = f["evidence"][0];
  EXPECT_EQ(e["source"], "snmp");
  EXPECT_EQ(e["device"], "czj-int-sw1");
  EXPECT_EQ(e["table"], "ipCidrRouteTable");
  EXPECT_EQ(e["key"], "0.0.0.0/0 via 198.51.100.1");
  EXPECT_EQ(e["observed_at"], "2026-11-01T00:00:00Z");
  EXPECT_TRUE(Find(list, kOverdue).is_object()) << "czj-room is past 2014-12-31";

  // Filters.
  EXPECT_TRUE(Find(List("--rule rogue-exit"), kOverdue).is_null());
  EXPECT_TRUE(Find(List("--network external"), kRogue).is_null());
  EXPECT_TRUE(Find(List("--platform city"), kRogue).is_object());
  EXPECT_TRUE(Find(List("--state acknowledged"), kRogue).is_null());

  // The table a duty officer reads: severity, who to call, the sentence.
  auto table = Ctl("findings");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("critical"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("李娜 +86 29 3321 0001"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find(kRogue), std::string::npos) << table.output;
  EXPECT_LT(table.output.find(kRogue), table.output.find(kOverdue)) << "critical first";

  auto show = Ctl("findings show " + kRogue);
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find("198.51.100.1"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("opened"), std::string::npos) << show.output;
}

TEST_F(FindingsCli, UsageAndUnknownIds) {
  EXPECT_EQ(Ctl("findings --rule rogue").exit_code, 2);
  EXPECT_EQ(Ctl("findings --state closed").exit_code, 2);
  auto platform = Ctl("findings --platform citi");
  EXPECT_EQ(platform.exit_code, 1);
  EXPECT_NE(platform.output.find("did you mean 'city'"), std::string::npos) << platform.output;
  Discover(kT0, true);
  ASSERT_EQ(Evaluate().exit_code, 0);
  auto unknown = Ctl("findings show rogue-exit:device:czj-int-sw2");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("did you mean '" + kRogue + "'"), std::string::npos)
      << unknown.output;
  EXPECT_EQ(Ctl("findings ack " + kRogue + " --by 王").exit_code, 2) << "--note is required";
  EXPECT_EQ(Ctl("findings evaluate --at yesterday").exit_code, 1);
  EXPECT_EQ(Ctl("findings evaluate --at 2026-02-30").exit_code, 1);
  EXPECT_EQ(Ctl("findings evaluate --at 2026-12-03T99:99:99Z").exit_code, 1);
  EXPECT_EQ(Ctl("findings waive " + kRogue + " --by x --reason y --until 2099-13-45").exit_code, 1);
}

TEST_F(FindingsCli, AckWaiveExpiryResolveAndReopen) {
  // Observations at real times (trinetctl stamps acks, waivers and evaluations with the
  // clock); a waiver's passing days are simulated by moving its date, not the clock.
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  Discover(now - 3000, true);
  ASSERT_EQ(Evaluate().exit_code, 0);
  const std::string first_seen = Find(List(), kRogue)["first_seen"];

  auto ack = Ctl("findings ack " + kRogue + " --by 王值班 --note 'called 李娜, unplugging'");
  ASSERT_EQ(ack.exit_code, 0) << ack.output;
  EXPECT_EQ(Find(List(), kRogue)["state"], "acknowledged");
  EXPECT_EQ(Find(List(), kRogue)["acknowledged"]["by"], "王值班");

  // A waiver must end in the future.
  auto past = Ctl("findings waive " + kRogue + " --by 局长 --reason law --until 2020-01-01");
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_NE(past.output.find("already past"), std::string::npos) << past.output;
  auto waive = Ctl("findings waive " + kRogue +
                   " --by 局长 --reason '公安视频专网, 法规要求' --until 2099-12-31");
  ASSERT_EQ(waive.exit_code, 0) << waive.output;
  EXPECT_EQ(Find(List(), kRogue)["state"], "waived");
  EXPECT_EQ(Find(List(), kRogue)["waiver"]["until"], "2099-12-31");

  // An audit's "as of" preview shows the waiver over in 2100 but writes nothing.
  auto preview = Ctl("findings evaluate --at 2100-01-02");
  ASSERT_EQ(preview.exit_code, 0) << preview.output;
  EXPECT_NE(preview.output.find("nothing written"), std::string::npos) << preview.output;
  EXPECT_EQ(Find(List(), kRogue)["state"], "waived");

  // Its last day passes: the next evaluation re-opens it, and the old acknowledgement goes.
  Sql("UPDATE findings SET waived_until = '2020-01-01' WHERE id = '" + kRogue + "'");
  Discover(now - 2000, true);
  ASSERT_EQ(Evaluate().exit_code, 0);
  EXPECT_EQ(Find(List(), kRogue)["state"], "open");
  EXPECT_TRUE(Find(List(), kRogue)["acknowledged"].is_null());

  // The route is gone from a complete walk: resolved, listed only with --state.
  Discover(now - 1000, false);
  ASSERT_EQ(Evaluate().exit_code, 0);
  EXPECT_TRUE(Find(List(), kRogue).is_null());
  const auto resolved = Find(List("--state resolved"), kRogue);
  ASSERT_TRUE(resolved.is_object());
  EXPECT_TRUE(resolved["resolved_at"].is_string());
  EXPECT_EQ(Ctl("findings ack " + kRogue + " --by x --note y").exit_code, 1);

  // And back: the same id re-opens with its first sighting kept.
  Discover(now - 500, true);
  ASSERT_EQ(Evaluate().exit_code, 0);
  const auto reopened = Find(List(), kRogue);
  EXPECT_EQ(reopened["state"], "open");
  EXPECT_EQ(reopened["first_seen"], first_seen);
  EXPECT_TRUE(reopened["resolved_at"].is_null());

  auto history = json::parse(Ctl("findings show --json " + kRogue).output, nullptr, false);
  std::vector<std::string> events;
  for (const auto& h : history["history"]) events.push_back(h["event"]);
  EXPECT_EQ(events, (std::vector<std::string>{"opened", "acknowledged", "waived", "waiver-expired",
                                              "resolved", "reopened"}));
}

}  // namespace
}  // namespace trinet
