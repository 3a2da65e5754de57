#pragma once
// What the kernel counts for this process, read from /proc/self: the figures trinetd --once
// prints for each cycle (benchmarks compare them with other pollers' /proc figures).

#include <cstdint>
#include <optional>

namespace trinet {

/// User plus system CPU seconds of the whole process (every thread) so far, from
/// /proc/self/stat; nullopt when it cannot be read.
std::optional<double> ProcessCpuSeconds();

/// Peak resident set size (VmHWM of /proc/self/status) in bytes; nullopt when unknown.
std::optional<std::uint64_t> PeakRssBytes();

}  // namespace trinet
