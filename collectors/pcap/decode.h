#pragma once
// A pure packet decoder for the passive egress watch: link layer (Ethernet, Linux cooked
// SLL/SLL2, raw IP), 802.1Q/802.1ad VLAN tags, ARP, IPv4, IPv6 with extension headers,
// fragments, UDP and TCP ports, the first question of DNS messages and DHCP replies.
//
// Bytes in, a Packet out: no I/O, no clock, no allocation, no name resolution. Every length
// is checked against the captured bytes; nothing past them is ever read. A packet that is
// truncated or malformed yields a named DecodeError, and whatever was decoded before the
// problem (MACs, VLANs, addresses, ports) stays filled in and usable.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "register/ip.h"

namespace trinet::pcap {

/// Link-layer header types as libpcap's pcap_datalink() returns them (DLT_*), plus the
/// file-format value of raw IP (LINKTYPE_RAW), which some readers pass through.
namespace linktype {
inline constexpr int kEthernet = 1;     ///< DLT_EN10MB
inline constexpr int kRaw = 12;         ///< DLT_RAW on Linux: IPv4 or IPv6, no link header
inline constexpr int kRawFile = 101;    ///< LINKTYPE_RAW
inline constexpr int kLinuxSll = 113;   ///< DLT_LINUX_SLL, "any" device captures
inline constexpr int kLinuxSll2 = 276;  ///< DLT_LINUX_SLL2
}  // namespace linktype

/// Why a packet could not be decoded to the end. Names (DecodeErrorName) are stable: they
/// are metric label values.
enum class DecodeError : std::uint8_t {
  kNone = 0,
  kUnsupportedLinktype,  ///< unsupported_linktype
  kTruncatedEthernet,    ///< truncated_ethernet: fewer than 14 bytes
  kTruncatedSll,         ///< truncated_sll: shorter than the SLL/SLL2 header
  kTruncatedVlan,        ///< truncated_vlan: a VLAN tag cut
  kTruncatedArp,         ///< truncated_arp
  kBadArp,               ///< bad_arp: not Ethernet/IPv4 sizes (hlen 6, plen 4)
  kTruncatedIpv4,        ///< truncated_ipv4: header (with options) cut
  kBadIpv4Version,       ///< bad_ipv4_version: ethertype IPv4, version field not 4
  kBadIpv4HeaderLength,  ///< bad_ipv4_header_length: IHL below 5
  kBadIpv4TotalLength,   ///< bad_ipv4_total_length: total length below the header length
  kTruncatedIpv6,        ///< truncated_ipv6: fixed 40-byte header cut
  kBadIpv6Version,       ///< bad_ipv6_version
  kTruncatedIpv6Ext,     ///< truncated_ipv6_ext: an extension header cut
  kTruncatedUdp,         ///< truncated_udp: fewer than 8 bytes
  kBadUdpLength,         ///< bad_udp_length: length field below 8
  kTruncatedTcp,         ///< truncated_tcp: header cut (ports may still be known)
  kBadTcpHeaderLength,   ///< bad_tcp_header_length: data offset below 5
  kTruncatedDns,         ///< truncated_dns: header or question cut
  kBadDnsName,           ///< bad_dns_name: label type, length, or compression loop
  kTruncatedDhcp,        ///< truncated_dhcp: BOOTP header or an option cut, or no end option
  kCount,
};

/// The stable snake_case name of `e` ("none" for kNone).
std::string_view DecodeErrorName(DecodeError e);

/// A 48-bit MAC address.
struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  /// Lower-case aa:bb:cc:dd:ee:ff, the register's form (NormaliseMac).
  std::string ToString() const;
  /// A MAC in any spelling NormaliseMac accepts; nullopt when it is not one.
  static std::optional<MacAddress> Parse(std::string_view text);
  bool operator==(const MacAddress&) const = default;
};

/// The network layer a packet carries.
enum class NetworkLayer : std::uint8_t { kNone, kIpv4, kIpv6, kArp, kOther };

/// DNS: the header and the first question of a message on UDP port 53.
struct DnsInfo {
  static constexpr std::size_t kMaxNameText = 1024;  ///< 255 octets, escaped as \DDD at most

