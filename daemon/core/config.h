#pragma once
// trinetd's settings: command-line flags, optionally from a config file (TOML or INI, via
// CLI11). Every value is validated when loaded, so a running daemon never meets a bad one;
// SIGHUP loads the file again and keeps the old settings if the new ones are invalid.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/capture.h"

namespace trinet {

struct DaemonConfig {
  std::filesystem::path db;               ///< default $TRINET_DB, else ./var/trinet.db
  std::string listen = "127.0.0.1:9870";  ///< /metrics address
  std::optional<std::filesystem::path> config_file;
  std::chrono::seconds poll_interval{60};
  std::chrono::seconds discovery_interval{900};
  std::chrono::milliseconds timeout{2000};  ///< per SNMP request
  int retries = 1;
  int per_device_requests = 2;            ///< requests in flight per agent
  /// Devices polled at once. Each holds its walk results until it is done (~0.3 MB for a
  /// 48-port switch at discovery), so this bounds the poller's memory as well as its load.
  int max_devices_in_flight = 250;
  int max_repetitions = 25;               ///< GETBULK max-repetitions to start with
  int max_table_rows = 10000;             ///< per column; routes, ARP and FDB can be huge
  std::chrono::seconds backoff_base{60};  ///< first retry delay of an unreachable device
  std::chrono::seconds backoff_max{900};  ///< longest retry delay
  std::vector<std::string> networks;      ///< networks this instance polls; empty: all
  std::string log_level = "info";
  /// Cardinality controls of /metrics (docs/metrics.md): interface series only for devices
  /// of these roles (empty: all), without admin-down interfaces, at most N per device.
  std::vector<std::string> metrics_interface_roles;
  bool metrics_drop_admin_down = false;
  std::optional<int> metrics_max_interfaces;
  /// Findings (docs/findings.md): a room silent this long is stale; department rooms are
  /// frozen from this date.
  std::chrono::seconds stale_after{7 * 24 * 3600};
  std::string department_rooms_frozen_since = "2013-12-01";
  /// rogue-exit counts capture evidence for this long after it was recorded.
  std::chrono::seconds pcap_evidence{7 * 24 * 3600};
  /// Live capture (docs/pcap.md "Live capture"): `--capture IFACE:NETWORK[:FILTER]`
  /// sources, the user to switch to once their handles are open (none: stay as started),
  /// and the flow table's cap per source.
  std::vector<CaptureSource> captures;
  std::optional<std::string> capture_user;
  std::size_t capture_max_flows = 100000;
  bool check_config = false;
  bool once = false;
};

struct ConfigLoad {
  std::optional<DaemonConfig> config;  ///< set when the command line and file are valid
  int exit_code = 0;    ///< when config is empty: 0 after --help, 2 for a usage error
  std::string message;  ///< help text or the error, to print as it is
};

/// Parses argv (and the --config file it names). Pure but for reading that file.
ConfigLoad LoadDaemonConfig(int argc, const char* const* argv);

/// "host:port" split and checked; IPv6 as [addr]:port.
bool ParseListenAddress(const std::string& text, std::string* host, int* port, std::string* error);

}  // namespace trinet
