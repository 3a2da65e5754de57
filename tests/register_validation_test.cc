// One test per validation class of the register loader.
//
// Every test starts from kBase, a small valid register, changes one thing in it and checks
// that the loader refuses the file with the right diagnostic: where (line and column, found
// by searching the edited text, so the expectations follow the text rather than the loader)
// and what (the key words of the message).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "register/register_yaml.h"
#include "test_util.h"

namespace trinet {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A valid register using every section; tests edit it with Base().Replace(...).
constexpr std::string_view kBase = R"(version: 1
networks:
  - id: external
    name: ext
    prefixes: [10.64.0.0/12]
  - id: internal
    name: int
    prefixes: [10.32.0.0/12]
platforms:
  - id: city
    name: City
    level: city
  - id: county
    name: County
    level: county
    parent: city
units:
  - id: office
    name: Office
    platform: city
rooms:
  - id: dc
    name: Central DC
    unit: office
    platform: city
    kind: central
    status: active
  - id: dept
    name: Department room
    platform: county
    kind: department
    status: consolidating
    consolidate_by: 2014-12-31
credentials:
  - id: v2
    version: 2c
    community: public
  - id: v3
    version: 3
    user: monitor
    auth: {protocol: SHA, passphrase: authpass1}
    priv: {protocol: AES, passphrase: privpass1}
devices:
  - id: core
    room: dc
    network: external
    role: core
    address: 10.64.0.1
    credentials: v2
  - id: fw
    room: dc
    network: external
    role: firewall
    address: 10.64.0.2:161
    credentials: v3
  - id: sw
    room: dept
    network: internal
    role: access
    address: 10.32.0.9
    credentials: v2
    installed: 2012-03-15
egress:
  - id: exit
    platform: city
    network: external
    device: fw
    interface: ge0/1
    public_prefixes: [203.0.113.0/28]
    gateway_macs: ["00:1b:54:aa:00:01"]
)";

// Register text under edit. Each Replace must match exactly once, so that an edit cannot
// silently miss or hit the wrong entity when kBase changes.
class Yaml {
 public:
  explicit Yaml(std::string_view text) : text_(text) {}

  [[nodiscard]] Yaml Replace(std::string_view from, std::string_view to) const {
    Yaml out = *this;
    const auto at = text_.find(from);
    if (at == std::string::npos) {
      ADD_FAILURE() << "edit target not found: '" << from << "'";
    } else if (text_.find(from, at + 1) != std::string::npos) {
      ADD_FAILURE() << "edit target is not unique: '" << from << "'";
    } else {
      out.text_.replace(at, from.size(), to);
    }
    return out;
  }
  [[nodiscard]] Yaml Remove(std::string_view line) const { return Replace(line, ""); }

