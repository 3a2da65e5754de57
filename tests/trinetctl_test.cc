// trinetctl end to end: the built binary, a real database file, the example register.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "test_util.h"

namespace trinet {
namespace {

using testing::Quote;
using testing::ReadFile;
using testing::Replace;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

const std::string kExample = TRINET_FIXTURES "/register/inventory.yaml";

class Trinetctl : public ::testing::Test {
 protected:
  testing::CommandResult Ctl(const std::string& args) {
    return RunCommand(std::string(TRINETCTL) + " --db " + Quote(dir_ / "t.db") + " " + args);
  }
  TempDir dir_;
};

TEST_F(Trinetctl, HelpAndUsageExitCodes) {
  auto help = RunCommand(std::string(TRINETCTL) + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("inventory"), std::string::npos);
  EXPECT_NE(help.output.find("Exit codes"), std::string::npos);
  EXPECT_EQ(RunCommand(std::string(TRINETCTL)).exit_code, 2);
  EXPECT_EQ(Ctl("inventory frobnicate").exit_code, 2);
  EXPECT_EQ(Ctl("inventory apply").exit_code, 2);
  EXPECT_EQ(Ctl("inventory export --format xml").exit_code, 2);
  EXPECT_EQ(Ctl("inventory history --since yesterday").exit_code, 2);
}

TEST_F(Trinetctl, InvalidRegisterReportsEveryErrorAndAppliesNothing) {
  const std::string bad = Replace(Replace(ReadFile(kExample), "role: access", "role: acess"),
                                  "room: czj-room", "room: czj-rom");
  WriteFile(dir_ / "bad.yaml", bad);
  auto r = Ctl("inventory apply " + Quote(dir_ / "bad.yaml"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("bad.yaml:106:11: device 'czj-int-sw1': room 'czj-rom' is not a "
                          "registered room; did you mean 'czj-room'?"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("bad.yaml:108:11: device 'czj-int-sw1': role 'acess' is not one of"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("2 errors"), std::string::npos) << r.output;
  auto show = Ctl("inventory show");
  EXPECT_NE(show.output.find("The register is empty"), std::string::npos) << show.output;
}

TEST_F(Trinetctl, ApplyShowAndIdempotence) {
  auto first = Ctl("inventory apply " + Quote(kExample));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("+ device czj-int-sw1"), std::string::npos) << first.output;
  auto again = Ctl("inventory apply " + Quote(kExample));
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.output.find("No changes"), std::string::npos) << again.output;

  auto show = Ctl("inventory show");
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.output.find("市中心机房 (city-dc) · central · active · 4 devices"),
            std::string::npos)
      << show.output;
  EXPECT_NE(show.output.find("consolidate by 2014-12-31"), std::string::npos);
  EXPECT_NE(show.output.find("三原县公安局 (sy-gaj) · no administrator named"), std::string::npos);
  EXPECT_NE(show.output.find("3 platforms, 3 units, 3 rooms, 5 devices, 1 sanctioned exit"),
            std::string::npos);
  // Columns of one room line up in display width even with Chinese names.
  EXPECT_NE(show.output.find("city-ext-core  市外网核心交换机  external  core    127.0.10.1:16101"),
            std::string::npos)
      << show.output;
  EXPECT_NE(show.output.find("city-dc-ups1   市中心机房UPS-1   internal  ups     127.0.20.5:16101"),
            std::string::npos)
      << show.output;

  auto sanyuan = Ctl("inventory show --platform sanyuan");
  EXPECT_EQ(sanyuan.exit_code, 0);
  EXPECT_EQ(sanyuan.output.find("咸阳市级平台"), std::string::npos);
  auto unknown = Ctl("inventory show --platform sanyaun");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("did you mean 'sanyuan'"), std::string::npos) << unknown.output;
}

TEST_F(Trinetctl, DryRunShowsChangesAndWritesNothing) {
  ASSERT_EQ(Ctl("inventory apply " + Quote(kExample)).exit_code, 0);
  WriteFile(dir_ / "changed.yaml", Replace(ReadFile(kExample), "consolidate_by: 2014-12-31",
                                           "consolidate_by: 2015-06-30"));
  auto dry = Ctl("inventory apply --dry-run " + Quote(dir_ / "changed.yaml"));
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_NE(dry.output.find("~ room czj-room\n    consolidate_by: 2014-12-31 → 2015-06-30"),
            std::string::npos)
      << dry.output;
  EXPECT_NE(dry.output.find("Dry run: would apply 1 change"), std::string::npos);
  EXPECT_NE(Ctl("inventory show").output.find("2014-12-31"), std::string::npos);

  ASSERT_EQ(Ctl("inventory apply " + Quote(dir_ / "changed.yaml")).exit_code, 0);
  auto history = Ctl("inventory history --since 2000-01-01");
  EXPECT_EQ(history.exit_code, 0);
  const auto line_start = history.output.find("changed");
  ASSERT_NE(line_start, std::string::npos) << history.output;
  const std::string line =
      history.output.substr(line_start, history.output.find('\n', line_start) - line_start);
  for (const char* word : {"room", "czj-room", "consolidate_by", "2014-12-31  2015-06-30"}) {
    EXPECT_NE(line.find(word), std::string::npos) << word << " not in: " << line;
  }
  EXPECT_NE(Ctl("inventory history --since 2999-01-01").output.find("No register changes"),
            std::string::npos);
}

TEST_F(Trinetctl, YamlExportRoundTripsAndRedactsSecrets) {
  ASSERT_EQ(Ctl("inventory apply " + Quote(kExample)).exit_code, 0);
  auto exp = Ctl("inventory export --format yaml --out " + Quote(dir_ / "out"));
  ASSERT_EQ(exp.exit_code, 0) << exp.output;
  const std::string yaml = ReadFile(dir_ / "out" / "register.yaml");
  EXPECT_EQ(yaml.find("auctoritas"), std::string::npos);
  EXPECT_NE(yaml.find("name: 政务外网"), std::string::npos) << yaml;

  auto back = Ctl("inventory apply " + Quote(dir_ / "out" / "register.yaml"));
  EXPECT_EQ(back.exit_code, 0) << back.output;
  EXPECT_NE(back.output.find("No changes"), std::string::npos) << back.output;
  EXPECT_EQ(Ctl("inventory export").output, yaml);
}

TEST_F(Trinetctl, CsvExportHasBomAndOneFilePerEntity) {
  ASSERT_EQ(Ctl("inventory apply " + Quote(kExample)).exit_code, 0);
  EXPECT_EQ(Ctl("inventory export --format csv").exit_code, 1);
  ASSERT_EQ(Ctl("inventory export --format csv --out " + Quote(dir_ / "csv")).exit_code, 0);
  for (const char* f : {"networks.csv", "platforms.csv", "units.csv", "rooms.csv",
                        "credentials.csv", "devices.csv", "egress.csv"}) {
    const std::string content = ReadFile(dir_ / "csv" / f);
    EXPECT_EQ(content.substr(0, 3), "\xEF\xBB\xBF") << f;
  }
  const std::string devices = ReadFile(dir_ / "csv" / "devices.csv");
  EXPECT_NE(devices.find("id,name,room,network,role,address,credentials,sysname,installed\r\n"),
            std::string::npos);
  EXPECT_NE(devices.find("czj-int-sw1,,czj-room,internal,access,127.0.20.11:16101,lab-v2c,,"
                         "2012-03-15\r\n"),
            std::string::npos)
      << devices;
  const std::string creds = ReadFile(dir_ / "csv" / "credentials.csv");
  EXPECT_NE(creds.find("lab-v2c,2c,<redacted>,"), std::string::npos) << creds;
  EXPECT_EQ(creds.find("public"), std::string::npos);
  EXPECT_EQ(creds.find("auctoritas"), std::string::npos);
}

TEST_F(Trinetctl, NetworkServicesExportHistoryAndCsv) {
  ASSERT_EQ(Ctl("inventory apply " + Quote(kExample)).exit_code, 0);
  WriteFile(dir_ / "services.yaml", Replace(ReadFile(kExample), "    prefixes: [10.32.0.0/12]\n",
                                            "    prefixes: [10.32.0.0/12]\n"
                                            "    dns_resolvers: [10.32.0.53, \"2001:DB8:0::35\"]\n"
                                            "    dhcp_servers: [10.32.1.1]\n"));
  auto apply = Ctl("inventory apply " + Quote(dir_ / "services.yaml"));
  ASSERT_EQ(apply.exit_code, 0) << apply.output;
  EXPECT_NE(apply.output.find("~ network internal\n"
                              "    dns_resolvers: (unset) → 10.32.0.53, 2001:db8::35\n"
                              "    dhcp_servers: (unset) → 10.32.1.1\n"),
            std::string::npos)
      << apply.output;

  auto history = Ctl("inventory history");
  EXPECT_EQ(history.exit_code, 0);
  bool resolvers = false, dhcp = false;
  std::istringstream lines(history.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("network") == std::string::npos || line.find("internal") == std::string::npos) {
      continue;
    }
    resolvers = resolvers || (line.find("dns_resolvers") != std::string::npos &&
                              line.find("10.32.0.53, 2001:db8::35") != std::string::npos);
    dhcp = dhcp || (line.find("dhcp_servers") != std::string::npos &&
                    line.find("10.32.1.1") != std::string::npos);
  }
  EXPECT_TRUE(resolvers) << history.output;
  EXPECT_TRUE(dhcp) << history.output;

