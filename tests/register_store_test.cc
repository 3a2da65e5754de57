#include "register_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "register/register_yaml.h"
#include "test_util.h"

namespace trinet {
namespace {

using testing::ReadFile;
using testing::Replace;
using testing::TempDir;

const std::string kExample = TRINET_FIXTURES "/register/inventory.yaml";

Register Parse(const std::string& yaml) {
  auto load = ParseRegister(yaml, "reg.yaml", ".");
  for (const auto& e : load.errors) ADD_FAILURE() << e.ToString();
  return load.reg.value_or(Register{});
}

ApplyRequest Request(const std::string& text, bool dry_run = false) {
  return {"reg.yaml", Sha256Hex(text), "tester", UtcNow(), dry_run};
}

std::int64_t Count(sql::Database& db, const std::string& table) {
  sql::Statement s(db, "SELECT count(*) FROM " + table);
  s.Step();
  return s.Int(0);
}

TEST(RegisterStore, OpenCreatesOwnerOnlyWalDatabase) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  struct stat st {};
  ASSERT_EQ(stat((dir / "t.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  sql::Statement mode(db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.Step());
  EXPECT_EQ(mode.Text(0), "wal");
  sql::Statement fk(db, "PRAGMA foreign_keys");
  ASSERT_TRUE(fk.Step());
  EXPECT_EQ(fk.Int(0), 1);
  EXPECT_EQ(db.UserVersion(), sql::Migrations().back().version);
}

// Regression: opening a second connection used to open() and close() the database file,
// which drops every POSIX lock this process holds on it. Another process (trinetctl, the
// sqlite3 shell) closing its connection then took itself for the last one and reset the WAL
// while trinetd still wrote to it: each side stopped seeing the other's commits and an
// acknowledgement was overwritten. Another process must see what we write after it came
// and went.
TEST(RegisterStore, ASecondConnectionKeepsTheFirstOnesLocks) {
  TempDir dir;
  const auto path = dir / "t.db";
  auto first = sql::Database::Open(path);
  auto second = sql::Database::Open(path);
  first.Exec("CREATE TABLE probe (x INTEGER)");
  auto other_process = [&](const std::string& sql) {
    return testing::RunCommand("sqlite3 " + testing::Quote(path) + " " + testing::Quote(sql));
  };
  auto before = other_process("SELECT count(*) FROM probe");
  ASSERT_EQ(before.exit_code, 0) << before.output;
  EXPECT_EQ(before.output, "0\n");
  first.Exec("INSERT INTO probe VALUES (1)");
  second.Exec("INSERT INTO probe VALUES (2)");
  auto after = other_process("SELECT count(*) FROM probe");
  ASSERT_EQ(after.exit_code, 0) << after.output;
  EXPECT_EQ(after.output, "2\n") << "a commit of this process is invisible to another one";
  auto write = other_process("INSERT INTO probe VALUES (3)");
  ASSERT_EQ(write.exit_code, 0) << write.output;
  sql::Statement count(second, "SELECT count(*) FROM probe");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.Int(0), 3) << "another process's commit is invisible to this one";
}

TEST(RegisterStore, TightensAnExistingDatabaseReadableByOthers) {
  TempDir dir;
  const auto path = dir / "t.db";
  { auto db = sql::Database::Open(path); }
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto db = sql::Database::Open(path);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(RegisterStore, UpgradesADatabaseMadeByMigrationOne) {
  TempDir dir;
  {
    auto old = sql::Database::OpenRaw(dir / "t.db");
    sql::MigrateTo(old, 1);
    ASSERT_EQ(old.UserVersion(), 1);
    old.Exec(
        "INSERT INTO networks (id, name, prefixes, ord) VALUES "
        "('external', '政务外网', '[\"10.64.0.0/12\"]', 0)");
  }
  auto db = sql::Database::Open(dir / "t.db");
  EXPECT_EQ(db.UserVersion(), sql::Migrations().back().version);
  Register r = LoadRegister(db);
  ASSERT_EQ(r.networks.size(), 1u);
  EXPECT_EQ(r.networks[0].prefixes, std::vector<std::string>{"10.64.0.0/12"});
  EXPECT_EQ(Count(db, "register_history"), 0);
}

// Migration 006 adds the networks' DNS resolvers and DHCP servers: a register applied before
// it keeps everything and gets empty lists (not configured), and applying it again is no change.
TEST(RegisterStore, UpgradesADatabaseMadeBeforeNetworkServices) {
  TempDir dir;
  const std::string text = ReadFile(kExample);
  Register reg = Parse(text);
  {
    auto old = sql::Database::OpenRaw(dir / "t.db");
    sql::MigrateTo(old, 5);
    ASSERT_EQ(old.UserVersion(), 5);
    old.Exec(
        "INSERT INTO networks (id, name, prefixes, ord) VALUES "
        "('external', '政务外网', '[\"10.64.0.0/12\"]', 0), "
        "('internal', '内网', '[\"10.32.0.0/12\"]', 1), "
        "('classified', '机要保密网', '[\"10.16.0.0/12\"]', 2)");
  }
  auto db = sql::Database::Open(dir / "t.db");
  EXPECT_EQ(db.UserVersion(), sql::Migrations().back().version);
  Register r = LoadRegister(db);
  ASSERT_EQ(r.networks.size(), 3u);
  EXPECT_EQ(r.networks, reg.networks);
  for (const auto& n : r.networks) {
    EXPECT_TRUE(n.dns_resolvers.empty()) << n.id;
    EXPECT_TRUE(n.dhcp_servers.empty()) << n.id;
  }
  // The new columns hold JSON arrays and nothing else.
  EXPECT_THROW(db.Exec("UPDATE networks SET dns_resolvers = 'not json' WHERE id = 'internal'"),
               sql::Error);
  EXPECT_THROW(db.Exec("UPDATE networks SET dhcp_servers = NULL WHERE id = 'internal'"),
               sql::Error);
}

TEST(RegisterStore, NetworkServicesRoundTripAndAreRecordedInHistory) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string text = ReadFile(kExample);
  ASSERT_TRUE(ApplyRegister(db, Parse(text), Request(text)).applied);

  const std::string changed =
      Replace(text, "    prefixes: [10.32.0.0/12]\n",
              "    prefixes: [10.32.0.0/12]\n    dns_resolvers: [10.32.0.53, \"2001:DB8::35\"]\n"
              "    dhcp_servers: [10.32.1.1]\n");
  Register reg = Parse(changed);
  auto result = ApplyRegister(db, reg, Request(changed));
  ASSERT_TRUE(result.applied);
  EXPECT_EQ(result.changes,
            (std::vector<FieldChange>{
                {"changed", "network", "internal", "dns_resolvers", std::nullopt,
                 "10.32.0.53, 2001:db8::35"},
                {"changed", "network", "internal", "dhcp_servers", std::nullopt, "10.32.1.1"}}));
  EXPECT_EQ(LoadRegister(db), reg);
  EXPECT_EQ(LoadRegister(db).networks.at(1).dns_resolvers,
            (std::vector<std::string>{"10.32.0.53", "2001:db8::35"}));
  sql::Statement raw(db, "SELECT dns_resolvers, dhcp_servers FROM networks WHERE id = 'external'");
  ASSERT_TRUE(raw.Step());
  EXPECT_EQ(raw.Text(0), "[]");
  EXPECT_EQ(raw.Text(1), "[]");

  // The export applies back with no change.
  const std::string exported = EmitRegisterYaml(LoadRegister(db));
  auto again = ApplyRegister(db, Parse(exported), Request(exported));
  EXPECT_TRUE(again.errors.empty());
  EXPECT_TRUE(again.changes.empty());

  // Taking a resolver out is one changed field in the history.
  const std::string fewer = Replace(changed, "[10.32.0.53, \"2001:DB8::35\"]", "[10.32.0.53]");
  ASSERT_TRUE(ApplyRegister(db, Parse(fewer), Request(fewer)).applied);
  std::vector<FieldChange> last;
  for (const auto& h : LoadHistory(db, std::nullopt)) {
    if (h.sha256 == Sha256Hex(fewer)) last.push_back(h.change);
  }
  EXPECT_EQ(last, (std::vector<FieldChange>{{"changed", "network", "internal", "dns_resolvers",
                                             "10.32.0.53, 2001:db8::35", "10.32.0.53"}}));
}

TEST(RegisterStore, RefusesADatabaseFromANewerTrinet) {
  TempDir dir;
  {
    auto db = sql::Database::Open(dir / "t.db");
    db.Exec("PRAGMA user_version = 999");
  }
  EXPECT_THROW(sql::Database::Open(dir / "t.db"), sql::Error);
}

TEST(RegisterStore, ApplyIsIdempotentAndLoadsBackEqual) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string text = ReadFile(kExample);
  Register reg = Parse(text);
  auto first = ApplyRegister(db, reg, Request(text));
  EXPECT_TRUE(first.applied);
  EXPECT_FALSE(first.changes.empty());
  EXPECT_EQ(LoadRegister(db), reg);
  const auto history = Count(db, "register_history");

  auto second = ApplyRegister(db, reg, Request(text));
  EXPECT_FALSE(second.applied);
  EXPECT_TRUE(second.changes.empty());
  EXPECT_EQ(Count(db, "register_history"), history);
  EXPECT_EQ(Count(db, "register_applies"), 1);
}

TEST(RegisterStore, ChangesAreRecordedFieldByField) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string text = ReadFile(kExample);
  ApplyRegister(db, Parse(text), Request(text));

