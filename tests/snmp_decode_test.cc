// Tests of the SNMP recording reader (snmprec), the decoders and the counter math, against
// snmpsim's real device walks and the hand-written recordings in fixtures/snmprec/.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "snmp/catalogue.h"
#include "snmp/counters.h"
#include "snmp/decode.h"
#include "snmp/snmprec.h"
#include "test_util.h"

namespace trinet::snmp {

// Readable failure messages for the result types.
void PrintTo(const CounterReading& c, std::ostream* os) {
  *os << "{" << c.value << ", " << c.bits << " bits}";
}
void PrintTo(const DecodeIssues& i, std::ostream* os) {
  *os << "{wrong_type " << i.wrong_type << ", malformed_index " << i.malformed_index
      << ", exception_value " << i.exception_value << ", bad_value " << i.bad_value << "}";
}
template <typename T>
std::string Opt(const std::optional<T>& v) {
  if (!v) return "-";
  if constexpr (std::is_same_v<T, std::string>) {
    return *v;
  } else {
    return std::to_string(*v);
  }
}
void PrintTo(const RouteEntry& r, std::ostream* os) {
  *os << r.destination << "/" << r.prefix_length << " via '" << r.next_hop << "' if "
      << Opt(r.ifindex) << " type " << Opt(r.type) << " proto " << Opt(r.protocol);
}
void PrintTo(const AddressEntry& a, std::ostream* os) {
  *os << a.address << "/" << Opt(a.prefix_length) << " if " << a.ifindex;
}
void PrintTo(const NeighborEntry& n, std::ostream* os) {
  *os << n.ip << " at " << n.mac << " if " << n.ifindex << " type " << Opt(n.type);
}
void PrintTo(const FdbEntry& f, std::ostream* os) {
  *os << "vlan " << Opt(f.vlan) << " " << f.mac << " port " << f.bridge_port << " if "
      << Opt(f.ifindex) << " status " << Opt(f.status);
}
void PrintTo(const TcpConnection& t, std::ostream* os) {
  *os << t.local_address << ":" << t.local_port << " -> " << t.remote_address << ":"
      << t.remote_port << " state " << t.state;
}

namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;
using ::testing::StartsWith;

const std::string kSnmpsimData = "/usr/share/doc/snmpsim/examples/data/";
const std::vector<std::string> kFixtures = {"access-switch", "edge-router", "hostile", "sensors",
                                            "ups-on-battery"};

// Decompresses one of snmpsim's gzip'ed example walks with zcat; empty on any failure.
std::string Zcat(const std::string& path) {
  std::string out;
  FILE* pipe = popen(("zcat '" + path + "' 2>/dev/null").c_str(), "r");
  if (!pipe) return out;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) out.clear();
  return out;
}

// A real walk from snmpsim's examples, parsed once per test binary.
const SnmprecParse& RealWalk(const std::string& relative) {
  static std::map<std::string, SnmprecParse> cache;
  auto it = cache.find(relative);
  if (it == cache.end()) {
    std::string text = Zcat(kSnmpsimData + relative);
    EXPECT_FALSE(text.empty()) << "cannot read " << kSnmpsimData << relative;
    std::string name = std::filesystem::path(relative).stem().string();  // x.snmprec
    it = cache.emplace(relative, ParseSnmprec(text, name)).first;
  }
  return it->second;
}
const std::vector<Varbind>& Cisco() { return RealWalk("cisco_16_switch.snmprec.gz").varbinds; }
const std::vector<Varbind>& Linux() {
  return RealWalk("recorded/linux-full-walk.snmprec.gz").varbinds;
}
const std::vector<Varbind>& WinXp() {
  return RealWalk("recorded/winxp-full-walk.snmprec.gz").varbinds;
}

std::string FixturePath(const std::string& name) {
  return std::string(TRINET_FIXTURES) + "/snmprec/" + name + ".snmprec";
}
SnmprecParse ParseFixture(const std::string& name) {
  return ParseSnmprec(trinet::testing::ReadFile(FixturePath(name)), name + ".snmprec");
}
std::vector<Varbind> Fixture(const std::string& name) {
  SnmprecParse p = ParseFixture(name);
  EXPECT_THAT(p.errors, IsEmpty()) << name;
  return p.varbinds;
}

// The varbinds of `walk` under `prefix`: what walking that one table returns.
std::vector<Varbind> Under(const std::vector<Varbind>& walk, const Oid& prefix) {
  std::vector<Varbind> out;
  for (const auto& vb : walk) {
    if (vb.oid.StartsWith(prefix)) out.push_back(vb);
  }
  return out;
}

DecodeIssues Issues(int wrong_type, int malformed_index, int exception_value, int bad_value) {
  return {wrong_type, malformed_index, exception_value, bad_value};
}

template <typename T>
const T* FindBy(const std::vector<T>& items, auto pred) {
  auto it = std::find_if(items.begin(), items.end(), pred);
  return it == items.end() ? nullptr : &*it;
}

const InterfaceState& Interface(const std::vector<InterfaceState>& all, std::uint32_t ifindex) {
  static const InterfaceState kMissing;
  auto* i = FindBy(all, [&](const InterfaceState& s) { return s.ifindex == ifindex; });
  EXPECT_NE(i, nullptr) << "no interface " << ifindex;
  return i ? *i : kMissing;
}

// ---- Snmprec --------------------------------------------------------------------------------

TEST(Snmprec, ParsesEveryTagAndEncoding) {
  const std::string text =
      "1.3.6.1.2.1.1.1.0|4|Linux box 5.10\n"
      "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10\n"
      "1.3.6.1.2.1.1.3.0|67|4294967295\n"
      "1.3.6.1.2.1.1.4.0|4x|00ff7c0a\n"
      "1.3.6.1.2.1.1.5.0|4e|a\\tb\\x41\\\\\n"
      "1.3.6.1.2.1.1.6.0|4|\n"
      "1.3.6.1.2.1.1.7.0|2|-2147483648\n"
      "1.3.6.1.2.1.1.8.0|5|\n"
      "1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1\n"
      "1.3.6.1.2.1.4.20.1.1.10.0.0.2|64x|0a000002\n"
      "1.3.6.1.2.1.4.20.1.1.10.0.0.3|64|J}M}\n"
      "1.3.6.1.2.1.2.2.1.10.1|65|4294967295\n"
      "1.3.6.1.2.1.2.2.1.5.1|66|1000000000\n"
      "1.3.6.1.4.1.2021.10.1.6.1|68x|9f78043eeb851f\n"
      "1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615\n"
      "1.3.6.1.2.1.99.1|128|\n"
      "1.3.6.1.2.1.99.2|129|\n"
      "1.3.6.1.2.1.99.3|130|\n"
      "1.3.6.1.2.1.1.9.0|4|a|b|c\n";
  SnmprecParse p = ParseSnmprec(text, "all.snmprec");
  ASSERT_THAT(p.errors, IsEmpty());
  std::map<std::string, Value> by_oid;
  for (const auto& vb : p.varbinds) by_oid[vb.oid.ToString()] = vb.value;
  ASSERT_EQ(by_oid.size(), 19u);
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.1.0"], Value::Bytes(ValueType::kOctetString, "Linux box 5.10"));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.2.0"], Value::ObjectId(Oid{1, 3, 6, 1, 4, 1, 8072, 3, 2, 10}));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.3.0"], Value::Unsigned(ValueType::kTimeTicks, 4294967295u));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.4.0"],
            Value::Bytes(ValueType::kOctetString, std::string("\x00\xff|\n", 4)));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.5.0"], Value::Bytes(ValueType::kOctetString, "a\tbA\\"));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.6.0"], Value::Bytes(ValueType::kOctetString, ""));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.7.0"], Value::Integer(-2147483648LL));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.8.0"], Value{});
  EXPECT_EQ(by_oid["1.3.6.1.2.1.4.20.1.1.10.0.0.1"],
            Value::Bytes(ValueType::kIpAddress, std::string("\x0a\x00\x00\x01", 4)));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.4.20.1.1.10.0.0.2"],
            Value::Bytes(ValueType::kIpAddress, std::string("\x0a\x00\x00\x02", 4)));
  // pysnmp reads a plain four-character IpAddress as the octets themselves: 74.125.77.125.
  EXPECT_EQ(by_oid["1.3.6.1.2.1.4.20.1.1.10.0.0.3"], Value::Bytes(ValueType::kIpAddress, "J}M}"));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.2.2.1.10.1"], Value::Unsigned(ValueType::kCounter32, 4294967295u));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.2.2.1.5.1"], Value::Unsigned(ValueType::kGauge32, 1000000000u));
  EXPECT_EQ(by_oid["1.3.6.1.4.1.2021.10.1.6.1"],
            Value::Bytes(ValueType::kOpaque, "\x9f\x78\x04\x3e\xeb\x85\x1f"));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.31.1.1.1.6.1"],
            Value::Unsigned(ValueType::kCounter64, 18446744073709551615u));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.99.1"], Value::Exception(ValueType::kNoSuchObject));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.99.2"], Value::Exception(ValueType::kNoSuchInstance));
  EXPECT_EQ(by_oid["1.3.6.1.2.1.99.3"], Value::Exception(ValueType::kEndOfMibView));
  // Only the first two bars separate fields.
  EXPECT_EQ(by_oid["1.3.6.1.2.1.1.9.0"], Value::Bytes(ValueType::kOctetString, "a|b|c"));
}

