#include "pcap/decode.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>

namespace trinet::pcap {

namespace {

// Every read goes through these, and every caller has checked `p + width <= end` first: the
// bounds check is the caller's, the helpers only assemble network byte order.
std::uint16_t Be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t Be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

MacAddress Mac(const std::uint8_t* p) {
  MacAddress m;
  std::memcpy(m.bytes.data(), p, 6);
  return m;
}

IpAddress Ipv4(const std::uint8_t* p) {
  IpAddress a;
  a.family = 4;
  std::memcpy(a.bytes.data(), p, 4);
  return a;
}

IpAddress Ipv6(const std::uint8_t* p) {
  IpAddress a;
  a.family = 6;
  std::memcpy(a.bytes.data(), p, 16);
  return a;
}

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;
constexpr std::uint16_t kMinEthertype = 0x0600;  // below: an 802.3 length field

bool IsVlanTpid(std::uint16_t t) { return t == 0x8100 || t == 0x88A8 || t == 0x9100; }

// The decoder state: the captured bytes as [data, data + size) and the packet being filled.
// Offsets are size_t and every "need n bytes at off" is written as `size - off < n` after
// checking off <= size, so no sum can wrap.
class Decoder {
 public:
  Decoder(std::span<const std::uint8_t> bytes, Packet* out) : bytes_(bytes), out_(out) {}

  DecodeError Link(int linktype);

 private:
  DecodeError Fail(DecodeError e) {
    out_->error = e;
    return e;
  }
  // Whether [off, off + n) lies inside [0, end).
  static bool Has(std::size_t off, std::size_t n, std::size_t end) {
    return off <= end && end - off >= n;
  }
  const std::uint8_t* At(std::size_t off) const { return bytes_.data() + off; }

  DecodeError Ethertype(std::size_t off, std::uint16_t ethertype);
  DecodeError Arp(std::size_t off);
  DecodeError Ip4(std::size_t off);
  DecodeError Ip6(std::size_t off);
  DecodeError Transport(std::uint8_t protocol, std::size_t off, std::size_t end);
  DecodeError Udp(std::size_t off, std::size_t end);
  DecodeError Tcp(std::size_t off, std::size_t end);
  DecodeError Dns(std::size_t off, std::size_t end);
  DecodeError DnsName(std::size_t msg, std::size_t end, std::size_t pos, std::size_t* after);
  DecodeError Dhcp(std::size_t off, std::size_t end);

