#pragma once
// trinetd's life: open the store, load the register, then either check the settings, run
// one discovery and one poll (--once), or serve /metrics and poll on schedule until SIGTERM.
// SIGHUP reloads the settings and keeps the old ones when the new ones are invalid.

#include "core/config.h"

namespace trinet {

/// Runs the daemon; argv is kept to read the config file again on SIGHUP. Returns the
/// process exit code (0 ok, 1 invalid input such as an empty register for --once,
/// 3 runtime failure).
int RunDaemon(const DaemonConfig& config, int argc, const char* const* argv);

}  // namespace trinet
