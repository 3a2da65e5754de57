#include "pcap_store.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "register/ip.h"

namespace trinet {
namespace {

std::int64_t Vlan(std::uint16_t v) {
  return v == pcap::Packet::kNoVlan ? -1 : static_cast<std::int64_t>(v);
}

std::string AddressesJson(const std::vector<IpAddress>& addresses) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& a : addresses) j.push_back(a.ToString());
  return j.dump();
}

std::int64_t Bits(std::uint64_t v) { return static_cast<std::int64_t>(v); }

std::optional<std::vector<IpAddress>> Addresses(const std::vector<std::string>& texts) {
  if (texts.empty()) return std::nullopt;
  std::vector<IpAddress> out;
  for (const auto& t : texts) {
    if (auto a = ParseIpAddress(t)) out.push_back(*a);
  }
  return out;
}

std::vector<std::string> Texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.ToString());
  return out;
}

}  // namespace

findings::PcapSighting SightingOf(const pcap::PcapObservation& o, std::int64_t recorded_at) {
  findings::PcapSighting s;
  s.kind = std::string(pcap::ObservationKindName(o.kind));
  s.network = o.network;
  s.source = o.source;
  s.outer_vlan = static_cast<int>(Vlan(o.outer_vlan));
  s.inner_vlan = static_cast<int>(Vlan(o.inner_vlan));
  s.suspect_mac = o.suspect_mac.ToString();
  s.suspect_address = o.suspect_address.ToString();
  s.src_mac = o.src_mac.ToString();
  s.dst_mac = o.dst_mac.ToString();
  s.src = o.src.ToString();
  s.dst = o.dst.ToString();
  s.dns_names = o.dns_names;
  s.routers = Texts(o.routers);
  s.dns_servers = Texts(o.dns_servers);
  s.first_seen_us = o.first_seen_us;
  s.last_seen_us = o.last_seen_us;
  s.packets = Bits(o.packets);
  s.bytes = Bits(o.bytes);
  s.flows = Bits(o.flows);
  s.recorded_at = recorded_at;
  return s;
}

void RecordPcapObservations(sql::Database& db, const std::vector<pcap::PcapObservation>& obs,
                            std::int64_t now) {
  if (obs.empty()) return;
  sql::Transaction tx(db);
  sql::Statement upsert(
      db,
      "INSERT INTO pcap_observations (source, kind, network, outer_vlan, inner_vlan, "
      "suspect_mac, suspect_address, src_mac, dst_mac, src, dst, dns_names, routers, "
      "dns_servers, packets, bytes, flows, first_seen_us, last_seen_us, recorded_at) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
      "?20) ON CONFLICT (source, kind, network, outer_vlan, inner_vlan, suspect_mac, "
      "suspect_address) DO UPDATE SET packets = packets + excluded.packets, "
      "bytes = bytes + excluded.bytes, flows = flows + excluded.flows, "
      "first_seen_us = min(first_seen_us, excluded.first_seen_us), "
      "last_seen_us = max(last_seen_us, excluded.last_seen_us), "
      "dns_names = CASE WHEN dns_names = '[]' THEN excluded.dns_names ELSE dns_names END, "
      "recorded_at = max(recorded_at, excluded.recorded_at)");
  for (const auto& o : obs) {
    nlohmann::json names = o.dns_names;
    upsert.Bind(1, o.source).Bind(2, pcap::ObservationKindName(o.kind)).Bind(3, o.network);
    upsert.Bind(4, Vlan(o.outer_vlan)).Bind(5, Vlan(o.inner_vlan));
    upsert.Bind(6, o.suspect_mac.ToString()).Bind(7, o.suspect_address.ToString());
    upsert.Bind(8, o.src_mac.ToString()).Bind(9, o.dst_mac.ToString());
    upsert.Bind(10, o.src.ToString()).Bind(11, o.dst.ToString());
    upsert.Bind(12, names.dump()).Bind(13, AddressesJson(o.routers));
    upsert.Bind(14, AddressesJson(o.dns_servers));
    upsert.Bind(15, Bits(o.packets)).Bind(16, Bits(o.bytes)).Bind(17, Bits(o.flows));
    upsert.Bind(18, o.first_seen_us).Bind(19, o.last_seen_us).Bind(20, now).Run();
  }
  tx.Commit();
}

pcap::AnalysisPolicy PolicyFor(const Register& reg, const std::string& network,
                               const std::string& source) {
  pcap::AnalysisPolicy p;
  p.network = network;
  p.source = source;
  for (const auto& n : reg.networks) {
    for (const auto& text : n.prefixes) {
      std::string error;
      if (auto c = ParseCidr(text, &error)) p.plan_prefixes.push_back(*c);
    }
    if (n.id != network) continue;
    p.sanctioned_resolvers = Addresses(n.dns_resolvers);
    p.dhcp_servers = Addresses(n.dhcp_servers);
  }
  for (const auto& e : reg.egress) {
    if (e.network != network) continue;
    for (const auto& text : e.gateway_macs) {
      if (auto mac = pcap::MacAddress::Parse(text)) p.gateway_macs.push_back(*mac);
    }
  }
  return p;
}

}  // namespace trinet
