#include "core/daemon.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

#include "core/capture.h"
#include "core/findings_eval.h"
#include "core/log.h"
#include "core/poller.h"
#include "core/proc_self.h"
#include "core/writer.h"
#include "metrics/metrics.h"
#include "register_store.h"
#include "snmp/netsnmp_transport.h"

#ifndef TRINET_VERSION
#define TRINET_VERSION "0.0.0"
#endif

namespace trinet {
namespace {

// A register changes only through `trinetctl inventory apply`, and every apply that
// changed something adds a row to register_applies: its newest id is the generation.
std::int64_t RegisterGeneration(sql::Database& db) {
  sql::Statement s(db, "SELECT coalesce(max(id), 0) FROM register_applies");
  s.Step();
  return s.Int(0);
}

size_t Watched(const Register& reg, const DaemonConfig& c) {
  size_t n = 0;
  for (const auto& d : reg.devices) n += WatchesNetwork(c.networks, d.network);
  return n;
}

void WarnIfNothingWatched(const Register& reg, const DaemonConfig& c) {
  if (Watched(reg, c) == 0) {
    log::Warning(
        "the register has no device on the networks this instance polls; apply one "
        "with `trinetctl inventory apply FILE`");
  }
}

std::string Describe(const CycleSummary& s) {
  std::ostringstream out;
  out.precision(3);
  out << (s.kind == CycleKind::kDiscovery ? "discovery" : "poll") << ": " << s.devices
      << " devices, " << s.up << " up, " << s.down << " down";
  if (s.backing_off) out << " (" << s.backing_off << " backing off)";
  out << " in " << s.seconds << " s; requests " << s.stats.requests << " (ok " << s.stats.ok
      << ", timeout " << s.stats.timeouts << ", auth failure " << s.stats.auth_failures
      << ", tooBig " << s.stats.too_big << ")";
  if (s.decode_issues) out << "; " << s.decode_issues << " values skipped as malformed";
  if (s.stats.non_increasing) out << "; " << s.stats.non_increasing << " walks stopped at a loop";
  if (s.stats.rows_capped) out << "; " << s.stats.rows_capped << " walks cut at the row cap";
  if (s.interrupted) out << "; interrupted";
  return out.str();
}

class Scheduler {
 public:
  /// `reg` and `generation` are what start-up already read, so the first cycle does not read
  /// the register again.
  Scheduler(DaemonConfig config, int argc, const char* const* argv, sql::Database& reader,
            Poller& poller, std::shared_ptr<const Register> reg, std::int64_t generation,
            Capture* capture)
      : config_(std::move(config)),
        argc_(argc),
        argv_(argv),
        reader_(reader),
        poller_(poller),
        reg_(std::move(reg)),
        generation_(generation),
        capture_(capture) {}

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  void Reload() {
    {
      std::lock_guard lock(mu_);
      reload_ = true;
    }
    cv_.notify_all();
  }

  void Run() {
    using Clock = std::chrono::steady_clock;
    auto next_discovery = Clock::now();
    auto next_poll = Clock::now();
    const auto keep_going = [this] { return !stopping(); };
    while (!stopping()) {
      // An exception escaping this thread would end the daemon with std::terminate; a
      // locked or broken database while reading the register is logged and tried again.
      try {
        if (TakeReload()) ApplyReload();
        auto reg = CurrentRegister();
        const auto now = Clock::now();
        if (now >= next_discovery) {
          log::Info("cycle " + Describe(poller_.RunCycle(reg, CycleKind::kDiscovery, keep_going)));
          next_discovery = now + config_.discovery_interval;
          next_poll = now + config_.poll_interval;  // discovery read the interfaces too
        } else if (now >= next_poll) {
          auto summary = poller_.RunCycle(reg, CycleKind::kPoll, keep_going);
          (summary.down ? log::Info : log::Debug)("cycle " + Describe(summary));
          // A cycle longer than the interval starts the next one at once, not a backlog.
          next_poll = std::max(now + config_.poll_interval, Clock::now());
        }
      } catch (const std::exception& e) {
        log::Error(std::string("cycle failed, trying again in 5 s: ") + e.what());
        next_poll = std::max(next_poll, Clock::now() + std::chrono::seconds(5));
        next_discovery = std::max(next_discovery, Clock::now() + std::chrono::seconds(5));
      }
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, std::min(next_discovery, next_poll),
                     [this] { return stop_ || reload_; });
    }
  }

 private:
  bool stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }
  bool TakeReload() {
    std::lock_guard lock(mu_);
    return std::exchange(reload_, false);
  }

