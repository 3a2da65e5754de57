#include "pcap_report.h"

#include <algorithm>
#include <sstream>

#include "findings/rule_context.h"
#include "findings_report.h"
#include "pcap/flow_table.h"
#include "pcap/reader.h"
#include "text.h"

namespace trinet {
namespace {

using json = nlohmann::ordered_json;

json Vlan(std::uint16_t v) { return v == pcap::Packet::kNoVlan ? json(nullptr) : json(v); }

std::string VlanText(const pcap::PcapObservation& o) {
  if (o.outer_vlan == pcap::Packet::kNoVlan) return "-";
  std::string v = std::to_string(o.outer_vlan);
  if (o.inner_vlan != pcap::Packet::kNoVlan) v += "/" + std::to_string(o.inner_vlan);
  return v;
}

json Addresses(const std::vector<IpAddress>& addresses) {
  json a = json::array();
  for (const auto& x : addresses) a.push_back(x.ToString());
  return a;
}

std::string CaptureTime(std::int64_t us) { return findings::FormatUtc(us / 1000000); }

}  // namespace

std::optional<PcapAnalysis> AnalyzeCaptureFile(const std::filesystem::path& path,
                                               const pcap::AnalysisPolicy& policy,
                                               std::size_t max_flows, std::string* open_error) {
  auto file = pcap::CaptureFile::Open(path, open_error);
  if (!file) return std::nullopt;
  PcapAnalysis a;
  a.file = path.string();
  a.network = policy.network;
  a.source = policy.source;
  a.linktype = file->linktype();
  pcap::Analyzer analyzer(policy);
  std::uint64_t evicted = 0;
  pcap::FlowTable table(max_flows, [&](const pcap::Flow& f) {
    analyzer.AddFlow(f);
    ++evicted;
  });
  pcap::Packet packet;
  pcap::RawPacket raw;
  std::uint64_t errors[static_cast<int>(pcap::DecodeError::kCount)] = {};
  for (;;) {
    const auto status = file->Next(&raw);
    if (status == pcap::CaptureFile::Status::kEnd) break;
    if (status == pcap::CaptureFile::Status::kError) {
      a.error = file->error();
      break;
    }
    ++a.packets;
    a.bytes += raw.wire_length;
    const auto e = pcap::DecodePacket(raw.data, raw.wire_length, a.linktype, &packet);
    ++errors[static_cast<int>(e)];
    table.Add(packet, raw.wire_length, raw.timestamp_us);
  }
  const auto stats = table.Stats();
  a.skipped = stats.skipped;
  a.max_flows = stats.max_flows;
  a.evictions = stats.evictions;
  table.Flush();  // every flow still held goes to the analyzer
  a.flows = evicted;
  for (int i = 1; i < static_cast<int>(pcap::DecodeError::kCount); ++i) {
    if (errors[i] > 0) {
      a.decode_errors[std::string(pcap::DecodeErrorName(static_cast<pcap::DecodeError>(i)))] =
          errors[i];
    }
  }
  a.observations = analyzer.Observations();
  return a;
}

std::vector<findings::FindingRecord> FindingsFromSource(
    const std::vector<findings::FindingRecord>& records, const std::string& source) {
  std::vector<findings::FindingRecord> out;
  for (const auto& r : records) {
    if (r.finding.rule != "rogue-exit" || r.state == findings::kResolved) continue;
    const auto& ev = r.finding.evidence;
    if (std::any_of(ev.begin(), ev.end(), [&](const findings::Evidence& e) {
          return e.source == "pcap" && e.device == source;
        })) {
      out.push_back(r);
    }
  }
  SortForDesk(out);
  return out;
}

json PcapAnalysisJson(const PcapAnalysis& a, const std::vector<findings::FindingRecord>& findings,
                      const Register& reg, bool recorded) {
  json j;
  j["file"] = a.file;
  j["network"] = a.network;
  j["source"] = a.source;
  j["complete"] = !a.error.has_value();
  j["error"] = a.error ? json(*a.error) : json(nullptr);
  j["packets"] = a.packets;
  j["bytes"] = a.bytes;
  j["skipped"] = a.skipped;
  j["decode_errors"] = json::object();
  for (const auto& [name, n] : a.decode_errors) j["decode_errors"][name] = n;
  j["flows"] = a.flows;
  j["max_flows"] = a.max_flows;
  j["evictions"] = a.evictions;
  j["observations"] = json::array();
  for (const auto& o : a.observations) {
    j["observations"].push_back({
        {"kind", std::string(pcap::ObservationKindName(o.kind))},
        {"network", o.network},
        {"source", o.source},
        {"outer_vlan", Vlan(o.outer_vlan)},
        {"inner_vlan", Vlan(o.inner_vlan)},
        {"suspect_mac", o.suspect_mac.ToString()},
        {"suspect_address", o.suspect_address.ToString()},
        {"src_mac", o.src_mac.ToString()},
        {"dst_mac", o.dst_mac.ToString()},
        {"src", o.src.ToString()},
        {"dst", o.dst.ToString()},
        {"first_seen", CaptureTime(o.first_seen_us)},
        {"last_seen", CaptureTime(o.last_seen_us)},
        {"first_seen_us", o.first_seen_us},
        {"last_seen_us", o.last_seen_us},
        {"packets", o.packets},
        {"bytes", o.bytes},
        {"flows", o.flows},
        {"dns_names", o.dns_names},
        {"routers", Addresses(o.routers)},
        {"dns_servers", Addresses(o.dns_servers)},
    });
  }
  j["findings"] = json::array();
  for (const auto& r : findings) j["findings"].push_back(FindingJson(r, reg));
  j["recorded"] = recorded;
  return j;
}

std::string RenderPcapAnalysis(const PcapAnalysis& a,
                               const std::vector<findings::FindingRecord>& findings,
                               const Register& reg, bool recorded) {
  std::ostringstream out;
  out << a.file << " (" << a.network << " network, evidence source " << a.source
      << "): " << a.packets << (a.packets == 1 ? " packet" : " packets") << ", " << a.bytes
      << " bytes read" << (a.error ? " before the error" : "") << "; " << a.flows
      << (a.flows == 1 ? " flow" : " flows") << " (cap " << a.max_flows << ", " << a.evictions
      << (a.evictions == 1 ? " eviction" : " evictions") << ")";
  if (a.skipped > 0) out << "; " << a.skipped << " without a link layer, not aggregated";
  out << ".\n";
  if (!a.decode_errors.empty()) {
    out << "Decode errors (packets counted, decoded as far as they go):";
    for (const auto& [name, n] : a.decode_errors) out << " " << name << " " << n;
    out << ".\n";
  }
  if (a.error) out << "Reading stopped: " << *a.error << "\n";
  out << "\n";
  if (a.observations.empty()) {
    out << "No observations: no public traffic, gateway bypass, foreign resolver or rogue "
           "DHCP server.\n";
  } else {
    std::vector<std::vector<std::string>> rows = {{"KIND", "VLAN", "SUSPECT MAC", "ADDRESS",
                                                   "EXAMPLE", "PACKETS", "BYTES", "FLOWS",
                                                   "FIRST SEEN", "LAST SEEN"}};
    for (const auto& o : a.observations) {
      rows.push_back({std::string(pcap::ObservationKindName(o.kind)), VlanText(o),
                      o.suspect_mac.ToString(), o.suspect_address.ToString(),
                      o.src.ToString() + " -> " + o.dst.ToString(), std::to_string(o.packets),
                      std::to_string(o.bytes), std::to_string(o.flows),
                      CaptureTime(o.first_seen_us), CaptureTime(o.last_seen_us)});
    }
    out << text::Align(rows);
    for (const auto& o : a.observations) {
      if (!o.dns_names.empty()) {
        out << "  " << o.suspect_address.ToString() << " was asked for:";
        for (const auto& n : o.dns_names) out << " " << n;
        out << "\n";
      }
    }
    out << a.observations.size() << (a.observations.size() == 1 ? " observation" : " observations")
        << ".\n";
  }
  out << "\n";
  if (findings.empty()) {
    out << "No rogue-exit findings from this capture.\n";
  } else {
    out << (recorded ? "rogue-exit findings with this capture's evidence:\n"
                     : "rogue-exit findings this capture would give (preview; nothing "
                       "written, --record stores them):\n");
    out << RenderFindingsTable(findings, reg);
  }
  if (recorded)
    out << "Recorded " << a.observations.size() << " observations; findings evaluated.\n";
  return out.str();
}

}  // namespace trinet
