#pragma once
// The passive egress watch's rules over aggregated flows: pure, no I/O, no clock.
//
// What the register says arrives as an AnalysisPolicy (the mapping from the register is the
// caller's); what the flows show leaves as PcapObservations, one per rule and suspect
// (gateway MAC, resolver or DHCP server) with the summed evidence of all its flows:
//
// - public-traffic (internal and classified networks): an IP packet with a public source or
//   destination. Public means IsGloballyRoutable and in none of the plan prefixes.
// - gateway-bypass (external network): public traffic whose gateway MAC, the MAC on the
//   frame's side toward the public address, is not one of the sanctioned exits'
//   gateway_macs. Frames without that MAC (Linux cooked captures) are not judged.
// - foreign-resolver: DNS queries to a resolver that is not a sanctioned one.
// - rogue-dhcp: DHCP offers or acks from a server that is not registered.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "pcap/decode.h"
#include "pcap/flow_table.h"
#include "register/ip.h"

namespace trinet::pcap {

/// What the register says about the captured network.
struct AnalysisPolicy {
  std::string network;                   ///< external | internal | classified
  std::string source;                    ///< the capture file or interface, for the evidence
  std::vector<Cidr> plan_prefixes;       ///< every network's address plan: never public
  std::vector<MacAddress> gateway_macs;  ///< the sanctioned exits' gateway MACs
  /// The sanctioned DNS resolvers; nullopt turns the foreign-resolver rule off (the
  /// register's empty list, "not configured").
  std::optional<std::vector<IpAddress>> sanctioned_resolvers;
  /// The registered DHCP servers or relays: an offer or ack is sanctioned when its server
  /// identifier (option 54) or its source address is one. nullopt turns the rogue-dhcp rule
  /// off (the register's empty list, "not configured").
  std::optional<std::vector<IpAddress>> dhcp_servers;
};

enum class ObservationKind : std::uint8_t {
  kPublicTraffic,
  kGatewayBypass,
  kForeignResolver,
  kRogueDhcp,
};

/// "public-traffic", "gateway-bypass", "foreign-resolver", "rogue-dhcp".
std::string_view ObservationKindName(ObservationKind kind);

/// One suspect and its evidence, summed over its flows.
struct PcapObservation {
  ObservationKind kind = ObservationKind::kPublicTraffic;
  std::string network;
  std::string source;
  std::uint16_t outer_vlan = Packet::kNoVlan;
  std::uint16_t inner_vlan = Packet::kNoVlan;
  /// public-traffic, gateway-bypass: the gateway MAC; rogue-dhcp: the server's MAC;
  /// foreign-resolver: the MAC the queries were sent to.
  MacAddress suspect_mac;
  /// The public address (first flow), the resolver, or the DHCP server.
  IpAddress suspect_address;
  /// The first flow's frame and addresses, as an example.
  MacAddress src_mac;
  MacAddress dst_mac;
  IpAddress src;
  IpAddress dst;
  std::int64_t first_seen_us = 0;
  std::int64_t last_seen_us = 0;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t flows = 0;
  std::vector<std::string> dns_names;  ///< foreign-resolver: query names, the first few
  std::vector<IpAddress> routers;      ///< rogue-dhcp: option 3 of the first offer
  std::vector<IpAddress> dns_servers;  ///< rogue-dhcp: option 6 of the first offer
};

/// Applies the rules to flows one at a time, so that it can be the FlowTable's eviction
/// callback and see every flow, evicted or not.
class Analyzer {
 public:
  explicit Analyzer(AnalysisPolicy policy);

  void AddFlow(const Flow& flow);

  /// The observations so far, by kind, then first seen, then suspect.
  std::vector<PcapObservation> Observations() const;

 private:
  bool IsPublic(const IpAddress& a) const;
  void Record(ObservationKind kind, const Flow& flow, const MacAddress& mac,
              const IpAddress& address);

  AnalysisPolicy policy_;
  bool confined_;  // internal or classified
  // (kind, outer VLAN, inner VLAN, suspect MAC, suspect address) -> observation
  using Key =
      std::tuple<int, int, int, std::array<std::uint8_t, 6>, int, std::array<std::uint8_t, 16>>;
  std::map<Key, PcapObservation> found_;
};

/// Runs an Analyzer over every flow of `table`.
std::vector<PcapObservation> Analyze(const FlowTable& table, const AnalysisPolicy& policy);

}  // namespace trinet::pcap
