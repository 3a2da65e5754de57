#pragma once
// From one device's poll result to what is stored (DeviceObservation) and what is exported
// (DeviceSnapshot). Pure but for the per-device memory it is handed, which carries counter
// totals and sysUpTime from one cycle to the next.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/snapshot.h"
#include "observation_store.h"
#include "register/register.h"
#include "snmp/counters.h"
#include "snmp/poll_engine.h"

namespace trinet {

enum class CycleKind { kDiscovery, kPoll };

/// The interface counters of one device between cycles: for each (ifindex, which counter) the
/// last reading and the running total. Kept as one sorted vector of 24-byte entries, with no
/// allocation per counter, since the daemon holds millions of them.
class CounterMemory {
 public:
  /// One counter of one interface.
  struct Entry {
    std::uint64_t last_value = 0;  ///< the last reading's value
    std::uint64_t total = 0;       ///< monotonic: wraps unfolded, restarts add nothing
    std::uint32_t ifindex = 0;
    std::uint8_t which = 0;      ///< which counter of the interface
    std::uint8_t last_bits = 0;  ///< the last reading's width; 0 = none or not 32/64

    /// The last reading, as it was given to SetLast.
    snmp::CounterReading Last() const { return {last_value, last_bits}; }
    /// Stores `reading` as the last one.
    void SetLast(const snmp::CounterReading& reading);
  };

  /// The entry of (`ifindex`, `which`), or nullptr when there is none.
  const Entry* Find(std::uint32_t ifindex, std::uint8_t which) const;

  /// The entry of (`ifindex`, `which`) and whether it was just inserted (then zeroed, with
  /// its key set). The reference is valid until the next FindOrInsert or EraseIfNotIn.
  std::pair<Entry&, bool> FindOrInsert(std::uint32_t ifindex, std::uint8_t which);

  /// Forgets the counters of every interface not in `ifindexes`.
  void EraseIfNotIn(const std::set<std::uint32_t>& ifindexes);

  /// How many counters are remembered.
  size_t size() const { return entries_.size(); }
  /// How many counters fit in what is allocated.
  size_t capacity() const { return entries_.capacity(); }
  /// The entries, sorted by (ifindex, which).
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;  // sorted by (ifindex, which), no duplicates
};

/// What the daemon remembers about one device between cycles.
struct DeviceMemory {
  CounterMemory counters;  ///< interface counters by (ifindex, which counter)
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
