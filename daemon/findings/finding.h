#pragma once
// A finding: one breach of the policy, about one subject, with the evidence that shows it.
// Rules produce findings as plain values; the lifecycle (findings/lifecycle.h) gives them
// state and history. See docs/findings.md.

#include <cstdint>
#include <string>
#include <vector>

namespace trinet::findings {

/// Severities, most urgent first.
inline constexpr const char* kCritical = "critical";
inline constexpr const char* kMajor = "major";
inline constexpr const char* kMinor = "minor";

/// One observation that supports a finding.
struct Evidence {
  std::string source;  ///< snmp | pcap | register
  std::string device;  ///< the register id of the device that showed it; empty for register
  /// Where it was read: a MIB table ("ipCidrRouteTable", "lldpRemTable"), a register field
  /// ("rooms.consolidate_by"), or a capture ("mirror:eth1").
  std::string table;
  std::string key;    ///< the row within `table` (route "0.0.0.0/0 via 198.51.100.1", ...)
  std::string value;  ///< what it said, in words: "default route via public next hop 198.51.100.1"
  std::int64_t observed_at = 0;  ///< Unix seconds; for register evidence the evaluation time

  bool operator==(const Evidence&) const = default;
};

/// What a finding is about.
struct Subject {
  std::string type;  ///< device | room | egress | neighbour | chassis | link | shadow-room
  std::string id;    ///< register id, or for unregistered things a stable key
  std::string name;  ///< for people: the register name, sysName, ...

  bool operator==(const Subject&) const = default;
};

struct Finding {
  std::string rule;      ///< rogue-exit, network-bridge, orphan-room, ...
  std::string reason;    ///< orphan-room: overdue, island, ...; other rules: a short kind
  std::string severity;  ///< critical | major | minor
  Subject subject;
  // Where and who: register ids, empty when unknown (an unregistered neighbour's room).
  std::string network;
  std::string platform;
  std::string room;
  std::string unit;
  std::string policy;   ///< the articles it breaks, e.g. "M1 art. 8, M2 art. 4"
  std::string summary;  ///< one sentence for the duty desk
  std::vector<Evidence> evidence;

  /// The stable id: rule, the orphan-room reason, subject type and id. The same breach
  /// found again has the same id, so its history continues.
  std::string Id() const;

  bool operator==(const Finding&) const = default;
};

}  // namespace trinet::findings
