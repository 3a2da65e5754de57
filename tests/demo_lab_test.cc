// The demo lab (tools/lab, docs/lab.md) end to end: the generated Xianyang register and
// its ~300 SNMP agents on loopback, one trinetd discovery and poll, and the findings it
// reports must be exactly the planted set: every planted one found, nothing else.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "test_util.h"

namespace trinet {
namespace {

using nlohmann::json;
using testing::Quote;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;

const std::string kLab = TRINET_SOURCE_DIR "/tools/lab/demo-lab";
const std::string kCheck = TRINET_SOURCE_DIR "/tools/lab/check-planted";

class DemoLab : public ::testing::Test {
 protected:
  void SetUp() override {
    // snmpsimd, started by root, runs as nobody, who must reach the lab's folder.
    std::filesystem::permissions(
        dir_.path(), std::filesystem::perms::others_exec | std::filesystem::perms::group_exec,
        std::filesystem::perm_options::add);
    // 127.3.0.0/16, not the quick start's 127.2: a demo lab left running by tools/quickstart
    // must not answer for this one.
    auto start = RunCommand("TRINET_LAB_NET=3 " + kLab + " start " + Quote(lab()));
    ASSERT_EQ(start.exit_code, 0) << start.output;
    started_ = true;
  }
  void TearDown() override {
    if (started_) RunCommand("TRINET_LAB_NET=3 " + kLab + " stop " + Quote(lab()));
  }
  std::filesystem::path lab() const { return dir_.path() / "lab"; }
  std::string Ctl(const std::string& args) const {
    return std::string(TRINETCTL) + " --db " + Quote(dir_.path() / "t.db") + " " + args;
  }
  std::string Trinetd(const std::string& args) const {
    return std::string(TRINETD) + " --db " + Quote(dir_.path() / "t.db") + " " + args;
  }
  // Exports the findings and compares them with the planted set.
  void ExpectExactlyPlanted(const std::string& label) {
    auto list = RunCommand(Ctl("findings --json") + " > " + Quote(dir_.path() / "findings.json"));
    ASSERT_EQ(list.exit_code, 0) << list.output;
    auto check = RunCommand(kCheck + " " + Quote(lab() / "planted.json") + " " +
                            Quote(dir_.path() / "findings.json"));
    EXPECT_EQ(check.exit_code, 0) << label << ":\n" << check.output;
  }

  TempDir dir_;
  bool started_ = false;
};

TEST_F(DemoLab, FindingsEqualThePlantedSet) {
  auto apply = RunCommand(Ctl("inventory apply " + Quote(lab() / "register.yaml")));
  ASSERT_EQ(apply.exit_code, 0) << apply.output;

  auto once = RunCommand(Trinetd("--once --max-devices-in-flight 8 --timeout 5 --retries 2"));
  ASSERT_EQ(once.exit_code, 0) << once.output;
  EXPECT_NE(once.output.find(" 0 down"), std::string::npos) << "every lab device answers:\n"
                                                            << once.output;
  ExpectExactlyPlanted("after the first cycle");

  // Every planted finding carries what the duty desk needs: who, where, evidence.
  const json planted = json::parse(ReadFile(lab() / "planted.json"));
  const json found = json::parse(ReadFile(dir_.path() / "findings.json"));
  ASSERT_EQ(found.size(), planted.size());
  std::set<std::string> rules;
  for (const auto& f : found) {
    rules.insert(f["rule"].get<std::string>());
    EXPECT_EQ(f["state"], "open") << f["id"];
    EXPECT_FALSE(f["evidence"].empty()) << f["id"];
    EXPECT_FALSE(f["policy"].get<std::string>().empty()) << f["id"];
    EXPECT_TRUE(f["platform"].is_string()) << f["id"];
  }
  EXPECT_EQ(rules, (std::set<std::string>{"rogue-exit", "network-bridge", "orphan-room",
                                          "frozen-expansion"}));

  // A second cycle finds the same: stable ids, nothing resolved or duplicated.
  auto again = RunCommand(Trinetd("--once --max-devices-in-flight 8 --timeout 5 --retries 2"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  ExpectExactlyPlanted("after the second cycle");
  auto resolved = RunCommand(Ctl("findings --json --state resolved"));
  EXPECT_EQ(json::parse(resolved.output), json::array()) << resolved.output;
}

}  // namespace
}  // namespace trinet
