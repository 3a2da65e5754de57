// The passive egress watch in the findings engine: the store of what captures found
// (schema/pcap_store.h), its evidence window, the policy built from the register, and
// `trinetctl pcap analyze` end to end on captures written here with libpcap's dump API.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "finding_store.h"
#include "packet_builder.h"
#include "pcap_store.h"
#include "register/register_yaml.h"
#include "sqlite.h"
#include "test_util.h"

namespace trinet {
namespace {

using nlohmann::json;
using testing::Quote;
using testing::RunCommand;
using testing::TempDir;

const std::string kRegister = TRINET_FIXTURES "/findings/rogue-exit/register.yaml";

// ---- building frames ------------------------------------------------------------------------

using testing::packets::Bytes;
using testing::packets::Put16;
using testing::packets::Udp;
using Mac = std::array<std::uint8_t, 6>;

Mac M(std::uint8_t last, std::uint8_t b4 = 0, std::uint8_t first = 0x02) {
  return {first, b4, 0, 0, 0, last};
}
const Mac kHost = {0x02, 0x00, 0x00, 0x00, 0x00, 0x44};
const Mac kRogueGateway = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x01};
const Mac kRogueDhcp = {0x02, 0xcc, 0x00, 0x00, 0x00, 0x03};
const Mac kSanctionedGateway = {0x00, 0x1b, 0x54, 0xaa, 0x00, 0x01};
const Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

std::array<std::uint8_t, 4> V4(const std::string& text) {
  auto a = ParseIpAddress(text);
  std::array<std::uint8_t, 4> out{};
  std::copy(a->bytes.begin(), a->bytes.begin() + 4, out.begin());
  return out;
}

// Ethernet with up to two VLAN tags (802.1ad outer, 802.1Q inner) around an IPv4 packet.
Bytes Frame(const Mac& src, const Mac& dst, const Bytes& ip,
            std::vector<std::uint16_t> vlans = {}) {
  Bytes b(dst.begin(), dst.end());
  b.insert(b.end(), src.begin(), src.end());
  for (size_t i = 0; i < vlans.size(); ++i) {
    Put16(b, vlans.size() == 2 && i == 0 ? 0x88a8 : 0x8100);
    Put16(b, vlans[i]);
  }
  Put16(b, 0x0800);
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

Bytes Ipv4(const std::string& src, const std::string& dst, std::uint8_t proto, const Bytes& l4) {
  Bytes b = {0x45, 0};
  Put16(b, static_cast<std::uint16_t>(20 + l4.size()));
  Put16(b, 1);
  Put16(b, 0);
  b.push_back(64);
  b.push_back(proto);
  Put16(b, 0);
  for (auto x : V4(src)) b.push_back(x);
  for (auto x : V4(dst)) b.push_back(x);
  std::uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += (b[i] << 8) | b[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  b[10] = static_cast<std::uint8_t>(~sum >> 8);
  b[11] = static_cast<std::uint8_t>(~sum);
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes Tcp(std::uint16_t sport, std::uint16_t dport) {
  Bytes b;
  Put16(b, sport);
  Put16(b, dport);
  for (int i = 0; i < 8; ++i) b.push_back(0);  // seq, ack
  b.push_back(0x50);
  b.push_back(0x18);  // PSH ACK
  Put16(b, 65535);
  Put16(b, 0);
  Put16(b, 0);
  for (int i = 0; i < 40; ++i) b.push_back('x');
  return b;
}

Bytes DnsQuery(const std::string& name) {
  Bytes b;
  Put16(b, 0x1234);
  Put16(b, 0x0100);
  Put16(b, 1);
  for (int i = 0; i < 3; ++i) Put16(b, 0);
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<std::uint8_t>(dot - start));
    b.insert(b.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  b.push_back(0);
  Put16(b, 1);
  Put16(b, 1);
  return b;
}

Bytes DhcpOffer(const std::string& server, const std::string& offered) {
  Bytes b = {2, 1, 6, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) b.push_back(0);  // ciaddr
  for (auto x : V4(offered)) b.push_back(x);   // yiaddr
  for (int i = 0; i < 8; ++i) b.push_back(0);  // siaddr, giaddr
  b.insert(b.end(), kHost.begin(), kHost.end());
  for (int i = 0; i < 10 + 64 + 128; ++i) b.push_back(0);  // chaddr padding, sname, file
  for (std::uint8_t x : {0x63, 0x82, 0x53, 0x63, 53, 1, 2, 54, 4}) b.push_back(x);
  for (auto x : V4(server)) b.push_back(x);
  b.push_back(3);
  b.push_back(4);
  for (auto x : V4(server)) b.push_back(x);
  b.push_back(6);
  b.push_back(4);
  for (auto x : V4(server)) b.push_back(x);
  b.push_back(255);
  return b;
}

struct Capture {
  std::int64_t ts_us = 1795000000LL * 1000000;  // 2026-11-18
  std::vector<std::pair<std::int64_t, Bytes>> frames;
  void Add(Bytes frame) {
    frames.emplace_back(ts_us, std::move(frame));
    ts_us += 1000;
  }
};

void WriteCapture(const std::filesystem::path& path, const Capture& c) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(dumper, nullptr) << pcap_geterr(dead);
  for (const auto& [ts, frame] : c.frames) {
    pcap_pkthdr h{};
    h.ts.tv_sec = ts / 1000000;
    h.ts.tv_usec = static_cast<suseconds_t>(ts % 1000000);
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, frame.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
}

// The internal network's capture: a planted rogue exit (a host talking to 203.0.113.80
// through gateway X on VLAN 30, both ways) and a rogue DHCP server, among near misses:
// private traffic (untagged and QinQ), DNS to the sanctioned resolver, an offer from the
// registered DHCP server.
Capture InternalCapture() {
  Capture c;
  for (int i = 0; i < 5; ++i) {
    c.Add(
        Frame(kHost, kRogueGateway, Ipv4("10.32.7.44", "203.0.113.80", 6, Tcp(40000, 443)), {30}));
    c.Add(
        Frame(kRogueGateway, kHost, Ipv4("203.0.113.80", "10.32.7.44", 6, Tcp(443, 40000)), {30}));
  }
  c.Add(Frame(kHost, M(0x10), Ipv4("10.32.7.44", "10.32.1.10", 6, Tcp(40001, 445))));
  c.Add(Frame(kHost, M(0x11), Ipv4("10.32.7.44", "192.0.2.10", 6, Tcp(40002, 80)), {100, 30}));
  c.Add(Frame(kHost, M(0x53),
              Ipv4("10.32.7.44", "10.32.0.53", 17, Udp(5353, 53, DnsQuery("www.gov.example")))));
  c.Add(Frame(M(0x67), kBroadcast,
              Ipv4("10.32.0.67", "255.255.255.255", 17,
                   Udp(67, 68, DhcpOffer("10.32.0.67", "10.32.7.99")))));
  c.Add(Frame(kRogueDhcp, kBroadcast,
              Ipv4("192.168.1.1", "255.255.255.255", 17,
                   Udp(67, 68, DhcpOffer("192.168.1.1", "192.168.1.100")))));
  return c;
}

// The external network: Internet traffic through the sanctioned exit's gateway MAC only.
Capture ExternalCapture() {
  Capture c;
  for (int i = 0; i < 3; ++i) {
    c.Add(Frame(M(0x05, 0x64), kSanctionedGateway,
                Ipv4("10.64.1.5", "198.51.100.7", 6, Tcp(50000, 443))));
    c.Add(Frame(kSanctionedGateway, M(0x05, 0x64),
                Ipv4("198.51.100.7", "10.64.1.5", 6, Tcp(443, 50000))));
  }
  c.Add(Frame(M(0x05, 0x64), M(0x53, 0x64),
              Ipv4("10.64.1.5", "10.64.0.53", 17, Udp(5353, 53, DnsQuery("example.org")))));
  return c;
}

pcap::PcapObservation Observation(const std::string& mac_text, std::uint64_t packets,
                                  std::int64_t first_us, std::int64_t last_us) {
  pcap::PcapObservation o;
  o.kind = pcap::ObservationKind::kPublicTraffic;
  o.network = "internal";
  o.source = "mirror:eth1";
  o.outer_vlan = 30;
  o.suspect_mac = *pcap::MacAddress::Parse(mac_text);
  o.suspect_address = *ParseIpAddress("203.0.113.80");
  o.src = *ParseIpAddress("10.32.7.44");
  o.dst = o.suspect_address;
  o.packets = packets;
  o.bytes = packets * 100;
  o.flows = 1;
  o.first_seen_us = first_us;
  o.last_seen_us = last_us;
  return o;
}

// ---- the store ------------------------------------------------------------------------------

TEST(PcapStore, RecordsAndAddsUpRepeats) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  RecordPcapObservations(db, {Observation("02:aa:00:00:00:01", 10, 2000, 3000)}, 1000);
  auto again = Observation("02:aa:00:00:00:01", 5, 1500, 2500);
  again.dns_names = {"ignored.example"};
  RecordPcapObservations(db, {again, Observation("02:aa:00:00:00:02", 1, 7, 8)}, 1100);
  const auto obs = LoadObservations(db);
  ASSERT_EQ(obs.pcap.size(), 2u);
  const auto& s = obs.pcap[0];
  EXPECT_EQ(s.kind, "public-traffic");
  EXPECT_EQ(s.network, "internal");
  EXPECT_EQ(s.source, "mirror:eth1");
  EXPECT_EQ(s.outer_vlan, 30);
  EXPECT_EQ(s.inner_vlan, -1);
  EXPECT_EQ(s.suspect_mac, "02:aa:00:00:00:01");
  EXPECT_EQ(s.suspect_address, "203.0.113.80");
  EXPECT_EQ(s.src, "10.32.7.44");
  EXPECT_EQ(s.packets, 15);
  EXPECT_EQ(s.bytes, 1500);
  EXPECT_EQ(s.flows, 2);
  EXPECT_EQ(s.first_seen_us, 1500);
  EXPECT_EQ(s.last_seen_us, 3000);
  EXPECT_EQ(s.recorded_at, 1100);
  EXPECT_EQ(obs.pcap[1].suspect_mac, "02:aa:00:00:00:02");
}

TEST(PcapStore, SightingOfMatchesWhatIsReadBack) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  auto o = Observation("02:aa:00:00:00:01", 3, 1, 2);
  o.kind = pcap::ObservationKind::kRogueDhcp;
  o.routers = {*ParseIpAddress("192.168.1.1")};
  RecordPcapObservations(db, {o}, 42);
  const auto obs = LoadObservations(db);
  ASSERT_EQ(obs.pcap.size(), 1u);
  const auto s = SightingOf(o, 42);
  EXPECT_EQ(obs.pcap[0].kind, s.kind);
  EXPECT_EQ(obs.pcap[0].routers, s.routers);
  EXPECT_EQ(obs.pcap[0].src_mac, s.src_mac);
  EXPECT_EQ(obs.pcap[0].outer_vlan, s.outer_vlan);
  EXPECT_EQ(obs.pcap[0].packets, s.packets);
}

TEST(PcapStore, LoadsOnlyTheEvidenceWindow) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  RecordPcapObservations(db, {Observation("02:aa:00:00:00:01", 1, 1, 2)}, 1000);
  RecordPcapObservations(db, {Observation("02:aa:00:00:00:02", 1, 1, 2)}, 5000);
  EXPECT_EQ(LoadObservations(db).pcap.size(), 2u);
  const auto recent = LoadObservations(db, 4000).pcap;
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].suspect_mac, "02:aa:00:00:00:02");
  EXPECT_EQ(LoadObservations(db, 5000).pcap.size(), 1u);
  EXPECT_TRUE(LoadObservations(db, 5001).pcap.empty());
}