  operator const std::string&() const { return text_; }  // NOLINT: implicit on purpose
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

Yaml Base() { return Yaml(kBase); }

// A 1-based line and column, as diagnostics report them.
struct Pos {
  int line = 0;
  int column = 0;
  bool operator==(const Pos&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Pos& p) {
    return os << p.line << ":" << p.column;
  }
};

Pos At(const Diagnostic& d) { return {d.line, d.column}; }

// Where the unique `needle` starts in `text`; with `skip`, that many characters later (to
// point into a needle that carries context, e.g. Where(y, "device: fw", 8) is "fw").
Pos Where(const std::string& text, std::string_view needle, size_t skip = 0) {
  const auto at = text.find(needle);
  if (at == std::string::npos || text.find(needle, at + 1) != std::string::npos) {
    ADD_FAILURE() << "'" << needle << "' does not occur exactly once in the register";
    return {};
  }
  const auto offset = at + skip;
  const auto line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const size_t column = line_start == std::string::npos ? offset : offset - line_start - 1;
  return {static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n')) + 1,
          static_cast<int>(column) + 1};
}

// The position of the value in the unique "key: value" text.
Pos ValueOf(const std::string& text, std::string_view key_value) {
  return Where(text, key_value, key_value.find(": ") + 2);
}

// A passphrase reader for tests that use no passphrase_file: reading is a failure.
std::optional<std::string> NoFileReads(const std::filesystem::path& path, std::string* error) {
  ADD_FAILURE() << "unexpected passphrase_file read: " << path;
  *error = "unexpected read";
  return std::nullopt;
}

RegisterLoad Parse(const std::string& yaml) {
  return ParseRegister(yaml, "reg.yaml", "/nonexistent", NoFileReads);
}

// The load was refused (no register) with exactly `n` diagnostics.
MATCHER_P(IsRefusedWith, n, "is refused with " + ::testing::PrintToString(n) + " error(s)") {
  bool ok = !arg.reg.has_value() && arg.errors.size() == static_cast<size_t>(n);
  if (!ok) {
    *result_listener << (arg.reg ? "a register was returned; " : "") << arg.errors.size()
                     << " error(s):";
    for (const auto& e : arg.errors) *result_listener << "\n  " << e.ToString();
  }
  return ok;
}

using testing::TempDir;

// Writes `content` to NAME in `dir` with the given mode and returns its path.
std::filesystem::path WriteWithMode(const TempDir& dir, const std::string& name,
                                    const std::string& content, std::filesystem::perms mode) {
  const auto file = dir / name;
  testing::WriteFile(file, content);
  std::filesystem::permissions(file, mode, std::filesystem::perm_options::replace);
  return file;
}

constexpr auto kOwnerOnly =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
constexpr auto kWorldReadable =
    kOwnerOnly | std::filesystem::perms::group_read | std::filesystem::perms::others_read;

// The v3 credential's auth key, read from a file instead of written inline.
Yaml WithAuthPassphraseFile(std::string_view file) {
  return Base().Replace("auth: {protocol: SHA, passphrase: authpass1}",
                        "auth: {protocol: SHA, passphrase_file: " + std::string(file) + "}");
}

// ---------------------------------------------------------------------------------------
// The valid base, and the diagnostic format.

TEST(RegisterValidation, ValidBaseParsesWithoutErrors) {
  auto load = Parse(Base());
  for (const auto& e : load.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(load.reg);
  EXPECT_EQ(load.reg->networks.size(), 2u);
  EXPECT_EQ(load.reg->platforms.size(), 2u);
  EXPECT_EQ(load.reg->units.size(), 1u);
  EXPECT_EQ(load.reg->rooms.size(), 2u);
  EXPECT_EQ(load.reg->credentials.size(), 2u);
  EXPECT_EQ(load.reg->devices.size(), 3u);
  EXPECT_EQ(load.reg->egress.size(), 1u);
}

TEST(RegisterValidation, DiagnosticToStringIsFileLineColumnMessage) {
  auto load = Parse(Base().Replace("version: 1\n", "version: 2\n"));
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(load.errors[0].ToString(),
            "reg.yaml:1:10: register version '2' is not supported (this trinet reads 1)");
}

// ---------------------------------------------------------------------------------------
// Syntax and structure.

TEST(RegisterValidation, YamlSyntaxError) {
  // A second ': ' on a line is not allowed in a plain scalar; nothing else can be read then.
  const Yaml yaml = Base().Replace("name: Office", "name: Office: Head");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, ": Head"));
  EXPECT_THAT(load.errors[0].message, AllOf(HasSubstr("YAML syntax"), HasSubstr("map value")));
}

TEST(RegisterValidation, UnknownKeyWithDidYouMean) {
  const Yaml yaml = Base().Replace("installed: 2012", "instaled: 2012");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "instaled"));
  EXPECT_THAT(load.errors[0].message, AllOf(HasSubstr("unknown key 'instaled' in device 'sw'"),
                                            HasSubstr("did you mean 'installed'?")));
}

