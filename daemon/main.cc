// trinetd: polls the registered devices of the three networks and serves /metrics.
// Exit codes: 0 ok, 1 invalid input, 2 usage, 3 runtime failure.

#include <iostream>

#include "core/config.h"
#include "core/daemon.h"

int main(int argc, char** argv) {
  auto load = trinet::LoadDaemonConfig(argc, argv);
  if (!load.config) {
    (load.exit_code == 0 ? std::cout : std::cerr) << load.message << "\n";
    return load.exit_code;
  }
  try {
    return trinet::RunDaemon(*load.config, argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "trinetd: " << e.what() << "\n";
    return 3;
  }
}