TEST(Snmprec, ReportsEachBadLineWithFileAndLine) {
  const std::string text =
      "1.3.6.1.2.1.1.1.0|4|fine\n"
      "1.3.6.1.2.1.1.2.0|4\n"
      "1.3.6.x.1|4|bad oid\n"
      "1.3.6.1.2.1.1.3.0|99|7\n"
      "1.3.6.1.2.1.1.4.0|2|2147483648\n"
      "1.3.6.1.2.1.1.5.0|4x|abc\n"
      "1.3.6.1.2.1.1.6.0|2:numeric|min=1,max=5\n"
      "1.3.6.1.2.1.1.7.0|2x|01\n"
      "1.3.6.1.2.1.1.8.0|64|10.0.0.256\n"
      "1.3.6.1.2.1.1.9.0|65|-1\n"
      "1.3.6.1.2.1.1.10.0|5|not null\n"
      "1.3.6.1.2.1.1.11.0|6|1..2\n"
      "1.3.6.1.2.1.1.12.0|4e|trailing\\\n"
      "1.3.6.1.2.1.1.13.0|70|18446744073709551616\n"
      "|4|no oid\n";
  SnmprecParse p = ParseSnmprec(text, "bad.snmprec");
  EXPECT_THAT(p.varbinds, SizeIs(1));
  EXPECT_THAT(p.errors,
              ElementsAre("bad.snmprec:2: expected OID|TAG|VALUE, got '1.3.6.1.2.1.1.2.0|4'",
                          "bad.snmprec:3: bad OID '1.3.6.x.1'",  //
                          "bad.snmprec:4: unknown tag 99",
                          "bad.snmprec:5: bad Integer32 value '2147483648'",
                          "bad.snmprec:6: bad hex value 'abc'",
                          "bad.snmprec:7: variation module 'numeric' is not supported",
                          "bad.snmprec:8: the 'x' encoding is not valid for tag 2",
                          "bad.snmprec:9: bad IpAddress value '10.0.0.256'",
                          "bad.snmprec:10: bad Counter32 value '-1'",
                          "bad.snmprec:11: bad Null value 'not null'",
                          "bad.snmprec:12: bad ObjectId value '1..2'",
                          "bad.snmprec:13: bad escaped value 'trailing\\'",
                          "bad.snmprec:14: bad Counter64 value '18446744073709551616'",
                          "bad.snmprec:15: bad OID ''"));
}

TEST(Snmprec, SkipsCommentsBlankLinesAndTrimsLikeSnmpsim) {
  SnmprecParse p = ParseSnmprec(
      "# a comment\r\n"
      "\r\n"
      "   \n"
      "  1.3.6.1.2.1.1.5.0|4|name  \r\n"
      "1.3.6.1.2.1.1.6.0|4|last line without newline",
      "t.snmprec");
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(
      p.varbinds,
      ElementsAre(
          Varbind{Oid{1, 3, 6, 1, 2, 1, 1, 5, 0}, Value::Bytes(ValueType::kOctetString, "name")},
          Varbind{Oid{1, 3, 6, 1, 2, 1, 1, 6, 0},
                  Value::Bytes(ValueType::kOctetString, "last line without newline")}));
}

TEST(Snmprec, SortsByOidAndKeepsTheFirstOfDuplicates) {
  SnmprecParse p = ParseSnmprec(
      "1.3.6.1.2.1.2.2.1.2.10|4|ten\n"
      "1.3.6.1.2.1.2.2.1.2.9|4|nine\n"
      "1.3.6.1.2.1.2.2.1.2|4|column\n"
      "1.3.6.1.2.1.2.2.1.2.10|4|again\n",
      "dup.snmprec");
  EXPECT_THAT(p.errors,
              ElementsAre("dup.snmprec:4: duplicate OID 1.3.6.1.2.1.2.2.1.2.10 (first at line 1)"));
  ASSERT_THAT(p.varbinds, SizeIs(3));
  EXPECT_EQ(p.varbinds[0].oid.ToString(), "1.3.6.1.2.1.2.2.1.2");
  EXPECT_EQ(p.varbinds[1].oid.ToString(), "1.3.6.1.2.1.2.2.1.2.9");
  EXPECT_EQ(p.varbinds[2].oid.ToString(), "1.3.6.1.2.1.2.2.1.2.10");
  EXPECT_EQ(p.varbinds[2].value.bytes, "ten");
}

