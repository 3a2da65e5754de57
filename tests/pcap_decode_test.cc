// Tests of the pcap collector's pure core: the packet decoder (packets built byte by byte,
// every truncation, mutated and random buffers), capture files written with libpcap's dump
// API (and cut at every byte offset), the flow table and the rules over flows.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "packet_builder.h"
#include "pcap/analyze.h"
#include "pcap/decode.h"
#include "pcap/flow_table.h"
#include "pcap/reader.h"
#include "test_util.h"

namespace trinet::pcap {
namespace {

using ::testing::HasSubstr;
using testing::packets::Append;
using testing::packets::Bytes;
using testing::packets::Put16;
using testing::packets::Put32;
using testing::packets::Udp;

// ---- packet builders ----------------------------------------------------------------------

MacAddress M(std::uint8_t last) { return MacAddress{{0x02, 0x00, 0x00, 0x00, 0x00, last}}; }
IpAddress Ip(const char* text) { return *ParseIpAddress(text); }
void PutMac(Bytes& b, const MacAddress& m) { b.insert(b.end(), m.bytes.begin(), m.bytes.end()); }
void PutIp(Bytes& b, const IpAddress& a) {
  b.insert(b.end(), a.bytes.begin(), a.bytes.begin() + (a.family == 4 ? 4 : 16));
}

const MacAddress kHost = M(0x01);
const MacAddress kRouter = M(0xfe);
const MacAddress kRogue = M(0x66);

struct Tag {
  std::uint16_t tpid;
  std::uint16_t id;
};

Bytes Ether(const MacAddress& dst, const MacAddress& src, std::uint16_t ethertype,
            const Bytes& payload, const std::vector<Tag>& tags = {}) {
  Bytes b;
  PutMac(b, dst);
  PutMac(b, src);
  for (const Tag& t : tags) {
    Put16(b, t.tpid);
    Put16(b, static_cast<std::uint16_t>(0x2000 | t.id));  // priority 1, to be masked off
  }
  Put16(b, ethertype);
  Append(b, payload);
  return b;
}

Bytes Ipv4(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol, const Bytes& payload,
           std::uint16_t fragment = 0, const Bytes& options = {}) {
  Bytes b;
  b.push_back(static_cast<std::uint8_t>(0x40 | (5 + options.size() / 4)));
  b.push_back(0);
  Put16(b, static_cast<std::uint16_t>(20 + options.size() + payload.size()));
  Put16(b, 0x1234);
  Put16(b, fragment);
  b.push_back(64);
  b.push_back(protocol);
  Put16(b, 0);  // checksum: not checked
  PutIp(b, src);
  PutIp(b, dst);
  Append(b, options);
  Append(b, payload);
  return b;
}

// An IPv6 header; `chain` is the extension headers already encoded, `first` the next header
// value naming the first of them (or the upper layer).
Bytes Ipv6(const IpAddress& src, const IpAddress& dst, std::uint8_t first, const Bytes& chain) {
  Bytes b;
  Put32(b, 0x60000000);
  Put16(b, static_cast<std::uint16_t>(chain.size()));
  b.push_back(first);
  b.push_back(64);
  PutIp(b, src);
  PutIp(b, dst);
  Append(b, chain);
  return b;
}

// An 8-byte options header (hop-by-hop, destination options or routing): next, length 0,
// padding.
Bytes Ext8(std::uint8_t next) { return Bytes{next, 0, 1, 4, 0, 0, 0, 0}; }
Bytes Fragment6(std::uint8_t next, std::uint16_t offset, bool more) {
  Bytes b{next, 0};
  Put16(b, static_cast<std::uint16_t>((offset << 3) | (more ? 1 : 0)));
  Put32(b, 0xabcdef01);
  return b;
}

Bytes Tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags, std::uint8_t offset = 5) {
  Bytes b;
  Put16(b, sport);
  Put16(b, dport);
  Put32(b, 1000);
  Put32(b, 0);
  b.push_back(static_cast<std::uint8_t>(offset << 4));
  b.push_back(flags);
  Put16(b, 65535);
  Put32(b, 0);
  return b;
}

Bytes Arp(std::uint16_t op, const MacAddress& smac, const IpAddress& sip, const MacAddress& tmac,
          const IpAddress& tip) {
  Bytes b;
  Put16(b, 1);
  Put16(b, 0x0800);
  b.push_back(6);
  b.push_back(4);
  Put16(b, op);
  PutMac(b, smac);
  PutIp(b, sip);
  PutMac(b, tmac);
  PutIp(b, tip);
  return b;
}

Bytes DnsName(const std::string& dotted) {
  Bytes b;
  std::size_t start = 0;
  while (start < dotted.size()) {
    std::size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    b.push_back(static_cast<std::uint8_t>(dot - start));
    b.insert(b.end(), dotted.begin() + start, dotted.begin() + dot);
    start = dot + 1;
  }
  b.push_back(0);
  return b;
}

// A DNS message with one question whose name is encoded as `name` (raw, so tests can plant
// pointers).
Bytes Dns(std::uint16_t id, bool response, const Bytes& name, std::uint16_t qtype = 1) {
  Bytes b;
  Put16(b, id);
  Put16(b, response ? 0x8180 : 0x0100);
  Put16(b, 1);
  Put16(b, response ? 1 : 0);
  Put16(b, 0);
  Put16(b, 0);
  Append(b, name);
  Put16(b, qtype);
  Put16(b, 1);
  return b;
}

Bytes Dhcp(std::uint8_t op, std::uint8_t type, const MacAddress& client, const IpAddress& yiaddr,
           const Bytes& extra_options) {
  Bytes b{op, 1, 6, 0};
  Put32(b, 0xdeadbeef);
  Put16(b, 0);
  Put16(b, 0);
  Put32(b, 0);  // ciaddr
  PutIp(b, yiaddr);
  Put32(b, 0);  // siaddr
  Put32(b, 0);  // giaddr
  PutMac(b, client);
  b.resize(b.size() + 10 + 64 + 128);  // rest of chaddr, sname, file
  Put32(b, 0x63825363);
  Append(b, Bytes{53, 1, type});
  Append(b, extra_options);
  b.push_back(255);
  return b;
}

Bytes AddressOption(std::uint8_t code, const std::vector<IpAddress>& list) {
  Bytes b{code, static_cast<std::uint8_t>(4 * list.size())};
  for (const IpAddress& a : list) PutIp(b, a);
  return b;
}

Bytes DhcpOffer(const IpAddress& server, std::optional<IpAddress> relay = std::nullopt) {
  Bytes options = AddressOption(54, {server});
  Append(options, AddressOption(3, {server}));
  Append(options, AddressOption(6, {server, Ip("8.8.8.8")}));
  return Ether(MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kRogue, 0x0800,
               Ipv4(relay.value_or(server), Ip("255.255.255.255"), 17,
                    Udp(67, 68, Dhcp(2, 2, kHost, Ip("192.168.1.23"), options))));
}

Packet Decode(const Bytes& b, int linktype = linktype::kEthernet) {
  Packet p;
  DecodePacket(b, static_cast<std::uint32_t>(b.size()), linktype, &p);
  return p;
}

std::string Name(DecodeError e) { return std::string(DecodeErrorName(e)); }

// ---- decoding -----------------------------------------------------------------------------

TEST(PcapDecode, EthernetIpv4Udp) {
  Bytes b = Ether(kRouter, kHost, 0x0800,
                  Ipv4(Ip("10.1.2.3"), Ip("203.0.113.9"), 17, Udp(40000, 123, Bytes(48, 0))));
  Packet p = Decode(b);
  EXPECT_EQ(Name(p.error), "none");
  EXPECT_FALSE(p.snapped);
  EXPECT_EQ(p.src_mac, kHost);
  EXPECT_EQ(p.dst_mac, kRouter);
  EXPECT_EQ(p.src_mac.ToString(), "02:00:00:00:00:01");
  EXPECT_EQ(p.vlan_tags, 0);
  EXPECT_EQ(p.outer_vlan, Packet::kNoVlan);
  EXPECT_EQ(p.ethertype, 0x0800);
  EXPECT_EQ(p.network, NetworkLayer::kIpv4);
  EXPECT_EQ(p.src, Ip("10.1.2.3"));
  EXPECT_EQ(p.dst, Ip("203.0.113.9"));
  EXPECT_EQ(p.ip_protocol, 17);
  EXPECT_TRUE(p.has_ports);
  EXPECT_EQ(p.src_port, 40000);
  EXPECT_EQ(p.dst_port, 123);
  EXPECT_FALSE(p.is_fragment);
  EXPECT_FALSE(p.dns.present);

  // Ethernet padding after the IP total length is ignored; IPv4 options are skipped.
  Bytes padded =
      Ether(kRouter, kHost, 0x0800,
            Ipv4(Ip("10.1.2.3"), Ip("10.1.2.4"), 17, Udp(1, 2, {}), 0, Bytes{1, 1, 1, 0}));
  padded.resize(60, 0);
  Packet q = Decode(padded);
  EXPECT_EQ(Name(q.error), "none");
  EXPECT_EQ(q.dst_port, 2);

  // An 802.3 length frame is link layer only.
  Packet llc = Decode(Ether(kRouter, kHost, 46, Bytes(46, 0x42)));
  EXPECT_EQ(Name(llc.error), "none");
  EXPECT_EQ(llc.network, NetworkLayer::kOther);
  EXPECT_EQ(llc.ethertype, 0);
}

TEST(PcapDecode, VlanAndQinq) {
  Bytes udp = Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), 17, Udp(5, 6, {}));
  Packet one = Decode(Ether(kRouter, kHost, 0x0800, udp, {{0x8100, 100}}));
  EXPECT_EQ(Name(one.error), "none");
  EXPECT_EQ(one.vlan_tags, 1);
  EXPECT_EQ(one.outer_vlan, 100);
  EXPECT_EQ(one.inner_vlan, Packet::kNoVlan);
  EXPECT_EQ(one.dst_port, 6);

  for (std::uint16_t outer_tpid : {0x88a8, 0x9100, 0x8100}) {
    Packet qinq = Decode(Ether(kRouter, kHost, 0x0800, udp, {{outer_tpid, 10}, {0x8100, 4094}}));
    EXPECT_EQ(Name(qinq.error), "none");
    EXPECT_EQ(qinq.vlan_tags, 2);
    EXPECT_EQ(qinq.outer_vlan, 10);
    EXPECT_EQ(qinq.inner_vlan, 4094);
    EXPECT_EQ(qinq.src, Ip("10.0.0.1"));
  }

  Packet three =
      Decode(Ether(kRouter, kHost, 0x0800, udp, {{0x88a8, 1}, {0x8100, 2}, {0x8100, 3}}));
  EXPECT_EQ(Name(three.error), "none");
  EXPECT_EQ(three.vlan_tags, 3);
  EXPECT_EQ(three.outer_vlan, 1);
  EXPECT_EQ(three.inner_vlan, 2);
  EXPECT_EQ(three.dst_port, 6);

  // A cut inside the inner tag keeps the MACs and the outer VLAN.
  Bytes cut = Ether(kRouter, kHost, 0x0800, udp, {{0x88a8, 10}, {0x8100, 20}});
  cut.resize(14 + 4 + 2);
  Packet c = Decode(cut);
  EXPECT_EQ(Name(c.error), "truncated_vlan");
  EXPECT_EQ(c.outer_vlan, 10);
  EXPECT_EQ(c.src_mac, kHost);
}

