#pragma once
// The passive egress watch in the store (docs/pcap.md): what captures found, kept per
// source and suspect, and the policy of a capture built from the register. The rules read
// the rows through LoadObservations (finding_store.h) as findings::PcapSighting.

#include <cstdint>
#include <string>
#include <vector>

#include "findings/observations.h"
#include "pcap/analyze.h"
#include "register/register.h"
#include "sqlite.h"

namespace trinet {

/// Records what a capture found: one row per (source, kind, network, outer VLAN, inner VLAN,
/// suspect MAC, suspect address); a repeat adds packets/bytes/flows and widens first/last
/// seen. recorded_at = now (Unix seconds): the evidence window of the rules counts from it.
/// One transaction (all or nothing).
void RecordPcapObservations(sql::Database& db, const std::vector<pcap::PcapObservation>& obs,
                            std::int64_t now);

/// An observation as the rules see it once recorded at `recorded_at` (what LoadObservations
/// would read back), for previews that do not store it.
findings::PcapSighting SightingOf(const pcap::PcapObservation& o, std::int64_t recorded_at);

/// Builds the policy of one network's capture from the register (plans of every network,
/// the network's sanctioned exits' gateway_macs, dns_resolvers, dhcp_servers; empty list =
/// nullopt). Entries that do not parse are skipped (the register's validation rejects them).
pcap::AnalysisPolicy PolicyFor(const Register& reg, const std::string& network,
                               const std::string& source);

}  // namespace trinet
