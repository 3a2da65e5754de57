// NetSnmpTransport against real agents: snmpsimd serving recorded walks (a Cisco 3750 and a
// Linux host) on 127.0.0.1, and a black-hole socket for dead devices.

#include "snmp/netsnmp_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "snmpsim_agent.h"

namespace {

using namespace std::chrono_literals;
using trinet::Credential;
using trinet::UsmKey;
using trinet::snmp::Oid;
using trinet::snmp::Outcome;
using trinet::snmp::PduType;
using trinet::snmp::Request;
using trinet::snmp::Response;
using trinet::snmp::Target;
using trinet::snmp::Value;
using trinet::snmp::ValueType;
using trinet::snmp::Varbind;
using trinet::testing::BlackHole;
using trinet::testing::SnmpsimAgent;
using trinet::testing::SnmpsimOptions;
using trinet::testing::SnmpsimUser;
using SnmpTransport = trinet::snmp::NetSnmpTransport;
using SessionId = trinet::snmp::Transport::SessionId;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kExamples = "/usr/share/doc/snmpsim/examples/data";
constexpr const char* kCisco = "cisco_16_switch";
constexpr const char* kLinux = "linux-full-walk";
constexpr const char* kTypes = "types";
constexpr const char* kAuthPass = "auctoritas";
constexpr const char* kPrivPass = "privatus";
constexpr int kEndpoints = 8;  // agent ports, for bursts bigger than one socket buffer

// Every ASN.1 type an agent can return, at the edges of their ranges.
constexpr const char* kTypesRec =
    "1.3.6.1.4.1.99999.1.1.0|2|-2147483648\n"
    "1.3.6.1.4.1.99999.1.2.0|4x|00ff10e2\n"
    "1.3.6.1.4.1.99999.1.3.0|5|\n"
    "1.3.6.1.4.1.99999.1.4.0|6|1.3.6.1.4.1.4294967295.0\n"
    "1.3.6.1.4.1.99999.1.5.0|64|10.20.30.40\n"
    "1.3.6.1.4.1.99999.1.6.0|65|4294967295\n"
    "1.3.6.1.4.1.99999.1.7.0|66|4294967295\n"
    "1.3.6.1.4.1.99999.1.8.0|67|4294967295\n"
    "1.3.6.1.4.1.99999.1.9.0|68x|0102ff\n"
    "1.3.6.1.4.1.99999.1.10.0|70|18446744073709551615\n"
    "1.3.6.1.4.1.99999.1.11.0|2|2147483647\n";

Oid O(const char* text) {
  auto oid = Oid::Parse(text);
  if (!oid) throw std::invalid_argument(text);
  return *oid;
}

const Oid kSysUpTime = O("1.3.6.1.2.1.1.3.0");
const Oid kSysName = O("1.3.6.1.2.1.1.5.0");

/// One v3 user per auth/priv combination the agent is started with (register names).
struct V3Combo {
  std::string user, auth, priv;    // register protocol names ("" = none)
  std::string sim_auth, sim_priv;  // the same protocols in snmpsimd's names
};
const std::vector<V3Combo> kV3Combos = {
    {"simulator", "SHA", "AES", "SHA", "AES"},
    {"u-sha256-aes", "SHA-256", "AES", "SHA256", "AES"},
    {"u-md5-des", "MD5", "DES", "MD5", "DES"},
    {"u-sha224-aes", "SHA-224", "AES", "SHA224", "AES"},
    {"u-sha384-aes", "SHA-384", "AES", "SHA384", "AES"},
    {"u-sha512-aes256", "SHA-512", "AES-256", "SHA512", "AES256BLMT"},
    {"u-sha-aes192", "SHA", "AES-192", "SHA", "AES192BLMT"},
    {"u-sha-aes256", "SHA", "AES-256", "SHA", "AES256BLMT"},
    {"u-sha-aes192c", "SHA", "AES-192-C", "SHA", "AES192"},
    {"u-sha-aes256c", "SHA", "AES-256-C", "SHA", "AES256"},
    {"u-sha-authonly", "SHA", "", "SHA", ""},
    {"u-noauth", "", "", "", ""},
};

class NetSnmpTransport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!SnmpsimAgent::Available()) return;
    SnmpsimOptions options;
    options.files = {std::string(kExamples) + "/cisco_16_switch.snmprec.gz",
                     std::string(kExamples) + "/recorded/linux-full-walk.snmprec.gz"};
    options.records = {{kTypes, kTypesRec}};
    options.endpoints = kEndpoints;
    for (const auto& c : kV3Combos) {
      options.users.push_back({c.user, c.sim_auth, c.sim_auth.empty() ? "" : kAuthPass, c.sim_priv,
                               c.sim_priv.empty() ? "" : kPrivPass});
    }
    agent_ = new SnmpsimAgent(options);
  }
  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
  }
  void SetUp() override {
    if (agent_ == nullptr) GTEST_SKIP() << SnmpsimAgent::kBinary << " is not installed";
  }

  static int port() { return agent_->port(); }

  static Target V2(const std::string& community, int port, std::chrono::milliseconds timeout = 2s,
                   int retries = 1) {
    Target t;
    t.device = "dev-" + community;
    t.host = "127.0.0.1";
    t.port = port;
    t.credential.id = "cred-" + community;
    t.credential.version = "2c";
    t.credential.community = community;
    t.timeout = timeout;
    t.retries = retries;
    return t;
  }

  static Target V1(const std::string& community, int port) {
    Target t = V2(community, port);
    t.credential.version = "1";
    return t;
  }

  static Target V3(const std::string& user, const std::string& auth, const std::string& priv,
                   int port, const std::string& auth_pass = kAuthPass,
                   const std::string& priv_pass = kPrivPass) {
    Target t;
    t.device = "dev-" + user;
    t.host = "127.0.0.1";
    t.port = port;
    t.credential.id = "cred-" + user;
    t.credential.version = "3";
    t.credential.user = user;
    if (!auth.empty()) t.credential.auth = UsmKey{auth, auth_pass};
    if (!priv.empty()) t.credential.priv = UsmKey{priv, priv_pass};
    t.timeout = 2s;
    t.retries = 1;
    return t;
  }

  static SessionId MustOpen(SnmpTransport& t, const Target& target, std::string_view context = "") {
    std::string error;
    auto id = t.OpenWithContext(target, context, &error);
    if (!id) throw std::runtime_error("Open failed: " + error);
    return *id;
  }

  /// Sends one request and polls until its callback ran.
  static Response Run(SnmpTransport& t, SessionId id, const Request& request,
                      std::chrono::milliseconds limit = 15s) {
    std::optional<Response> out;
    int calls = 0;
    t.Send(id, request, [&](Response&& r) {
      ++calls;
      out = std::move(r);
    });
    auto deadline = Clock::now() + limit;
    while (!out && Clock::now() < deadline) t.Poll(100ms);
    EXPECT_EQ(calls, 1);
    if (!out) return Response{Outcome::kDecodeFailure, 0, 0, {}, "test: no callback in time"};
    return *out;
  }

  static Request Get(std::vector<Oid> oids) {
    return Request{PduType::kGet, std::move(oids), 0, 0};
  }
  static Request GetNext(std::vector<Oid> oids) {
    return Request{PduType::kGetNext, std::move(oids), 0, 0};
  }

  static SnmpsimAgent* agent_;
};

