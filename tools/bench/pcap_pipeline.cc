// trinetctl pcap analyze's pipeline without the register and the database around it:
// CaptureFile -> DecodePacket -> FlowTable (evicted flows to the Analyzer) -> Flush ->
// Observations, the loop of AnalyzeCaptureFile (tools/trinetctl/pcap_report.cc). For
// tools/bench/pcap and for profiling the pcap core alone.
// Usage: trinet_bench_pcap_pipeline FILE [MAX_FLOWS]

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "pcap/analyze.h"
#include "pcap/decode.h"
#include "pcap/flow_table.h"
#include "pcap/reader.h"

int main(int argc, char** argv) {
  using namespace trinet::pcap;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [MAX_FLOWS]\n", argv[0]);
    return 2;
  }
  const std::size_t max_flows = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  auto file = CaptureFile::Open(argv[1], &error);
  if (!file) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  AnalysisPolicy policy;
  policy.network = "internal";
  policy.source = "file:bench";
  policy.sanctioned_resolvers = std::vector<trinet::IpAddress>{};
  policy.dhcp_servers = std::vector<trinet::IpAddress>{};
  Analyzer analyzer(policy);
  std::uint64_t flows = 0;
  FlowTable table(max_flows, [&](const Flow& f) {
    analyzer.AddFlow(f);
    ++flows;
  });
  Packet packet;
  RawPacket raw;
  std::uint64_t packets = 0, bytes = 0, errors = 0;
  const int linktype = file->linktype();
  for (;;) {
    const auto status = file->Next(&raw);
    if (status == CaptureFile::Status::kEnd) break;
    if (status == CaptureFile::Status::kError) {
      std::fprintf(stderr, "%s\n", file->error().c_str());
      return 1;
    }
    ++packets;
    bytes += raw.wire_length;
    if (DecodePacket(raw.data, raw.wire_length, linktype, &packet) != DecodeError::kNone) ++errors;
    table.Add(packet, raw.wire_length, raw.timestamp_us);
  }
  const FlowTableStats stats = table.Stats();
  table.Flush();
  const auto observations = analyzer.Observations();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "packets %llu bytes %llu seconds %.6f flows %llu evictions %llu observations %zu "
      "decode_errors %llu table_bytes %zu\n",
      static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes), s,
      static_cast<unsigned long long>(flows), static_cast<unsigned long long>(stats.evictions),
      observations.size(), static_cast<unsigned long long>(errors), stats.memory_bytes);
  return 0;
}