  void ApplyReload() {
    auto load = LoadDaemonConfig(argc_, argv_);
    if (!load.config) {
      log::Error("reload: settings not changed, the new ones are invalid: " + load.message);
      return;
    }
    const DaemonConfig& c = *load.config;
    if (c.db != config_.db || c.listen != config_.listen ||
        c.metrics_interface_roles != config_.metrics_interface_roles ||
        c.metrics_drop_admin_down != config_.metrics_drop_admin_down ||
        c.metrics_max_interfaces != config_.metrics_max_interfaces) {
      log::Warning("reload: --db, --listen and --metrics-* take effect only after a restart");
    }
    if (c.captures != config_.captures || c.capture_user != config_.capture_user ||
        c.capture_max_flows != config_.capture_max_flows) {
      log::Warning("reload: --capture* take effect only after a restart");
    }
    log::Level level;
    if (log::ParseLevel(c.log_level, &level)) log::SetLevel(level);
    config_ = c;
    poller_.Configure(c);
    log::Info("reload: settings applied");
  }

  std::shared_ptr<const Register> CurrentRegister() {
    // One read transaction: an apply committing between the generation and the tables, or
    // between two tables, would otherwise give a register that never existed.
    sql::ReadTransaction snapshot(reader_);
    const auto generation = RegisterGeneration(reader_);
    if (generation != generation_) {
      reg_ = std::make_shared<const Register>(LoadRegister(reader_));
      log::Info("register changed: reloaded");
      generation_ = generation;
      WarnIfNothingWatched(*reg_, config_);
      if (capture_) capture_->SetRegister(reg_);  // from the capture's next window
    }
    return reg_;
  }

  DaemonConfig config_;
  int argc_;
  const char* const* argv_;
  sql::Database& reader_;
  Poller& poller_;
  std::shared_ptr<const Register> reg_;
  std::int64_t generation_;
  Capture* capture_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool reload_ = false;
};

}  // namespace