TEST(RegisterValidation, DuplicateYamlKey) {
  const Yaml yaml = Base().Replace("name: Office\n", "name: Office\n    name: Bureau\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "name: Bureau"));
  EXPECT_THAT(
      load.errors[0].message,
      AllOf(HasSubstr("duplicate key 'name'"),
            HasSubstr("first at line " + std::to_string(Where(yaml, "name: Office").line))));
}

TEST(RegisterValidation, MissingRequiredKey) {
  const Yaml yaml = Base().Remove("    interface: ge0/1\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "id: exit"));  // the entry's first key
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("egress 'exit' is missing required key 'interface'"));
}

TEST(RegisterValidation, RequiredKeyWithoutValue) {
  // Reported at the key: yaml-cpp marks an empty value where the next line starts.
  const Yaml yaml = Base().Replace("name: Office", "name:");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "name:\n"));
  EXPECT_THAT(load.errors[0].message, HasSubstr("'name' of unit 'office' has no value"));

  // The same for a list, here the only one of a network: it then has no address plan.
  const Yaml no_prefixes = Base().Replace("prefixes: [10.32.0.0/12]", "prefixes:");
  load = Parse(no_prefixes);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(no_prefixes, "prefixes:\n"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("network 'internal' is missing required key 'prefixes'"));
}

TEST(RegisterValidation, WrongEnumValueWithDidYouMean) {
  const Yaml yaml = Base().Replace("kind: central", "kind: centrl");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "kind: centrl"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("room 'dc': kind 'centrl' is not one of central | department"),
                    HasSubstr("did you mean 'central'?")));
}

TEST(RegisterValidation, UnsupportedVersion) {
  const Yaml yaml = Base().Replace("version: 1\n", "version: 2\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), (Pos{1, 10}));
  EXPECT_THAT(load.errors[0].message, HasSubstr("version '2' is not supported"));
}

TEST(RegisterValidation, BadIdCharacters) {
  const Yaml yaml = Base().Replace("id: core", "id: Core Switch");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "id: Core Switch"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("device id 'Core Switch'"), HasSubstr("lower-case letters")));
}

TEST(RegisterValidation, DuplicateId) {
  const Yaml yaml = Base().Replace("id: sw", "id: core");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  const std::string second_core = "id: core\n    room: dept";
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, second_core));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("duplicate device id 'core'"),
                    HasSubstr("first defined at line " +
                              std::to_string(Where(yaml, "id: core\n    room: dc").line))));
}

// ---------------------------------------------------------------------------------------
// References between entries: each names an id another section must define.

TEST(RegisterValidation, DanglingRoomUnit) {
  const Yaml yaml = Base().Replace("unit: office", "unit: ofice");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "unit: ofice"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("room 'dc': unit 'ofice' is not a registered unit"),
                    HasSubstr("did you mean 'office'?")));
}

TEST(RegisterValidation, DanglingRoomPlatform) {
  const Yaml yaml = Base().Replace("platform: county", "platform: town");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "platform: town"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("room 'dept': platform 'town' is not a registered platform"));
}

TEST(RegisterValidation, DanglingUnitPlatform) {
  const Yaml yaml =
      Base().Replace("name: Office\n    platform: city", "name: Office\n    platform: cty");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "platform: cty"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("unit 'office': platform 'cty' is not a registered platform"),
                    HasSubstr("did you mean 'city'?")));
}

TEST(RegisterValidation, DanglingPlatformParent) {
  const Yaml yaml = Base().Replace("parent: city", "parent: capital");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "parent: capital"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("platform 'county': parent 'capital' is not a registered platform"));
}

TEST(RegisterValidation, DanglingDeviceRoom) {
  const Yaml yaml = Base().Replace("room: dept", "room: lab");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "room: lab"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("device 'sw': room 'lab' is not a registered room"));
}

TEST(RegisterValidation, DanglingDeviceNetwork) {
  const Yaml yaml = Base().Replace("network: internal", "network: internl");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "network: internl"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("device 'sw': network 'internl' is not a registered network"),
                    HasSubstr("did you mean 'internal'?")));
}

TEST(RegisterValidation, DanglingDeviceCredentials) {
  const Yaml yaml = Base().Replace("credentials: v3", "credentials: snmp3");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "credentials: snmp3"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("device 'fw': credentials 'snmp3' is not a registered credential profile"));
}

