#include "pcap/analyze.h"

#include <algorithm>
#include <utility>

namespace trinet::pcap {

namespace {

template <typename T>
bool Contains(const std::vector<T>& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

constexpr std::size_t kMaxNames = 8;

}  // namespace

std::string_view ObservationKindName(ObservationKind kind) {
  switch (kind) {
    case ObservationKind::kPublicTraffic:
      return "public-traffic";
    case ObservationKind::kGatewayBypass:
      return "gateway-bypass";
    case ObservationKind::kForeignResolver:
      return "foreign-resolver";
    case ObservationKind::kRogueDhcp:
      return "rogue-dhcp";
  }
  return "unknown";
}

Analyzer::Analyzer(AnalysisPolicy policy)
    : policy_(std::move(policy)),
      confined_(policy_.network == "internal" || policy_.network == "classified") {}

bool Analyzer::IsPublic(const IpAddress& a) const {
  if (!IsGloballyRoutable(a)) return false;
  return std::none_of(policy_.plan_prefixes.begin(), policy_.plan_prefixes.end(),
                      [&a](const Cidr& c) { return c.Contains(a); });
}

void Analyzer::Record(ObservationKind kind, const Flow& flow, const MacAddress& mac,
                      const IpAddress& address) {
  const FlowKey& k = flow.key;
  // Public traffic is grouped by its gateway alone (one rogue router, many destinations);
  // resolvers by their address (reached through whichever router); DHCP servers by both.
  std::array<std::uint8_t, 6> key_mac{};
  std::array<std::uint8_t, 16> key_address{};
  int key_family = 0;
  if (kind != ObservationKind::kForeignResolver) key_mac = mac.bytes;
  if (kind == ObservationKind::kForeignResolver || kind == ObservationKind::kRogueDhcp) {
    key_address = address.bytes;
    key_family = address.family;
  }
  Key key{static_cast<int>(kind), k.outer_vlan, k.inner_vlan, key_mac, key_family, key_address};
  auto [it, inserted] = found_.try_emplace(key);
  PcapObservation& o = it->second;
  if (inserted) {
    o.kind = kind;
    o.network = policy_.network;
    o.source = policy_.source;
    o.outer_vlan = k.outer_vlan;
    o.inner_vlan = k.inner_vlan;
    o.suspect_mac = mac;
    o.suspect_address = address;
    o.src_mac.bytes = k.src_mac;
    o.dst_mac.bytes = k.dst_mac;
    o.src = k.SourceAddress();
    o.dst = k.DestinationAddress();
    o.first_seen_us = flow.first_seen_us;
    o.last_seen_us = flow.last_seen_us;
    if (kind == ObservationKind::kRogueDhcp && flow.dhcp) {
      o.routers = flow.dhcp->routers;
      o.dns_servers = flow.dhcp->dns_servers;
    }
  }
  o.first_seen_us = std::min(o.first_seen_us, flow.first_seen_us);
  o.last_seen_us = std::max(o.last_seen_us, flow.last_seen_us);
  o.packets += flow.packets;
  o.bytes += flow.bytes;
  ++o.flows;
  if (kind == ObservationKind::kForeignResolver) {
    for (const std::string& name : flow.dns_names) {
      if (o.dns_names.size() < kMaxNames && !Contains(o.dns_names, name)) {
        o.dns_names.push_back(name);
      }
    }
  }
}

void Analyzer::AddFlow(const Flow& flow) {
  const FlowKey& k = flow.key;
  const auto layer = static_cast<NetworkLayer>(k.layer);
  if (k.family == 0 || (layer != NetworkLayer::kIpv4 && layer != NetworkLayer::kIpv6)) return;
  const IpAddress src = k.SourceAddress();
  const IpAddress dst = k.DestinationAddress();
  MacAddress src_mac{k.src_mac}, dst_mac{k.dst_mac};
  const MacAddress none{};

  const bool dst_public = IsPublic(dst);
  const bool src_public = !dst_public && IsPublic(src);
  if (dst_public || src_public) {
    // The gateway is where the frame goes toward the public address, or where it comes from.
    const MacAddress& gateway = dst_public ? dst_mac : src_mac;
    const IpAddress& public_address = dst_public ? dst : src;
    if (confined_) {
      Record(ObservationKind::kPublicTraffic, flow, gateway, public_address);
    } else if (policy_.network == "external" && gateway != none &&
               !Contains(policy_.gateway_macs, gateway)) {
      Record(ObservationKind::kGatewayBypass, flow, gateway, public_address);
    }
  }
  if (flow.dns_queries > 0 && policy_.sanctioned_resolvers &&
      !Contains(*policy_.sanctioned_resolvers, dst)) {
    Record(ObservationKind::kForeignResolver, flow, dst_mac, dst);
  }
  if (flow.dhcp && policy_.dhcp_servers) {
    // A relayed offer comes from the relay and names the server: either being registered
    // (the register lists "servers or relays") makes it sanctioned.
    const IpAddress server = flow.dhcp->has_server_id ? flow.dhcp->server_id : src;
    if (!Contains(*policy_.dhcp_servers, server) && !Contains(*policy_.dhcp_servers, src)) {
      Record(ObservationKind::kRogueDhcp, flow, src_mac, server);
    }
  }
}

std::vector<PcapObservation> Analyzer::Observations() const {
  std::vector<PcapObservation> out;
  out.reserve(found_.size());
  for (const auto& [key, o] : found_) out.push_back(o);
  std::stable_sort(out.begin(), out.end(), [](const PcapObservation& a, const PcapObservation& b) {
    return std::tie(a.kind, a.first_seen_us) < std::tie(b.kind, b.first_seen_us);
  });
  return out;
}

std::vector<PcapObservation> Analyze(const FlowTable& table, const AnalysisPolicy& policy) {
  Analyzer analyzer(policy);
  table.ForEach([&](const Flow& f) { analyzer.AddFlow(f); });
  return analyzer.Observations();
}

}  // namespace trinet::pcap