  std::span<const std::uint8_t> bytes_;
  Packet* out_;
};

DecodeError Decoder::Link(int linktype) {
  const std::size_t n = bytes_.size();
  switch (linktype) {
    case linktype::kEthernet:
      if (n < 14) return Fail(DecodeError::kTruncatedEthernet);
      out_->dst_mac = Mac(At(0));
      out_->src_mac = Mac(At(6));
      out_->has_dst_mac = out_->has_src_mac = true;
      return Ethertype(14, Be16(At(12)));
    case linktype::kLinuxSll: {
      // packet type, ARPHRD type, address length, 8 address bytes, protocol.
      if (n < 16) return Fail(DecodeError::kTruncatedSll);
      if (Be16(At(2)) == 1 && Be16(At(4)) == 6) {  // ARPHRD_ETHER with a 6-byte address
        out_->src_mac = Mac(At(6));
        out_->has_src_mac = true;
      }
      return Ethertype(16, Be16(At(14)));
    }
    case linktype::kLinuxSll2: {
      // protocol, reserved, ifindex, ARPHRD type, packet type, address length, 8 bytes.
      if (n < 20) return Fail(DecodeError::kTruncatedSll);
      if (Be16(At(8)) == 1 && *At(11) == 6) {
        out_->src_mac = Mac(At(12));
        out_->has_src_mac = true;
      }
      return Ethertype(20, Be16(At(0)));
    }
    case linktype::kRaw:
    case linktype::kRawFile:
      if (n == 0) return Fail(DecodeError::kTruncatedIpv4);
      return (*At(0) >> 4) == 6 ? Ip6(0) : Ip4(0);
    default:
      return Fail(DecodeError::kUnsupportedLinktype);
  }
}

DecodeError Decoder::Ethertype(std::size_t off, std::uint16_t ethertype) {
  const std::size_t n = bytes_.size();
  // 802.1Q (0x8100), 802.1ad (0x88a8) and the old QinQ TPID 0x9100, stacked in any order.
  // The first two ids are kept; deeper tags are skipped (each costs 4 bytes, so the loop ends).
  while (IsVlanTpid(ethertype)) {
    out_->ethertype = ethertype;
    if (!Has(off, 4, n)) return Fail(DecodeError::kTruncatedVlan);
    std::uint16_t id = Be16(At(off)) & 0x0FFF;
    if (out_->vlan_tags == 0) {
      out_->outer_vlan = id;
    } else if (out_->vlan_tags == 1) {
      out_->inner_vlan = id;
    }
    if (out_->vlan_tags < 255) ++out_->vlan_tags;
    ethertype = Be16(At(off + 2));
    off += 4;
  }
  out_->ethertype = ethertype >= kMinEthertype ? ethertype : 0;
  switch (ethertype) {
    case kEtherIpv4:
      return Ip4(off);
    case kEtherIpv6:
      return Ip6(off);
    case kEtherArp:
      return Arp(off);
    default:
      out_->network = NetworkLayer::kOther;
      return DecodeError::kNone;
  }
}

DecodeError Decoder::Arp(std::size_t off) {
  out_->network = NetworkLayer::kArp;
  const std::size_t n = bytes_.size();
  if (!Has(off, 8, n)) return Fail(DecodeError::kTruncatedArp);
  const std::uint8_t* h = At(off);
  out_->arp_op = Be16(h + 6);
  if (Be16(h + 2) != kEtherIpv4 || h[4] != 6 || h[5] != 4) return Fail(DecodeError::kBadArp);
  if (!Has(off, 28, n)) return Fail(DecodeError::kTruncatedArp);
  out_->arp_sender_mac = Mac(h + 8);
  out_->arp_sender_ip = Ipv4(h + 14);
  out_->arp_target_mac = Mac(h + 18);
  out_->arp_target_ip = Ipv4(h + 24);
  return DecodeError::kNone;
}

DecodeError Decoder::Ip4(std::size_t off) {
  out_->network = NetworkLayer::kIpv4;
  const std::size_t n = bytes_.size();
  if (!Has(off, 1, n)) return Fail(DecodeError::kTruncatedIpv4);
  const std::uint8_t* h = At(off);
  if ((h[0] >> 4) != 4) return Fail(DecodeError::kBadIpv4Version);
  // The fixed 20 bytes give the addresses even when options are cut, so they come first.
  if (!Has(off, 20, n)) return Fail(DecodeError::kTruncatedIpv4);
  out_->src = Ipv4(h + 12);
  out_->dst = Ipv4(h + 16);
  out_->has_addresses = true;
  out_->ip_protocol = h[9];
  std::uint16_t fragment = Be16(h + 6);
  out_->more_fragments = (fragment & 0x2000) != 0;
  out_->fragment_offset = fragment & 0x1FFF;
  out_->is_fragment = out_->more_fragments || out_->fragment_offset != 0;

  std::size_t header_length = std::size_t{h[0] & 0x0Fu} * 4;
  if (header_length < 20) return Fail(DecodeError::kBadIpv4HeaderLength);
  if (!Has(off, header_length, n)) return Fail(DecodeError::kTruncatedIpv4);
  std::size_t total = Be16(h + 2);
  // A total length of 0 is what outgoing packets look like when captured on a host with TCP
  // segmentation offload: the NIC fills it in later. Take the captured bytes then.
  if (total == 0) total = n - off;
  if (total < header_length) return Fail(DecodeError::kBadIpv4TotalLength);
  // Bytes past the total length are Ethernet padding; a total beyond the capture is the
  // snaplen (or a lie), and the transport decoders then meet the end of the bytes.
  std::size_t end = off + std::min(total, n - off);
  if (out_->fragment_offset != 0) return DecodeError::kNone;  // no transport header here
  return Transport(out_->ip_protocol, off + header_length, end);
}

DecodeError Decoder::Ip6(std::size_t off) {
  out_->network = NetworkLayer::kIpv6;
  const std::size_t n = bytes_.size();
  if (!Has(off, 1, n)) return Fail(DecodeError::kTruncatedIpv6);
  const std::uint8_t* h = At(off);
  if ((h[0] >> 4) != 6) return Fail(DecodeError::kBadIpv6Version);
  if (!Has(off, 40, n)) return Fail(DecodeError::kTruncatedIpv6);
  out_->src = Ipv6(h + 8);
  out_->dst = Ipv6(h + 24);
  out_->has_addresses = true;
  std::uint8_t next = h[6];
  out_->ip_protocol = next;
  std::size_t payload = Be16(h + 4);
  std::size_t cur = off + 40;
  // Payload length 0 is a jumbogram (its real length is in a hop-by-hop option) or TSO.
  std::size_t end = payload == 0 ? n : cur + std::min(payload, n - cur);

  // Extension headers. Each is at least 8 bytes long, so the walk ends with the packet.
  for (;;) {
    out_->ip_protocol = next;
    switch (next) {
      case 0:     // hop-by-hop options
      case 43:    // routing
      case 60: {  // destination options
        if (!Has(cur, 2, end)) return Fail(DecodeError::kTruncatedIpv6Ext);
        std::size_t length = (std::size_t{*At(cur + 1)} + 1) * 8;
        if (!Has(cur, length, end)) return Fail(DecodeError::kTruncatedIpv6Ext);
        next = *At(cur);
        cur += length;
        break;
      }
      case 44: {  // fragment
        if (!Has(cur, 8, end)) return Fail(DecodeError::kTruncatedIpv6Ext);
        std::uint16_t field = Be16(At(cur + 2));
        out_->fragment_offset = field >> 3;
        out_->more_fragments = (field & 1) != 0;
        out_->is_fragment = out_->more_fragments || out_->fragment_offset != 0;
        next = *At(cur);
        cur += 8;
        if (out_->fragment_offset != 0) {
          out_->ip_protocol = next;
          return DecodeError::kNone;
        }
        break;
      }
      case 51: {  // authentication header: length in 4-byte units, minus 2
        if (!Has(cur, 2, end)) return Fail(DecodeError::kTruncatedIpv6Ext);
        std::size_t length = (std::size_t{*At(cur + 1)} + 2) * 4;
        if (!Has(cur, length, end)) return Fail(DecodeError::kTruncatedIpv6Ext);
        next = *At(cur);
        cur += length;
        break;
      }
      case 50:  // ESP: the rest is encrypted
      case 59:  // no next header
        return DecodeError::kNone;
      default:
        return Transport(next, cur, end);
    }
  }
}

DecodeError Decoder::Transport(std::uint8_t protocol, std::size_t off, std::size_t end) {
  switch (protocol) {
    case 17:
      return Udp(off, end);
    case 6:
      return Tcp(off, end);
    default:
      return DecodeError::kNone;
  }
}

DecodeError Decoder::Udp(std::size_t off, std::size_t end) {
  if (Has(off, 4, end)) {
    out_->src_port = Be16(At(off));
    out_->dst_port = Be16(At(off + 2));
    out_->has_ports = true;
  }
  if (!Has(off, 8, end)) return Fail(DecodeError::kTruncatedUdp);
  std::size_t length = Be16(At(off + 4));
  if (length < 8) return Fail(DecodeError::kBadUdpLength);
  std::size_t payload_end = off + std::min(length, end - off);
  std::uint16_t s = out_->src_port, d = out_->dst_port;
  if (s == 53 || d == 53) return Dns(off + 8, payload_end);
  auto bootp = [](std::uint16_t p) { return p == 67 || p == 68; };
  if (bootp(s) && bootp(d)) return Dhcp(off + 8, payload_end);
  return DecodeError::kNone;
}

DecodeError Decoder::Tcp(std::size_t off, std::size_t end) {
  if (Has(off, 4, end)) {
    out_->src_port = Be16(At(off));
    out_->dst_port = Be16(At(off + 2));
    out_->has_ports = true;
  }
  if (Has(off, 14, end)) {
    out_->tcp_flags = *At(off + 13);
    out_->has_tcp_flags = true;
  }
  if (!Has(off, 20, end)) return Fail(DecodeError::kTruncatedTcp);
  std::size_t header_length = std::size_t{*At(off + 12)} / 16 * 4;
  if (header_length < 20) return Fail(DecodeError::kBadTcpHeaderLength);
  if (!Has(off, header_length, end)) return Fail(DecodeError::kTruncatedTcp);
  return DecodeError::kNone;
}

DecodeError Decoder::Dns(std::size_t off, std::size_t end) {
  if (!Has(off, 12, end)) return Fail(DecodeError::kTruncatedDns);
  DnsInfo& dns = out_->dns;
  dns.present = true;
  dns.id = Be16(At(off));
  dns.response = (*At(off + 2) & 0x80) != 0;
  dns.qdcount = Be16(At(off + 4));
  if (dns.qdcount == 0) return DecodeError::kNone;
  std::size_t after = 0;
  if (DecodeError e = DnsName(off, end, off + 12, &after); e != DecodeError::kNone) return e;
  if (!Has(after, 4, end)) return Fail(DecodeError::kTruncatedDns);
  dns.qtype = Be16(At(after));
  dns.qclass = Be16(At(after + 2));
  dns.has_question = true;
  return DecodeError::kNone;
}

// Reads the name at `pos` of the message starting at `msg`. Compression pointers must point
// strictly backwards (real encoders only ever point to an earlier occurrence), which with the
// 255-octet limit on the name and a cap on jumps makes every loop end in bad_dns_name.
DecodeError Decoder::DnsName(std::size_t msg, std::size_t end, std::size_t pos,
                             std::size_t* after) {
  DnsInfo& dns = out_->dns;
  std::size_t text = 0;
  std::size_t wire = 1;  // the root label
  int jumps = 0;
  bool jumped = false;
  std::size_t cur = pos;
  for (;;) {
    if (!Has(cur, 1, end)) return Fail(DecodeError::kTruncatedDns);
    std::uint8_t length = *At(cur);
    if ((length & 0xC0) == 0xC0) {
      if (!Has(cur, 2, end)) return Fail(DecodeError::kTruncatedDns);
      std::size_t target = msg + (((length & 0x3Fu) << 8) | *At(cur + 1));
      if (!jumped) *after = cur + 2;
      jumped = true;
      if (target >= cur || ++jumps > 32) return Fail(DecodeError::kBadDnsName);
      cur = target;
      continue;
    }
    if ((length & 0xC0) != 0) return Fail(DecodeError::kBadDnsName);  // 0x40, 0x80 label types
    if (length == 0) {
      if (!jumped) *after = cur + 1;
      break;
    }
    wire += std::size_t{length} + 1;
    if (wire > 255) return Fail(DecodeError::kBadDnsName);
    if (!Has(cur + 1, length, end)) return Fail(DecodeError::kTruncatedDns);
    // 255 octets escaped as \DDD take at most 1020 characters, which kMaxNameText holds.
    if (text > 0) dns.name_text[text++] = '.';
    for (std::size_t i = 0; i < length; ++i) {
      unsigned char c = *At(cur + 1 + i);
      if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
      if (c > 0x20 && c < 0x7F && c != '.' && c != '\\') {
        dns.name_text[text++] = static_cast<char>(c);
      } else {
        dns.name_text[text++] = '\\';
        dns.name_text[text++] = static_cast<char>('0' + c / 100);
        dns.name_text[text++] = static_cast<char>('0' + c / 10 % 10);
        dns.name_text[text++] = static_cast<char>('0' + c % 10);
      }
    }
    dns.name_length = static_cast<std::uint16_t>(text);
    cur += std::size_t{length} + 1;
  }
  dns.name_length = static_cast<std::uint16_t>(text);
  return DecodeError::kNone;
}

DecodeError Decoder::Dhcp(std::size_t off, std::size_t end) {
  // BOOTP: 236 fixed bytes, then the options area starting with the magic cookie.
  constexpr std::size_t kFixed = 236;
  if (!Has(off, kFixed + 4, end)) return Fail(DecodeError::kTruncatedDhcp);
  const std::uint8_t* b = At(off);
  if (Be32(b + kFixed) != 0x63825363) return DecodeError::kNone;  // plain BOOTP
  DhcpInfo& dhcp = out_->dhcp;
  dhcp.present = true;
  dhcp.op = b[0];
  dhcp.xid = Be32(b + 4);
  dhcp.your_address = Ipv4(b + 16);
  if (b[1] == 1 && b[2] == 6) dhcp.client_mac = Mac(b + 28);

  auto addresses = [](const std::uint8_t* data, std::size_t length, auto& list,
                      std::uint8_t& count) {
    for (std::size_t i = 0; i + 4 <= length && count < list.size(); i += 4) {
      list[count++] = Ipv4(data + i);
    }
  };
  std::size_t cur = off + kFixed + 4;
  for (;;) {
    // RFC 2131 ends the options with the end option; running out of bytes first is a cut.
    if (!Has(cur, 1, end)) return Fail(DecodeError::kTruncatedDhcp);
    std::uint8_t code = *At(cur);
    if (code == 0) {  // pad
      ++cur;
      continue;
    }
    if (code == 255) break;  // end
    if (!Has(cur, 2, end)) return Fail(DecodeError::kTruncatedDhcp);
    std::size_t length = *At(cur + 1);
    if (!Has(cur + 2, length, end)) return Fail(DecodeError::kTruncatedDhcp);
    const std::uint8_t* data = At(cur + 2);
    switch (code) {
      case 53:
        if (length >= 1) dhcp.message_type = data[0];
        break;
      case 54:
        if (length >= 4) {
          dhcp.server_id = Ipv4(data);
          dhcp.has_server_id = true;
        }
        break;
      case 3:
        addresses(data, length, dhcp.routers, dhcp.router_count);
        break;
      case 6:
        addresses(data, length, dhcp.dns_servers, dhcp.dns_server_count);
        break;
      default:
        break;
    }
    cur += 2 + length;
  }
  return DecodeError::kNone;
}

}  // namespace

std::string_view DecodeErrorName(DecodeError e) {
  // In enum order; the static_assert keeps the two in step.
  static constexpr std::string_view kNames[] = {
      "none",
      "unsupported_linktype",
      "truncated_ethernet",
      "truncated_sll",
      "truncated_vlan",
      "truncated_arp",
      "bad_arp",
      "truncated_ipv4",
      "bad_ipv4_version",
      "bad_ipv4_header_length",
      "bad_ipv4_total_length",
      "truncated_ipv6",
      "bad_ipv6_version",
      "truncated_ipv6_ext",
      "truncated_udp",
      "bad_udp_length",
      "truncated_tcp",
      "bad_tcp_header_length",
      "truncated_dns",
      "bad_dns_name",
      "truncated_dhcp",
  };
  static_assert(std::size(kNames) == static_cast<std::size_t>(DecodeError::kCount));
  auto i = static_cast<std::size_t>(e);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::string MacAddress::ToString() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

std::optional<MacAddress> MacAddress::Parse(std::string_view text) {
  const auto norm = NormaliseMac(text);
  if (!norm || norm->size() != 17) return std::nullopt;
  MacAddress mac;
  for (std::size_t i = 0; i < 6; ++i) {
    mac.bytes[i] = static_cast<std::uint8_t>(std::stoi(norm->substr(i * 3, 2), nullptr, 16));
  }
  return mac;
}

void Packet::Reset() {
  error = DecodeError::kNone;
  snapped = false;
  has_src_mac = has_dst_mac = false;
  src_mac = dst_mac = MacAddress{};
  vlan_tags = 0;
  outer_vlan = inner_vlan = kNoVlan;
  ethertype = 0;
  network = NetworkLayer::kNone;
  has_addresses = false;
  src = dst = IpAddress{};
  ip_protocol = 0;
  is_fragment = more_fragments = false;
  fragment_offset = 0;
  arp_op = 0;
  arp_sender_mac = arp_target_mac = MacAddress{};
  arp_sender_ip = arp_target_ip = IpAddress{};
  has_ports = has_tcp_flags = false;
  src_port = dst_port = 0;
  tcp_flags = 0;
  dns.present = dns.response = dns.has_question = false;
  dns.id = dns.qdcount = dns.qtype = dns.qclass = dns.name_length = 0;
  // DHCP's address lists are valid up to their counts; not clearing them saves a memset of
  // most of the struct per packet.
  dhcp.present = dhcp.has_server_id = false;
  dhcp.op = dhcp.message_type = dhcp.router_count = dhcp.dns_server_count = 0;
  dhcp.xid = 0;
  dhcp.client_mac = MacAddress{};
  dhcp.your_address = dhcp.server_id = IpAddress{};
}

DecodeError DecodePacket(std::span<const std::uint8_t> captured, std::uint32_t wire_length,
                         int linktype, Packet* out) {
  out->Reset();
  out->snapped = captured.size() < wire_length;
  return Decoder(captured, out).Link(linktype);
}

}  // namespace trinet::pcap