TEST(Snmprec, FormatWritesSortedRecordsSnmpsimReadsBack) {
  std::vector<Varbind> varbinds = {
      {Oid{1, 3, 6, 1, 2, 1, 1, 5, 0}, Value::Bytes(ValueType::kOctetString, "core-sw1")},
      {Oid{1, 3, 6, 1, 2, 1, 1, 1, 0}, Value::Bytes(ValueType::kOctetString, "IOS\r\nline 2")},
      {Oid{1, 3, 6, 1, 2, 1, 1, 4, 0}, Value::Bytes(ValueType::kOctetString, " padded ")},
      {Oid{1, 3, 6, 1, 2, 1, 1, 2, 0}, Value::ObjectId(Oid{1, 3, 6, 1, 4, 1, 9, 1, 516})},
      {Oid{1, 3, 6, 1, 2, 1, 1, 3, 0}, Value::Unsigned(ValueType::kTimeTicks, 697202257)},
      {Oid{1, 3, 6, 1, 2, 1, 1, 7, 0}, Value::Integer(-6)},
      {Oid{1, 3, 6, 1, 2, 1, 1, 8, 0}, Value{}},
      {Oid{1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1}, Value::Unsigned(ValueType::kCounter32, 7)},
      {Oid{1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1}, Value::Unsigned(ValueType::kGauge32, 8)},
      {Oid{1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 10, 0, 0, 1},
       Value::Bytes(ValueType::kIpAddress, std::string("\x0a\x00\x00\x01", 4))},
      {Oid{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1},
       Value::Unsigned(ValueType::kCounter64, 1ull << 40)},
      {Oid{1, 3, 6, 1, 4, 1, 2021, 10, 1, 6, 1}, Value::Bytes(ValueType::kOpaque, "\x9f\x78")},
      {Oid{1, 3, 6, 1, 2, 1, 99, 1}, Value::Exception(ValueType::kNoSuchObject)},
      {Oid{1, 3, 6, 1, 2, 1, 99, 2}, Value::Exception(ValueType::kNoSuchInstance)},
      {Oid{1, 3, 6, 1, 2, 1, 99, 3}, Value::Exception(ValueType::kEndOfMibView)},
      {Oid{}, Value::Integer(1)},  // left out
  };
  const std::string text = FormatSnmprec(varbinds);
  EXPECT_EQ(text,
            "1.3.6.1.2.1.1.1.0|4x|494f530d0a6c696e652032\n"
            "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.516\n"
            "1.3.6.1.2.1.1.3.0|67|697202257\n"
            "1.3.6.1.2.1.1.4.0|4x|2070616464656420\n"
            "1.3.6.1.2.1.1.5.0|4|core-sw1\n"
            "1.3.6.1.2.1.1.7.0|2|-6\n"
            "1.3.6.1.2.1.1.8.0|5|\n"
            "1.3.6.1.2.1.2.2.1.5.1|66|8\n"
            "1.3.6.1.2.1.2.2.1.10.1|65|7\n"
            "1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1\n"
            "1.3.6.1.2.1.31.1.1.1.6.1|70|1099511627776\n"
            "1.3.6.1.2.1.99.1|128|\n"
            "1.3.6.1.2.1.99.2|129|\n"
            "1.3.6.1.2.1.99.3|130|\n"
            "1.3.6.1.4.1.2021.10.1.6.1|68x|9f78\n");
  SnmprecParse back = ParseSnmprec(text, "round.snmprec");
  EXPECT_THAT(back.errors, IsEmpty());
  varbinds.pop_back();
  std::sort(varbinds.begin(), varbinds.end(),
            [](const Varbind& a, const Varbind& b) { return a.oid < b.oid; });
  EXPECT_EQ(back.varbinds, varbinds);
}

TEST(Snmprec, RealWalksRoundTripThroughTheWriter) {
  const SnmprecParse& cisco = RealWalk("cisco_16_switch.snmprec.gz");
  SnmprecParse back = ParseSnmprec(FormatSnmprec(cisco.varbinds), "cisco.snmprec");
  EXPECT_THAT(back.errors, IsEmpty());
  EXPECT_EQ(back.varbinds, cisco.varbinds);
}

TEST(Snmprec, ReadsSnmpsimsRealWalksWithoutErrors) {
  struct Expect {
    std::string file;
    size_t records;
  };
  for (const auto& [file, records] :
       std::vector<Expect>{{"cisco_16_switch.snmprec.gz", 51008},
                           {"recorded/linux-full-walk.snmprec.gz", 3882},
                           {"recorded/winxp-full-walk.snmprec.gz", 2101}}) {
    const SnmprecParse& p = RealWalk(file);
    EXPECT_THAT(p.errors, IsEmpty()) << file;
    EXPECT_EQ(p.varbinds.size(), records) << file;
    EXPECT_TRUE(std::is_sorted(p.varbinds.begin(), p.varbinds.end(),
                               [](const Varbind& a, const Varbind& b) { return a.oid < b.oid; }));
  }
  // The 4-character IpAddress in the Linux walk's tcpConnTable.
  auto tcp = Under(Linux(), Oid::Parse("1.3.6.1.2.1.6.13.1.4.195.218.254.105.51620").value());
  ASSERT_THAT(tcp, SizeIs(1));
  EXPECT_EQ(tcp[0].value, Value::Bytes(ValueType::kIpAddress, "\x4a\x7d\x4d\x7d"));
}

TEST(Snmprec, HpPerfIfNamesTaggedIntegerAreReportedByLine) {
  // hp_perf.snmprec records its 350 ifName values ("Fa3/0/1"...) with tag 2 (Integer).
  const SnmprecParse& p = RealWalk("hp_perf.snmprec.gz");
  ASSERT_THAT(p.errors, SizeIs(350));
  EXPECT_EQ(p.errors.front(), "hp_perf.snmprec:1063: bad Integer32 value 'Fa3/0/1'");
  EXPECT_EQ(p.errors.back(), "hp_perf.snmprec:1412: bad Integer32 value 'Fa3/0/350'");
  EXPECT_THAT(p.varbinds, SizeIs(1412 - 3 /* "# test" and two blank lines */ - 350));
}

TEST(Snmprec, FixturesAreValidSortedRecordings) {
  // snmpsimd finds records by binary search over the file, so each fixture must be in OID
  // order with no duplicates, and must parse without errors.
  for (const auto& name : kFixtures) {
    SCOPED_TRACE(name);
    std::string text = trinet::testing::ReadFile(FixturePath(name));
    ASSERT_FALSE(text.empty());
    SnmprecParse p = ParseSnmprec(text, name + ".snmprec");
    EXPECT_THAT(p.errors, IsEmpty());
    std::vector<Oid> in_file_order;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      std::string line = text.substr(start, end - start);
      start = end == std::string::npos ? text.size() : end + 1;
      if (line.empty() || line[0] == '#') continue;
      in_file_order.push_back(Oid::Parse(line.substr(0, line.find('|'))).value());
    }
    EXPECT_EQ(in_file_order.size(), p.varbinds.size());
    EXPECT_TRUE(std::adjacent_find(in_file_order.begin(), in_file_order.end(),
                                   [](const Oid& a, const Oid& b) { return !(a < b); }) ==
                in_file_order.end());
  }
}

// ---- Counters -------------------------------------------------------------------------------

TEST(Counters, Counter32DeltaAndSingleWrap) {
  EXPECT_EQ(CounterDelta({100, 32}, {250, 32}), 150u);
  EXPECT_EQ(CounterDelta({7, 32}, {7, 32}), 0u);
  EXPECT_EQ(CounterDelta({4294967000u, 32}, {200, 32}), 496u);
  EXPECT_EQ(CounterDelta({4294967295u, 32}, {0, 32}), 1u);
  EXPECT_EQ(CounterDelta({1, 32}, {0, 32}), 4294967295u);
  // A value that cannot be a Counter32 is no basis for a delta.
  EXPECT_EQ(CounterDelta({1, 32}, {4294967296u, 32}), std::nullopt);
}

TEST(Counters, Counter64DecreaseIsADiscontinuityNotAWrap) {
  EXPECT_EQ(CounterDelta({970693434542u, 64}, {970693534542u, 64}), 100000u);
  EXPECT_EQ(CounterDelta({970693434542u, 64}, {12, 64}), std::nullopt);
  EXPECT_EQ(CounterDelta({0, 64}, {18446744073709551615u, 64}), 18446744073709551615u);
}

TEST(Counters, ChangeOfWidthIsADiscontinuity) {
  EXPECT_EQ(CounterDelta({100, 32}, {200, 64}), std::nullopt);
  EXPECT_EQ(CounterDelta({100, 64}, {200, 32}), std::nullopt);
  EXPECT_EQ(CounterDelta({100, 16}, {200, 16}), std::nullopt);
}