TEST(PcapStore, EvaluationHonoursTheWindow) {
  TempDir dir;
  auto db = sql::Database::Open(dir / "t.db");
  auto load = LoadRegisterFile(kRegister);
  ASSERT_TRUE(load.reg);
  const std::int64_t now = 1795000000;
  RecordPcapObservations(db, {Observation("02:aa:00:00:00:01", 1, 1, 2)}, now - 8 * 86400);
  findings::RuleOptions options;
  auto ids = [](const std::vector<findings::FindingRecord>& records) {
    std::set<std::string> out;
    for (const auto& r : records) {
      if (r.state != findings::kResolved) out.insert(r.finding.Id());
    }
    return out;
  };
  EXPECT_EQ(
      ids(PreviewFindings(db, *load.reg, now, options)).count("rogue-exit:mac:02:aa:00:00:00:01"),
      0u);
  options.pcap_evidence_seconds = 9 * 86400;
  EXPECT_EQ(
      ids(PreviewFindings(db, *load.reg, now, options)).count("rogue-exit:mac:02:aa:00:00:00:01"),
      1u);
}

TEST(PcapStore, PolicyFromTheRegister) {
  auto load = LoadRegisterFile(kRegister);
  ASSERT_TRUE(load.reg);
  const auto ext = PolicyFor(*load.reg, "external", "mirror:eth2");
  EXPECT_EQ(ext.network, "external");
  EXPECT_EQ(ext.source, "mirror:eth2");
  EXPECT_EQ(ext.plan_prefixes.size(), 7u);  // every network's plan
  ASSERT_EQ(ext.gateway_macs.size(), 1u);
  EXPECT_EQ(ext.gateway_macs[0].ToString(), "00:1b:54:aa:00:01");
  ASSERT_TRUE(ext.sanctioned_resolvers);
  ASSERT_EQ(ext.sanctioned_resolvers->size(), 1u);
  EXPECT_EQ((*ext.sanctioned_resolvers)[0].ToString(), "10.64.0.53");
  ASSERT_TRUE(ext.dhcp_servers);
  EXPECT_EQ((*ext.dhcp_servers)[0].ToString(), "10.64.0.67");

  const auto internal = PolicyFor(*load.reg, "internal", "file:x.pcap");
  EXPECT_TRUE(internal.gateway_macs.empty());  // the exit is on the external network
  ASSERT_TRUE(internal.sanctioned_resolvers);
  EXPECT_EQ(internal.sanctioned_resolvers->size(), 2u);

  const auto classified = PolicyFor(*load.reg, "classified", "x");
  EXPECT_FALSE(classified.sanctioned_resolvers);  // empty list: not configured
  EXPECT_FALSE(classified.dhcp_servers);
}