TEST(RegisterValidation, DanglingEgressDevice) {
  const Yaml yaml = Base().Replace("device: fw", "device: firewall");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "device: firewall"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("egress 'exit': device 'firewall' is not a registered device"));
}

TEST(RegisterValidation, DanglingEgressPlatform) {
  const Yaml yaml =
      Base().Replace("- id: exit\n    platform: city", "- id: exit\n    platform: metro");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "platform: metro"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("egress 'exit': platform 'metro' is not a registered platform"));
}

TEST(RegisterValidation, DanglingEgressNetwork) {
  // Also reported: the exit's device is then not on the exit's network.
  const Yaml yaml =
      Base().Replace("network: external\n    device: fw", "network: externl\n    device: fw");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(2));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "network: externl"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("egress 'exit': network 'externl' is not a registered network"),
                    HasSubstr("did you mean 'external'?")));
  EXPECT_EQ(At(load.errors[1]), ValueOf(yaml, "device: fw"));
  EXPECT_THAT(load.errors[1].message, HasSubstr("not on the exit's network 'externl'"));
}

// ---------------------------------------------------------------------------------------
// Addresses.

TEST(RegisterValidation, InvalidCidr) {
  const Yaml yaml = Base().Replace("10.64.0.0/12", "10.64.0.0/33");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "10.64.0.0/33"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("network 'external'"),
                    HasSubstr("'10.64.0.0/33' has an invalid prefix length (0..32)")));
}

TEST(RegisterValidation, HostBitsSetInCidrWithDidYouMean) {
  const Yaml yaml = Base().Replace("203.0.113.0/28", "203.0.113.5/28");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "203.0.113.5/28"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("egress 'exit'"), HasSubstr("'203.0.113.5/28' has host bits set"),
                    HasSubstr("did you mean 203.0.113.0/28?")));
}

TEST(RegisterValidation, InvalidManagementAddress) {
  const Yaml yaml = Base().Replace("address: 10.32.0.9", "address: 10.32.0.256");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "address: 10.32.0.256"));
  EXPECT_THAT(load.errors[0].message, AllOf(HasSubstr("device 'sw': address '10.32.0.256'"),
                                            HasSubstr("neither an IP address nor a host name")));
}

TEST(RegisterValidation, InvalidMac) {
  const Yaml yaml = Base().Replace("00:1b:54:aa:00:01", "00:1b:54:aa:00");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "\"00:1b:54:aa:00\""));
  EXPECT_THAT(load.errors[0].message, AllOf(HasSubstr("egress 'exit'"),
                                            HasSubstr("'00:1b:54:aa:00' is not a MAC address")));
}

// dns_resolvers and dhcp_servers of a network: single IP addresses, no prefix, no port.
TEST(RegisterValidation, NetworkServiceGivenAsAPrefix) {
  const Yaml yaml =
      Base().Replace("prefixes: [10.32.0.0/12]\n",
                     "prefixes: [10.32.0.0/12]\n    dns_resolvers: [10.32.0.53/32]\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "10.32.0.53/32"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("network 'internal': dns_resolvers entry '10.32.0.53/32'"),
                    HasSubstr("give a single address, not a prefix")));
}

TEST(RegisterValidation, NetworkServiceWithAPort) {
  const Yaml yaml = Base().Replace("prefixes: [10.64.0.0/12]\n",
                                   "prefixes: [10.64.0.0/12]\n    dhcp_servers: [10.64.0.1:67]\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "10.64.0.1:67"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("network 'external': dhcp_servers entry '10.64.0.1:67'"),
                    HasSubstr("without a port")));
}

TEST(RegisterValidation, NetworkServiceWithAZoneId) {
  const Yaml yaml =
      Base().Replace("prefixes: [10.32.0.0/12]\n",
                     "prefixes: [10.32.0.0/12]\n    dns_resolvers: [\"fe80::53%eth0\"]\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "\"fe80::53%eth0\""));
  EXPECT_THAT(load.errors[0].message, HasSubstr("zone ids such as %eth0 are not accepted"));
}