TEST(Counters, AgentRestartFromSysUpTime) {
  using std::chrono::minutes;
  using std::chrono::seconds;
  // 5 minutes later sysUpTime advanced by 5 minutes: no restart.
  EXPECT_FALSE(AgentRestarted(697202257, 697202257 + 30000, minutes(5)));
  // sysUpTime went back: restart.
  EXPECT_TRUE(AgentRestarted(697202257, 1200, minutes(5)));
  // sysUpTime grew, but the agent has been up for 2 of the 5 minutes: it restarted after the
  // first reading, which was taken 10 s after an earlier start.
  EXPECT_TRUE(AgentRestarted(1000, 12000, minutes(5)));
  // sysUpTime wraps after 2^32 ticks (497 days); a wrap matching the interval is no restart.
  EXPECT_FALSE(AgentRestarted(4294967295u - 10000, 20000, seconds(300)));
  EXPECT_TRUE(AgentRestarted(4294967295u - 10000, 20000, seconds(3000)));
}

TEST(Counters, RatePerSecond) {
  using std::chrono::seconds;
  const std::chrono::system_clock::time_point t0{std::chrono::hours(480000)};
  CounterSample a{{970693434542u, 64}, t0, 697202257};
  CounterSample b{{970693434542u + 1'250'000'000u, 64}, t0 + seconds(10), 697202257 + 1000};
  EXPECT_THAT(RatePerSecond(a, b), Optional(DoubleNear(125'000'000.0, 1e-6)));

  // A Counter32 that wrapped once between samples.
  CounterSample w1{{4294967000u, 32}, t0, std::nullopt};
  CounterSample w2{{704, 32}, t0 + seconds(10), std::nullopt};
  EXPECT_THAT(RatePerSecond(w1, w2), Optional(DoubleNear(100.0, 1e-9)));

  // The agent restarted: its counters started again, there is no rate.
  CounterSample restarted{{5000, 64}, t0 + seconds(10), 900};
  EXPECT_EQ(RatePerSecond(a, restarted), std::nullopt);
  // A Counter64 that went down without a restart: discontinuity.
  CounterSample lower{{10, 64}, t0 + seconds(10), 697202257 + 1000};
  EXPECT_EQ(RatePerSecond(a, lower), std::nullopt);
  // No time passed, or the clock went back.
  EXPECT_EQ(RatePerSecond(a, CounterSample{b.counter, t0, b.uptime_ticks}), std::nullopt);
  EXPECT_EQ(RatePerSecond(b, a), std::nullopt);
}

// ---- SnmpDecode: Cisco Catalyst 3750 ---------------------------------------------------------

TEST(SnmpDecode, CiscoSystemGroup) {
  auto d = DecodeSystem(Cisco());
  EXPECT_EQ(d.issues, DecodeIssues{});
  EXPECT_EQ(d.result.name, "Profiler3750");
  EXPECT_EQ(d.result.location, "Bangalore");
  EXPECT_EQ(d.result.contact, "");
  EXPECT_EQ(d.result.object_id, "1.3.6.1.4.1.9.1.516");
  EXPECT_EQ(d.result.uptime_ticks, 697202257u);
  EXPECT_THAT(d.result.descr,
              AllOf(StartsWith("Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), "
                               "Version 12.2(55)SE10"),
                    HasSubstr("\r\nTechnical Support: http://www.cisco.com/techsupport\r\n")));
  EXPECT_EQ(d.result.lldp_chassis_id, "");
}

TEST(SnmpDecode, CiscoInterfaceNames) {
  auto d = DecodeInterfaces(Cisco());
  EXPECT_EQ(d.issues, DecodeIssues{});
  ASSERT_THAT(d.result, SizeIs(59));
  std::vector<std::string> names;
  for (const auto& i : d.result) names.push_back(i.name);
  EXPECT_EQ(names.front(), "Vl1");
  EXPECT_EQ(names.back(), "Nu0");
  for (const char* n : {"Vl60", "Vl70", "StackPort3", "StackSub-St3-1", "Fa3/0/1", "Fa3/0/24",
                        "Fa3/0/48", "Gi3/0/1", "Gi3/0/4"}) {
    EXPECT_THAT(names, Contains(n));
  }
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return n.starts_with("Fa3/0/"); }),
            48);
  const InterfaceState& fa48 = Interface(d.result, 11048);
  EXPECT_EQ(fa48.name, "Fa3/0/48");
  EXPECT_EQ(fa48.descr, "FastEthernet3/0/48");
  EXPECT_EQ(fa48.alias, "");
  EXPECT_EQ(fa48.type, 6);
  EXPECT_EQ(fa48.phys_address, "00:16:c7:02:6e:b4");
}