  bool present = false;
  bool response = false;  ///< QR bit
  std::uint16_t id = 0;
  std::uint16_t qdcount = 0;
  bool has_question = false;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  /// The question's name in presentation form, lower-cased, without the final dot ("" for
  /// the root); bytes outside printable ASCII and '.' or '\' inside a label as \DDD.
  std::array<char, kMaxNameText> name_text{};
  std::uint16_t name_length = 0;

  std::string_view name() const { return {name_text.data(), name_length}; }
};

/// DHCP (RFC 2131) over BOOTP: the fixed header and the options the watch needs.
struct DhcpInfo {
  static constexpr std::size_t kMaxServers = 4;

  bool present = false;  ///< a BOOTP message with the DHCP magic cookie
  std::uint8_t op = 0;   ///< 1 BOOTREQUEST, 2 BOOTREPLY
  std::uint32_t xid = 0;
  MacAddress client_mac;          ///< chaddr, when htype is Ethernet
  IpAddress your_address;         ///< yiaddr
  std::uint8_t message_type = 0;  ///< option 53: 1 discover, 2 offer, 3 request, 5 ack, ...
  bool has_server_id = false;
  IpAddress server_id;                           ///< option 54
  std::array<IpAddress, kMaxServers> routers{};  ///< option 3, the first kMaxServers
  std::uint8_t router_count = 0;
  std::array<IpAddress, kMaxServers> dns_servers{};  ///< option 6, the first kMaxServers
  std::uint8_t dns_server_count = 0;

  bool IsOffer() const { return present && message_type == 2; }
  bool IsAck() const { return present && message_type == 5; }
};

/// Everything the decoder learnt of one packet. Reused across packets by the caller: each
/// DecodePacket call resets it first, without allocating.
struct Packet {
  static constexpr std::uint16_t kNoVlan = 0xFFFF;

  DecodeError error = DecodeError::kNone;
  bool snapped = false;  ///< fewer bytes captured than were on the wire (snaplen)

  // Link layer.
  bool has_src_mac = false;
  bool has_dst_mac = false;  ///< SLL/SLL2 carry only the sender's address
  MacAddress src_mac;
  MacAddress dst_mac;
  std::uint8_t vlan_tags = 0;          ///< how many tags were seen (more than two are skipped)
  std::uint16_t outer_vlan = kNoVlan;  ///< VLAN id of the first tag (12 bits)
  std::uint16_t inner_vlan = kNoVlan;  ///< VLAN id of the second tag (QinQ)
  std::uint16_t ethertype = 0;         ///< after the tags; 0 for 802.3 length frames

  // Network layer.
  NetworkLayer network = NetworkLayer::kNone;
  bool has_addresses = false;  ///< src/dst below are IPv4 or IPv6 addresses of the packet
  IpAddress src;
  IpAddress dst;
  std::uint8_t ip_protocol = 0;       ///< IPv4 protocol or the IPv6 upper-layer next header
  bool is_fragment = false;           ///< offset nonzero or more fragments follow
  std::uint16_t fragment_offset = 0;  ///< in 8-byte units
  bool more_fragments = false;

  // ARP (network == kArp).
  std::uint16_t arp_op = 0;  ///< 1 request, 2 reply
  MacAddress arp_sender_mac;
  MacAddress arp_target_mac;
  IpAddress arp_sender_ip;
  IpAddress arp_target_ip;

  // Transport: only on the first (or only) fragment.
  bool has_ports = false;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  bool has_tcp_flags = false;
  std::uint8_t tcp_flags = 0;  ///< FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, ...

  DnsInfo dns;
  DhcpInfo dhcp;

  /// Clears the fields for the next packet. The DNS name buffer and the DHCP address lists
  /// are left as they are: they are valid up to name_length and the counts.
  void Reset();
};

/// Decodes one captured packet. `captured` holds the bytes libpcap delivered (caplen),
/// `wire_length` the packet's length on the wire (len), `linktype` the capture's DLT_*.
/// Fills `*out` (after resetting it) and returns out->error.
DecodeError DecodePacket(std::span<const std::uint8_t> captured, std::uint32_t wire_length,
                         int linktype, Packet* out);

}  // namespace trinet::pcap
