// The /metrics exposition benchmark's server (tools/bench/exposition, docs/BENCHMARKS.md):
// builds a synthetic but realistic register and snapshot of about N series and serves it on
// 127.0.0.1 through the real MetricsServer, or through prometheus-cpp's Exposer and
// TextSerializer as trinetd did before issue 7, for before/after figures in one run.
//
//   trinet_bench_exposition [--series N] [--ports P] [--listen ADDR] [--threads T]
//                           [--mode trinet|prometheus-cpp] [--dump FILE] [--render-only R]
//
// Prints `series N devices D`, `port P` and `ready`, then waits: SIGHUP publishes a fresh copy
// of the snapshot and findings (as a poll cycle does, so the next scrape renders again) and
// prints `published`; SIGTERM or SIGINT stop it (exit 0). --dump FILE writes the body (in the
// chosen mode's serializer) to FILE and exits; --render-only R renders R times without
// serving and prints the first render's and the others' median milliseconds (for perf).
//
// The network: 14 platforms (a city and 13 counties), 10 devices per room, one unit per room,
// every device a 48-port switch (roles core, distribution, access) with ifName
// GigabitEthernet1/0/N, HC counters in the 10^9..10^13 range, 1 in 50 devices down (no
// interface series, a reason), 1 in 8 ports admin down; one UPS with two sensors per room;
// two sanctioned exits; one finding per 20 devices (most open) over the rules of
// docs/findings.md. Room, unit and administrator names are Chinese (UTF-8), as in production.

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "metrics/text_format.h"