int RunDaemon(const DaemonConfig& config, int argc, const char* const* argv) {
  log::Level level;
  if (log::ParseLevel(config.log_level, &level)) log::SetLevel(level);

  // Live capture: the handles are opened first, while the process may still be privileged,
  // then it switches to --capture-user before it opens the database or starts any thread,
  // so that nothing else ever runs privileged (like tcpdump -Z). --check-config and --once
  // do not capture (the filters were compiled when the settings were loaded).
  std::unique_ptr<Capture> capture;
  if (!config.captures.empty() && !config.check_config && !config.once) {
    CaptureOptions options;
    options.max_flows = config.capture_max_flows;
    options.window = config.poll_interval;
    std::string error;
    capture = Capture::Open(config.captures, options, &error);
    if (!capture) {
      std::cerr << "trinetd: " << error << "\n";
      return 3;
    }
    if (config.capture_user) {
      if (!DropPrivileges(*config.capture_user, &error)) {
        std::cerr << "trinetd: " << error << "\n";
        return 3;
      }
      log::Info("capture handles open; now running as user " + *config.capture_user);
    } else if (geteuid() == 0) {
      log::Warning(
          "capturing as root: give --capture-user USER to drop privileges once the capture "
          "is open, or run as an unprivileged user with CAP_NET_RAW (docs/pcap.md)");
    }
  } else if (!config.captures.empty() && config.once) {
    log::Info("--once does not capture; the --capture sources are ignored");
  }

  sql::Database reader = sql::Database::Open(config.db);
  std::shared_ptr<const Register> reg;
  std::int64_t generation = 0;
  {
    sql::ReadTransaction snapshot(reader);
    generation = RegisterGeneration(reader);
    reg = std::make_shared<const Register>(LoadRegister(reader));
  }
  const size_t watched = Watched(*reg, config);

  if (config.check_config) {
    std::cout << "trinetd: settings valid; database " << config.db.string()
              << "; register: " << reg->devices.size() << " devices, " << watched
              << " on the networks this instance polls; /metrics on " << config.listen << "\n";
    return 0;
  }
  if (config.once && watched == 0) {
    std::cerr << "trinetd: no device to poll: the register in " << config.db.string()
              << " has none on the networks this instance polls\n";
    return 1;
  }

  // Signals are taken by this thread alone (sigwait below); every thread started from here
  // inherits the mask, so none of them is interrupted in the middle of a write.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  // --once keeps the default dispositions, so Ctrl-C and SIGTERM stop it at once (the
  // store is safe: every batch is one transaction).
  if (!config.once) pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SnapshotHolder snapshots;
  findings::RuleOptions rule_options;
  rule_options.stale_after_seconds = config.stale_after.count();
  rule_options.department_rooms_frozen_since = config.department_rooms_frozen_since;
  rule_options.pcap_evidence_seconds = config.pcap_evidence.count();
  ObservationWriter writer(config.db, FindingsEvaluator(snapshots, rule_options));
  // The capture threads use the writer and the snapshots: whatever ends this function, they
  // stop before those are destroyed.
  struct StopCapture {
    Capture* capture;
    ~StopCapture() {
      if (capture) capture->Stop();
    }
  } stop_capture{capture.get()};
  snmp::NetSnmpTransport transport;
  Poller poller(transport, writer, snapshots, TRINET_VERSION, config);

  if (config.once) {
    // Each cycle is written and its findings evaluated before the next starts, so the CPU
    // figure of each (the whole process's, from /proc/self/stat) holds all of its work.
    const auto cpu_start = ProcessCpuSeconds();
    const auto discovery = poller.RunCycle(reg, CycleKind::kDiscovery, {});
    writer.Flush();
    const auto cpu_discovered = ProcessCpuSeconds();
    const auto poll = poller.RunCycle(reg, CycleKind::kPoll, {});
    writer.Flush();
    const auto cpu_polled = ProcessCpuSeconds();
    auto cpu = [](std::optional<double> from, std::optional<double> to) {
      std::ostringstream out;
      out.precision(3);
      if (from && to) out << "; cpu " << *to - *from << " s (polling, storing, findings)";
      return out.str();
    };
    std::cout << "trinetd --once\n  " << Describe(discovery) << cpu(cpu_start, cpu_discovered)
              << "\n  " << Describe(poll) << cpu(cpu_discovered, cpu_polled) << "\n";
    for (const auto& [id, reason] : poll.down_devices) {
      std::cout << "  down: " << id << ": " << reason << "\n";
    }
    std::map<std::string, int> by_severity;
    size_t open = 0;
    for (const auto& f : snapshots.GetFindings()->findings) {
      if (f.state == findings::kResolved) continue;
      ++open;
      ++by_severity[f.severity];
    }
    std::cout << "  findings: " << open << " not resolved";
    for (const char* sev : {findings::kCritical, findings::kMajor, findings::kMinor}) {
      if (by_severity[sev]) std::cout << ", " << by_severity[sev] << " " << sev;
    }
    std::cout.precision(3);
    std::cout << " (evaluated in " << snapshots.GetFindings()->evaluation_duration_seconds
              << " s; trinetctl findings)\n";
    std::cout << "  stored in " << config.db.string() << "\n";
    if (const auto peak = PeakRssBytes()) {
      std::cout << "  peak resident memory " << (*peak + (1 << 19)) / (1 << 20) << " MiB\n";
    }
    return writer.batches_failed() ? 3 : 0;
  }

  metrics::MetricsOptions metrics_options;
  metrics_options.interface_roles = config.metrics_interface_roles;
  metrics_options.drop_admin_down_interfaces = config.metrics_drop_admin_down;
  if (config.metrics_max_interfaces) {
    metrics_options.max_interfaces_per_device = static_cast<size_t>(*config.metrics_max_interfaces);
  }
  metrics::MetricsServer metrics(config.listen, snapshots, metrics_options);
  log::Info("trinetd " TRINET_VERSION " polling " + std::to_string(watched) +
            " devices; /metrics on " + config.listen);
  WarnIfNothingWatched(*reg, config);
  if (capture) {
    capture->Start(writer, snapshots, reg);
    std::string names;
    for (const auto& c : config.captures) {
      names += (names.empty() ? "" : ", ") + c.interface + " (" + c.network +
               (c.filter.empty() ? "" : ", filter " + c.filter) + ")";
    }
    log::Info("capturing on " + names);
  }
  Scheduler scheduler(config, argc, argv, reader, poller, reg, generation, capture.get());
  std::thread loop([&scheduler] { scheduler.Run(); });
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log::Info("SIGHUP: reloading settings");
      scheduler.Reload();
      continue;
    }
    log::Info(std::string("signal ") + (sig == SIGTERM ? "TERM" : "INT") +
              ": finishing the current write, then exiting");
    break;
  }
  scheduler.Stop();
  loop.join();
  if (capture) capture->Stop();  // its last window goes to the writer, written below
  writer.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace trinet