// ---- trinetctl pcap analyze -----------------------------------------------------------------

class PcapCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Ctl("inventory apply " + Quote(kRegister));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  testing::CommandResult Ctl(const std::string& args) {
    return RunCommand(std::string(TRINETCTL) + " --db " + Quote(dir_ / "t.db") + " " + args);
  }
  json Json(const std::string& args, int want_exit = 0) {
    // Standard output only: the error line of a cut file goes to standard error.
    auto r = RunCommand("{ " + std::string(TRINETCTL) + " --db " + Quote(dir_ / "t.db") + " " +
                        args + " 2>/dev/null; }");
    EXPECT_EQ(r.exit_code, want_exit) << args << "\n" << r.output;
    auto j = json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j;
  }
  std::int64_t StoredRows() {
    auto db = sql::Database::Open(dir_ / "t.db");
    sql::Statement s(db, "SELECT count(*) FROM pcap_observations");
    s.Step();
    return s.Int(0);
  }
  static json Find(const json& list, const std::string& id) {
    for (const auto& f : list) {
      if (f["id"] == id) return f;
    }
    return json();
  }
  TempDir dir_;
};

const std::string kRogueId = "rogue-exit:mac:02:aa:00:00:00:01";
const std::string kDhcpId = "rogue-exit:mac:02:cc:00:00:00:03";

