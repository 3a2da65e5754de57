#pragma once
// What the rules see of the networks: the latest device and interface state, the current
// discovery facts and room health, as plain values loaded from the store (schema/
// finding_store.h) or built by tests from fixture files. No I/O here.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trinet::findings {

/// A polled device's latest state (table device_status).
struct DeviceState {
  bool up = false;
  std::string reason;                         ///< why down
  std::int64_t first_poll_at = 0;             ///< first time trinet tried it
  std::int64_t last_poll_at = 0;              ///< last time trinet tried it
  std::optional<std::int64_t> last_up_at;     ///< last time it answered
  std::optional<std::int64_t> discovered_at;  ///< last discovery that answered
  std::optional<std::string> sys_name, sys_location, chassis_serial;
};

/// An interface's latest state (table interface_status).
struct InterfaceState {
  std::string device;
  std::int64_t ifindex = 0;
  std::string name;          ///< ifName, else ifDescr
  std::string descr;         ///< ifDescr
  std::string phys_address;  ///< "aa:bb:cc:dd:ee:ff", empty when none
  std::optional<bool> admin_up, oper_up;
  std::int64_t updated_at = 0;
};

/// A discovery fact that is still current: its table's last complete walk saw it, or the
/// walks since were incomplete (then nothing is known to the contrary). `value` is the JSON
/// object trinetd stored; the fields per kind are listed in docs/findings.md.
struct Fact {
  std::string device;
  std::string kind;  ///< address | route | arp | lldp | lldp_local | chassis | fdb | tcp
  std::string key;
  nlohmann::json value;
  std::int64_t first_seen = 0, last_seen = 0;
};

/// A room-health reading (table health): ups.on_battery, ups.output_load_ratio, ...
struct HealthReading {
  std::string device;
  std::string key;
  double value = 0;
  std::int64_t updated_at = 0;
};

/// What a packet capture found (table pcap_observations, docs/pcap.md): one suspect of one
/// kind on one capture source, network and VLAN, with the summed evidence of its flows.
/// Plain values, so that the rules need nothing of collectors/pcap.
struct PcapSighting {
  std::string kind;     ///< public-traffic | gateway-bypass | foreign-resolver | rogue-dhcp
  std::string network;  ///< the capture's network: external | internal | classified
  std::string source;   ///< "file:NAME" or the capture interface
  int outer_vlan = -1;  ///< -1: untagged
  int inner_vlan = -1;  ///< -1: no second tag
  /// public-traffic, gateway-bypass: the gateway MAC; foreign-resolver: the MAC the queries
  /// went to; rogue-dhcp: the server's MAC. Lower-case aa:bb:cc:dd:ee:ff.
  std::string suspect_mac;
  std::string suspect_address;             ///< the public address, the resolver or the DHCP server
  std::string src_mac, dst_mac, src, dst;  ///< the first flow's, as an example
  std::vector<std::string> dns_names;      ///< foreign-resolver: query names
  std::vector<std::string> routers;        ///< rogue-dhcp: option 3 of the first offer
  std::vector<std::string> dns_servers;    ///< rogue-dhcp: option 6 of the first offer
  std::int64_t first_seen_us = 0;          ///< capture time, microseconds since the epoch
  std::int64_t last_seen_us = 0;
  std::int64_t packets = 0, bytes = 0, flows = 0;
  std::int64_t recorded_at = 0;  ///< Unix seconds: when it was stored; the window counts from it
};

/// A current forwarding-table entry: a fact of kind "fdb", kept compact. A 48-port access
/// switch learns a hundred MACs or more and a city has thousands of switches, so these are
/// most of the facts; as Fact with a JSON value each would cost ~850 bytes, as this 48.
struct FdbEntry {
  static constexpr std::uint64_t kNoMac = ~std::uint64_t{0};
  std::uint64_t mac = kNoMac;     ///< the 48 bits; kNoMac when the fact's MAC is malformed
  std::int32_t ifindex = -1;      ///< -1: unknown
  std::int32_t bridge_port = -1;  ///< -1: unknown
  std::int32_t vlan = -1;         ///< -1: none (dot1dTpFdbTable)
  bool q_bridge = true;           ///< from dot1qTpFdbTable, else dot1dTpFdbTable
  std::int64_t first_seen = 0, last_seen = 0;

  /// The fact's key as trinetd stores it: "VLAN|aa:bb:cc:dd:ee:ff", "-" for no VLAN.
  std::string Key() const;
  /// "aa:bb:cc:dd:ee:ff"; empty for kNoMac.
  std::string MacText() const;
  /// The 48 bits of a MAC in any of the usual notations; kNoMac when it is none.
  static std::uint64_t MacBits(std::string_view text);
  const char* Table() const { return q_bridge ? "dot1qTpFdbTable" : "dot1dTpFdbTable"; }
};

/// The FdbEntry of a stored "fdb" fact (key "VLAN|MAC", value as trinetd writes it:
/// mac, ifindex, bridge_port, vlan, table). Fields that are missing or malformed stay unknown.
FdbEntry FdbEntryOf(const std::string& key, const nlohmann::json& value, std::int64_t first_seen,
                    std::int64_t last_seen);

struct Observations {
  std::map<std::string, DeviceState> devices;  ///< by register id; absent: never polled
  std::vector<InterfaceState> interfaces;
  /// Current facts of every kind but "fdb", which are in `fdb`.
  std::vector<Fact> facts;
  /// Current "fdb" facts by device, compact.
  std::map<std::string, std::vector<FdbEntry>> fdb;
  std::vector<HealthReading> health;
  /// LLDP rows that are no longer current, kept for "when was this neighbour first seen":
  /// a neighbour that moved to another port was there since its first sighting on the old.
  std::vector<Fact> past_lldp;
  /// What captures found, recorded within the evidence window (RuleOptions).
  std::vector<PcapSighting> pcap;
};

/// Moves every fact of kind "fdb" from obs.facts into obs.fdb (for observations built as
/// plain facts, e.g. from fixture files).
void MoveFdbFacts(Observations& obs);

}  // namespace trinet::findings