  std::string changed = Replace(text, "status: consolidating", "status: consolidated");
  changed = Replace(changed,
                    "  - id: czj-int-sw1\n    room: czj-room\n    network: internal\n"
                    "    role: access\n    address: 127.0.20.11:16101\n"
                    "    credentials: lab-v2c\n    installed: 2012-03-15\n",
                    "");
  auto result = ApplyRegister(db, Parse(changed), Request(changed));
  ASSERT_TRUE(result.applied);
  auto history = LoadHistory(db, std::nullopt);
  std::vector<FieldChange> last;
  for (const auto& h : history) {
    if (h.sha256 == Sha256Hex(changed)) last.push_back(h.change);
  }
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last[0], (FieldChange{"changed", "room", "czj-room", "status", "consolidating",
                                  "consolidated"}));
  bool removed = false;
  for (const auto& c : last) {
    removed = removed || (c.op == "removed" && c.id == "czj-int-sw1" && c.field == "address" &&
                          c.old_value == "127.0.20.11:16101");
  }
  EXPECT_TRUE(removed);
  EXPECT_EQ(LoadRegister(db).devices.size(), 4u);
  EXPECT_TRUE(LoadHistory(db, "2999-01-01").empty());
}

TEST(RegisterStore, DryRunWritesNothing) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string text = ReadFile(kExample);
  auto result = ApplyRegister(db, Parse(text), Request(text, /*dry_run=*/true));
  EXPECT_FALSE(result.applied);
  EXPECT_FALSE(result.changes.empty());
  EXPECT_EQ(Count(db, "devices"), 0);
  EXPECT_EQ(Count(db, "register_applies"), 0);
}