TEST_F(PcapCli, PlantedRogueExitPreviewThenRecord) {
  const auto file = dir_ / "internal.pcap";
  WriteCapture(file, InternalCapture());

  const json a = Json("pcap analyze " + Quote(file) + " --network internal --json");
  EXPECT_EQ(a["packets"], 15);
  EXPECT_EQ(a["complete"], true);
  EXPECT_EQ(a["source"], "file:internal.pcap");
  EXPECT_EQ(a["recorded"], false);
  EXPECT_TRUE(a["decode_errors"].empty()) << a["decode_errors"].dump();
  std::set<std::string> kinds;
  for (const auto& o : a["observations"]) kinds.insert(o["kind"].get<std::string>());
  EXPECT_EQ(kinds, (std::set<std::string>{"public-traffic", "rogue-dhcp"})) << a.dump(2);
  for (const auto& o : a["observations"]) {
    if (o["kind"] == "public-traffic") {
      EXPECT_EQ(o["suspect_mac"], "02:aa:00:00:00:01");
      EXPECT_EQ(o["suspect_address"], "203.0.113.80");
      EXPECT_EQ(o["outer_vlan"], 30);
      EXPECT_EQ(o["packets"], 10);
      EXPECT_EQ(o["flows"], 2);
    } else {
      EXPECT_EQ(o["suspect_mac"], "02:cc:00:00:00:03");
      EXPECT_EQ(o["suspect_address"], "192.168.1.1");
    }
  }
  // The preview: the findings the capture gives, nothing written.
  ASSERT_EQ(a["findings"].size(), 2u) << a["findings"].dump(2);
  const json rogue = Find(a["findings"], kRogueId);
  ASSERT_FALSE(rogue.is_null());
  EXPECT_EQ(rogue["severity"], "critical");
  EXPECT_EQ(rogue["reason"], "pcap-public-traffic");
  EXPECT_EQ(rogue["network"], "internal");
  EXPECT_EQ(Find(a["findings"], kDhcpId)["severity"], "major");
  EXPECT_EQ(StoredRows(), 0);
  EXPECT_TRUE(Find(Json("findings --json"), kRogueId).is_null());

  // The desk text names the suspect and the preview.
  auto text = Ctl("pcap analyze " + Quote(file) + " --network internal");
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("02:aa:00:00:00:01"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("preview"), std::string::npos) << text.output;

  // --record: stored, evaluated, in the lifecycle.
  const json r = Json("pcap analyze " + Quote(file) + " --network internal --json --record");
  EXPECT_EQ(r["recorded"], true);
  EXPECT_EQ(StoredRows(), 2);
  const json stored = Find(Json("findings --json"), kRogueId);
  ASSERT_FALSE(stored.is_null());
  EXPECT_EQ(stored["state"], "open");
  EXPECT_EQ(stored["subject"]["type"], "mac");
  ASSERT_FALSE(stored["evidence"].empty());
  EXPECT_EQ(stored["evidence"][0]["source"], "pcap");
  EXPECT_EQ(stored["evidence"][0]["device"], "file:internal.pcap");
  EXPECT_EQ(stored["evidence"][0]["table"], "public-traffic");
  const std::string value = stored["evidence"][0]["value"];
  EXPECT_NE(value.find("10.32.7.44"), std::string::npos) << value;
  EXPECT_NE(value.find("VLAN 30"), std::string::npos) << value;
  EXPECT_NE(value.find("10 packets"), std::string::npos) << value;

  // Acknowledged as any finding.
  auto ack = Ctl("findings ack " + kRogueId + " --by 王工 --note 'on site tomorrow'");
  EXPECT_EQ(ack.exit_code, 0) << ack.output;
  EXPECT_EQ(Find(Json("findings --json"), kRogueId)["state"], "acknowledged");

  // Recording the file again adds up: one row per suspect, counts doubled.
  Json("pcap analyze " + Quote(file) + " --network internal --json --record");
  EXPECT_EQ(StoredRows(), 2);
  {
    auto db = sql::Database::Open(dir_ / "t.db");
    sql::Statement s(db, "SELECT packets FROM pcap_observations WHERE kind = 'public-traffic'");
    ASSERT_TRUE(s.Step());
    EXPECT_EQ(s.Int(0), 20);
  }
  EXPECT_EQ(Find(Json("findings --json"), kRogueId)["state"], "acknowledged");
}