TEST(RegisterValidation, NetworkServiceNotAList) {
  const Yaml yaml = Base().Replace("prefixes: [10.32.0.0/12]\n",
                                   "prefixes: [10.32.0.0/12]\n    dns_resolvers: 10.32.0.53\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "dns_resolvers: 10.32.0.53"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("'dns_resolvers' of network 'internal' must be a list"));
}

TEST(RegisterValidation, NetworkServiceKeyMisspelt) {
  const Yaml yaml = Base().Replace("prefixes: [10.32.0.0/12]\n",
                                   "prefixes: [10.32.0.0/12]\n    dns_resolver: [10.32.0.53]\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "dns_resolver:"));
  EXPECT_THAT(load.errors[0].message, HasSubstr("did you mean 'dns_resolvers'?"));
}

TEST(RegisterValidation, NetworkServiceDuplicateAfterNormalisation) {
  const Yaml yaml =
      Base().Replace("prefixes: [10.32.0.0/12]\n",
                     "prefixes: [10.32.0.0/12]\n    dhcp_servers:\n      - \"fd00::1:67\"\n"
                     "      - \"FD00:0::1:67\"\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "\"FD00:0::1:67\""));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("network 'internal': dhcp_servers lists fd00::1:67 twice (first at line " +
                        std::to_string(Where(yaml, "\"fd00::1:67\"").line) + ")"));
}

TEST(RegisterValidation, OverlappingNetworkPrefixes) {
  const Yaml yaml = Base().Replace("10.32.0.0/12", "10.72.0.0/16");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "10.72.0.0/16"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("network 'internal': prefix 10.72.0.0/16 overlaps 10.64.0.0/12 of "
                              "network 'external'"),
                    HasSubstr("(line " + std::to_string(Where(yaml, "10.64.0.0/12").line) + ")")));
}

TEST(RegisterValidation, DuplicateManagementAddress) {
  // 10.64.0.1 is device core's address; the default port 161 makes them the same.
  const Yaml yaml = Base().Replace("address: 10.32.0.9", "address: 10.64.0.1:161");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "address: 10.64.0.1:161"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("device 'sw': management address 10.64.0.1:161 is already used by "
                              "device 'core'"),
                    HasSubstr("(line " + std::to_string(Where(yaml, "10.64.0.1\n").line) + ")")));
}

// ---------------------------------------------------------------------------------------
// Sanctioned exits.

TEST(RegisterValidation, EgressDeviceNotOnEgressNetwork) {
  const Yaml yaml = Base().Replace("network: external\n    role: firewall",
                                   "network: internal\n    role: firewall");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "device: fw"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("egress 'exit': device 'fw' is on network 'internal', not on the exit's "
                        "network 'external'"));
}

TEST(RegisterValidation, EgressDeviceRoleNotEgressOrFirewall) {
  const Yaml yaml = Base().Replace("role: firewall", "role: core");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "device: fw"));
  EXPECT_THAT(load.errors[0].message, AllOf(HasSubstr("egress 'exit': device 'fw' has role 'core'"),
                                            HasSubstr("must have role egress or firewall")));
}

// ---------------------------------------------------------------------------------------
// Platforms and rooms.

TEST(RegisterValidation, CityPlatformWithParent) {
  const Yaml yaml = Base().Replace("level: city\n", "level: city\n    parent: county\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "parent: county"));
  EXPECT_THAT(load.errors[0].message, HasSubstr("platform 'city': a city platform has no parent"));
}

TEST(RegisterValidation, CountyPlatformWithoutParent) {
  const Yaml yaml = Base().Remove("    parent: city\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "id: county"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("platform 'county': a county platform needs 'parent'"));
}

TEST(RegisterValidation, CountyPlatformParentNotCity) {
  const Yaml yaml = Base().Replace("parent: city", "parent: county");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "parent: county"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("parent 'county' is a county platform, not a city platform"));
}

TEST(RegisterValidation, ConsolidateByOnCentralRoom) {
  const Yaml yaml =
      Base().Replace("status: active\n", "status: active\n    consolidate_by: 2015-06-30\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "consolidate_by: 2015-06-30"));
  EXPECT_THAT(
      load.errors[0].message,
      AllOf(HasSubstr("room 'dc'"), HasSubstr("department rooms only"), HasSubstr("central")));
}

TEST(RegisterValidation, ConsolidateByNotADate) {
  const Yaml yaml = Base().Replace("2014-12-31", "end of 2014");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "end of 2014"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("room 'dept': consolidate_by 'end of 2014' is not a date (YYYY-MM-DD)"));
}

TEST(RegisterValidation, InvalidCalendarDate) {
  const Yaml yaml = Base().Replace("2012-03-15", "2013-02-30");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "2013-02-30"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("device 'sw': installed '2013-02-30' is not a date"));
}

