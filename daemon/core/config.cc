#include "core/config.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "core/log.h"
#include "findings/rule_context.h"
#include "register/ip.h"
#include "register/register.h"

namespace trinet {

bool ParseListenAddress(const std::string& text, std::string* host, int* port, std::string* error) {
  auto m = ParseManagementAddress(text, error);
  if (!m) return false;
  if (text.find(':') == std::string::npos ||
      (text.front() == '[' && text.find("]:") == std::string::npos)) {
    *error = "'" + text + "' needs a port, e.g. 127.0.0.1:9870";
    return false;
  }
  *host = m->host;
  *port = m->port;
  return true;
}

ConfigLoad LoadDaemonConfig(int argc, const char* const* argv) {
  DaemonConfig c;
  const char* env = std::getenv("TRINET_DB");
  c.db = env && *env ? std::filesystem::path(env) : std::filesystem::path("var") / "trinet.db";

  CLI::App app{
      "trinetd: polls every registered device over SNMP, keeps what it observes in the store "
      "and serves it to Prometheus at /metrics.",
      "trinetd"};
  app.set_config("--config", "", "Config file (TOML or INI) with the same keys as the flags");
  app.add_option("--db", c.db, "SQLite database (default: $TRINET_DB, else ./var/trinet.db)");
  app.add_option("--listen", c.listen, "Address for /metrics")->capture_default_str();
  int poll = 60, discovery = 900, backoff_base = 60, backoff_max = 900;
  double timeout = 2.0;
  app.add_option("--poll-interval", poll, "Seconds between polls (interfaces, UPS, sensors)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--discovery-interval", discovery,
                 "Seconds between discoveries (addresses, routes, neighbours, …)")
      ->capture_default_str()
      ->check(CLI::Range(10, 7 * 86400));
  app.add_option("--timeout", timeout, "Seconds to wait for one SNMP reply")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 60.0));
  app.add_option("--retries", c.retries, "Retries of an unanswered request")
      ->capture_default_str()
      ->check(CLI::Range(0, 10));
  app.add_option("--per-device-requests", c.per_device_requests,
                 "Requests in flight to one agent at most (never flood a device)")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--max-devices-in-flight", c.max_devices_in_flight, "Devices polled at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-repetitions", c.max_repetitions, "GETBULK max-repetitions")
      ->capture_default_str()
      ->check(CLI::Range(1, 200));
  app.add_option("--max-table-rows", c.max_table_rows, "Rows read per table column at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app.add_option("--backoff-base", backoff_base,
                 "Seconds before an unreachable device is tried again (doubles each failure)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--backoff-max", backoff_max, "Longest retry delay for an unreachable device")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 86400));
  app.add_option("--networks", c.networks,
                 "Networks this instance polls (external, internal, classified; default all). "
                 "Run one instance per network so the monitor never joins them.")
      ->check(CLI::IsMember(enums::kNetworkIds))
      ->delimiter(',');
  app.add_option("--log-level", c.log_level, "debug, info, warning or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  app.add_option("--metrics-interface-roles", c.metrics_interface_roles,
                 "Export interface series only for devices of these roles (default: all)")
      ->check(CLI::IsMember(enums::kDeviceRoles))
      ->delimiter(',');
  app.add_flag("--metrics-drop-admin-down", c.metrics_drop_admin_down,
               "Leave interfaces that are administratively down out of /metrics");
  app.add_option("--metrics-max-interfaces", c.metrics_max_interfaces,
                 "Export at most this many interfaces per device")
      ->check(CLI::Range(0, 1000000));
  double stale_days = 7;
  app.add_option("--stale-after-days", stale_days,
                 "Days of silence after which an active room is a stale register entry")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3650.0));
  app.add_option("--department-rooms-frozen-since", c.department_rooms_frozen_since,
                 "Date (YYYY-MM-DD) from which department rooms may not expand (M2 art. 4)")
      ->capture_default_str()
      ->check([](const std::string& v) {
        return findings::DateToUnix(v) ? std::string() : "not a date (YYYY-MM-DD): " + v;
      });
  double pcap_evidence_days = 7;
  app.add_option("--pcap-evidence-days", pcap_evidence_days,
                 "Days for which what a capture found counts as rogue-exit evidence after it "
                 "was recorded")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3650.0));
  std::vector<std::string> captures;
  app.add_option("--capture", captures,
                 "Watch traffic passively on IFACE (a mirror port) as part of NETWORK, with an "
                 "optional BPF filter: IFACE:NETWORK[:FILTER]; repeat for more sources "
                 "(docs/pcap.md). Needs root or CAP_NET_RAW; never transmits")
      ->allow_extra_args(false)
      ->type_name("IFACE:NETWORK[:FILTER]");
  app.add_option("--capture-user", c.capture_user,
                 "Switch to this user once the capture handles are open (like tcpdump -Z)")
      ->check([](const std::string& v) {
        return v.empty() ? std::string("empty user name") : std::string();
      });
  app.add_option("--capture-max-flows", c.capture_max_flows,
                 "Flows held per capture source at most; beyond, the least active are "
                 "evicted (and counted)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  app.add_flag("--check-config", c.check_config,
               "Validate the settings and the register, then exit");
  app.add_flag("--once", c.once,
               "Run one discovery and one poll, print a summary and exit (no /metrics)");

  ConfigLoad out;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out.message = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    out.exit_code = 2;
    out.message = std::string("trinetd: ") + e.what() + "\nRun with --help for the options.";
    return out;
  }
  c.poll_interval = std::chrono::seconds(poll);
  c.stale_after = std::chrono::seconds(static_cast<long>(stale_days * 86400));
  c.pcap_evidence = std::chrono::seconds(static_cast<long>(pcap_evidence_days * 86400));
  c.discovery_interval = std::chrono::seconds(discovery);
  c.timeout = std::chrono::milliseconds(static_cast<long>(timeout * 1000));
  c.backoff_base = std::chrono::seconds(backoff_base);
  c.backoff_max = std::chrono::seconds(backoff_max);
  if (auto* opt = app.get_option_no_throw("--config"); opt && opt->count() > 0) {
    c.config_file = opt->as<std::string>();
  }

  std::string host, error;
  int port = 0;
  if (!ParseListenAddress(c.listen, &host, &port, &error)) {
    out.exit_code = 2;
    out.message = "trinetd: --listen: " + error;
    return out;
  }
  if (c.backoff_max < c.backoff_base) {
    out.exit_code = 2;
    out.message = "trinetd: --backoff-max must not be shorter than --backoff-base";
    return out;
  }
  for (const std::string& text : captures) {
    CaptureSource source;
    if (!ParseCaptureSource(text, &source, &error) ||
        !ValidateCaptureFilter(source.filter, &error)) {
      out.exit_code = 2;
      out.message = "trinetd: --capture " + text + ": " + error;
      return out;
    }
    // One instance never joins networks (docs/architecture.md): it captures only on the
    // networks it polls.
    if (!WatchesNetwork(c.networks, source.network)) {
      out.exit_code = 2;
      out.message = "trinetd: --capture " + text + ": network " + source.network +
                    " is not one this instance watches (--networks)";
      return out;
    }
    for (const CaptureSource& other : c.captures) {
      if (other.interface == source.interface) {
        out.exit_code = 2;
        out.message = "trinetd: --capture " + text + ": interface " + source.interface +
                      " is captured twice; one source per interface";
        return out;
      }
    }
    c.captures.push_back(std::move(source));
  }
  out.config = std::move(c);
  return out;
}

}  // namespace trinet