  // Export, then apply the export: no change.
  auto exp = Ctl("inventory export --format yaml --out " + Quote(dir_ / "out"));
  ASSERT_EQ(exp.exit_code, 0) << exp.output;
  const std::string yaml = ReadFile(dir_ / "out" / "register.yaml");
  EXPECT_NE(yaml.find("dns_resolvers: [10.32.0.53, "), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("dhcp_servers: [10.32.1.1]"), std::string::npos) << yaml;
  auto back = Ctl("inventory apply " + Quote(dir_ / "out" / "register.yaml"));
  EXPECT_EQ(back.exit_code, 0) << back.output;
  EXPECT_NE(back.output.find("No changes"), std::string::npos) << back.output;

  ASSERT_EQ(Ctl("inventory export --format csv --out " + Quote(dir_ / "csv")).exit_code, 0);
  const std::string networks = ReadFile(dir_ / "csv" / "networks.csv");
  EXPECT_NE(networks.find("id,name,prefixes,dns_resolvers,dhcp_servers\r\n"), std::string::npos)
      << networks;
  EXPECT_NE(networks.find("internal,内网,10.32.0.0/12,\"10.32.0.53, 2001:db8::35\",10.32.1.1\r\n"),
            std::string::npos)
      << networks;
  EXPECT_NE(networks.find("external,政务外网,10.64.0.0/12,,\r\n"), std::string::npos) << networks;
}

