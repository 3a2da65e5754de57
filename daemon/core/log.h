#pragma once
// One line per event on stderr, "LEVEL component: message key=value", so journald (which
// stamps time and unit) and a terminal both read it. Thread-safe; no global logger object
// beyond the level threshold.

#include <string>
#include <string_view>

namespace trinet::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

/// Parses "debug", "info", "warning" or "error".
bool ParseLevel(std::string_view text, Level* level);
void SetLevel(Level level);
bool Enabled(Level level);
void Write(Level level, std::string_view message);

inline void Debug(std::string_view m) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, m);
}
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Warning(std::string_view m) { Write(Level::kWarning, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }

}  // namespace trinet::log