TEST(RegisterValidation, ExemptWithoutReason) {
  const Yaml yaml = Base().Replace("status: active", "status: exempt");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "status: exempt"));
  EXPECT_THAT(
      load.errors[0].message,
      AllOf(HasSubstr("room 'dc': status exempt needs an 'exemption'"), HasSubstr("M1 art. 8")));
}

TEST(RegisterValidation, ExemptionWithoutExemptStatus) {
  const Yaml yaml =
      Base().Replace("status: active\n", "status: active\n    exemption: \"kept by law\"\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "exemption: \"kept by law\""));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("room 'dc': 'exemption' is given but status is 'active'")));
}

// ---------------------------------------------------------------------------------------
// SNMP credentials.

TEST(RegisterValidation, V2cCredentialWithV3Keys) {
  const Yaml yaml = Base().Replace("community: public\n", "community: public\n    user: someone\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "user: someone"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("credential 'v2': 'user' is for SNMP v3; this is v2c"));
}

TEST(RegisterValidation, V3CredentialWithoutUser) {
  const Yaml yaml = Base().Remove("    user: monitor\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "id: v3"));
  EXPECT_THAT(load.errors[0].message, HasSubstr("credential 'v3': SNMP v3 needs a 'user'"));
}

TEST(RegisterValidation, PrivWithoutAuth) {
  const Yaml yaml = Base().Remove("    auth: {protocol: SHA, passphrase: authpass1}\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "priv: {"));
  EXPECT_THAT(load.errors[0].message, HasSubstr("credential 'v3': 'priv' needs 'auth'"));
}

TEST(RegisterValidation, PassphraseShorterThan8) {
  const Yaml yaml = Base().Replace("passphrase: privpass1", "passphrase: secret7");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "passphrase: secret7"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("priv of credential 'v3'"), HasSubstr("shorter than 8 characters")));
}

TEST(RegisterValidation, PassphraseAndPassphraseFileBoth) {
  const Yaml yaml =
      Base().Replace("passphrase: privpass1", "passphrase: privpass1, passphrase_file: p");
  auto load = Parse(yaml);  // the file is not read
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "passphrase_file: p"));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("priv of credential 'v3'"),
                    HasSubstr("either passphrase or passphrase_file, not both")));
}

TEST(RegisterValidation, PassphraseFileOwnerOnlyIsRead) {
  TempDir dir;
  WriteWithMode(dir, "auth.pass", "file-secret\n", kOwnerOnly);
  const Yaml yaml = WithAuthPassphraseFile("auth.pass");  // relative to the register's folder
  auto load = ParseRegister(yaml.str(), "reg.yaml", dir.path(), ReadPassphraseFile);
  for (const auto& e : load.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(load.reg);
  ASSERT_TRUE(load.reg->credentials.at(1).auth);
  EXPECT_EQ(load.reg->credentials.at(1).auth->passphrase, "file-secret");
}

TEST(RegisterValidation, PassphraseFileMissing) {
  TempDir dir;
  const Yaml yaml = WithAuthPassphraseFile("missing.pass");
  auto load = ParseRegister(yaml.str(), "reg.yaml", dir.path(), ReadPassphraseFile);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "passphrase_file: missing.pass"));
  EXPECT_THAT(load.errors[0].message, AllOf(HasSubstr("auth of credential 'v3'"),
                                            HasSubstr("cannot read passphrase_file " +
                                                      (dir.path() / "missing.pass").string()),
                                            HasSubstr("No such file")));
}