TEST(RegisterStore, SecretsStayOutOfHistoryAndExport) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string text = ReadFile(kExample);
  ApplyRegister(db, Parse(text), Request(text));
  for (const auto& h : LoadHistory(db, std::nullopt)) {
    for (const auto& v : {h.change.old_value, h.change.new_value}) {
      EXPECT_NE(v, "public");
      EXPECT_NE(v, "auctoritas");
      EXPECT_NE(v, "privatus");
    }
  }
  const std::string yaml = EmitRegisterYaml(LoadRegister(db));
  EXPECT_EQ(yaml.find("auctoritas"), std::string::npos);
  EXPECT_EQ(yaml.find("privatus"), std::string::npos);
  EXPECT_EQ(yaml.find("community: public"), std::string::npos);
  EXPECT_NE(yaml.find("<redacted>"), std::string::npos);
}

TEST(RegisterStore, RedactedExportAppliesBackToAnIdenticalDatabase) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string text = ReadFile(kExample);
  Register original = Parse(text);
  ApplyRegister(db, original, Request(text));

  const std::string exported = EmitRegisterYaml(LoadRegister(db));
  auto result = ApplyRegister(db, Parse(exported), Request(exported));
  EXPECT_TRUE(result.errors.empty());
  EXPECT_TRUE(result.changes.empty());
  EXPECT_EQ(LoadRegister(db), original);
  EXPECT_EQ(EmitRegisterYaml(LoadRegister(db)), exported);
}

TEST(RegisterStore, RedactedSecretWithNothingStoredIsRefused) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string exported = EmitRegisterYaml(Parse(ReadFile(kExample)));
  auto result = ApplyRegister(db, Parse(exported), Request(exported));
  ASSERT_FALSE(result.errors.empty());
  EXPECT_NE(result.errors[0].find("credential 'lab-v2c': community is <redacted>"),
            std::string::npos)
      << result.errors[0];
  EXPECT_FALSE(result.applied);
  EXPECT_EQ(Count(db, "networks"), 0);
}

TEST(RegisterStore, V3ContextIsStoredAndExported) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string text = Replace(ReadFile(kExample), "    user: simulator\n",
                                   "    user: simulator\n    context: vlan-10\n");
  Register reg = Parse(text);
  ASSERT_TRUE(ApplyRegister(db, reg, Request(text)).applied);
  EXPECT_EQ(LoadRegister(db).credentials.at(1).context, "vlan-10");
  EXPECT_NE(EmitRegisterYaml(LoadRegister(db)).find("context: vlan-10"), std::string::npos);
}

TEST(RegisterStore, ChangedSecretIsRecordedRedacted) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  const std::string text = ReadFile(kExample);
  ApplyRegister(db, Parse(text), Request(text));
  const std::string changed = Replace(text, "community: public", "community: s3cret-community");
  auto result = ApplyRegister(db, Parse(changed), Request(changed));
  ASSERT_EQ(result.changes.size(), 1u);
  EXPECT_EQ(result.changes[0], (FieldChange{"changed", "credential", "lab-v2c", "community",
                                            "<redacted>", "<redacted>"}));
  EXPECT_EQ(LoadRegister(db).credentials[0].community, "s3cret-community");
}

}  // namespace
}  // namespace trinet
