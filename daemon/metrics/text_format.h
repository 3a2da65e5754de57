#pragma once
// The pieces of the Prometheus text exposition format 0.0.4 that /metrics writes itself
// (https://prometheus.io/docs/instrumenting/exposition_formats/): escaped label values and
// HELP texts, and sample values.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trinet::metrics::text {

/// Appends `value` as the inside of a quoted label value: backslash, double quote and line
/// feed become `\\`, `\"` and `\n`; every other byte is copied as it is (the caller makes
/// the value valid UTF-8). The same escaping as prometheus-cpp's TextSerializer.
void AppendLabelValue(std::string& out, std::string_view value);

/// Appends `help` as the text of a `# HELP` line: backslash and line feed become `\\` and
/// `\n` (prometheus-cpp writes HELP texts unescaped; trinet's contain neither).
void AppendHelp(std::string& out, std::string_view help);

/// Reserves room for `bytes` in `out` (no-op when it has that already). From 8 MiB on, the
/// buffer's pages are advised to be transparent huge pages (Linux; a hint, ignored where
/// THP is off): the text of 500,000 series is ~75 MB, and writing it into fresh 4 KiB pages
/// cost more than rendering it on the benchmark machine (docs/BENCHMARKS.md).
void Reserve(std::string& out, std::size_t bytes);

/// Appends a sample value written from a double: `NaN`, `+Inf`, `-Inf`; an integral value
/// below 9.2e18 in magnitude as an integer without exponent or fraction (`1700000000`,
/// `125000000`, `0` for -0.0); any other value in the shortest form that parses back to the
/// same double (`0.25`, `0.30000000000000004`, `1e-07`, `1e+20`).
///
/// Where prometheus-cpp 1.0.1 writes a value exactly, this writes the same bytes, except
/// 1e-4..9e-4 with one digit (`0.0001` there, `1e-04` here). prometheus-cpp rounds to 16
/// digits (`0.3` for 0.30000000000000004, `1e+16` for 10^16) and spells NaN `Nan`.
void AppendValue(std::string& out, double value);

/// Appends an integer sample value exactly, e.g. a 64-bit byte counter
/// `18446744073709551615` (prometheus-cpp goes through double and 16 digits:
/// `1.844674407370955e+19`).
void AppendValue(std::string& out, std::uint64_t value);

}  // namespace trinet::metrics::text
