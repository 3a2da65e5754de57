#include "metrics/text_format.h"

#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

namespace trinet::metrics::text {
namespace {

// Appends `s` with the bytes that `Escape` maps replaced. Values are short and almost never
// contain one of them, so the loop looks for the first one and copies runs between them.
template <class Escape>
void AppendEscaped(std::string& out, std::string_view s, Escape escape) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char* replacement = escape(s[i]);
    if (replacement == nullptr) continue;
    out.append(s.data() + run, i - run);
    out.append(replacement, 2);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

}  // namespace

void AppendLabelValue(std::string& out, std::string_view value) {
  AppendEscaped(out, value, [](char c) -> const char* {
    switch (c) {
      case '\\':
        return "\\\\";
      case '"':
        return "\\\"";
      case '\n':
        return "\\n";
      default:
        return nullptr;
    }
  });
}

void AppendHelp(std::string& out, std::string_view help) {
  AppendEscaped(out, help, [](char c) -> const char* {
    switch (c) {
      case '\\':
        return "\\\\";
      case '\n':
        return "\\n";
      default:
        return nullptr;
    }
  });
}

void Reserve(std::string& out, std::size_t bytes) {
  if (out.capacity() >= bytes) return;
  out.reserve(bytes);
#ifdef MADV_HUGEPAGE
  if (out.capacity() < (std::size_t{8} << 20)) return;
  // The page-aligned inside of the buffer (malloc serves blocks this large with their own
  // mmap, so the advice touches nothing else). Failure only means 4 KiB pages.
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(out.data());
  const std::uintptr_t first = (begin + page - 1) / page * page;
  const std::uintptr_t last = (begin + out.capacity()) / page * page;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::to_chars_result r;
  // Integral values (timestamps, speeds, counts) as integers: the shortest form would write
  // 1700000000 as 1.7e+09, which parses the same but reads worse and differs from what
  // trinet wrote before. 2^63 keeps the conversion defined.
  if (value > -9.2e18 && value < 9.2e18 && value == std::trunc(value)) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(value));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  }
  out.append(buf, r.ptr);
}

void AppendValue(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

}  // namespace trinet::metrics::text