TEST_F(PcapCli, ExternalTrafficThroughTheSanctionedGatewayIsClean) {
  const auto file = dir_ / "external.pcapng";
  WriteCapture(file, ExternalCapture());
  const json a = Json("pcap analyze " + Quote(file) + " --network external --json --record");
  EXPECT_EQ(a["packets"], 7);
  EXPECT_TRUE(a["observations"].empty()) << a["observations"].dump(2);
  EXPECT_TRUE(a["findings"].empty());
  EXPECT_EQ(StoredRows(), 0);
  // The same traffic said to be on the internal network is public traffic there.
  // (and the external resolver is a foreign one there).
  const json b = Json("pcap analyze " + Quote(file) + " --network internal --json");
  ASSERT_EQ(b["observations"].size(), 2u) << b["observations"].dump(2);
  EXPECT_EQ(b["observations"][0]["kind"], "public-traffic");
  EXPECT_EQ(b["observations"][0]["suspect_mac"], "00:1b:54:aa:00:01");
  EXPECT_EQ(b["observations"][1]["kind"], "foreign-resolver");
}

TEST_F(PcapCli, UnknownNetworkNamesTheAllowedOnes) {
  const auto file = dir_ / "internal.pcap";
  WriteCapture(file, InternalCapture());
  auto r = Ctl("pcap analyze " + Quote(file) + " --network dmz");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("external, internal, classified"), std::string::npos) << r.output;
  auto missing = Ctl("pcap analyze " + Quote(dir_ / "nope.pcap") + " --network internal");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
}