TEST(PcapDecode, Ipv6ExtensionHeaders) {
  IpAddress s = Ip("2001:db8::1"), d = Ip("fd00::2");
  // hop-by-hop, destination options, routing, fragment (first, more follow), UDP.
  Bytes chain = Ext8(60);
  Append(chain, Ext8(43));
  Append(chain, Ext8(44));
  Append(chain, Fragment6(17, 0, true));
  Append(chain, Udp(546, 547, {}));
  Packet p = Decode(Ether(kRouter, kHost, 0x86dd, Ipv6(s, d, 0, chain)));
  EXPECT_EQ(Name(p.error), "none");
  EXPECT_EQ(p.network, NetworkLayer::kIpv6);
  EXPECT_EQ(p.src, s);
  EXPECT_EQ(p.dst, d);
  EXPECT_EQ(p.ip_protocol, 17);
  EXPECT_TRUE(p.is_fragment);
  EXPECT_TRUE(p.more_fragments);
  EXPECT_EQ(p.fragment_offset, 0);
  EXPECT_TRUE(p.has_ports);
  EXPECT_EQ(p.dst_port, 547);

  // A later fragment has no transport header.
  Bytes later = Ext8(44);
  Append(later, Fragment6(6, 185, false));
  Append(later, Bytes(16, 0xaa));
  Packet f = Decode(Ether(kRouter, kHost, 0x86dd, Ipv6(s, d, 0, later)));
  EXPECT_EQ(Name(f.error), "none");
  EXPECT_TRUE(f.is_fragment);
  EXPECT_EQ(f.fragment_offset, 185);
  EXPECT_EQ(f.ip_protocol, 6);
  EXPECT_FALSE(f.has_ports);

  // AH (length 1: 12 bytes... rounded to (1 + 2) * 4), then TCP.
  Bytes ah{6, 1, 0, 0};
  Put32(ah, 0x100);
  Put32(ah, 1);
  Append(ah, Tcp(443, 50000, 0x12));
  Packet a = Decode(Ether(kRouter, kHost, 0x86dd, Ipv6(s, d, 51, ah)));
  EXPECT_EQ(Name(a.error), "none");
  EXPECT_EQ(a.ip_protocol, 6);
  EXPECT_EQ(a.src_port, 443);
  EXPECT_EQ(a.tcp_flags, 0x12);

  // ESP stops the walk.
  Packet e = Decode(Ether(kRouter, kHost, 0x86dd, Ipv6(s, d, 50, Bytes(24, 0x11))));
  EXPECT_EQ(Name(e.error), "none");
  EXPECT_EQ(e.ip_protocol, 50);
  EXPECT_FALSE(e.has_ports);

  // An extension header longer than the packet.
  Bytes big{17, 3, 0, 0, 0, 0, 0, 0};
  Packet t = Decode(Ether(kRouter, kHost, 0x86dd, Ipv6(s, d, 0, big)));
  EXPECT_EQ(Name(t.error), "truncated_ipv6_ext");
  EXPECT_EQ(t.src, s);

  Bytes bad = Ether(kRouter, kHost, 0x86dd, Ipv6(s, d, 59, {}));
  bad[14] = 0x40;
  EXPECT_EQ(Name(Decode(bad).error), "bad_ipv6_version");
}

