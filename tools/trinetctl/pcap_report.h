#pragma once
// `trinetctl pcap analyze` (docs/pcap.md, "Offline analysis"): reading a capture file into
// observations, and what is printed of them. The reading is a function of the file and the
// policy; the renderers are pure.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "findings/lifecycle.h"
#include "pcap/analyze.h"
#include "register/register.h"

namespace trinet {

/// What reading and analysing one capture file gave.
struct PcapAnalysis {
  std::string file;     ///< as given on the command line
  std::string network;  ///< the network it was captured on
  std::string source;   ///< "file:BASENAME", the evidence's device
  int linktype = 0;
  std::uint64_t packets = 0;  ///< packets read
  std::uint64_t bytes = 0;    ///< wire bytes of them
  std::uint64_t skipped = 0;  ///< packets with no link layer decoded (not aggregated)
  std::map<std::string, std::uint64_t> decode_errors;  ///< by DecodeErrorName
  std::uint64_t flows = 0;      ///< flows aggregated (held at the end plus evicted)
  std::uint64_t max_flows = 0;  ///< the cap
  std::uint64_t evictions = 0;
  /// Why reading stopped before the end of the file (a truncated record, naming the byte
  /// offset); nullopt when the whole file was read.
  std::optional<std::string> error;
  std::vector<pcap::PcapObservation> observations;
};

/// Reads `path` (pcap or pcapng) to its end or its first unreadable record, decodes every
/// packet, aggregates flows (at most `max_flows`, evicted flows analysed too) and applies
/// the rules of `policy`. Returns nullopt and sets *open_error when the file cannot be opened
/// at all (missing, not a capture, header cut).
std::optional<PcapAnalysis> AnalyzeCaptureFile(const std::filesystem::path& path,
                                               const pcap::AnalysisPolicy& policy,
                                               std::size_t max_flows, std::string* open_error);

/// The rogue-exit findings with evidence from `source`, desk-sorted, resolved ones left out.
std::vector<findings::FindingRecord> FindingsFromSource(
    const std::vector<findings::FindingRecord>& records, const std::string& source);

/// `--json`: {file, network, source, complete, error, packets, bytes, skipped,
/// decode_errors{name: n}, flows, max_flows, evictions, observations[], findings[],
/// recorded}. Findings are as `findings --json` gives them.
nlohmann::ordered_json PcapAnalysisJson(const PcapAnalysis& a,
                                        const std::vector<findings::FindingRecord>& findings,
                                        const Register& reg, bool recorded);

/// The desk text: counts, decode errors, the observations as a table, then the findings.
std::string RenderPcapAnalysis(const PcapAnalysis& a,
                               const std::vector<findings::FindingRecord>& findings,
                               const Register& reg, bool recorded);

}  // namespace trinet
