#pragma once
// From one device's poll result to what is stored (DeviceObservation) and what is exported
// (DeviceSnapshot). Pure but for the per-device memory it is handed, which carries counter
// totals and sysUpTime from one cycle to the next.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/snapshot.h"
#include "observation_store.h"
#include "register/register.h"
#include "snmp/counters.h"
#include "snmp/poll_engine.h"

namespace trinet {

enum class CycleKind { kDiscovery, kPoll };

/// What the daemon remembers about one device between cycles.
struct DeviceMemory {
  struct Counter {
    snmp::CounterReading last;
    std::uint64_t total = 0;  ///< monotonic: wraps unfolded, restarts add nothing
  };
  std::map<std::pair<std::uint32_t, int>, Counter> counters;  ///< (ifindex, which counter)
  std::optional<std::uint32_t> uptime_ticks;
  std::int64_t uptime_at_ms = 0;  ///< when uptime_ticks was read, Unix milliseconds
  bool has_sensors = false;       ///< discovery found temperature/humidity sensors
  /// Sensor names (entPhysicalName) learnt at discovery, by index: polls do not walk
  /// entPhysicalTable, and a sensor's label must not change between cycles.
  std::map<std::uint32_t, std::string> sensor_names;
};

/// The SNMP job for `device` in a cycle of `kind`.
snmp::PollJob BuildJob(const Device& device, const Credential& credential, CycleKind kind,
                       const DeviceMemory& memory, std::chrono::milliseconds timeout, int retries,
                       size_t max_table_rows);

struct DeviceOutput {
  DeviceObservation observation;
  DeviceSnapshot snapshot;
  int decode_issues = 0;  ///< varbinds skipped as wrong type, malformed index, …
};

/// Decodes `result` (whose varbinds it takes, rather than copy) and updates `memory`.
/// `now_ms` is Unix time in milliseconds.
DeviceOutput Observe(const Device& device, snmp::PollResult&& result, CycleKind kind,
                     DeviceMemory& memory, std::int64_t now_ms);

}  // namespace trinet