namespace {

using trinet::CaptureSnapshot;
using trinet::DeviceSnapshot;
using trinet::FindingSnapshot;
using trinet::FindingsSnapshot;
using trinet::InterfaceSnapshot;
using trinet::Register;
using trinet::Snapshot;
using trinet::SnapshotHolder;

// Series of one up device with `ports` interfaces, all values present: 4 device series and 9
// per interface (oper, admin, speed, rx, tx, errors x2, discards x2).
std::size_t SeriesPerDevice(std::size_t ports) { return 4 + 9 * ports; }

struct Network {
  std::shared_ptr<const Snapshot> snapshot;
  std::shared_ptr<const FindingsSnapshot> findings;
  std::size_t devices = 0;
};

std::string Pad(std::size_t n, int width) {
  std::string s = std::to_string(n);
  if (static_cast<int>(s.size()) < width)
    s.insert(0, static_cast<std::size_t>(width) - s.size(), '0');
  return s;
}

Network Build(std::size_t series, std::size_t ports) {
  const std::size_t devices = std::max<std::size_t>(1, series / SeriesPerDevice(ports));
  const std::size_t rooms = std::max<std::size_t>(1, devices / 10);
  const char* counties[] = {"渭城", "秦都", "兴平", "三原", "泾阳", "乾县", "礼泉",
                            "永寿", "长武", "旬邑", "淳化", "武功", "彬州"};
  const char* networks[] = {"external", "internal", "classified"};
  const char* roles[] = {"core", "distribution", "access", "access", "access"};

  auto reg = std::make_shared<Register>();
  reg->networks = {{"external", "政务外网", {"10.64.0.0/12"}},
                   {"internal", "内网", {"10.32.0.0/12"}},
                   {"classified", "机要保密网", {"10.16.0.0/12"}}};
  reg->platforms.push_back({"city", "市级平台", "city", std::nullopt, std::nullopt});
  for (std::size_t c = 0; c < std::size(counties); ++c) {
    reg->platforms.push_back({"county-" + Pad(c, 2), std::string(counties[c]) + "区平台", "county",
                              "city", std::nullopt});
  }
  for (std::size_t r = 0; r < rooms; ++r) {
    const std::string& platform = reg->platforms[r % reg->platforms.size()].id;
    const std::string unit = "unit-" + Pad(r, 4);
    trinet::Admin admin{"王芳", "+86 29 3300 " + Pad(r, 4), "admin" + Pad(r, 4) + "@gov.example"};
    reg->units.push_back({unit, "财政局" + Pad(r, 4), platform,
                          r % 7 == 3 ? std::nullopt : std::optional<trinet::Admin>(admin)});
    const bool central = r % 5 == 0;
    reg->rooms.push_back({"room-" + Pad(r, 4), "机房 " + Pad(r, 4), unit, platform,
                          central ? "central" : "department",
                          central ? "active" : (r % 3 == 0 ? "consolidating" : "active"),
                          central ? std::nullopt : std::optional<std::string>("2027-06-30"),
                          std::nullopt});
  }
  for (std::size_t d = 0; d < devices; ++d) {
    trinet::Device dev;
    dev.id = "sw-" + Pad(d, 5);
    dev.room = reg->rooms[d % rooms].id;
    dev.network = networks[d % 3];
    dev.role = roles[d % std::size(roles)];
    dev.address = "10.32." + std::to_string(d / 250) + "." + std::to_string(d % 250 + 1);
    dev.credentials = "v2c";
    reg->devices.push_back(std::move(dev));
  }
  for (std::size_t r = 0; r < rooms; ++r) {  // one UPS per room
    trinet::Device ups;
    ups.id = "ups-" + Pad(r, 4);
    ups.room = reg->rooms[r].id;
    ups.network = "internal";
    ups.role = "ups";
    ups.address = "10.33." + std::to_string(r / 250) + "." + std::to_string(r % 250 + 1);
    ups.credentials = "v2c";
    reg->devices.push_back(std::move(ups));
  }
  for (int e = 0; e < 2; ++e) {
    trinet::Egress exit;
    exit.id = "exit-" + std::to_string(e);
    exit.platform = "city";
    exit.network = "external";
    exit.device = "sw-" + Pad(static_cast<std::size_t>(e) * 3, 5);  // external devices
    exit.interface = "GigabitEthernet1/0/1";
    reg->egress.push_back(std::move(exit));
  }

  auto snap = std::make_shared<Snapshot>();
  snap->reg = reg;
  snap->version = "0.1.0-bench";
  std::uint64_t seed = 0x9E3779B97F4A7C15ULL;
  const auto next = [&seed] {  // xorshift: the same network at every run
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  for (std::size_t d = 0; d < devices; ++d) {
    DeviceSnapshot ds;
    ds.id = reg->devices[d].id;
    ds.last_poll_timestamp_seconds = 1798761600 + static_cast<double>(d % 60);
    ds.poll_duration_seconds = 0.05 + static_cast<double>(next() % 1000) / 1000.0;
    ds.up = d % 50 != 49;
    if (!ds.up) {
      ds.reason = "timeout: no response from " + reg->devices[d].address + ":161";
    } else {
      ds.interfaces.reserve(ports);
      for (std::size_t p = 1; p <= ports; ++p) {
        InterfaceSnapshot i;
        i.ifindex = static_cast<std::int64_t>(10100 + p);
        i.name = "GigabitEthernet1/0/" + std::to_string(p);
        i.descr = i.name;
        i.admin_up = p % 8 != 0;
        i.oper_up = *i.admin_up && p % 3 != 0;
        i.speed_bits = p > 44 ? 1e10 : 1e9;
        i.receive_bytes = 1000000000ULL + next() % 10000000000000ULL;
        i.transmit_bytes = 1000000000ULL + next() % 10000000000000ULL;
        i.receive_errors = next() % 100;
        i.transmit_errors = next() % 10;
        i.receive_discards = next() % 10000;
        i.transmit_discards = next() % 100000;
        ds.interfaces.push_back(std::move(i));
      }
    }
    snap->devices.emplace(ds.id, std::move(ds));
  }
  for (std::size_t r = 0; r < rooms; ++r) {
    DeviceSnapshot ups;
    ups.id = "ups-" + Pad(r, 4);
    ups.up = true;
    ups.poll_duration_seconds = 0.02;
    ups.last_poll_timestamp_seconds = 1798761600;
    trinet::UpsSnapshot u;
    u.on_battery = r % 40 == 7;
    u.seconds_on_battery = *u.on_battery ? 300 : 0;
    u.minutes_remaining = 42.5;
    u.charge_ratio = 0.97;
    u.output_load_ratio = 0.31;
    u.input_voltage = 229.5;
    ups.ups = u;
    ups.sensors = {{"进风口", "temperature", 23.5}, {"进风口", "humidity", 0.45}};
    snap->devices.emplace(ups.id, std::move(ups));
  }
  snap->self.poll_cycle_duration_seconds = 12.5;
  snap->self.discovery_cycle_duration_seconds = 95;
  snap->self.poll_interval_seconds = 60;
  snap->self.snmp_requests = {{"ok", 123456789}, {"timeout", 4321}, {"auth_failure", 3}};
  snap->self.snmp_anomalies = {{"too_big", 2}, {"no_such_object", 77}};
  snap->self.poll_cycles = 1440;
  snap->self.discovery_cycles = 96;

  auto findings = std::make_shared<FindingsSnapshot>();
  findings->evaluated_at_seconds = 1798761660;
  findings->evaluation_duration_seconds = 0.8;
  const char* rules[][3] = {{"rogue-exit", "route", "critical"},
                            {"network-bridge", "lldp-neighbour", "critical"},
                            {"orphan-room", "overdue", "major"},
                            {"device-unreachable", "no-answer", "major"},
                            {"unregistered-device", "lldp", "minor"}};
  const char* states[] = {"open", "open", "open", "acknowledged", "waived", "resolved"};
  for (std::size_t k = 0; k < devices / 20; ++k) {
    const std::size_t d = k * 20 + 7;
    const auto& dev = reg->devices[d];
    const auto& room = reg->rooms[d % rooms];
    const auto* rule = rules[k % std::size(rules)];
    findings->findings.push_back(FindingSnapshot{
        std::string(rule[0]) + ":device:" + dev.id, rule[0], rule[1], rule[2],
        states[k % std::size(states)], dev.network, room.platform, room.id, *room.unit, dev.id});
  }
  for (const auto& room : reg->rooms) ++findings->rooms[{room.platform, room.kind, room.status}];
  for (const auto& p : reg->platforms) {
    findings->rooms_overdue[p.id] = 0;
    findings->units_without_admin[p.id] = 0;
  }
  for (const auto& u : reg->units) {
    if (!u.admin) ++findings->units_without_admin[u.platform];
  }
  return {snap, findings, devices};
}

std::string Arg(int argc, char** argv, const char* name, const char* fallback) {
  const std::string flag = std::string("--") + name;
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == flag && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], (flag + "=").c_str(), flag.size() + 1) == 0) {
      return argv[i] + flag.size() + 1;
    }
  }
  return fallback;
}

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "trinet_bench_exposition: %s\nusage: trinet_bench_exposition [--series N] "
               "[--ports P] [--listen ADDR] [--threads T] [--mode trinet|prometheus-cpp] "
               "[--dump FILE] [--render-only RUNS]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {  // --flag VALUE or --flag=VALUE, nothing else
    if (std::strncmp(argv[i], "--", 2) != 0) Usage("unexpected argument");
    if (std::strchr(argv[i], '=') == nullptr) ++i;
  }
  const std::size_t series = std::stoul(Arg(argc, argv, "series", "100000"));
  const std::size_t ports = std::stoul(Arg(argc, argv, "ports", "48"));
  const std::string listen = Arg(argc, argv, "listen", "127.0.0.1:0");
  const std::size_t threads = std::stoul(Arg(argc, argv, "threads", "2"));
  const std::string mode = Arg(argc, argv, "mode", "trinet");
  const std::string dump = Arg(argc, argv, "dump", "");
  const int render_only = std::stoi(Arg(argc, argv, "render-only", "0"));
  if (mode != "trinet" && mode != "prometheus-cpp") Usage("--mode is trinet or prometheus-cpp");

  // Blocked before any server thread starts, so that every thread inherits the mask and only
  // sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Network net = Build(series, ports);
  SnapshotHolder holder;
  holder.Publish(net.snapshot);
  holder.PublishFindings(net.findings);
  const trinet::metrics::SnapshotCollectable collectable(holder);

  const auto render = [&] {
    if (mode == "trinet") return collectable.RenderText(*net.snapshot, *net.findings);
    return prometheus::TextSerializer().Serialize(collectable.Render(*net.snapshot, *net.findings));
  };
  if (!dump.empty()) {
    std::ofstream(dump, std::ios::binary) << render();
    return 0;
  }
  if (render_only > 0) {
    // trinet: the way Exposition renders, into one buffer reused from the second render on
    // (the first writes fresh pages); prometheus-cpp: a new text each time, as it did.
    std::vector<double> ms;
    std::string text, scratch;
    for (int r = 0; r < render_only; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      if (mode == "trinet") {
        text.clear();
        trinet::metrics::text::Reserve(text, trinet::metrics::EstimateTextSize(*net.snapshot));
        collectable.AppendCycleText(text, *net.snapshot, *net.findings, &scratch);
      } else {
        text = render();
      }
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    const double first = ms.front();
    std::sort(ms.begin() + 1, ms.end());
    std::printf("mode %s: %zu bytes, first render %.1f ms, median of the others %.1f ms (%d)\n",
                mode.c_str(), text.size(), first, ms.size() > 1 ? ms[ms.size() / 2] : first,
                render_only);
    return 0;
  }

  std::unique_ptr<trinet::metrics::MetricsServer> server;
  // The Exposer keeps a weak pointer only; declared first, so that it outlives the Exposer.
  std::shared_ptr<trinet::metrics::SnapshotCollectable> registered;
  std::unique_ptr<prometheus::Exposer> exposer;
  int port = 0;
  try {
    if (mode == "trinet") {
      server = std::make_unique<trinet::metrics::MetricsServer>(
          listen, holder, trinet::metrics::MetricsOptions{}, threads);
      port = server->port();
    } else {
      exposer = std::make_unique<prometheus::Exposer>(listen, threads);
      registered = std::make_shared<trinet::metrics::SnapshotCollectable>(holder);
      exposer->RegisterCollectable(registered);
      port = exposer->GetListeningPorts().front();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trinet_bench_exposition: %s\n", e.what());
    return 3;
  }
  std::printf("series %zu devices %zu\nport %d\nready\n", net.devices * SeriesPerDevice(ports),
              net.devices, port);
  std::fflush(stdout);

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) return 3;
    if (sig != SIGHUP) break;
    // A new cycle: fresh copies, so that every cache keyed by the snapshots misses.
    holder.Publish(std::make_shared<const Snapshot>(*net.snapshot));
    holder.PublishFindings(std::make_shared<const FindingsSnapshot>(*net.findings));
    std::printf("published\n");
    std::fflush(stdout);
  }
  return 0;
}