TEST(RegisterValidation, PassphraseFileReadableByGroupOrOthers) {
  TempDir dir;
  const auto file = WriteWithMode(dir, "auth.pass", "file-secret\n", kWorldReadable);
  const Yaml yaml = WithAuthPassphraseFile(file.string());  // absolute this time
  auto load = ParseRegister(yaml.str(), "reg.yaml", dir.path(), ReadPassphraseFile);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "passphrase_file: " + file.string()));
  EXPECT_THAT(load.errors[0].message,
              AllOf(HasSubstr("auth of credential 'v3'"),
                    HasSubstr(file.string() + " is accessible by group or others (mode 0644)"),
                    HasSubstr("chmod 600")));
}

// ---------------------------------------------------------------------------------------
// Values that are present but say nothing.

TEST(RegisterValidation, ContextIsForSnmpV3Only) {
  const Yaml yaml =
      Base().Replace("    community: public\n", "    community: public\n    context: vlan-10\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "context: vlan-10"));
  EXPECT_THAT(load.errors[0].message, HasSubstr("'context' is for SNMP v3; this is v2c"));
}

TEST(RegisterValidation, EmptyStringIsNoValue) {
  // A quoted "" must not pass as a room id and then skip the reference check.
  const Yaml yaml = Base().Replace("    room: dept\n", "    room: \"\"\n");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "room: \"\""));
  EXPECT_THAT(load.errors[0].message, HasSubstr("'room' of device 'sw' is empty"));
}

TEST(RegisterValidation, EmptyPrefixListIsRefused) {
  const Yaml yaml = Base().Replace("prefixes: [10.32.0.0/12]", "prefixes: []");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "prefixes: []"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("'prefixes' of network 'internal' needs at least one entry"));
}

TEST(RegisterValidation, EgressDeviceInARoomOfAnotherPlatform) {
  const Yaml yaml =
      Base().Replace("  - id: exit\n    platform: city", "  - id: exit\n    platform: county");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_EQ(At(load.errors[0]), ValueOf(yaml, "platform: county\n    network: external"));
  EXPECT_THAT(load.errors[0].message,
              HasSubstr("device 'fw' stands in room 'dc' of platform 'city', not on the exit's "
                        "platform 'county'"));
}

TEST(RegisterValidation, DidYouMeanIgnoresCase) {
  const Yaml yaml = Base().Replace("priv: {protocol: AES,", "priv: {protocol: aes,");
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(1));
  EXPECT_THAT(load.errors[0].message, HasSubstr("did you mean 'AES'?"));
}

// ---------------------------------------------------------------------------------------
// All at once.

TEST(RegisterValidation, SeveralErrorsAllReportedSortedByLine) {
  // Three errors found in different passes, the last-found one first in the file.
  const Yaml yaml = Base()
                        .Replace("10.32.0.0/12", "10.72.0.0/16")  // cross-check
                        .Replace("role: access", "role: acess")   // device fields
                        .Replace("version: 3", "version: 4");     // credential fields
  auto load = Parse(yaml);
  ASSERT_THAT(load, IsRefusedWith(3));
  EXPECT_EQ(At(load.errors[0]), Where(yaml, "10.72.0.0/16"));
  EXPECT_THAT(load.errors[0].message, HasSubstr("overlaps"));
  EXPECT_EQ(At(load.errors[1]), ValueOf(yaml, "version: 4"));
  EXPECT_THAT(load.errors[1].message, HasSubstr("version '4' is not one of 1 | 2c | 3"));
  EXPECT_EQ(At(load.errors[2]), ValueOf(yaml, "role: acess"));
  EXPECT_THAT(load.errors[2].message,
              AllOf(HasSubstr("role 'acess'"), HasSubstr("did you mean 'access'?")));
}

}  // namespace
}  // namespace trinet
