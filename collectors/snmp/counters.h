#pragma once
// Counter arithmetic for SNMP Counter32/Counter64 readings: deltas across a wrap, agent
// restarts seen through sysUpTime, and rates. Pure functions; a discontinuity is nullopt,
// never a negative or invented rate.

#include <chrono>
#include <cstdint>
#include <optional>

namespace trinet::snmp {

/// One reading of a counter with the width of the SNMP type it arrived as.
struct CounterReading {
  std::uint64_t value = 0;
  int bits = 32;  ///< 32 (Counter32) or 64 (Counter64)

  bool operator==(const CounterReading&) const = default;
};

/// The increase of a counter from `before` to `after`.
///
/// A Counter32 that went down is taken to have wrapped exactly once (RFC 2578 §7.1.6). A
/// Counter64 that went down has not wrapped (2^64 octets take centuries at any line rate), so
/// that is a discontinuity. A change of width, a width other than 32 or 64, or a value that
/// does not fit its width is a discontinuity too. nullopt = discontinuity.
std::optional<std::uint64_t> CounterDelta(const CounterReading& before,
                                          const CounterReading& after);

/// True when two sysUpTime readings (TimeTicks, hundredths of a second) `elapsed` apart show
/// that the agent restarted in between, so its counters started again from zero.
///
/// A restart is seen when sysUpTime went back, or when it is smaller than the time that passed
/// (the agent was started after the first reading). sysUpTime itself wraps after 497 days; a
/// decrease that matches `elapsed` as such a wrap is not a restart.
bool AgentRestarted(std::uint32_t uptime_before, std::uint32_t uptime_after,
                    std::chrono::milliseconds elapsed);

/// A counter reading with when it was taken and, if polled with it, the agent's sysUpTime.
struct CounterSample {
  CounterReading counter;
  std::chrono::system_clock::time_point at;   ///< when the poller received the reading
  std::optional<std::uint32_t> uptime_ticks;  ///< sysUpTime.0 from the same poll
};

/// The counter's increase per second from `before` to `after`. nullopt when there is no rate:
/// a counter discontinuity (see CounterDelta), an agent restart (see AgentRestarted; checked
/// only when both samples carry sysUpTime), or no time passed between the samples.
std::optional<double> RatePerSecond(const CounterSample& before, const CounterSample& after);

}  // namespace trinet::snmp