SnmpsimAgent* NetSnmpTransport::agent_ = nullptr;

std::string Text(const Value& v) { return v.bytes; }

// ---------------------------------------------------------------------------------------------

TEST_F(NetSnmpTransport, GetSysNameAndUptimeV2c) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V2(kCisco, port()));
  Response r = Run(t, id, Get({kSysName, kSysUpTime}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(r.error_status, 0);
  ASSERT_EQ(r.varbinds.size(), 2u);
  EXPECT_EQ(r.varbinds[0],
            (Varbind{kSysName, Value::Bytes(ValueType::kOctetString, "Profiler3750")}));
  EXPECT_EQ(r.varbinds[1],
            (Varbind{kSysUpTime, Value::Unsigned(ValueType::kTimeTicks, 697202257)}));
  EXPECT_TRUE(r.detail.empty());

  SessionId linux_id = MustOpen(t, V2(kLinux, port()));
  r = Run(t, linux_id, Get({kSysName, kSysUpTime}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(Text(r.varbinds[0].value), "tt");
  EXPECT_EQ(r.varbinds[1].value, Value::Unsigned(ValueType::kTimeTicks, 233425120));
}

TEST_F(NetSnmpTransport, GetNextWalksInOrder) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V2(kCisco, port()));
  Response r = Run(t, id, GetNext({O("1.3.6.1.2.1.1.4.0"), O("1.3.6.1.2.1.31.1.1.1.1")}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  ASSERT_EQ(r.varbinds.size(), 2u);
  EXPECT_EQ(r.varbinds[0].oid, kSysName);
  EXPECT_EQ(Text(r.varbinds[0].value), "Profiler3750");
  EXPECT_EQ(r.varbinds[1].oid, O("1.3.6.1.2.1.31.1.1.1.1.1"));
  EXPECT_EQ(Text(r.varbinds[1].value), "Vl1");
}

TEST_F(NetSnmpTransport, GetBulkColumns) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V2(kCisco, port()));
  Request bulk{PduType::kGetBulk,
               {O("1.3.6.1.2.1.1.3"), O("1.3.6.1.2.1.31.1.1.1.1"), O("1.3.6.1.2.1.31.1.1.1.6"),
                O("1.3.6.1.2.1.2.2.1.2")},
               1,
               5};
  Response r = Run(t, id, bulk);
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  ASSERT_EQ(r.varbinds.size(), 1u + 3u * 5u);
  EXPECT_EQ(r.varbinds[0].oid, kSysUpTime);  // the non-repeater
  // Rows in order: ifName, ifHCInOctets, ifDescr for each of the first five interfaces.
  const std::vector<std::pair<std::uint32_t, std::string>> rows = {
      {1, "Vl1"}, {60, "Vl60"}, {70, "Vl70"}};
  for (size_t i = 0; i < rows.size(); ++i) {
    const Varbind& name = r.varbinds[1 + 3 * i];
    const Varbind& octets = r.varbinds[2 + 3 * i];
    EXPECT_EQ(name.oid, O("1.3.6.1.2.1.31.1.1.1.1").Append({rows[i].first}));
    EXPECT_EQ(name.value, Value::Bytes(ValueType::kOctetString, rows[i].second));
    EXPECT_EQ(octets.oid, O("1.3.6.1.2.1.31.1.1.1.6").Append({rows[i].first}));
    EXPECT_EQ(octets.value.type, ValueType::kCounter64);
  }
  EXPECT_EQ(r.varbinds[2].value, Value::Unsigned(ValueType::kCounter64, 39857997));
  EXPECT_EQ(r.varbinds[5].value, Value::Unsigned(ValueType::kCounter64, 37505809994ULL));
  for (size_t i = 1; i + 3 < r.varbinds.size(); i += 3) {
    EXPECT_LT(r.varbinds[i].oid, r.varbinds[i + 3].oid);  // columns advance row by row
  }
}

TEST_F(NetSnmpTransport, Counter64DecodedExactly) {
  SnmpTransport t;
  SessionId cisco = MustOpen(t, V2(kCisco, port()));
  Response r = Run(t, cisco,
                   Get({O("1.3.6.1.2.1.31.1.1.1.6.11048"), O("1.3.6.1.2.1.31.1.1.1.10.60"),
                        O("1.3.6.1.2.1.31.1.1.1.6.11003")}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  ASSERT_EQ(r.varbinds.size(), 3u);
  EXPECT_EQ(r.varbinds[0].value, Value::Unsigned(ValueType::kCounter64, 970693434542ULL));
  EXPECT_EQ(r.varbinds[1].value, Value::Unsigned(ValueType::kCounter64, 48360660686ULL));
  EXPECT_EQ(r.varbinds[2].value, Value::Unsigned(ValueType::kCounter64, 21183138878ULL));

  SessionId types = MustOpen(t, V2(kTypes, port()));
  r = Run(t, types, Get({O("1.3.6.1.4.1.99999.1.10.0")}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(r.varbinds[0].value, Value::Unsigned(ValueType::kCounter64, 18446744073709551615ULL));
}

TEST_F(NetSnmpTransport, EveryValueType) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V2(kTypes, port()));
  std::vector<Oid> oids;
  for (std::uint32_t i = 1; i <= 11; ++i) oids.push_back(O("1.3.6.1.4.1.99999.1").Append({i, 0}));
  Response r = Run(t, id, Get(oids));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  ASSERT_EQ(r.varbinds.size(), 11u);
  EXPECT_EQ(r.varbinds[0].value, Value::Integer(-2147483648LL));
  EXPECT_EQ(r.varbinds[1].value,
            Value::Bytes(ValueType::kOctetString, std::string("\x00\xff\x10\xe2", 4)));
  EXPECT_EQ(r.varbinds[2].value, Value{});  // NULL
  EXPECT_EQ(r.varbinds[3].value, Value::ObjectId(O("1.3.6.1.4.1.4294967295.0")));
  EXPECT_EQ(r.varbinds[4].value, Value::Bytes(ValueType::kIpAddress, "\x0a\x14\x1e\x28"));
  EXPECT_EQ(r.varbinds[5].value, Value::Unsigned(ValueType::kCounter32, 4294967295ULL));
  EXPECT_EQ(r.varbinds[6].value, Value::Unsigned(ValueType::kGauge32, 4294967295ULL));
  EXPECT_EQ(r.varbinds[7].value, Value::Unsigned(ValueType::kTimeTicks, 4294967295ULL));
  EXPECT_EQ(r.varbinds[8].value, Value::Bytes(ValueType::kOpaque, "\x01\x02\xff"));
  EXPECT_EQ(r.varbinds[9].value, Value::Unsigned(ValueType::kCounter64, 18446744073709551615ULL));
  EXPECT_EQ(r.varbinds[10].value, Value::Integer(2147483647));

  // An Opaque-wrapped float (UCD laLoadFloat) comes back as the Opaque content it was sent as.
  SessionId linux_id = MustOpen(t, V2(kLinux, port()));
  r = Run(t, linux_id, Get({O("1.3.6.1.4.1.2021.10.1.6.1")}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(r.varbinds[0].value,
            Value::Bytes(ValueType::kOpaque, std::string("\x9f\x78\x04\x3e\xeb\x85\x1f", 7)));
}

TEST_F(NetSnmpTransport, V2Exceptions) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V2(kCisco, port()));
  Response r = Run(t, id, Get({O("1.3.6.1.2.1.47.1.1.1.1.11.1001"), kSysName}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(r.error_status, 0);
  ASSERT_EQ(r.varbinds.size(), 2u);
  EXPECT_EQ(r.varbinds[0].value.type, ValueType::kNoSuchInstance);
  EXPECT_TRUE(r.varbinds[0].value.IsException());
  EXPECT_EQ(Text(r.varbinds[1].value), "Profiler3750");

  r = Run(t, id, GetNext({O("1.9")}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  ASSERT_EQ(r.varbinds.size(), 1u);
  EXPECT_EQ(r.varbinds[0].value.type, ValueType::kEndOfMibView);

  // A bulk request running off the end of the view fills up with endOfMibView.
  SessionId types = MustOpen(t, V2(kTypes, port()));
  r = Run(t, types, Request{PduType::kGetBulk, {O("1.3.6.1.4.1.99999.1.10")}, 0, 4});
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  ASSERT_GE(r.varbinds.size(), 2u);
  EXPECT_EQ(r.varbinds[0].oid, O("1.3.6.1.4.1.99999.1.10.0"));
  EXPECT_EQ(r.varbinds[1].oid, O("1.3.6.1.4.1.99999.1.11.0"));
  EXPECT_EQ(r.varbinds.back().value.type, ValueType::kEndOfMibView);
}

TEST_F(NetSnmpTransport, V1GetGetNextAndNoSuchName) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V1(kCisco, port()));
  Response r = Run(t, id, Get({kSysName}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(r.error_status, 0);
  EXPECT_EQ(Text(r.varbinds.at(0).value), "Profiler3750");

  r = Run(t, id, GetNext({O("1.3.6.1.2.1.31.1.1.1.1")}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(r.varbinds.at(0).oid, O("1.3.6.1.2.1.31.1.1.1.1.1"));
  EXPECT_EQ(Text(r.varbinds.at(0).value), "Vl1");

  // SNMPv1 has no exceptions: a missing object fails the whole PDU.
  r = Run(t, id, Get({kSysName, O("1.3.6.1.2.1.1.99.0")}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(r.error_status, trinet::snmp::kNoSuchName);
  EXPECT_EQ(r.error_index, 2);
  EXPECT_THAT(r.detail, HasSubstr("noSuchName"));

  r = Run(t, id, GetNext({O("1.9")}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(r.error_status, trinet::snmp::kNoSuchName);
  EXPECT_EQ(r.error_index, 1);

  r = Run(t, id, Request{PduType::kGetBulk, {kSysName}, 0, 5});
  EXPECT_EQ(r.outcome, Outcome::kSendFailure);
  EXPECT_THAT(r.detail, HasSubstr("SNMPv1"));
}

TEST_F(NetSnmpTransport, V3AuthPrivShaAes) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V3("simulator", "SHA", "AES", port()), kCisco);
  Response r = Run(t, id, Get({kSysName, kSysUpTime}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(Text(r.varbinds.at(0).value), "Profiler3750");
  // The engine ID is known now: further requests go out at once, several at a time.
  std::vector<Response> out;
  for (int i = 0; i < 5; ++i)
    t.Send(id, GetNext({kSysName}), [&](Response&& x) { out.push_back(x); });
  while (out.size() < 5) ASSERT_GE(t.Poll(5s), 0);
  for (const auto& x : out) {
    ASSERT_EQ(x.outcome, Outcome::kOk) << x.detail;
    EXPECT_EQ(x.varbinds.at(0).oid, O("1.3.6.1.2.1.1.6.0"));
    EXPECT_EQ(Text(x.varbinds.at(0).value), "Bangalore");
  }
}

// The register's `context` of a v3 credential is what Open() asks for.
TEST_F(NetSnmpTransport, V3ContextFromTheCredential) {
  SnmpTransport t;
  Target target = V3("simulator", "SHA", "AES", port());
  target.credential.context = std::string(kCisco);
  std::string error;
  auto id = t.Open(target, &error);
  ASSERT_TRUE(id) << error;
  Response r = Run(t, *id, Get({kSysName}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(Text(r.varbinds.at(0).value), "Profiler3750");
}

TEST_F(NetSnmpTransport, V3EveryProtocolThisBuildSupports) {
  SnmpTransport t;
  int tested = 0;
  for (const auto& c : kV3Combos) {
    SCOPED_TRACE(c.user + " " + c.auth + "/" + c.priv);
    if ((!c.auth.empty() && !SnmpTransport::AuthProtocolSupported(c.auth)) ||
        (!c.priv.empty() && !SnmpTransport::PrivProtocolSupported(c.priv))) {
      std::string error;
      EXPECT_FALSE(t.Open(V3(c.user, c.auth, c.priv, port()), &error));
      EXPECT_THAT(error, HasSubstr("not supported by this Net-SNMP build"));
      continue;
    }
    SessionId id = MustOpen(t, V3(c.user, c.auth, c.priv, port()), kLinux);
    Response r = Run(t, id, Get({kSysName}));
    ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
    EXPECT_EQ(Text(r.varbinds.at(0).value), "tt");
    ++tested;
  }
  EXPECT_GE(tested, 3);  // at least SHA/AES, SHA-256/AES and no-auth
}

TEST_F(NetSnmpTransport, V3WrongPassphraseIsAuthFailure) {
  SnmpTransport t;
  const std::string wrong = "not-the-passphrase";
  SessionId bad = MustOpen(t, V3("simulator", "SHA", "AES", port(), wrong), kCisco);
  Response r = Run(t, bad, Get({kSysName}));
  ASSERT_EQ(r.outcome, Outcome::kAuthFailure) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("usmStatsWrongDigests"));
  EXPECT_THAT(r.detail, Not(HasSubstr(wrong)));
  EXPECT_THAT(r.detail, Not(HasSubstr(kPrivPass)));

  // Net-SNMP keeps one USM entry per engine and user; the right keys must win it back.
  SessionId good = MustOpen(t, V3("simulator", "SHA", "AES", port()), kCisco);
  r = Run(t, good, Get({kSysName}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  r = Run(t, bad, Get({kSysName}));
  EXPECT_EQ(r.outcome, Outcome::kAuthFailure) << r.detail;
  r = Run(t, good, Get({kSysName}));
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.detail;

  // Authentication for a user configured for privacy: unsupportedSecLevel.
  SessionId level = MustOpen(t, V3("simulator", "SHA", "", port()), kCisco);
  r = Run(t, level, Get({kSysName}));
  EXPECT_EQ(r.outcome, Outcome::kAuthFailure) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("SNMPv3 report"));
}

TEST_F(NetSnmpTransport, WrongCommunityTimesOut) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V2("no-such-community", port(), 300ms, 1));
  auto start = Clock::now();
  Response r = Run(t, id, Get({kSysName}));
  EXPECT_EQ(r.outcome, Outcome::kTimeout) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("no response"));
  EXPECT_THAT(r.detail, Not(HasSubstr("no-such-community")));
  EXPECT_GE(Clock::now() - start, 550ms);
}

TEST_F(NetSnmpTransport, BlackHoleTimesOutAfterAllRetries) {
  BlackHole hole;
  SnmpTransport t;
  SessionId id = MustOpen(t, V2(kCisco, hole.port(), 200ms, 2));
  auto start = Clock::now();
  Response r = Run(t, id, Get({kSysName}));
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(r.outcome, Outcome::kTimeout) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("3 attempt"));
  EXPECT_GE(elapsed, 590ms);  // timeout * (retries + 1)
  EXPECT_LT(elapsed, 1500ms);
  EXPECT_EQ(hole.Drain(), 3);  // the request and two retries

  // SNMPv3 against a dead agent: the engine ID discovery times out, and so do its requests.
  Target dead_v3 = V3("simulator", "SHA", "AES", hole.port());
  dead_v3.timeout = 300ms;
  SessionId v3 = MustOpen(t, dead_v3);
  start = Clock::now();
  r = Run(t, v3, Get({kSysName}));
  EXPECT_EQ(r.outcome, Outcome::kTimeout) << r.detail;
  EXPECT_THAT(r.detail, HasSubstr("engine ID discovery"));
  EXPECT_GE(Clock::now() - start, 590ms);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(NetSnmpTransport, DeadTargetDoesNotDelayLiveOne) {
  BlackHole hole;
  SnmpTransport t;
  SessionId dead = MustOpen(t, V2(kCisco, hole.port(), 3s, 1));
  SessionId live = MustOpen(t, V2(kCisco, port()));
  std::optional<Response> dead_r, live_r;
  Clock::time_point live_at;
  for (int i = 0; i < 10; ++i) t.Send(dead, Get({kSysName}), [&](Response&& r) { dead_r = r; });
  auto start = Clock::now();
  t.Send(live, Get({kSysName}), [&](Response&& r) {
    live_r = r;
    live_at = Clock::now();
  });
  while (!live_r && Clock::now() - start < 5s) t.Poll(50ms);
  ASSERT_TRUE(live_r);
  EXPECT_EQ(live_r->outcome, Outcome::kOk) << live_r->detail;
  EXPECT_LT(live_at - start, 1s);
  EXPECT_FALSE(dead_r);
  EXPECT_EQ(t.InFlight(), 10u);
  t.Close(dead);
  EXPECT_EQ(t.InFlight(), 0u);
}

TEST_F(NetSnmpTransport, ThousandRequestsInFlightAcrossFiftySessions) {
  SnmpTransport t;
  constexpr int kSessions = 50;
  constexpr int kPerSession = 24;
  std::vector<SessionId> ids;
  // Spread over the agent's ports: one UDP socket queues only ~200 requests.
  for (int i = 0; i < kSessions; ++i) {
    int agent_port = agent_->ports()[static_cast<size_t>(i % kEndpoints)];
    ids.push_back(MustOpen(t, V2(i % 2 ? kCisco : kLinux, agent_port, 10s, 2)));
  }
  int ok = 0, bad = 0;
  std::map<SessionId, int> per_session;
  auto start = Clock::now();
  for (int k = 0; k < kPerSession; ++k) {
    for (int i = 0; i < kSessions; ++i) {
      SessionId id = ids[i];
      std::string expect = i % 2 ? "Profiler3750" : "tt";
      t.Send(id, Get({kSysName, kSysUpTime}), [&, id, expect](Response&& r) {
        ++per_session[id];
        if (r.outcome == Outcome::kOk && r.varbinds.size() == 2 &&
            r.varbinds[0].value.bytes == expect) {
          ++ok;
        } else {
          ++bad;
          ADD_FAILURE() << r.detail;
        }
      });
    }
  }
  EXPECT_EQ(t.InFlight(), static_cast<size_t>(kSessions * kPerSession));
  EXPECT_EQ(t.OpenSocketCount(), static_cast<size_t>(kSessions));
  while (ok + bad < kSessions * kPerSession && Clock::now() - start < 40s) t.Poll(200ms);
  auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(ok, kSessions * kPerSession);
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(t.InFlight(), 0u);
  for (SessionId id : ids) EXPECT_EQ(per_session[id], kPerSession);
  std::printf("[ measure  ] %d requests over %d sessions in %.2f s: %.0f requests/s\n",
              kSessions * kPerSession, kSessions, elapsed, kSessions * kPerSession / elapsed);
}

TEST_F(NetSnmpTransport, CloseWithRequestsInFlightIsSafe) {
  SnmpTransport t;
  std::vector<SessionId> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(MustOpen(t, V2(kCisco, port())));
  ids.push_back(MustOpen(t, V3("simulator", "SHA", "AES", port()), kCisco));
  int calls = 0;
  for (SessionId id : ids) {
    for (int k = 0; k < 20; ++k) t.Send(id, Get({kSysName}), [&](Response&&) { ++calls; });
  }
  // Let some answers arrive (and be waiting in sockets), then close everything mid-flight.
  t.Poll(0ms);
  for (SessionId id : ids) t.Close(id);
  EXPECT_EQ(t.InFlight(), 0u);
  int before = calls;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(t.Poll(50ms), 0);
  EXPECT_EQ(calls, before);
  EXPECT_EQ(t.OpenSocketCount(), 0u);

  // Close() from a callback: of another session with requests in flight, and of its own.
  SessionId a = MustOpen(t, V2(kCisco, port()));
  SessionId b = MustOpen(t, V2(kCisco, port()));
  int a_calls = 0, b_calls = 0;
  t.Send(a, Get({kSysName}), [&](Response&& r) {
    ++a_calls;
    EXPECT_EQ(r.outcome, Outcome::kOk);
    t.Close(b);
    t.Close(a);
  });
  for (int k = 0; k < 5; ++k) t.Send(b, Get({kSysName}), [&](Response&&) { ++b_calls; });
  auto start = Clock::now();
  while (a_calls == 0 && Clock::now() - start < 5s) t.Poll(50ms);
  EXPECT_EQ(a_calls, 1);
  EXPECT_LE(b_calls, 5);
  int b_seen = b_calls;
  t.Poll(200ms);
  EXPECT_EQ(b_calls, b_seen);
  EXPECT_EQ(t.InFlight(), 0u);
  EXPECT_EQ(t.SessionCount(), 0u);

  // Destroying the transport with requests in flight is safe too.
  {
    SnmpTransport t2;
    SessionId c = MustOpen(t2, V2(kCisco, port()));
    for (int k = 0; k < 10; ++k) t2.Send(c, Get({kSysName}), [&](Response&&) { ++calls; });
  }
}

TEST_F(NetSnmpTransport, CallbacksRunOnlyFromPollExactlyOnce) {
  SnmpTransport t;
  SessionId id = MustOpen(t, V2(kCisco, port()));
  int calls = 0;
  t.Send(id, Get({kSysName}), [&](Response&&) { ++calls; });
  // Failures found while sending are reported from Poll() too.
  t.Send(id, Get({Oid()}), [&](Response&& r) {
    ++calls;
    EXPECT_EQ(r.outcome, Outcome::kSendFailure);
  });
  t.Send(9999, Get({kSysName}), [&](Response&& r) {
    ++calls;
    EXPECT_EQ(r.outcome, Outcome::kSendFailure);
    EXPECT_THAT(r.detail, HasSubstr("unknown session"));
  });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(t.InFlight(), 3u);
  auto start = Clock::now();
  while (calls < 3 && Clock::now() - start < 5s) t.Poll(100ms);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(t.Poll(300ms), 0);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(t.InFlight(), 0u);
}

TEST_F(NetSnmpTransport, OpenErrorsNameTheProblem) {
  SnmpTransport t;
  std::string error;
  EXPECT_FALSE(t.Open(V3("simulator", "SHA-1024", "AES", port()), &error));
  EXPECT_THAT(error, HasSubstr("'SHA-1024'"));
  EXPECT_FALSE(t.Open(V3("simulator", "SHA", "ROT13", port()), &error));
  EXPECT_THAT(error, HasSubstr("'ROT13'"));
  EXPECT_FALSE(t.Open(V3("simulator", "SHA", "AES", port(), "short"), &error));
  EXPECT_THAT(error, HasSubstr("shorter than 8"));
  EXPECT_THAT(error, Not(HasSubstr("short\"")));
  EXPECT_FALSE(t.Open(V3("simulator", "", "AES", port()), &error));
  EXPECT_THAT(error, HasSubstr("privacy requires authentication"));
  Target v3_no_user = V3("simulator", "SHA", "AES", port());
  v3_no_user.credential.user.reset();
  EXPECT_FALSE(t.Open(v3_no_user, &error));
  Target bad_version = V2(kCisco, port());
  bad_version.credential.version = "4";
  EXPECT_FALSE(t.Open(bad_version, &error));
  EXPECT_THAT(error, HasSubstr("version"));
  Target no_community = V2(kCisco, port());
  no_community.credential.community.reset();
  EXPECT_FALSE(t.Open(no_community, &error));
  Target bad_port = V2(kCisco, 70000);
  EXPECT_FALSE(t.Open(bad_port, &error));
  // Literals need no resolver; host names go through getaddrinfo (no packet is sent here).
  Target v6 = V2(kCisco, port());
  v6.host = "::1";
  EXPECT_TRUE(t.Open(v6, &error)) << error;
  Target named = V2(kCisco, port());
  named.host = "localhost";
  EXPECT_TRUE(t.Open(named, &error)) << error;
  EXPECT_EQ(t.OpenSocketCount(), 0u);  // sessions open their socket on first use
  // Every protocol of the register this build has (Debian's 5.9.3: all of them).
  for (const auto& name : trinet::enums::kAuthProtocols) {
    EXPECT_TRUE(SnmpTransport::AuthProtocolSupported(name)) << name;
  }
  for (const auto& name : trinet::enums::kPrivProtocols) {
    EXPECT_TRUE(SnmpTransport::PrivProtocolSupported(name)) << name;
  }
}

TEST_F(NetSnmpTransport, TenThousandOpensAreCheapAndLazy) {
  // Half v2c, half v3 authPriv on one credential (as a register's devices share a few).
  std::vector<Target> targets;
  for (int i = 0; i < 10000; ++i) {
    targets.push_back(i % 2 ? V2(kCisco, port()) : V3("simulator", "SHA", "AES", port()));
    targets.back().device = "dev" + std::to_string(i);
  }
  auto start = Clock::now();
  SnmpTransport t;
  std::vector<SessionId> ids;
  ids.reserve(targets.size());
  for (const auto& target : targets) ids.push_back(MustOpen(t, target, kCisco));
  auto opened = Clock::now();
  Response r = Run(t, ids[1], Get({kSysName}));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  auto first = Clock::now();
  r = Run(t, ids[0], Get({kSysName}));  // v3: engine ID discovery, then the request
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  auto first_v3 = Clock::now();
  EXPECT_EQ(t.SessionCount(), 10000u);
  EXPECT_EQ(t.OpenSocketCount(), 2u);
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf(
      "[ measure  ] construct + 10,000 Open(): %.1f ms; first v2c GET: %.1f ms; "
      "first v3 GET (with discovery): %.1f ms\n",
      ms(opened - start), ms(first - opened), ms(first_v3 - first));
  // Typically 20-40 ms; generous for a loaded CI machine.
  EXPECT_LT(opened - start, 500ms);
}

TEST_F(NetSnmpTransport, IdleSessionsCloseAndReopen) {
  trinet::snmp::NetSnmpOptions options;
  options.idle_close = 200ms;
  SnmpTransport t(options);
  SessionId v2 = MustOpen(t, V2(kCisco, port()));
  SessionId v3 = MustOpen(t, V3("u-sha256-aes", "SHA-256", "AES", port()), kCisco);
  ASSERT_EQ(Run(t, v2, Get({kSysName})).outcome, Outcome::kOk);
  ASSERT_EQ(Run(t, v3, Get({kSysName})).outcome, Outcome::kOk);
  EXPECT_EQ(t.OpenSocketCount(), 2u);
  auto start = Clock::now();
  while (t.OpenSocketCount() > 0 && Clock::now() - start < 3s) t.Poll(50ms);
  EXPECT_EQ(t.OpenSocketCount(), 0u);
  Response r = Run(t, v2, Get({kSysName}));
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.detail;
  r = Run(t, v3, Get({kSysName}));  // the engine ID is remembered across the reopen
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(Text(r.varbinds.at(0).value), "Profiler3750");
}

}  // namespace
