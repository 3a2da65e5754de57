#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace trinet::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

}  // namespace

bool ParseLevel(std::string_view text, Level* level) {
  if (text == "debug")
    *level = Level::kDebug;
  else if (text == "info")
    *level = Level::kInfo;
  else if (text == "warning")
    *level = Level::kWarning;
  else if (text == "error")
    *level = Level::kError;
  else
    return false;
  return true;
}

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void Write(Level level, std::string_view message) {
  if (!Enabled(level)) return;
  static const char* const kNames[] = {"debug", "info", "warning", "error"};
  std::string line = std::string(kNames[static_cast<int>(level)]) + " " + std::string(message);
  if (line.back() != '\n') line += '\n';
  // One write(2) per line keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace trinet::log