TEST_F(PcapCli, TruncatedFileShowsWhatWasReadAndRecordsOnlyWithPartial) {
  const auto file = dir_ / "cut.pcap";
  WriteCapture(file, InternalCapture());
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size - 30);  // inside the last record

  auto text = Ctl("pcap analyze " + Quote(file) + " --network internal");
  EXPECT_EQ(text.exit_code, 1) << text.output;
  EXPECT_NE(text.output.find("byte offset"), std::string::npos) << text.output;

  const json a = Json("pcap analyze " + Quote(file) + " --network internal --json --record", 1);
  EXPECT_EQ(a["complete"], false);
  EXPECT_EQ(a["packets"], 14);
  EXPECT_NE(a["error"].get<std::string>().find("byte offset"), std::string::npos);
  EXPECT_EQ(a["recorded"], false);
  EXPECT_FALSE(Find(a["findings"], kRogueId).is_null());  // what was read still shows
  EXPECT_EQ(StoredRows(), 0);

  const json p =
      Json("pcap analyze " + Quote(file) + " --network internal --json --record --partial", 1);
  EXPECT_EQ(p["recorded"], true);
  EXPECT_EQ(StoredRows(), 1);  // the public traffic; the rogue offer was the cut record
  EXPECT_EQ(Find(Json("findings --json"), kRogueId)["state"], "open");
}

}  // namespace
}  // namespace trinet
