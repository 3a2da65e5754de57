#pragma once
// What the rules see of the networks: the latest device and interface state, the current
// discovery facts and room health, as plain values loaded from the store (schema/
// finding_store.h) or built by tests from fixture files. No I/O here.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
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

struct Observations {
  std::map<std::string, DeviceState> devices;  ///< by register id; absent: never polled
  std::vector<InterfaceState> interfaces;
  std::vector<Fact> facts;
  std::vector<HealthReading> health;
  /// LLDP rows that are no longer current, kept for "when was this neighbour first seen":
  /// a neighbour that moved to another port was there since its first sighting on the old.
  std::vector<Fact> past_lldp;
};

}  // namespace trinet::findings
