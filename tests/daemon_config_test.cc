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

TEST(DaemonConfig, CaptureSourcesFromFlagsAndFile) {
  auto c = Load({"--capture", "eth1:internal", "--capture", "eth2:external:not port 22",
                 "--capture", "eth3:classified:ip6 and host fe80::1", "--capture-user", "trinet",
                 "--capture-max-flows", "5000"});
  ASSERT_TRUE(c.config) << c.message;
  EXPECT_EQ(c.config->captures,
            (std::vector<CaptureSource>{{"eth1", "internal", ""},
                                        {"eth2", "external", "not port 22"},
                                        {"eth3", "classified", "ip6 and host fe80::1"}}));
  EXPECT_EQ(c.config->capture_user, "trinet");
  EXPECT_EQ(c.config->capture_max_flows, 5000u);

  auto d = Load({});
  ASSERT_TRUE(d.config) << d.message;
  EXPECT_TRUE(d.config->captures.empty());
  EXPECT_FALSE(d.config->capture_user);
  EXPECT_EQ(d.config->capture_max_flows, 100000u);

  testing::TempDir dir;
  testing::WriteFile(dir / "trinetd.conf",
                     "networks = \"internal\"\n"
                     "capture = [\"eth1:internal\", \"eth4:internal:vlan and udp port 53\"]\n"
                     "capture-user = \"nobody\"\n");
  auto f = Load({"--config", (dir / "trinetd.conf").string()});
  ASSERT_TRUE(f.config) << f.message;
  EXPECT_EQ(f.config->captures,
            (std::vector<CaptureSource>{{"eth1", "internal", ""},
                                        {"eth4", "internal", "vlan and udp port 53"}}));
  EXPECT_EQ(f.config->capture_user, "nobody");
}

TEST(DaemonConfig, BadCaptureSourcesFailStartUpNamingTheSource) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--capture", "eth1"}, "IFACE:NETWORK"},
      {{"--capture", ":internal"}, "no interface"},
      {{"--capture", "eth1:internet"}, "not one of external, internal, classified"},
      {{"--capture", "eth1:internal:port 99999"}, "bad BPF filter"},
      {{"--capture", "eth1:internal:tcp and and"}, "bad BPF filter"},
      {{"--capture", "any:internal"}, "any"},
      {{"--capture", "a-very-long-interface-name:internal"}, "not an interface name"},
      {{"--capture", "eth1:internal", "--capture", "eth1:internal:udp"}, "twice"},
      {{"--networks", "external", "--capture", "eth1:internal"}, "not one this instance"},
      {{"--capture-max-flows", "0"}, "capture-max-flows"},
  };
  for (const auto& [args, why] : cases) {
    auto c = Load(args);
    EXPECT_FALSE(c.config) << args.back();
    EXPECT_EQ(c.exit_code, 2) << args.back();
    EXPECT_NE(c.message.find(why), std::string::npos) << c.message;
    if (args[0] == "--capture") {
      EXPECT_NE(c.message.find("--capture " + args.back()), std::string::npos) << c.message;
    }
  }
}

TEST(DaemonConfig, CaptureSourceParsing) {
  CaptureSource s;
  std::string error;
  ASSERT_TRUE(ParseCaptureSource("enp3s0f1:external:host 2001:db8::1 and port 53", &s, &error));
  EXPECT_EQ(s.interface, "enp3s0f1");
  EXPECT_EQ(s.network, "external");
  EXPECT_EQ(s.filter, "host 2001:db8::1 and port 53");
  EXPECT_TRUE(ValidateCaptureFilter(s.filter, &error)) << error;
  EXPECT_TRUE(ValidateCaptureFilter("", &error));
  EXPECT_FALSE(ValidateCaptureFilter("frobnicate", &error));
  EXPECT_NE(error.find("frobnicate"), std::string::npos) << error;
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