TEST(PcapDecode, Ipv4Fragments) {
  IpAddress s = Ip("10.0.0.1"), d = Ip("198.51.100.7");
  Packet first = Decode(Ether(kRouter, kHost, 0x0800, Ipv4(s, d, 17, Udp(1000, 53, {}), 0x2000)));
  EXPECT_EQ(Name(first.error), "truncated_dns");  // a DNS port, a fragment's worth of nothing
  EXPECT_TRUE(first.is_fragment);
  EXPECT_TRUE(first.more_fragments);
  EXPECT_TRUE(first.has_ports);

  Packet second = Decode(Ether(kRouter, kHost, 0x0800, Ipv4(s, d, 17, Bytes(40, 0xee), 185)));
  EXPECT_EQ(Name(second.error), "none");
  EXPECT_TRUE(second.is_fragment);
  EXPECT_FALSE(second.more_fragments);
  EXPECT_EQ(second.fragment_offset, 185);
  EXPECT_FALSE(second.has_ports);
  EXPECT_EQ(second.dst, d);
}

TEST(PcapDecode, Ipv4Malformed) {
  Bytes b = Ether(kRouter, kHost, 0x0800, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), 6, Tcp(1, 2, 2)));
  Bytes ihl = b;
  ihl[14] = 0x44;
  Packet p = Decode(ihl);
  EXPECT_EQ(Name(p.error), "bad_ipv4_header_length");
  EXPECT_EQ(p.src, Ip("10.0.0.1"));  // the fixed header was there

  Bytes version = b;
  version[14] = 0x55;
  EXPECT_EQ(Name(Decode(version).error), "bad_ipv4_version");

  Bytes total = b;
  total[16] = 0;
  total[17] = 19;
  EXPECT_EQ(Name(Decode(total).error), "bad_ipv4_total_length");

  Bytes tso = b;  // total length 0: taken from the capture (TSO)
  tso[16] = tso[17] = 0;
  EXPECT_EQ(Name(Decode(tso).error), "none");

  Bytes offset =
      Ether(kRouter, kHost, 0x0800, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), 6, Tcp(1, 2, 2, 4)));
  Packet o = Decode(offset);
  EXPECT_EQ(Name(o.error), "bad_tcp_header_length");
  EXPECT_EQ(o.src_port, 1);

  Bytes udp =
      Ether(kRouter, kHost, 0x0800, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), 17, Udp(1, 2, {})));
  udp[14 + 20 + 5] = 7;
  EXPECT_EQ(Name(Decode(udp).error), "bad_udp_length");
}

TEST(PcapDecode, Tcp) {
  Packet p = Decode(Ether(kRouter, kHost, 0x0800,
                          Ipv4(Ip("10.0.0.1"), Ip("203.0.113.80"), 6, Tcp(51000, 443, 0x02))));
  EXPECT_EQ(Name(p.error), "none");
  EXPECT_EQ(p.ip_protocol, 6);
  EXPECT_EQ(p.src_port, 51000);
  EXPECT_EQ(p.dst_port, 443);
  EXPECT_TRUE(p.has_tcp_flags);
  EXPECT_EQ(p.tcp_flags, 0x02);
}

TEST(PcapDecode, Arp) {
  Packet p = Decode(Ether(MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kHost, 0x0806,
                          Arp(1, kHost, Ip("10.0.0.5"), MacAddress{}, Ip("10.0.0.1"))));
  EXPECT_EQ(Name(p.error), "none");
  EXPECT_EQ(p.network, NetworkLayer::kArp);
  EXPECT_EQ(p.arp_op, 1);
  EXPECT_EQ(p.arp_sender_mac, kHost);
  EXPECT_EQ(p.arp_sender_ip, Ip("10.0.0.5"));
  EXPECT_EQ(p.arp_target_ip, Ip("10.0.0.1"));
  EXPECT_FALSE(p.has_addresses);

  Packet r =
      Decode(Ether(kHost, kRouter, 0x0806, Arp(2, kRouter, Ip("10.0.0.1"), kHost, Ip("10.0.0.5"))));
  EXPECT_EQ(r.arp_op, 2);
  EXPECT_EQ(r.arp_target_mac, kHost);

  Bytes bad = Arp(1, kHost, Ip("10.0.0.5"), MacAddress{}, Ip("10.0.0.1"));
  bad[4] = 8;
  EXPECT_EQ(Name(Decode(Ether(kRouter, kHost, 0x0806, bad)).error), "bad_arp");
}

Bytes DnsPacket(const Bytes& dns, bool response = false) {
  return Ether(kRouter, kHost, 0x0800,
               Ipv4(Ip("10.0.0.5"), Ip("8.8.8.8"), 17,
                    response ? Udp(53, 33333, dns) : Udp(33333, 53, dns)));
}

TEST(PcapDecode, DnsQueryAndResponse) {
  Packet q = Decode(DnsPacket(Dns(0x4242, false, DnsName("WWW.Example.com"), 28)));
  EXPECT_EQ(Name(q.error), "none");
  ASSERT_TRUE(q.dns.present);
  EXPECT_FALSE(q.dns.response);
  EXPECT_EQ(q.dns.id, 0x4242);
  EXPECT_TRUE(q.dns.has_question);
  EXPECT_EQ(q.dns.name(), "www.example.com");
  EXPECT_EQ(q.dns.qtype, 28);
  EXPECT_EQ(q.dns.qclass, 1);

  Packet r = Decode(DnsPacket(Dns(0x4242, true, DnsName("example.com")), true));
  EXPECT_EQ(Name(r.error), "none");
  EXPECT_TRUE(r.dns.response);
  EXPECT_EQ(r.dns.name(), "example.com");

  // The root, and bytes that need escaping.
  EXPECT_EQ(Decode(DnsPacket(Dns(1, false, Bytes{0}))).dns.name(), "");
  Packet odd = Decode(DnsPacket(Dns(1, false, Bytes{3, 'a', '.', 0x01, 0})));
  EXPECT_EQ(Name(odd.error), "none");
  EXPECT_EQ(odd.dns.name(), "a\\046\\001");
}

TEST(PcapDecode, DnsNameErrors) {
  // A pointer to itself, at the start of the question (offset 12).
  Packet self = Decode(DnsPacket(Dns(1, false, Bytes{0xc0, 12})));
  EXPECT_EQ(Name(self.error), "bad_dns_name");
  EXPECT_TRUE(self.dns.present);
  // "a" then a pointer back to "a": a loop that only a length or jump limit stops.
  Packet loop = Decode(DnsPacket(Dns(1, false, Bytes{1, 'a', 0xc0, 12})));
  EXPECT_EQ(Name(loop.error), "bad_dns_name");
  // A pointer forward.
  EXPECT_EQ(Name(Decode(DnsPacket(Dns(1, false, Bytes{0xc0, 40, 0}))).error), "bad_dns_name");
  // Extended label types 0x40 and 0x80.
  EXPECT_EQ(Name(Decode(DnsPacket(Dns(1, false, Bytes{0x41, 'a', 0}))).error), "bad_dns_name");
  EXPECT_EQ(Name(Decode(DnsPacket(Dns(1, false, Bytes{0x81, 'a', 0}))).error), "bad_dns_name");
  // More than 255 octets.
  std::string longest;
  for (int i = 0; i < 5; ++i) longest += std::string(i ? "." : "") + std::string(60, 'x');
  Packet too_long = Decode(DnsPacket(Dns(1, false, DnsName(longest))));
  EXPECT_EQ(Name(too_long.error), "bad_dns_name");
  // 63 * 4 labels: 253 characters, 255 octets: the longest allowed.
  std::string fits;
  for (int i = 0; i < 4; ++i) fits += std::string(i ? "." : "") + std::string(i < 3 ? 63 : 61, 'y');
  Packet ok = Decode(DnsPacket(Dns(1, false, DnsName(fits))));
  EXPECT_EQ(Name(ok.error), "none");
  EXPECT_EQ(ok.dns.name(), fits);
  // A name of 255 octets each escaped as \DDD fits the buffer.
  Bytes escaped;
  for (int i = 0; i < 4; ++i) {
    int n = i < 3 ? 63 : 61;
    escaped.push_back(static_cast<std::uint8_t>(n));
    escaped.insert(escaped.end(), n, 0x01);
  }
  escaped.push_back(0);
  Packet esc = Decode(DnsPacket(Dns(1, false, escaped)));
  EXPECT_EQ(Name(esc.error), "none");
  EXPECT_EQ(esc.dns.name().size(), 253u * 4 - 3 * 3);
}