TEST_F(Trinetctl, DatabaseFromEnvironmentAndRuntimeFailure) {
  auto r = RunCommand("cd " + Quote(dir_.path()) + " && TRINET_DB=" + Quote(dir_ / "env.db") + " " +
                      TRINETCTL + " inventory apply " + Quote(kExample));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "env.db"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "var"));

  auto d = RunCommand("cd " + Quote(dir_.path()) + " && env -u TRINET_DB " + TRINETCTL +
                      " inventory show");
  EXPECT_EQ(d.exit_code, 0) << d.output;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "var" / "trinet.db"));

  auto broken = RunCommand(std::string(TRINETCTL) + " --db /nonexistent-dir/t.db inventory show");
  EXPECT_EQ(broken.exit_code, 3) << broken.output;
  EXPECT_NE(broken.output.find("cannot open database /nonexistent-dir/t.db"), std::string::npos)
      << broken.output;
}

TEST_F(Trinetctl, DryRunLeavesNoDatabaseBehind) {
  auto dry = Ctl("inventory apply --dry-run " + Quote(kExample));
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("Dry run: would apply"), std::string::npos) << dry.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "t.db"));
}

TEST_F(Trinetctl, ExistingDatabaseIsMadeOwnerOnly) {
  WriteFile(dir_ / "t.db", "");
  std::filesystem::permissions(dir_ / "t.db", std::filesystem::perms(0644));
  ASSERT_EQ(Ctl("inventory apply " + Quote(kExample)).exit_code, 0);
  EXPECT_EQ(std::filesystem::status(dir_ / "t.db").permissions(), std::filesystem::perms(0600));
}

TEST_F(Trinetctl, MissingRegisterFileIsInvalidInput) {
  auto r = Ctl("inventory apply " + Quote(dir_ / "nope.yaml"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("nope.yaml: cannot read the register"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace trinet
