#include "snmp/counters.h"

#include <cstdlib>
#include <limits>

namespace trinet::snmp {

namespace {

constexpr std::uint64_t kCounter32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kUptimeWrapTicks = std::int64_t{1} << 32;

// The poller's clock and the agent's sysUpTime disagree by the request's round trip, retries
// and the agent's own clock drift; a few seconds plus a small share of the interval absorbs
// that without hiding a restart that happened well inside the interval.
std::chrono::milliseconds UptimeTolerance(std::chrono::milliseconds elapsed) {
  return std::chrono::milliseconds(5000) + elapsed / 20;
}

}  // namespace

std::optional<std::uint64_t> CounterDelta(const CounterReading& before,
                                          const CounterReading& after) {
  if (before.bits != after.bits) return std::nullopt;
  if (before.bits == 32) {
    if (before.value > kCounter32Max || after.value > kCounter32Max) return std::nullopt;
    if (after.value >= before.value) return after.value - before.value;
    return kCounter32Max - before.value + after.value + 1;
  }
  if (before.bits == 64) {
    if (after.value < before.value) return std::nullopt;
    return after.value - before.value;
  }
  return std::nullopt;
}

bool AgentRestarted(std::uint32_t uptime_before, std::uint32_t uptime_after,
                    std::chrono::milliseconds elapsed) {
  const auto tolerance = UptimeTolerance(elapsed);
  const auto ticks_to_ms = [](std::int64_t ticks) { return std::chrono::milliseconds(ticks * 10); };
  if (uptime_after < uptime_before) {
    // After 2^32 ticks sysUpTime starts again from zero without a restart; accept that only
    // when the wrapped advance matches the time that passed.
    auto wrapped = ticks_to_ms(kUptimeWrapTicks - uptime_before + uptime_after);
    return std::chrono::abs(wrapped - elapsed) > tolerance;
  }
  return ticks_to_ms(uptime_after) + tolerance < elapsed;
}

std::optional<double> RatePerSecond(const CounterSample& before, const CounterSample& after) {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(after.at - before.at);
  if (elapsed <= std::chrono::milliseconds::zero()) return std::nullopt;
  if (before.uptime_ticks && after.uptime_ticks &&
      AgentRestarted(*before.uptime_ticks, *after.uptime_ticks, elapsed)) {
    return std::nullopt;
  }
  auto delta = CounterDelta(before.counter, after.counter);
  if (!delta) return std::nullopt;
  std::chrono::duration<double> seconds = after.at - before.at;
  return static_cast<double>(*delta) / seconds.count();
}

}  // namespace trinet::snmp