TEST(PcapDecode, DhcpOfferAndAck) {
  Packet p = Decode(DhcpOffer(Ip("192.168.1.1")));
  EXPECT_EQ(Name(p.error), "none");
  ASSERT_TRUE(p.dhcp.present);
  EXPECT_TRUE(p.dhcp.IsOffer());
  EXPECT_EQ(p.dhcp.op, 2);
  EXPECT_EQ(p.dhcp.xid, 0xdeadbeef);
  EXPECT_EQ(p.dhcp.client_mac, kHost);
  EXPECT_EQ(p.dhcp.your_address, Ip("192.168.1.23"));
  EXPECT_TRUE(p.dhcp.has_server_id);
  EXPECT_EQ(p.dhcp.server_id, Ip("192.168.1.1"));
  ASSERT_EQ(p.dhcp.router_count, 1);
  EXPECT_EQ(p.dhcp.routers[0], Ip("192.168.1.1"));
  ASSERT_EQ(p.dhcp.dns_server_count, 2);
  EXPECT_EQ(p.dhcp.dns_servers[1], Ip("8.8.8.8"));

  Packet ack = Decode(Ether(kHost, kRouter, 0x0800,
                            Ipv4(Ip("10.0.0.1"), Ip("10.0.0.9"), 17,
                                 Udp(67, 68, Dhcp(2, 5, kHost, Ip("10.0.0.9"), {0, 0})))));
  EXPECT_EQ(Name(ack.error), "none");
  EXPECT_TRUE(ack.dhcp.IsAck());
  EXPECT_FALSE(ack.dhcp.has_server_id);

  // Plain BOOTP (no magic cookie) is not DHCP and not an error.
  Bytes bootp = Dhcp(2, 2, kHost, Ip("10.0.0.9"), {});
  bootp[236] = 0;
  Packet b = Decode(
      Ether(kHost, kRouter, 0x0800, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.9"), 17, Udp(67, 68, bootp))));
  EXPECT_EQ(Name(b.error), "none");
  EXPECT_FALSE(b.dhcp.present);

  // An option running past the end.
  Bytes cut = Dhcp(2, 2, kHost, Ip("10.0.0.9"), {});
  cut.back() = 54;
  cut.push_back(4);
  cut.push_back(10);
  Packet c = Decode(
      Ether(kHost, kRouter, 0x0800, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.9"), 17, Udp(67, 68, cut))));
  EXPECT_EQ(Name(c.error), "truncated_dhcp");
  EXPECT_TRUE(c.dhcp.IsOffer());  // what came before the cut
}

TEST(PcapDecode, LinuxCookedAndRaw) {
  Bytes ip = Ipv4(Ip("10.0.0.1"), Ip("203.0.113.1"), 17, Udp(1, 2, {}));
  Bytes sll;
  Put16(sll, 4);  // outgoing
  Put16(sll, 1);  // ARPHRD_ETHER
  Put16(sll, 6);
  PutMac(sll, kHost);
  Put16(sll, 0);
  Put16(sll, 0x0800);
  Append(sll, ip);
  Packet p = Decode(sll, linktype::kLinuxSll);
  EXPECT_EQ(Name(p.error), "none");
  EXPECT_TRUE(p.has_src_mac);
  EXPECT_FALSE(p.has_dst_mac);
  EXPECT_EQ(p.src_mac, kHost);
  EXPECT_EQ(p.dst, Ip("203.0.113.1"));

  Bytes sll2;
  Put16(sll2, 0x86dd);
  Put16(sll2, 0);
  Put32(sll2, 3);
  Put16(sll2, 1);
  sll2.push_back(0);
  sll2.push_back(6);
  PutMac(sll2, kRouter);
  Put16(sll2, 0);
  Append(sll2, Ipv6(Ip("2001:db8::1"), Ip("2001:db8::2"), 17, Udp(7, 8, {})));
  Packet q = Decode(sll2, linktype::kLinuxSll2);
  EXPECT_EQ(Name(q.error), "none");
  EXPECT_EQ(q.src_mac, kRouter);
  EXPECT_EQ(q.dst_port, 8);

  Packet raw = Decode(ip, linktype::kRaw);
  EXPECT_EQ(Name(raw.error), "none");
  EXPECT_FALSE(raw.has_src_mac);
  EXPECT_EQ(raw.src, Ip("10.0.0.1"));

  EXPECT_EQ(Name(Decode(ip, 9999).error), "unsupported_linktype");
  EXPECT_EQ(Name(Decode(Bytes(15, 0), linktype::kLinuxSll).error), "truncated_sll");
}

// Every sample decodes cleanly, and ends with a header the decoder checks, so that any cut
// is a truncation error.
std::vector<Bytes> Samples() {
  IpAddress s4 = Ip("10.0.0.1"), d4 = Ip("203.0.113.5"), s6 = Ip("2001:db8::1"),
            d6 = Ip("2001:db8::2");
  Bytes v6chain = Ext8(44);
  Append(v6chain, Fragment6(17, 0, true));
  Append(v6chain, Udp(1, 53, Dns(7, false, DnsName("v6.example"))));
  Bytes ahchain{6, 1, 0, 0};
  Put32(ahchain, 1);
  Put32(ahchain, 2);
  Append(ahchain, Tcp(1, 2, 0x10));
  return {
      Ether(kRouter, kHost, 0x0800, Ipv4(s4, d4, 17, Udp(1, 2, {}))),
      Ether(kRouter, kHost, 0x0800, Ipv4(s4, d4, 17, Udp(1, 2, {})), {{0x88a8, 5}, {0x8100, 6}}),
      Ether(kRouter, kHost, 0x0800, Ipv4(s4, d4, 6, Tcp(1, 2, 0x18)), {}),
      Ether(kRouter, kHost, 0x0800, Ipv4(s4, d4, 6, Tcp(1, 2, 0x18), 0x2000, {1, 1, 1, 0})),
      Ether(kRouter, kHost, 0x86dd, Ipv6(s6, d6, 0, v6chain)),
      Ether(kRouter, kHost, 0x86dd, Ipv6(s6, d6, 51, ahchain)),
      Ether(kRouter, kHost, 0x0806, Arp(1, kHost, s4, MacAddress{}, d4)),
      DnsPacket(Dns(9, false, DnsName("www.example.org"))),
      DnsPacket(Dns(9, true, DnsName("example.org")), true),
      DhcpOffer(Ip("192.168.1.1")),
  };
}

TEST(PcapDecode, EveryTruncationIsAnErrorKeepingWhatCameBefore) {
  int cases = 0;
  for (const Bytes& full : Samples()) {
    Packet whole = Decode(full);
    ASSERT_EQ(Name(whole.error), "none");
    for (std::size_t len = 0; len < full.size(); ++len) {
      // A buffer of exactly `len` bytes: AddressSanitizer flags any read past it.
      std::vector<std::uint8_t> cut(full.begin(), full.begin() + len);
      cut.shrink_to_fit();
      Packet p;
      DecodeError e =
          DecodePacket(cut, static_cast<std::uint32_t>(full.size()), linktype::kEthernet, &p);
      ++cases;
      SCOPED_TRACE("length " + std::to_string(len) + " of " + std::to_string(full.size()));
      EXPECT_EQ(e, p.error);
      EXPECT_THAT(Name(e), ::testing::StartsWith("truncated_"));
      EXPECT_TRUE(p.snapped);
      if (len >= 14) {
        EXPECT_EQ(p.src_mac, whole.src_mac);
        EXPECT_EQ(p.dst_mac, whole.dst_mac);
      } else {
        EXPECT_EQ(Name(e), "truncated_ethernet");
      }
      if (p.vlan_tags > 0) {
        EXPECT_EQ(p.outer_vlan, whole.outer_vlan);
      }
      if (p.has_addresses) {
        EXPECT_EQ(p.src, whole.src);
        EXPECT_EQ(p.dst, whole.dst);
      }
      if (p.has_ports) {
        EXPECT_EQ(p.src_port, whole.src_port);
        EXPECT_EQ(p.dst_port, whole.dst_port);
      }
      if (p.dns.present) {
        EXPECT_EQ(p.dns.id, whole.dns.id);
      }
      if (p.dhcp.present) {
        EXPECT_EQ(p.dhcp.xid, whole.dhcp.xid);
      }
    }
  }
  EXPECT_GT(cases, 800);
}

TEST(PcapDecode, RandomAndMutatedBuffers) {
  // Deterministic: the same buffers every run, so a failure reproduces. Run under
  // AddressSanitizer (tools/fuzz/pcap-decode, or an ASan build) this is a small fuzzer.
  std::mt19937 rng(20240611);
  std::vector<Bytes> samples = Samples();
  const int linktypes[] = {linktype::kEthernet, linktype::kLinuxSll, linktype::kLinuxSll2,
                           linktype::kRaw};
  Packet p;
  int errors = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b;
    if (i % 4 == 0) {
      b.resize(rng() % 400);
      for (auto& byte : b) byte = static_cast<std::uint8_t>(rng());
    } else {
      b = samples[rng() % samples.size()];
      int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) {
        b[rng() % b.size()] = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0xff : rng());
      }
      if (rng() % 2) b.resize(rng() % (b.size() + 1));
    }
    b.shrink_to_fit();
    int lt = i % 8 == 0 ? linktypes[rng() % 4] : linktype::kEthernet;
    DecodeError e = DecodePacket(b, static_cast<std::uint32_t>(b.size() + rng() % 3), lt, &p);
    errors += e != DecodeError::kNone;
    ASSERT_LT(static_cast<int>(e), static_cast<int>(DecodeError::kCount));
    ASSERT_LE(p.dns.name_length, DnsInfo::kMaxNameText);
    ASSERT_LE(p.dhcp.router_count, DhcpInfo::kMaxServers);
    ASSERT_LE(p.dhcp.dns_server_count, DhcpInfo::kMaxServers);
  }
  EXPECT_GT(errors, 1000);
}

TEST(PcapDecode, ErrorNamesAreDistinct) {
  std::vector<std::string> names;
  for (int i = 0; i < static_cast<int>(DecodeError::kCount); ++i) {
    names.push_back(Name(static_cast<DecodeError>(i)));
    EXPECT_NE(names.back(), "unknown");
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
}

// ---- capture files ------------------------------------------------------------------------

struct Record {
  std::int64_t timestamp_us;
  Bytes data;
  std::uint32_t wire_length = 0;  ///< 0: data.size()
};

void WriteCapture(const std::filesystem::path& path, const std::vector<Record>& records,
                  int linktype = DLT_EN10MB, int snaplen = 65535) {
  pcap_t* dead =
      pcap_open_dead_with_tstamp_precision(linktype, snaplen, PCAP_TSTAMP_PRECISION_MICRO);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(dumper, nullptr) << pcap_geterr(dead);
  for (const Record& r : records) {
    pcap_pkthdr h{};
    h.ts.tv_sec = r.timestamp_us / 1000000;
    h.ts.tv_usec = r.timestamp_us % 1000000;
    h.caplen = static_cast<bpf_u_int32>(r.data.size());
    h.len = r.wire_length ? r.wire_length : h.caplen;
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, r.data.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
}

struct ReadResult {
  bool opened = false;
  std::string error;
  std::vector<RawPacket> packets;
  std::vector<Bytes> data;
  CaptureFile::Status end = CaptureFile::Status::kEnd;
};

ReadResult ReadAll(const std::filesystem::path& path) {
  ReadResult r;
  auto file = CaptureFile::Open(path, &r.error);
  if (!file) return r;
  r.opened = true;
  RawPacket p;
  CaptureFile::Status s;
  while ((s = file->Next(&p)) == CaptureFile::Status::kPacket) {
    r.packets.push_back(p);
    r.data.emplace_back(p.data.begin(), p.data.end());
  }
  r.end = s;
  r.error = file->error();
  EXPECT_EQ(file->packets(), r.packets.size());
  return r;
}

std::vector<Record> SmallCapture() {
  std::vector<Record> records;
  std::int64_t t = 1700000000'000000;
  for (const Bytes& b : Samples()) records.push_back({t += 1500, b});
  return records;
}

TEST(PcapReader, ReadsWhatWasWritten) {
  testing::TempDir dir;
  auto records = SmallCapture();
  WriteCapture(dir / "small.pcap", records);
  ReadResult r = ReadAll(dir / "small.pcap");
  ASSERT_TRUE(r.opened) << r.error;
  EXPECT_EQ(r.end, CaptureFile::Status::kEnd);
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.packets.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(r.packets[i].timestamp_us, records[i].timestamp_us);
    EXPECT_EQ(r.packets[i].wire_length, records[i].data.size());
    EXPECT_EQ(r.data[i], records[i].data);
    Packet p;
    EXPECT_EQ(Name(DecodePacket(r.data[i], r.packets[i].wire_length, DLT_EN10MB, &p)), "none");
  }
  auto file = CaptureFile::Open(dir / "small.pcap", &r.error);
  EXPECT_EQ(file->linktype(), DLT_EN10MB);
  EXPECT_EQ(file->offset(), 24u);

  std::string error;
  EXPECT_EQ(CaptureFile::Open(dir / "missing.pcap", &error), nullptr);
  EXPECT_THAT(error, HasSubstr("cannot open"));
  testing::WriteFile(dir / "text.pcap", std::string(100, 'x'));
  EXPECT_EQ(CaptureFile::Open(dir / "text.pcap", &error), nullptr);
  EXPECT_THAT(error, HasSubstr("not a capture file"));
}

TEST(PcapReader, SnappedPacketsDecodeAsFarAsCaptured) {
  testing::TempDir dir;
  Bytes dns = DnsPacket(Dns(3, false, DnsName("a-rather-long-name.example.com")));
  WriteCapture(
      dir / "snap.pcap",
      {{1'000000, Bytes(dns.begin(), dns.begin() + 50), static_cast<std::uint32_t>(dns.size())}},
      DLT_EN10MB, 50);
  ReadResult r = ReadAll(dir / "snap.pcap");
  ASSERT_EQ(r.packets.size(), 1u) << r.error;
  EXPECT_EQ(r.packets[0].wire_length, dns.size());
  Packet p;
  EXPECT_EQ(Name(DecodePacket(r.data[0], r.packets[0].wire_length, DLT_EN10MB, &p)),
            "truncated_dns");
  EXPECT_TRUE(p.snapped);
  EXPECT_EQ(p.dst_port, 53);
}

TEST(PcapReader, FileCutAtEveryOffset) {
  testing::TempDir dir;
  auto records = SmallCapture();
  WriteCapture(dir / "full.pcap", records);
  std::string full = testing::ReadFile(dir / "full.pcap");
  // Where each record starts, and the end.
  std::vector<std::size_t> starts{24};
  for (const Record& r : records) starts.push_back(starts.back() + 16 + r.data.size());
  ASSERT_EQ(starts.back(), full.size());

  for (std::size_t cut = 0; cut <= full.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    testing::WriteFile(dir / "cut.pcap", full.substr(0, cut));
    ReadResult r = ReadAll(dir / "cut.pcap");
    if (cut < 24) {
      EXPECT_FALSE(r.opened);
      EXPECT_THAT(r.error, HasSubstr("file header is cut"));
      EXPECT_THAT(r.error, HasSubstr("byte offset " + std::to_string(cut)));
      continue;
    }
    ASSERT_TRUE(r.opened) << r.error;
    // The records that lie wholly before the cut were all returned.
    std::size_t complete = 0;
    while (complete + 1 < starts.size() && starts[complete + 1] <= cut) ++complete;
    ASSERT_EQ(r.packets.size(), complete);
    for (std::size_t i = 0; i < complete; ++i) EXPECT_EQ(r.data[i], records[i].data);
    if (cut == starts[complete]) {
      EXPECT_EQ(r.end, CaptureFile::Status::kEnd) << r.error;
    } else {
      EXPECT_EQ(r.end, CaptureFile::Status::kError);
      EXPECT_THAT(r.error,
                  HasSubstr("truncated record at byte offset " + std::to_string(starts[complete])));
      EXPECT_THAT(r.error, HasSubstr("ends at byte offset " + std::to_string(cut)));
      EXPECT_THAT(r.error, HasSubstr("after " + std::to_string(complete) + " packets"));
    }
  }
}

// A pcapng file by hand (libpcap's dump API writes only pcap): section header, interface
// description (Ethernet, microseconds), then enhanced packet blocks.
std::string Pcapng(const std::vector<Record>& records, std::vector<std::size_t>* block_ends) {
  auto le32 = [](std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  };
  auto le16 = [](std::string& s, std::uint16_t v) {
    s.push_back(static_cast<char>(v));
    s.push_back(static_cast<char>(v >> 8));
  };
  std::string f;
  le32(f, 0x0A0D0D0A);
  le32(f, 28);
  le32(f, 0x1A2B3C4D);
  le16(f, 1);
  le16(f, 0);
  le32(f, 0xFFFFFFFF);
  le32(f, 0xFFFFFFFF);
  le32(f, 28);
  le32(f, 1);  // IDB
  le32(f, 20);
  le16(f, DLT_EN10MB);
  le16(f, 0);
  le32(f, 65535);
  le32(f, 20);
  block_ends->push_back(f.size());
  for (const Record& r : records) {
    std::size_t padded = (r.data.size() + 3) / 4 * 4;
    std::uint32_t total = static_cast<std::uint32_t>(32 + padded);
    le32(f, 6);  // EPB
    le32(f, total);
    le32(f, 0);
    le32(f, static_cast<std::uint32_t>(static_cast<std::uint64_t>(r.timestamp_us) >> 32));
    le32(f, static_cast<std::uint32_t>(r.timestamp_us));
    le32(f, static_cast<std::uint32_t>(r.data.size()));
    le32(f, static_cast<std::uint32_t>(r.data.size()));
    f.append(r.data.begin(), r.data.end());
    f.append(padded - r.data.size(), '\0');
    le32(f, total);
    block_ends->push_back(f.size());
  }
  return f;
}

TEST(PcapReader, PcapngAndItsCuts) {
  testing::TempDir dir;
  auto records = SmallCapture();
  records.resize(3);
  std::vector<std::size_t> ends;
  std::string full = Pcapng(records, &ends);
  testing::WriteFile(dir / "full.pcapng", full);
  ReadResult whole = ReadAll(dir / "full.pcapng");
  ASSERT_TRUE(whole.opened) << whole.error;
  EXPECT_EQ(whole.end, CaptureFile::Status::kEnd) << whole.error;
  ASSERT_EQ(whole.packets.size(), 3u);
  EXPECT_EQ(whole.packets[2].timestamp_us, records[2].timestamp_us);
  EXPECT_EQ(whole.data[1], records[1].data);

  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    testing::WriteFile(dir / "cut.pcapng", full.substr(0, cut));
    ReadResult r = ReadAll(dir / "cut.pcapng");
    if (cut < ends[0]) {
      // The section header or the interface description is cut: nothing to read from.
      EXPECT_FALSE(r.opened);
      EXPECT_THAT(r.error, HasSubstr("cut.pcapng"));
      continue;
    }
    ASSERT_TRUE(r.opened) << r.error;
    std::size_t complete = 0;
    while (complete + 1 < ends.size() && ends[complete + 1] <= cut) ++complete;
    EXPECT_EQ(r.packets.size(), complete);
    if (cut == ends[complete]) {
      EXPECT_EQ(r.end, CaptureFile::Status::kEnd) << r.error;
    } else {
      EXPECT_EQ(r.end, CaptureFile::Status::kError);
      EXPECT_THAT(r.error,
                  HasSubstr("truncated record at byte offset " + std::to_string(ends[complete])));
    }
  }
}

// ---- flow table ---------------------------------------------------------------------------

Packet Udp4(const char* src, const char* dst, std::uint16_t dport = 9,
            const MacAddress& dst_mac = kRouter) {
  return Decode(Ether(dst_mac, kHost, 0x0800, Ipv4(Ip(src), Ip(dst), 17, Udp(40000, dport, {}))));
}

TEST(PcapFlowTable, Aggregates) {
  FlowTable table(100);
  Packet a = Udp4("10.0.0.1", "203.0.113.1", 443);
  EXPECT_TRUE(table.Add(a, 100, 1'000000));
  EXPECT_TRUE(table.Add(Udp4("10.0.0.1", "203.0.113.1", 80), 200, 3'000000));
  EXPECT_TRUE(table.Add(a, 50, 2'000000));  // out of order
  EXPECT_TRUE(table.Add(Udp4("10.0.0.1", "203.0.113.2"), 60, 4'000000));
  // Same addresses on another VLAN, or to another MAC, are other flows.
  EXPECT_TRUE(table.Add(
      Decode(Ether(kRouter, kHost, 0x0800,
                   Ipv4(Ip("10.0.0.1"), Ip("203.0.113.1"), 17, Udp(1, 2, {})), {{0x8100, 7}})),
      60, 5'000000));
  EXPECT_TRUE(table.Add(Udp4("10.0.0.1", "203.0.113.1", 9, kRogue), 60, 5'000000));
  Packet nothing;
  DecodePacket(Bytes(5, 0), 5, linktype::kEthernet, &nothing);
  EXPECT_FALSE(table.Add(nothing, 5, 6'000000));

  FlowTableStats s = table.Stats();
  EXPECT_EQ(s.flows, 4u);
  EXPECT_EQ(s.packets, 6u);
  EXPECT_EQ(s.bytes, 530u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.evictions, 0u);
  const Flow* f = table.Find(FlowTable::KeyOf(a, 0));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->packets, 3u);
  EXPECT_EQ(f->bytes, 350u);
  EXPECT_EQ(f->first_seen_us, 1'000000);
  EXPECT_EQ(f->last_seen_us, 3'000000);
  EXPECT_EQ(f->ip_protocol, 17);
  EXPECT_EQ(f->first_dst_port, 443);
  EXPECT_EQ(f->key.SourceAddress(), Ip("10.0.0.1"));
  EXPECT_EQ(f->key.DestinationAddress(), Ip("203.0.113.1"));
  EXPECT_EQ(table.Find(FlowTable::KeyOf(a, 1)), nullptr);  // another network index

  // DNS names: distinct, at most four per flow; responses counted apart.
  FlowTable dns(10);
  for (const char* n : {"a.example", "b.example", "a.example", "c.example", "d.example",
                        "e.example.with.a.longer.name"}) {
    dns.Add(Decode(DnsPacket(Dns(1, false, DnsName(n)))), 80, 1);
  }
  dns.Add(Decode(DnsPacket(Dns(1, true, DnsName("a.example")), true)), 80, 2);
  const Flow* q = nullptr;
  dns.ForEach([&](const Flow& fl) {
    if (fl.dns_queries) q = &fl;
  });
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->dns_queries, 6u);
  EXPECT_EQ(q->dns_responses, 1u);  // DnsPacket keeps the addresses: the same flow
  EXPECT_THAT(q->dns_names,
              ::testing::ElementsAre("a.example", "b.example", "c.example", "d.example"));
  EXPECT_EQ(dns.size(), 1u);

  // DHCP offers.
  FlowTable dhcp(10);
  dhcp.Add(Decode(DhcpOffer(Ip("192.168.1.1"))), 342, 1);
  dhcp.Add(Decode(DhcpOffer(Ip("192.168.1.1"))), 342, 2);
  ASSERT_EQ(dhcp.size(), 1u);
  dhcp.ForEach([](const Flow& fl) {
    ASSERT_TRUE(fl.dhcp);
    EXPECT_EQ(fl.dhcp->offers, 2u);
    EXPECT_EQ(fl.dhcp->server_id, Ip("192.168.1.1"));
    EXPECT_THAT(fl.dhcp->dns_servers, ::testing::ElementsAre(Ip("192.168.1.1"), Ip("8.8.8.8")));
    EXPECT_THAT(fl.dhcp->offered, ::testing::ElementsAre(Ip("192.168.1.23")));
  });
}

// CLOCK: a flow with a packet since the hand passed is spared once.
TEST(PcapFlowTable, EvictsAtTheCapSparingFlowsInUse) {
  std::vector<IpAddress> evicted;
  FlowTable table(3, [&](const Flow& f) { evicted.push_back(f.key.DestinationAddress()); });
  table.Add(Udp4("10.0.0.1", "10.0.1.1"), 60, 1);
  table.Add(Udp4("10.0.0.1", "10.0.1.2"), 60, 2);
  table.Add(Udp4("10.0.0.1", "10.0.1.3"), 60, 3);
  table.Add(Udp4("10.0.0.1", "10.0.1.1"), 60, 4);  // .1 is the most recent again
  table.Add(Udp4("10.0.0.1", "10.0.1.4"), 60, 5);  // evicts .2
  table.Add(Udp4("10.0.0.1", "10.0.1.5"), 60, 6);  // evicts .3
  EXPECT_THAT(evicted, ::testing::ElementsAre(Ip("10.0.1.2"), Ip("10.0.1.3")));
  FlowTableStats s = table.Stats();
  EXPECT_EQ(s.flows, 3u);
  EXPECT_EQ(s.evictions, 2u);
  EXPECT_NE(table.Find(FlowTable::KeyOf(Udp4("10.0.0.1", "10.0.1.1"), 0)), nullptr);
  EXPECT_EQ(table.Find(FlowTable::KeyOf(Udp4("10.0.0.1", "10.0.1.2"), 0)), nullptr);
  EXPECT_EQ(table.Find(FlowTable::KeyOf(Udp4("10.0.0.1", "10.0.1.1"), 0))->packets, 2u);

  evicted.clear();
  table.Flush();
  EXPECT_EQ(evicted.size(), 3u);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Stats().evictions, 2u);
}

// The table against a plain model of CLOCK eviction, with many evictions: checks the open
// addressing's backward-shift deletion as much as the eviction order.
TEST(PcapFlowTable, MatchesAClockModel) {
  constexpr std::size_t kCap = 37;
  FlowTable table(kCap);
  struct Entry {
    int id;
    bool referenced;
  };
  std::vector<Entry> model;  // in the table's memory order
  std::size_t hand = 0;
  std::mt19937 rng(7);
  auto packet = [](int id) {
    std::string dst = "10.9." + std::to_string(id / 256) + "." + std::to_string(id % 256);
    return Udp4("10.0.0.1", dst.c_str());
  };
  std::vector<Packet> packets;
  for (int id = 0; id < 300; ++id) packets.push_back(packet(id));
  std::uint64_t evictions = 0;
  for (int i = 0; i < 30000; ++i) {
    int id = static_cast<int>(rng() % (i % 1000 < 500 ? 50 : 300));
    auto it = std::find_if(model.begin(), model.end(), [&](const Entry& e) { return e.id == id; });
    if (it != model.end()) {
      it->referenced = true;
    } else if (model.size() < kCap) {
      model.push_back({id, false});
    } else {
      while (model[hand].referenced) {
        model[hand].referenced = false;
        hand = (hand + 1) % kCap;
      }
      model[hand] = {id, false};
      hand = (hand + 1) % kCap;
      ++evictions;
    }
    table.Add(packets[id], 60, i);
    if (i % 97 == 0) {
      for (int k = 0; k < 300; ++k) {
        bool in_model =
            std::any_of(model.begin(), model.end(), [&](const Entry& e) { return e.id == k; });
        ASSERT_EQ(table.Find(FlowTable::KeyOf(packets[k], 0)) != nullptr, in_model) << k;
      }
    }
  }
  EXPECT_EQ(table.size(), model.size());
  EXPECT_EQ(table.Stats().evictions, evictions);
}

TEST(PcapFlowTable, AMillionFlowsStayUnderTheCap) {
  constexpr std::size_t kCap = 10000;
  FlowTable table(kCap);
  Packet p = Udp4("10.0.0.1", "10.0.0.2");
  for (std::uint32_t i = 0; i < 1'000'000; ++i) {
    p.src.bytes[1] = static_cast<std::uint8_t>(i >> 16);
    p.src.bytes[2] = static_cast<std::uint8_t>(i >> 8);
    p.src.bytes[3] = static_cast<std::uint8_t>(i);
    table.Add(p, 64, i);
  }
  FlowTableStats s = table.Stats();
  EXPECT_EQ(s.flows, kCap);
  EXPECT_EQ(s.evictions, 1'000'000u - kCap);
  EXPECT_EQ(s.packets, 1'000'000u);
  // The flows, their slots and nothing that grows with the packets.
  EXPECT_LE(s.memory_bytes, kCap * s.bytes_per_flow * 2);
  EXPECT_LE(s.bytes_per_flow, 256u);
  EXPECT_GE(s.memory_bytes, kCap * sizeof(Flow));
}

// ---- rules over flows ---------------------------------------------------------------------

AnalysisPolicy Policy(const std::string& network) {
  AnalysisPolicy p;
  p.network = network;
  p.source = "test.pcap";
  std::string error;
  p.plan_prefixes = {*ParseCidr("10.0.0.0/8", &error), *ParseCidr("198.51.100.0/24", &error)};
  p.gateway_macs = {kRouter};
  p.sanctioned_resolvers = std::vector<IpAddress>{Ip("10.0.0.53")};
  p.dhcp_servers = std::vector<IpAddress>{Ip("10.0.0.2")};
  return p;
}

TEST(PcapAnalyze, PublicTrafficOnConfinedNetworks) {
  FlowTable table(100);
  table.Add(Udp4("10.0.0.1", "203.0.113.5", 443, kRogue), 100, 10);
  table.Add(Udp4("10.0.0.7", "203.0.113.6", 443, kRogue), 100, 20);
  table.Add(Decode(Ether(kHost, kRogue, 0x0800,
                         Ipv4(Ip("203.0.113.5"), Ip("10.0.0.1"), 17, Udp(443, 40000, {})),
                         {{0x8100, 30}})),
            300, 30);
  // Near misses: private traffic, and an address in the plan that would be routable.
  table.Add(Udp4("10.0.0.1", "10.0.0.9"), 100, 40);
  table.Add(Udp4("10.0.0.1", "198.51.100.9"), 100, 50);
  for (const char* network : {"internal", "classified"}) {
    auto found = Analyze(table, Policy(network));
    ASSERT_EQ(found.size(), 2u) << network;
    const PcapObservation& o = found[0];
    EXPECT_EQ(ObservationKindName(o.kind), "public-traffic");
    EXPECT_EQ(o.network, network);
    EXPECT_EQ(o.source, "test.pcap");
    EXPECT_EQ(o.suspect_mac, kRogue);
    EXPECT_EQ(o.outer_vlan, Packet::kNoVlan);
    EXPECT_EQ(o.flows, 2u);
    EXPECT_EQ(o.packets, 2u);
    EXPECT_EQ(o.bytes, 200u);
    EXPECT_EQ(o.first_seen_us, 10);
    EXPECT_EQ(o.last_seen_us, 20);
    EXPECT_EQ(o.src_mac, kHost);
    EXPECT_EQ(found[1].outer_vlan, 30);  // the returning traffic, tagged
    EXPECT_EQ(found[1].suspect_mac, kRogue);
    EXPECT_EQ(found[1].suspect_address, Ip("203.0.113.5"));
  }
}

TEST(PcapAnalyze, GatewayBypassOnTheExternalNetwork) {
  FlowTable table(100);
  table.Add(Udp4("10.0.0.1", "203.0.113.5", 443, kRouter), 100, 10);  // sanctioned exit
  EXPECT_TRUE(Analyze(table, Policy("external")).empty());
  table.Add(Udp4("10.0.0.1", "203.0.113.5", 443, kRogue), 100, 20);
  auto found = Analyze(table, Policy("external"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(ObservationKindName(found[0].kind), "gateway-bypass");
  EXPECT_EQ(found[0].suspect_mac, kRogue);
  EXPECT_EQ(found[0].dst, Ip("203.0.113.5"));
  EXPECT_EQ(found[0].first_seen_us, 20);
}

TEST(PcapAnalyze, ForeignResolversAndRogueDhcp) {
  FlowTable table(100);
  auto query = [](const char* resolver, const char* name) {
    return Decode(Ether(
        kRouter, kHost, 0x0800,
        Ipv4(Ip("10.0.0.5"), Ip(resolver), 17, Udp(33333, 53, Dns(1, false, DnsName(name))))));
  };
  table.Add(query("10.0.0.53", "fine.example"), 80, 1);
  table.Add(query("10.0.0.99", "bad.example"), 80, 2);
  table.Add(query("10.0.0.99", "worse.example"), 80, 3);
  table.Add(Decode(DhcpOffer(Ip("10.0.0.2"))), 342, 4);                    // registered
  table.Add(Decode(DhcpOffer(Ip("192.168.0.1"))), 342, 5);                 // a consumer router
  table.Add(Decode(DhcpOffer(Ip("172.16.0.1"), Ip("10.0.0.2"))), 342, 6);  // registered relay
  auto found = Analyze(table, Policy("internal"));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(ObservationKindName(found[0].kind), "foreign-resolver");
  EXPECT_EQ(found[0].suspect_address, Ip("10.0.0.99"));
  EXPECT_THAT(found[0].dns_names, ::testing::ElementsAre("bad.example", "worse.example"));
  EXPECT_EQ(found[0].packets, 2u);
  EXPECT_EQ(ObservationKindName(found[1].kind), "rogue-dhcp");
  EXPECT_EQ(found[1].suspect_address, Ip("192.168.0.1"));
  EXPECT_EQ(found[1].suspect_mac, kRogue);
  EXPECT_THAT(found[1].routers, ::testing::ElementsAre(Ip("192.168.0.1")));

  AnalysisPolicy off = Policy("internal");
  off.sanctioned_resolvers.reset();
  off.dhcp_servers.reset();
  EXPECT_TRUE(Analyze(table, off).empty());
}

// From a capture file to observations, through a flow table small enough to evict: the
// analyzer sees evicted flows through the callback.
TEST(PcapAnalyze, PlantedRogueExitInACaptureFile) {
  testing::TempDir dir;
  std::vector<Record> records;
  for (int i = 0; i < 50; ++i) {
    std::string dst = "10.1.0." + std::to_string(i);
    records.push_back(
        {1'000000 + i,
         Ether(kRouter, kHost, 0x0800, Ipv4(Ip("10.0.0.1"), Ip(dst.c_str()), 6, Tcp(1, 2, 2)))});
  }
  records.insert(records.begin() + 10,
                 {1'000005, Ether(kRogue, kHost, 0x0800,
                                  Ipv4(Ip("10.0.0.1"), Ip("203.0.113.77"), 6, Tcp(5, 443, 2)),
                                  {{0x8100, 12}})});
  WriteCapture(dir / "planted.pcap", records);

  Analyzer analyzer(Policy("internal"));
  FlowTable table(8, [&](const Flow& f) { analyzer.AddFlow(f); });
  std::string error;
  auto file = CaptureFile::Open(dir / "planted.pcap", &error);
  ASSERT_TRUE(file) << error;
  RawPacket raw;
  Packet p;
  while (file->Next(&raw) == CaptureFile::Status::kPacket) {
    DecodePacket(raw.data, raw.wire_length, file->linktype(), &p);
    table.Add(p, raw.wire_length, raw.timestamp_us);
  }
  EXPECT_EQ(file->error(), "");
  EXPECT_GT(table.Stats().evictions, 0u);
  table.Flush();
  auto found = analyzer.Observations();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].suspect_mac, kRogue);
  EXPECT_EQ(found[0].outer_vlan, 12);
  EXPECT_EQ(found[0].dst, Ip("203.0.113.77"));
  EXPECT_EQ(found[0].first_seen_us, 1'000005);
}

}  // namespace
}  // namespace trinet::pcap