TEST(SnmpDecode, CiscoInterfaceStateAndCounters) {
  auto d = DecodeInterfaces(Cisco());
  const InterfaceState& fa48 = Interface(d.result, 11048);
  EXPECT_EQ(fa48.admin_up, true);
  EXPECT_EQ(fa48.oper_up, true);
  EXPECT_EQ(fa48.speed_bits, 100'000'000u);
  EXPECT_EQ(fa48.in_octets, (CounterReading{970693434542u, 64}));
  EXPECT_EQ(fa48.out_octets, (CounterReading{76614543604u, 64}));
  EXPECT_EQ(fa48.in_errors, (CounterReading{1, 32}));
  EXPECT_EQ(fa48.out_errors, (CounterReading{0, 32}));
  EXPECT_EQ(fa48.in_discards, (CounterReading{0, 32}));
  EXPECT_EQ(fa48.out_discards, (CounterReading{24692, 32}));

  const InterfaceState& vl60 = Interface(d.result, 60);
  EXPECT_EQ(vl60.in_octets, (CounterReading{37505809994u, 64}));
  EXPECT_EQ(vl60.out_octets, (CounterReading{48360660686u, 64}));
  EXPECT_EQ(vl60.in_discards, (CounterReading{168915, 32}));
  EXPECT_EQ(vl60.speed_bits, 1'000'000'000u);

  const InterfaceState& fa1 = Interface(d.result, 11001);
  EXPECT_EQ(fa1.admin_up, true);
  EXPECT_EQ(fa1.oper_up, false);  // notPresent/down
  // Null0: ifSpeed saturates at 4294967295, ifHighSpeed says 10000 Mb/s.
  EXPECT_EQ(Interface(d.result, 14501).speed_bits, 10'000'000'000u);
  // A stack sub-port: ifHighSpeed 0, so ifSpeed, which is 0 for "no concept of bandwidth".
  EXPECT_EQ(Interface(d.result, 5186).speed_bits, 0u);
}

TEST(SnmpDecode, CiscoChassisFromEntityMib) {
  auto d = DecodeEntity(Cisco());
  EXPECT_EQ(d.issues, DecodeIssues{});
  ASSERT_TRUE(d.result.has_value());
  // Index 1 is the stack (class 11); the chassis is 3001.
  EXPECT_EQ(d.result->index, 3001u);
  EXPECT_EQ(d.result->physical_class, 3);
  EXPECT_EQ(d.result->serial, "CAT0952N20R");
  EXPECT_EQ(d.result->model, "WS-C3750-48PS-S");
  EXPECT_EQ(d.result->descr, "WS-C3750-48P");
}

TEST(SnmpDecode, CiscoRoutesFromIpCidrRouteTable) {
  auto d = DecodeRoutes(Cisco());
  EXPECT_EQ(d.issues, DecodeIssues{});
  EXPECT_THAT(d.result, ElementsAre(RouteEntry{4, "0.0.0.0", 0, "10.204.88.1", std::nullopt, 4, 3},
                                    RouteEntry{4, "10.204.88.0", 22, "", 60u, 3, 2}));
}

TEST(SnmpDecode, CiscoAddressesArpAndFdb) {
  auto addresses = DecodeAddresses(Cisco());
  EXPECT_EQ(addresses.issues, DecodeIssues{});
  EXPECT_THAT(addresses.result, ElementsAre(AddressEntry{60, 4, "10.204.88.16", 22}));

  auto arp = DecodeNeighbors(Cisco());
  EXPECT_EQ(arp.issues, DecodeIssues{});
  EXPECT_THAT(arp.result, SizeIs(85));
  EXPECT_THAT(arp.result, Contains(Field(&NeighborEntry::ip, "10.204.88.1")));

  auto fdb = DecodeFdb(Cisco());
  EXPECT_EQ(fdb.issues, DecodeIssues{});
  EXPECT_THAT(fdb.result, ElementsAre(FdbEntry{std::nullopt, "68:99:cd:a5:9f:88", 160, 11048u, 3}));
}

// ---- SnmpDecode: Linux (Net-SNMP) --------------------------------------------------------------

TEST(SnmpDecode, LinuxRoutesFromInetCidrRouteTable) {
  auto d = DecodeRoutes(Linux());
  EXPECT_EQ(d.issues, DecodeIssues{});
  EXPECT_THAT(d.result, ElementsAre(RouteEntry{4, "0.0.0.0", 0, "195.218.254.97", 2u, 4, 2},
                                    RouteEntry{4, "127.0.0.0", 8, "", 1u, 3, 2},
                                    RouteEntry{4, "195.218.254.0", 24, "", 2u, 3, 2},
                                    RouteEntry{6, "fe80::", 64, "", 2u, 3, 2},
                                    RouteEntry{6, "fe80::212:79ff:fe62:f940", 128, "", 1u, 3, 2},
                                    RouteEntry{6, "ff00::", 8, "", 2u, 3, 2}));
}

TEST(SnmpDecode, LinuxIpCidrRouteTableWithSwappedMasksIsCountedAsMalformed) {
  // This Net-SNMP writes ipCidrRouteMask byte-swapped into the index (0.0.0.255 for /8).
  auto d = DecodeRoutes(Under(Linux(), kIpCidrRouteEntry));
  EXPECT_EQ(d.issues, Issues(0, 6, 0, 0));  // two rows, three columns each
  EXPECT_THAT(d.result, ElementsAre(RouteEntry{4, "0.0.0.0", 0, "195.218.254.97", 2u, 4, 2}));
}

TEST(SnmpDecode, LinuxRoutesFromIpRouteTableFallback) {
  auto d = DecodeRoutes(Under(Linux(), Oid{1, 3, 6, 1, 2, 1, 4, 21}));
  EXPECT_EQ(d.issues, DecodeIssues{});
  EXPECT_THAT(d.result, ElementsAre(RouteEntry{4, "0.0.0.0", 0, "195.218.254.97", 2u, 4, 2},
                                    RouteEntry{4, "127.0.0.0", 8, "", 1u, 3, 2},
                                    RouteEntry{4, "195.218.254.0", 24, "", 2u, 3, 2}));
}

TEST(SnmpDecode, LinuxAddresses) {
  auto d = DecodeAddresses(Linux());
  // The agent's two IPv4 ipAddressPrefix pointers name 215.218.234.183/0, which contains
  // nothing sensible; their prefix lengths come from ipAddrTable instead.
  EXPECT_EQ(d.issues, Issues(0, 0, 0, 2));
  EXPECT_THAT(d.result,
              ElementsAre(AddressEntry{1, 4, "127.0.0.1", 8},
                          AddressEntry{2, 4, "195.218.254.105", 24}, AddressEntry{1, 6, "::1", 128},
                          AddressEntry{2, 6, "fe80::212:79ff:fe62:f940", 64}));
  // Without ipAddrTable the IPv4 prefix stays unknown rather than becoming /0.
  auto alone = DecodeAddresses(Under(Linux(), kIpAddressEntry));
  EXPECT_EQ(alone.result[0], (AddressEntry{1, 4, "127.0.0.1", std::nullopt}));
}

TEST(SnmpDecode, LinuxInterfacesNeighborsAndTcp) {
  auto ifs = DecodeInterfaces(Linux());
  EXPECT_EQ(ifs.issues, DecodeIssues{});
  ASSERT_THAT(ifs.result, SizeIs(2));
  const InterfaceState& eth0 = ifs.result[1];
  EXPECT_EQ(eth0.name, "eth0");
  EXPECT_EQ(eth0.type, 6);
  EXPECT_EQ(eth0.phys_address, "00:12:79:62:f9:40");
  EXPECT_EQ(eth0.speed_bits, 100'000'000u);
  EXPECT_EQ(eth0.in_octets, (CounterReading{24167091249u, 64}));
  EXPECT_EQ(eth0.out_octets, (CounterReading{2448657392u, 64}));

  auto nd = DecodeNeighbors(Linux());
  EXPECT_EQ(nd.issues, DecodeIssues{});
  EXPECT_THAT(nd.result,
              ElementsAre(NeighborEntry{2, 4, "195.218.254.97", "00:0e:84:9f:9c:19", 3}));

  auto tcp = DecodeTcpConnections(Linux());
  EXPECT_EQ(tcp.issues, DecodeIssues{});
  ASSERT_THAT(tcp.result, SizeIs(9));
  EXPECT_EQ(tcp.result[0], (TcpConnection{"195.218.254.105", 41511, "194.67.1.250", 993, 5}));
  EXPECT_THAT(tcp.result,
              Contains(TcpConnection{"195.218.254.105", 45632, "10.105.41.179", 3389, 5}));

  // tcpConnTable, the fallback, also lists the listeners.
  auto old = DecodeTcpConnections(Under(Linux(), kTcpConnEntry));
  EXPECT_EQ(old.issues, DecodeIssues{});
  EXPECT_THAT(old.result, SizeIs(26));
  EXPECT_THAT(old.result, Contains(TcpConnection{"0.0.0.0", 22, "0.0.0.0", 0, 2}));
  EXPECT_THAT(old.result,
              Contains(TcpConnection{"195.218.254.105", 51620, "74.125.77.125", 5222, 5}));
}

TEST(SnmpDecode, DecodersDoNotDependOnVarbindOrder) {
  std::vector<Varbind> shuffled = Linux();
  std::mt19937 rng(2863);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  EXPECT_EQ(DecodeInterfaces(shuffled).result, DecodeInterfaces(Linux()).result);
  EXPECT_EQ(DecodeRoutes(shuffled).result, DecodeRoutes(Linux()).result);
  EXPECT_EQ(DecodeAddresses(shuffled).result, DecodeAddresses(Linux()).result);
  EXPECT_EQ(DecodeTcpConnections(shuffled).result, DecodeTcpConnections(Linux()).result);
}

// ---- SnmpDecode: Windows XP and HP ProCurve ---------------------------------------------------

TEST(SnmpDecode, WinXpBasics) {
  auto sys = DecodeSystem(WinXp());
  EXPECT_EQ(sys.result.name, "CRAY");
  EXPECT_EQ(sys.result.location, "Moscow, Russia");
  EXPECT_EQ(sys.result.object_id, "1.3.6.1.4.1.311.1.1.3.1.1");
  EXPECT_EQ(sys.result.uptime_ticks, 82795u);

  // No ifXTable: names from ifDescr (whose trailing NUL is dropped), 32-bit counters.
  auto ifs = DecodeInterfaces(WinXp());
  EXPECT_EQ(ifs.issues, DecodeIssues{});
  ASSERT_THAT(ifs.result, SizeIs(3));
  EXPECT_EQ(ifs.result[0].name, "MS TCP Loopback interface");
  EXPECT_EQ(ifs.result[1].name, "Intel(R) PRO/Wireless 2200BG Network Connection");
  EXPECT_EQ(ifs.result[2].name, "Bluetooth Device (Personal Area Network)");
  EXPECT_EQ(ifs.result[1].in_octets, (CounterReading{911220674, 32}));
  EXPECT_EQ(ifs.result[1].speed_bits, 54'000'000u);
  EXPECT_EQ(ifs.result[2].oper_up, false);

  // ipAddrTable only; the unconfigured 0.0.0.0 is not an address.
  auto addresses = DecodeAddresses(WinXp());
  EXPECT_EQ(addresses.issues, DecodeIssues{});
  EXPECT_THAT(addresses.result, ElementsAre(AddressEntry{1, 4, "127.0.0.1", 8},
                                            AddressEntry{65539, 4, "192.168.1.9", 24}));

  // ipRouteTable only.
  auto routes = DecodeRoutes(WinXp());
  EXPECT_EQ(routes.issues, DecodeIssues{});
  ASSERT_THAT(routes.result, SizeIs(7));
  EXPECT_EQ(routes.result[0], (RouteEntry{4, "0.0.0.0", 0, "192.168.1.1", 65539u, 4, 3}));
  EXPECT_EQ(routes.result[3], (RouteEntry{4, "192.168.1.9", 32, "", 1u, 3, 2}));

  auto arp = DecodeNeighbors(WinXp());
  EXPECT_THAT(arp.result, Contains(NeighborEntry{65539, 4, "192.168.1.1", "48:5b:39:3a:bb:68", 3}));
}

TEST(SnmpDecode, HpPerfBasics) {
  const auto& hp = RealWalk("hp_perf.snmprec.gz").varbinds;
  auto sys = DecodeSystem(hp);
  EXPECT_EQ(sys.issues, DecodeIssues{});
  EXPECT_EQ(sys.result.name, "ProCurve Switch 2810-24G");
  EXPECT_EQ(sys.result.object_id, "1.3.6.1.4.1.11.2.3.7.11.63");
  EXPECT_EQ(sys.result.uptime_ticks, 931440500u);
  EXPECT_THAT(sys.result.descr, StartsWith("ProCurve J9021A Switch 2810-24G, revision N.11.75"));

  // Its ifName records did not parse, and of ifTable only ifIndex.1 was recorded, a column
  // trinet does not walk: no interface state to report.
  auto ifs = DecodeInterfaces(hp);
  EXPECT_EQ(ifs.issues, DecodeIssues{});
  EXPECT_THAT(ifs.result, IsEmpty());

  auto fdb = DecodeFdb(hp);
  EXPECT_EQ(fdb.issues, DecodeIssues{});
  ASSERT_THAT(fdb.result, SizeIs(350));
  EXPECT_EQ(fdb.result[0], (FdbEntry{std::nullopt, "0b:16:21:2c:37:42", 1, 1u, std::nullopt}));

  auto arp = DecodeNeighbors(hp);
  EXPECT_EQ(arp.issues, DecodeIssues{});
  ASSERT_THAT(arp.result, SizeIs(350));
  EXPECT_EQ(arp.result[0],
            (NeighborEntry{30, 4, "10.10.10.10", "0b:16:21:2c:37:42", std::nullopt}));
}

TEST(SnmpDecode, DevicesWithoutAMibYieldNothingAndNoIssues) {
  auto ups = DecodeUps(Cisco());
  EXPECT_EQ(ups.result, std::nullopt);
  EXPECT_EQ(ups.issues, DecodeIssues{});
  EXPECT_THAT(DecodeSensors(Cisco()).result, IsEmpty());
  EXPECT_THAT(DecodeLldpNeighbors(Cisco()).result, IsEmpty());
  EXPECT_EQ(DecodeEntity(Linux()).result, std::nullopt);
}

// ---- SnmpDecode: hand-written fixtures ---------------------------------------------------------

TEST(SnmpDecode, EdgeRouterAddresses) {
  auto d = DecodeAddresses(Fixture("edge-router"));
  EXPECT_EQ(d.issues, DecodeIssues{});
  EXPECT_THAT(
      d.result,
      ElementsAre(AddressEntry{3, 4, "10.1.1.2", 24}, AddressEntry{1, 4, "127.0.0.1", 8},
                  AddressEntry{2, 4, "198.51.100.2", 30}, AddressEntry{4, 4, "203.0.113.5", 28},
                  AddressEntry{1, 6, "::1", 128}, AddressEntry{4, 6, "2001:db8:0:5::5", 64},
                  AddressEntry{4, 6, "fe80::5054:ff:fe12:3404", 64}));
}

TEST(SnmpDecode, EdgeRouterRoutes) {
  auto d = DecodeRoutes(Fixture("edge-router"));
  EXPECT_EQ(d.issues, DecodeIssues{});
  EXPECT_THAT(d.result, ElementsAre(RouteEntry{4, "0.0.0.0", 0, "198.51.100.1", 2u, 4, 3},
                                    RouteEntry{4, "10.1.1.0", 24, "", 3u, 3, 2},
                                    RouteEntry{4, "10.32.0.0", 12, "10.1.1.1", 3u, 4, 13},
                                    RouteEntry{4, "198.51.100.0", 30, "", 2u, 3, 2},
                                    RouteEntry{4, "203.0.113.0", 28, "", 4u, 3, 2},
                                    RouteEntry{6, "::", 0, "2001:db8:0:5::1", 4u, 4, 3},
                                    RouteEntry{6, "2001:db8:0:5::", 64, "", 4u, 3, 2}));
}

TEST(SnmpDecode, EdgeRouterNeighborsAndInterfaces) {
  auto d = DecodeNeighbors(Fixture("edge-router"));
  EXPECT_EQ(d.issues, DecodeIssues{});
  // The invalid(2) entry and the incomplete one without a MAC are left out.
  EXPECT_THAT(d.result, ElementsAre(NeighborEntry{2, 4, "198.51.100.1", "00:00:5e:00:01:01", 3},
                                    NeighborEntry{3, 4, "10.1.1.1", "3c:ec:ef:10:20:30", 3},
                                    NeighborEntry{4, 6, "2001:db8:0:5::1", "00:00:5e:00:02:05", 3},
                                    NeighborEntry{4, 6, "fe80::1", "00:00:5e:00:02:05", 3}));

  auto ifs = DecodeInterfaces(Fixture("edge-router"));
  EXPECT_EQ(ifs.issues, DecodeIssues{});
  ASSERT_THAT(ifs.result, SizeIs(4));
  EXPECT_EQ(ifs.result[1].name, "eth0");
  EXPECT_EQ(ifs.result[1].alias, "uplink AS64500 transfer");
  EXPECT_EQ(ifs.result[1].in_octets, (CounterReading{912345678901u, 64}));
  EXPECT_EQ(ifs.result[3].oper_up, false);
  EXPECT_EQ(ifs.result[0].phys_address, "");
}

TEST(SnmpDecode, EdgeRouterTcpConnections) {
  auto d = DecodeTcpConnections(Fixture("edge-router"));
  EXPECT_EQ(d.issues, DecodeIssues{});
  EXPECT_THAT(d.result,
              ElementsAre(TcpConnection{"10.1.1.2", 22, "10.1.1.50", 53312, 5},
                          TcpConnection{"198.51.100.2", 179, "198.51.100.1", 35001, 5},
                          TcpConnection{"203.0.113.5", 443, "192.0.2.200", 51514, 5},
                          TcpConnection{"203.0.113.5", 443, "192.0.2.201", 40022, 11},
                          TcpConnection{"2001:db8:0:5::5", 443, "2001:db8:ffff::9", 60000, 5}));
}

TEST(SnmpDecode, AccessSwitchLldpNeighbors) {
  auto varbinds = Fixture("access-switch");
  EXPECT_EQ(DecodeSystem(varbinds).result.lldp_chassis_id, "70:10:5c:aa:00:01");

  auto d = DecodeLldpNeighbors(varbinds);
  EXPECT_EQ(d.issues, DecodeIssues{});
  ASSERT_THAT(d.result, SizeIs(3));

  const LldpNeighbor& phone = d.result[0];
  EXPECT_EQ(phone.local_port, 1u);
  EXPECT_EQ(phone.remote_index, 9u);
  EXPECT_EQ(phone.chassis_id_subtype, 5);  // networkAddress: IANA family 1, IPv4
  EXPECT_EQ(phone.chassis_id, "192.0.2.33");
  EXPECT_EQ(phone.port_id_subtype, 3);  // macAddress
  EXPECT_EQ(phone.port_id, "00:04:13:00:a1:b2");
  EXPECT_EQ(phone.sys_name, "SEP00041300A1B2");
  EXPECT_EQ(phone.sys_desc, "Cisco IP Phone 8845");
  EXPECT_THAT(phone.management_addresses, IsEmpty());
  EXPECT_EQ(phone.local_port_id, "Gi1/0/1");
  EXPECT_EQ(phone.local_port_desc, "GigabitEthernet1/0/1");

  const LldpNeighbor& firewall = d.result[1];
  EXPECT_EQ(firewall.local_port, 24u);
  EXPECT_EQ(firewall.chassis_id_subtype, 7);  // local: a name
  EXPECT_EQ(firewall.chassis_id, "fw-edge-02");
  EXPECT_EQ(firewall.port_id, "0c:c4:7a:11:22:33");
  EXPECT_EQ(firewall.port_desc, "port2.4");
  EXPECT_THAT(firewall.management_addresses, ElementsAre("198.51.100.20"));

  const LldpNeighbor& core = d.result[2];
  EXPECT_EQ(core.local_port, 28u);
  EXPECT_EQ(core.remote_index, 3u);
  EXPECT_EQ(core.chassis_id_subtype, 4);  // macAddress
  EXPECT_EQ(core.chassis_id, "00:1b:54:c2:7a:80");
  EXPECT_EQ(core.port_id_subtype, 5);  // interfaceName
  EXPECT_EQ(core.port_id, "Gi0/48");
  EXPECT_EQ(core.port_desc, "GigabitEthernet0/48");
  EXPECT_EQ(core.sys_name, "core-sw1.example.net");
  EXPECT_THAT(core.sys_desc, HasSubstr("Version 15.0(2)SE11\r\nTechnical Support"));
  EXPECT_THAT(core.management_addresses, ElementsAre("192.0.2.10", "2001:db8:10::10"));
  EXPECT_EQ(core.local_port_desc, "GigabitEthernet1/0/28");
}

TEST(SnmpDecode, AccessSwitchQBridgeFdb) {
  auto varbinds = Fixture("access-switch");
  auto d = DecodeFdb(varbinds);
  EXPECT_EQ(d.issues, DecodeIssues{});
  // FDB ids 1, 2, 3 map to VLANs 1, 10, 20; the invalid(2) entry is left out.
  EXPECT_THAT(d.result, ElementsAre(FdbEntry{1u, "70:10:5c:aa:00:01", 0, std::nullopt, 4},
                                    FdbEntry{10u, "00:1b:54:c2:7a:80", 28, 10128u, 3},
                                    FdbEntry{10u, "3c:ec:ef:aa:bb:01", 1, 10101u, 3},
                                    FdbEntry{20u, "00:50:56:9a:01:02", 24, 10124u, 3}));

  // Without dot1qVlanCurrentTable the FDB id is taken as the VLAN id.
  std::vector<Varbind> without_map;
  std::copy_if(varbinds.begin(), varbinds.end(), std::back_inserter(without_map),
               [](const Varbind& vb) { return !vb.oid.StartsWith(kDot1qVlanCurrentEntry); });
  auto plain = DecodeFdb(without_map);
  ASSERT_THAT(plain.result, SizeIs(4));
  EXPECT_EQ(plain.result[1].vlan, 2u);
}

TEST(SnmpDecode, UpsOnBattery) {
  auto d = DecodeUps(Fixture("ups-on-battery"));
  EXPECT_EQ(d.issues, DecodeIssues{});
  ASSERT_TRUE(d.result.has_value());
  const UpsState& ups = *d.result;
  EXPECT_EQ(ups.on_battery, true);
  EXPECT_EQ(ups.output_source, 5);
  EXPECT_EQ(ups.battery_status, 2);
  EXPECT_EQ(ups.seconds_on_battery, 420);
  EXPECT_EQ(ups.minutes_remaining, 18);
  EXPECT_THAT(ups.charge_ratio, Optional(DoubleNear(0.87, 1e-12)));
  EXPECT_THAT(ups.input_voltage, Optional(DoubleNear(0.0, 1e-12)));
  EXPECT_THAT(ups.output_load_ratio, Optional(DoubleNear(0.43, 1e-12)));
}

TEST(SnmpDecode, SensorsScaledToBaseUnits) {
  auto varbinds = Fixture("sensors");
  auto d = DecodeSensors(varbinds);
  EXPECT_EQ(d.issues, DecodeIssues{});
  ASSERT_THAT(d.result, SizeIs(4));  // the fan (rpm) is not a kind trinet watches
  EXPECT_EQ(d.result[0].index, 21590u);
  EXPECT_EQ(d.result[0].kind, SensorKind::kTemperature);
  EXPECT_EQ(d.result[0].name, "Inlet temperature");
  EXPECT_THAT(d.result[0].value, Optional(DoubleNear(23.5, 1e-9)));  // 235, units, precision 1
  EXPECT_EQ(d.result[1].name, "ASIC temperature");
  EXPECT_THAT(d.result[1].value, Optional(DoubleNear(61.5, 1e-9)));  // 61500 milli
  EXPECT_EQ(d.result[2].kind, SensorKind::kHumidity);
  EXPECT_THAT(d.result[2].value, Optional(DoubleNear(41.0, 1e-9)));
  EXPECT_EQ(d.result[3].index, 21594u);
  EXPECT_EQ(d.result[3].value, std::nullopt);  // nonoperational(3)

  auto entity = DecodeEntity(varbinds);
  ASSERT_TRUE(entity.result.has_value());
  EXPECT_EQ(entity.result->index, 10u);
  EXPECT_EQ(entity.result->serial, "FDO2213A0BC");
  EXPECT_EQ(entity.result->model, "N9K-C93180YC-EX");
}

TEST(SnmpDecode, HostileValuesAreCountedAndSkipped) {
  auto varbinds = Fixture("hostile");

  auto sys = DecodeSystem(varbinds);
  EXPECT_EQ(sys.issues, Issues(2, 0, 1, 0));  // sysUpTime, sysName; sysLocation exception
  EXPECT_EQ(sys.result.descr,
            "Relay\xEF\xBF\xBD \xEF\xBF\xBD"
            "box");
  EXPECT_EQ(sys.result.name, "");
  EXPECT_EQ(sys.result.uptime_ticks, std::nullopt);

  auto ifs = DecodeInterfaces(varbinds);
  EXPECT_EQ(ifs.issues, Issues(3, 2, 1, 1));
  ASSERT_THAT(ifs.result, SizeIs(1));
  const InterfaceState& eth0 = ifs.result[0];
  EXPECT_EQ(eth0.ifindex, 1u);
  EXPECT_EQ(eth0.name,
            "eth\xEF\xBF\xBD"
            "0");
  EXPECT_EQ(eth0.descr, "eth0");
  EXPECT_EQ(eth0.speed_bits, 1'000'000'000u);
  EXPECT_EQ(eth0.admin_up, std::nullopt);
  EXPECT_EQ(eth0.oper_up, std::nullopt);
  EXPECT_EQ(eth0.in_octets, std::nullopt);

  auto addresses = DecodeAddresses(varbinds);
  EXPECT_EQ(addresses.issues, Issues(1, 2, 0, 1));
  EXPECT_THAT(addresses.result, ElementsAre(AddressEntry{2, 4, "10.0.0.2", std::nullopt}));

  auto routes = DecodeRoutes(varbinds);
  EXPECT_EQ(routes.issues, Issues(1, 2, 0, 0));
  EXPECT_THAT(routes.result,
              ElementsAre(RouteEntry{4, "10.9.0.0", 16, "10.0.0.1", std::nullopt, 4, {}}));

  auto nd = DecodeNeighbors(varbinds);
  EXPECT_EQ(nd.issues, Issues(1, 0, 0, 0));
  EXPECT_THAT(nd.result, ElementsAre(NeighborEntry{1, 4, "10.0.0.10", "3c:ec:ef:00:00:10", 3}));

  auto fdb = DecodeFdb(varbinds);
  EXPECT_EQ(fdb.issues, Issues(1, 1, 0, 0));
  EXPECT_THAT(fdb.result,
              ElementsAre(FdbEntry{1u, "00:11:22:33:44:56", 4, std::nullopt, std::nullopt}));

  auto tcp = DecodeTcpConnections(varbinds);
  EXPECT_EQ(tcp.issues, Issues(0, 1, 0, 1));
  EXPECT_THAT(tcp.result, ElementsAre(TcpConnection{"10.0.0.1", 40001, "192.0.2.1", 443, 5}));

  auto lldp = DecodeLldpNeighbors(varbinds);
  EXPECT_EQ(lldp.issues, Issues(1, 1, 0, 0));
  ASSERT_THAT(lldp.result, SizeIs(1));
  EXPECT_EQ(lldp.result[0].chassis_id, "");
  EXPECT_EQ(lldp.result[0].sys_name, "peer");

  auto entity = DecodeEntity(varbinds);
  EXPECT_EQ(entity.issues, Issues(1, 1, 0, 0));
  ASSERT_TRUE(entity.result.has_value());
  EXPECT_EQ(entity.result->index, 1u);
  EXPECT_EQ(entity.result->physical_class, std::nullopt);
  EXPECT_EQ(entity.result->serial, "SER1");

  auto sensors = DecodeSensors(varbinds);
  EXPECT_EQ(sensors.issues, Issues(1, 0, 0, 1));
  ASSERT_THAT(sensors.result, SizeIs(1));
  EXPECT_EQ(sensors.result[0].value, std::nullopt);

  auto ups = DecodeUps(varbinds);
  EXPECT_EQ(ups.issues, Issues(1, 0, 1, 1));
  ASSERT_TRUE(ups.result.has_value());
  EXPECT_EQ(ups.result->on_battery, std::nullopt);
  EXPECT_EQ(ups.result->battery_status, std::nullopt);
  EXPECT_EQ(ups.result->charge_ratio, std::nullopt);
  EXPECT_THAT(ups.result->output_load_ratio, Optional(DoubleNear(0.43, 1e-12)));
}

TEST(SnmpDecode, TextIsValidUtf8AndIdsArePrintableOrHex) {
  SnmprecParse p = ParseSnmprec(
      // sysDescr: valid 2-, 3- and 4-byte sequences, then an overlong '/', a surrogate, a
      // truncated sequence, an embedded NUL, and trailing NUL padding.
      "1.3.6.1.2.1.1.1.0|4x|c3a9e4b8adf09f9880c0afeda080e4b8002100\n"
      // lldpRemTable: chassis id local(7) but binary; port id local(7), printable with a NUL pad.
      "1.0.8802.1.1.2.1.4.1.1.4.0.5.1|2|7\n"
      "1.0.8802.1.1.2.1.4.1.1.5.0.5.1|4x|00010203\n"
      "1.0.8802.1.1.2.1.4.1.1.6.0.5.1|2|7\n"
      "1.0.8802.1.1.2.1.4.1.1.7.0.5.1|4x|706f72742d3700\n"
      // A macAddress(4) chassis id of the wrong length stays hex; networkAddress IPv6 port id.
      "1.0.8802.1.1.2.1.4.1.1.4.0.6.2|2|4\n"
      "1.0.8802.1.1.2.1.4.1.1.5.0.6.2|4x|0011223344\n"
      "1.0.8802.1.1.2.1.4.1.1.6.0.6.2|2|4\n"
      "1.0.8802.1.1.2.1.4.1.1.7.0.6.2|4x|0220010db8000000000000000000000001\n",
      "text.snmprec");
  ASSERT_THAT(p.errors, IsEmpty());
  EXPECT_EQ(DecodeSystem(p.varbinds).result.descr,
            "é中😀\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
  auto lldp = DecodeLldpNeighbors(p.varbinds);
  EXPECT_EQ(lldp.issues, DecodeIssues{});
  ASSERT_THAT(lldp.result, SizeIs(2));
  EXPECT_EQ(lldp.result[0].chassis_id, "00:01:02:03");
  EXPECT_EQ(lldp.result[0].port_id, "port-7");
  EXPECT_EQ(lldp.result[1].chassis_id, "00:11:22:33:44");
  EXPECT_EQ(lldp.result[1].port_id, "2001:db8::1");
}

// ---- catalogue --------------------------------------------------------------------------------

TEST(SnmpDecode, CatalogueGroupsAndFallbacks) {
  EXPECT_THAT(PollScalars(), ElementsAre(Oid{1, 3, 6, 1, 2, 1, 1, 3, 0}));
  EXPECT_THAT(HealthScalars(), Contains(Oid{1, 3, 6, 1, 2, 1, 33, 1, 3, 3, 1, 3, 1}));
  EXPECT_THAT(DiscoveryScalars(), Contains(Oid{1, 0, 8802, 1, 1, 2, 1, 3, 2, 0}));
  std::map<std::string, std::string> fallback_for;
  for (const auto* group : {&PollTables(), &DiscoveryTables(), &HealthTables()}) {
    for (const auto& t : *group) {
      EXPECT_TRUE(fallback_for.emplace(t.name, t.fallback_for).second) << t.name;
      EXPECT_FALSE(t.columns.empty()) << t.name;
    }
  }
  // Walked always: Net-SNMP agents give garbage ipAddressPrefix; the netmask is needed.
  EXPECT_EQ(fallback_for["ipAddrTable"], "");
  EXPECT_EQ(fallback_for["ipCidrRouteTable"], "inetCidrRouteTable");
  EXPECT_EQ(fallback_for["ipRouteTable"], "ipCidrRouteTable");
  EXPECT_EQ(fallback_for["ipNetToMediaTable"], "ipNetToPhysicalTable");
  EXPECT_EQ(fallback_for["dot1dTpFdbTable"], "dot1qTpFdbTable");
  EXPECT_EQ(fallback_for["tcpConnTable"], "tcpConnectionTable");
  // Every fallback names a primary that is walked.
  for (const auto& [name, primary] : fallback_for) {
    if (!primary.empty()) {
      EXPECT_TRUE(fallback_for.contains(primary)) << name;
    }
  }
}

TEST(SnmpDecode, CatalogueColumnsAreWhatTheRealWalksHold) {
  // Every column the poll walks is present in the Cisco walk (it has ifTable and ifXTable).
  for (const auto& table : PollTables()) {
    for (const auto& column : table.columns) {
      EXPECT_FALSE(Under(Cisco(), column).empty()) << table.name << " " << column.ToString();
    }
  }
  for (const auto& oid : DiscoveryScalars()) {
    if (oid.StartsWith(Oid{1, 3, 6, 1, 2, 1, 1})) {
      EXPECT_FALSE(Under(Cisco(), oid).empty()) << oid.ToString();
    }
  }
}

}  // namespace
}  // namespace trinet::snmp
