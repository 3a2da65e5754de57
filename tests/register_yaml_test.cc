#include "register/register_yaml.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "register_store.h"
#include "test_util.h"

namespace trinet {
namespace {

TEST(RegisterYaml, ExampleApplies) {
  auto load = LoadRegisterFile(TRINET_FIXTURES "/register/inventory.yaml");
  for (const auto& e : load.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(load.reg);
  EXPECT_EQ(load.reg->devices.size(), 5u);
}

// The project's example register lives in shared/ beside the checkout; the fixture is a copy
// of it. When shared/ is there, the copy must still match it, so the example keeps applying.
TEST(RegisterYaml, FixtureMatchesTheSharedExample) {
  const std::filesystem::path shared = TRINET_SOURCE_DIR "/../shared/examples/inventory.yaml";
  if (!std::filesystem::exists(shared)) GTEST_SKIP() << "no shared/ beside this checkout";
  EXPECT_EQ(testing::ReadFile(shared),
            testing::ReadFile(TRINET_FIXTURES "/register/inventory.yaml"));
  EXPECT_TRUE(LoadRegisterFile(shared).errors.empty());
}

TEST(RegisterYaml, ExportedYamlParsesToTheSameRegister) {
  auto load = LoadRegisterFile(TRINET_FIXTURES "/register/inventory.yaml");
  ASSERT_TRUE(load.reg);
  auto again = ParseRegister(EmitRegisterYaml(*load.reg), "export.yaml", ".");
  for (const auto& e : again.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(again.reg);
  // Secrets come back as <redacted>; everything else is identical.
  Register expected = *load.reg;
  for (auto& c : expected.credentials) {
    if (c.community) c.community = kRedacted;
    if (c.auth) c.auth->passphrase = kRedacted;
    if (c.priv) c.priv->passphrase = kRedacted;
  }
  EXPECT_EQ(*again.reg, expected);
}

// The example register with DNS resolvers and DHCP servers on its internal network, written
// as an engineer might: IPv6 in upper case and not compressed.
std::string WithNetworkServices(const std::string& resolvers, const std::string& dhcp) {
  return testing::Replace(testing::ReadFile(TRINET_FIXTURES "/register/inventory.yaml"),
                          "    prefixes: [10.32.0.0/12]\n",
                          "    prefixes: [10.32.0.0/12]\n    dns_resolvers: " + resolvers +
                              "\n    dhcp_servers: " + dhcp + "\n");
}

// 1-based line and column of the unique `needle` in `text`, as diagnostics report them.
std::pair<int, int> LineColumn(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  EXPECT_EQ(text.find(needle, at + 1), std::string::npos) << needle << " is not unique";
  const auto line_start = text.rfind('\n', at);
  return {static_cast<int>(std::count(text.begin(), text.begin() + at, '\n')) + 1,
          static_cast<int>(at - (line_start == std::string::npos ? 0 : line_start + 1)) + 1};
}

TEST(RegisterYaml, NetworkServicesAreLoadedNormalised) {
  auto load = ParseRegister(
      WithNetworkServices(R"([10.32.0.53, "2001:DB8:0:0:0:0:0:35"])", "[10.32.1.1, 10.32.2.1]"),
      "reg.yaml", ".");
  for (const auto& e : load.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(load.reg);
  const auto& internal = load.reg->networks.at(1);
  ASSERT_EQ(internal.id, "internal");
  EXPECT_EQ(internal.dns_resolvers, (std::vector<std::string>{"10.32.0.53", "2001:db8::35"}));
  EXPECT_EQ(internal.dhcp_servers, (std::vector<std::string>{"10.32.1.1", "10.32.2.1"}));
  // Left out: not configured, and the capture rules do not judge that network.
  EXPECT_TRUE(load.reg->networks.at(0).dns_resolvers.empty());
  EXPECT_TRUE(load.reg->networks.at(0).dhcp_servers.empty());
}

TEST(RegisterYaml, AnEmptyNetworkServiceListIsNotConfigured) {
  auto load = ParseRegister(WithNetworkServices("[]", "[]"), "reg.yaml", ".");
  for (const auto& e : load.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(load.reg);
  EXPECT_TRUE(load.reg->networks.at(1).dns_resolvers.empty());
  EXPECT_TRUE(load.reg->networks.at(1).dhcp_servers.empty());
}

TEST(RegisterYaml, NetworkServiceThatIsNotAnAddressNamesFileLineColumn) {
  const std::string yaml = WithNetworkServices("[10.32.0.53, 10.32.0.256]", "[dhcp.xys.gov.cn]");
  auto load = ParseRegister(yaml, "reg.yaml", ".");
  EXPECT_FALSE(load.reg);
  ASSERT_EQ(load.errors.size(), 2u);
  auto [line, column] = LineColumn(yaml, "10.32.0.256");
  EXPECT_EQ(load.errors[0].ToString(),
            "reg.yaml:" + std::to_string(line) + ":" + std::to_string(column) +
                ": network 'internal': dns_resolvers entry '10.32.0.256' is not an IP address "
                "(IPv4 such as 10.64.0.53, or IPv6 such as \"2001:db8::53\")");
  std::tie(line, column) = LineColumn(yaml, "dhcp.xys.gov.cn");
  EXPECT_EQ(load.errors[1].line, line);
  EXPECT_EQ(load.errors[1].column, column);
  EXPECT_NE(load.errors[1].message.find("dhcp_servers entry 'dhcp.xys.gov.cn' is not an IP"),
            std::string::npos)
      << load.errors[1].message;
}

TEST(RegisterYaml, NetworkServiceListedTwiceIsRefused) {
  // The same address in two spellings is a duplicate after normalisation.
  const std::string yaml =
      WithNetworkServices(R"(["2001:db8::35", "2001:DB8:0::35"])", "[10.32.1.1, 10.32.1.1]");
  auto load = ParseRegister(yaml, "reg.yaml", ".");
  EXPECT_FALSE(load.reg);
  ASSERT_EQ(load.errors.size(), 2u);
  const int resolvers_line = LineColumn(yaml, "dns_resolvers:").first;
  const auto [line, column] = LineColumn(yaml, "\"2001:DB8:0::35\"");
  EXPECT_EQ(load.errors[0].ToString(),
            "reg.yaml:" + std::to_string(line) + ":" + std::to_string(column) +
                ": network 'internal': dns_resolvers lists 2001:db8::35 twice (first at line " +
                std::to_string(resolvers_line) + ")");
  const auto dhcp = LineColumn(yaml, "10.32.1.1]");
  EXPECT_EQ(load.errors[1].line, dhcp.first);
  EXPECT_EQ(load.errors[1].column, dhcp.second);
  EXPECT_NE(load.errors[1].message.find("dhcp_servers lists 10.32.1.1 twice"), std::string::npos)
      << load.errors[1].message;
}

TEST(RegisterYaml, NetworkServicesSurviveExport) {
  auto load = ParseRegister(WithNetworkServices(R"(["2001:DB8::35", 10.32.0.53])", "[10.32.1.1]"),
                            "reg.yaml", ".");
  ASSERT_TRUE(load.reg);
  const std::string exported = EmitRegisterYaml(*load.reg);
  auto again = ParseRegister(exported, "export.yaml", ".");
  for (const auto& e : again.errors) ADD_FAILURE() << e.ToString() << "\n" << exported;
  ASSERT_TRUE(again.reg);
  EXPECT_EQ(again.reg->networks, load.reg->networks);
  // Unset lists are left out, so a register without them exports as before.
  EXPECT_EQ(exported.find("dns_resolvers"), exported.rfind("dns_resolvers")) << exported;
}

}  // namespace
}  // namespace trinet
