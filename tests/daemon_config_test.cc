#include <gtest/gtest.h>

#include "core/config.h"
#include "test_util.h"

namespace trinet {
namespace {

ConfigLoad Load(std::vector<std::string> args) {
  args.insert(args.begin(), "trinetd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return LoadDaemonConfig(static_cast<int>(argv.size()), argv.data());
}

TEST(DaemonConfig, DefaultsFollowTheIssue) {
  auto c = Load({});
  ASSERT_TRUE(c.config) << c.message;
  EXPECT_EQ(c.config->listen, "127.0.0.1:9870");
  EXPECT_EQ(c.config->poll_interval, std::chrono::seconds(60));
  EXPECT_EQ(c.config->discovery_interval, std::chrono::seconds(900));
  EXPECT_EQ(c.config->per_device_requests, 2);
  EXPECT_TRUE(c.config->networks.empty());
}

TEST(DaemonConfig, FlagsAndConfigFile) {
  testing::TempDir dir;
  testing::WriteFile(dir / "trinetd.conf",
                     "listen = \"127.0.0.1:9871\"\npoll-interval = 30\nnetworks = \"internal\"\n"
                     "timeout = 0.5\n");
  auto c = Load({"--config", (dir / "trinetd.conf").string(), "--retries", "3"});
  ASSERT_TRUE(c.config) << c.message;
  EXPECT_EQ(c.config->listen, "127.0.0.1:9871");
  EXPECT_EQ(c.config->poll_interval, std::chrono::seconds(30));
  EXPECT_EQ(c.config->timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.config->retries, 3);
  EXPECT_EQ(c.config->networks, std::vector<std::string>{"internal"});
  EXPECT_EQ(c.config->config_file, dir / "trinetd.conf");
}

TEST(DaemonConfig, MetricsCardinalityControls) {
  auto c = Load({"--metrics-interface-roles", "core,egress", "--metrics-drop-admin-down",
                 "--metrics-max-interfaces", "48"});
  ASSERT_TRUE(c.config) << c.message;
  EXPECT_EQ(c.config->metrics_interface_roles, (std::vector<std::string>{"core", "egress"}));
  EXPECT_TRUE(c.config->metrics_drop_admin_down);
  EXPECT_EQ(c.config->metrics_max_interfaces, 48);
  EXPECT_EQ(Load({"--metrics-interface-roles", "router"}).exit_code, 2);
}

TEST(DaemonConfig, TheShippedExampleConfigLoads) {
  auto c = Load({"--config", TRINET_SOURCE_DIR "/tools/systemd/trinetd-example.conf"});
  ASSERT_TRUE(c.config) << c.message;
  EXPECT_EQ(c.config->listen, "127.0.0.1:9871");
}

TEST(DaemonConfig, InvalidValuesAreUsageErrors) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--networks", "internet"},
                                             {"--poll-interval", "0"},
                                             {"--listen", "127.0.0.1"},
                                             {"--listen", "nonsense:99999"},
                                             {"--log-level", "loud"},
                                             {"--per-device-requests", "100"},
                                             {"--backoff-base", "600", "--backoff-max", "60"},
                                             {"--config", "/nonexistent/trinetd.conf"},
                                             {"--frobnicate"}}) {
    auto c = Load(args);
    EXPECT_FALSE(c.config) << args[0];
    EXPECT_EQ(c.exit_code, 2) << args[0];
    EXPECT_NE(c.message.find("trinetd"), std::string::npos) << c.message;
  }
}

TEST(DaemonConfig, HelpIsNotAnError) {
  auto c = Load({"--help"});
  EXPECT_FALSE(c.config);
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_NE(c.message.find("--poll-interval"), std::string::npos);
  EXPECT_NE(c.message.find("--networks"), std::string::npos);
}

}  // namespace
}  // namespace trinet
