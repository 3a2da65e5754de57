#include "core/poller.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "core/log.h"

namespace trinet {
namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void CountRequests(std::map<std::string, std::uint64_t>& out, const snmp::PollStats& s) {
  out["ok"] += s.ok;
  out["timeout"] += s.timeouts;
  out["auth_failure"] += s.auth_failures;
  out["send_failure"] += s.send_failures;
  out["decode_failure"] += s.decode_failures;
}

void CountAnomalies(std::map<std::string, std::uint64_t>& out, const snmp::PollStats& s,
                    std::uint64_t malformed) {
  out["too_big"] += s.too_big;
  out["non_increasing_oid"] += s.non_increasing;
  out["rows_capped"] += s.rows_capped;
  out["error_status"] += s.error_status;
  out["no_such_object"] += s.exceptions;
  out["malformed_value"] += malformed;
}

}  // namespace

Poller::Poller(snmp::Transport& transport, ObservationWriter& writer, SnapshotHolder& snapshots,
               std::string version, const DaemonConfig& config)
    : transport_(transport),
      writer_(writer),
      snapshots_(snapshots),
      version_(std::move(version)),
      config_(config),
      backoff_(config.backoff_base, config.backoff_max) {
  // Every result label exists from the start, so a rate over it is defined at once.
  CountRequests(self_.snmp_requests, {});
  CountAnomalies(self_.snmp_anomalies, {}, 0);
  // Until the first cycle ends, /metrics still says which trinet runs and what it watches.
  auto initial = std::make_shared<Snapshot>();
  initial->self = self_;
  initial->version = version_;
  initial->networks = config_.networks;
  published_ = initial;
  snapshots_.Publish(std::move(initial));
}

void Poller::Configure(const DaemonConfig& config) {
  // A reload that leaves the back-off alone keeps what it knows of dead devices; otherwise
  // every one of them would be retried at once.
  if (config.backoff_base != config_.backoff_base || config.backoff_max != config_.backoff_max) {
    backoff_ = snmp::UnreachableBackoff(config.backoff_base, config.backoff_max);
  }
  config_ = config;
}

bool Poller::Watched(const Device& d) const { return WatchesNetwork(config_.networks, d.network); }

CycleSummary Poller::RunCycle(std::shared_ptr<const Register> reg, CycleKind kind,
                              const std::function<bool()>& keep_going) {
  const auto started = std::chrono::steady_clock::now();
  CycleSummary summary;
  summary.kind = kind;
  std::map<std::string, const Credential*> credentials;
  for (const auto& c : reg->credentials) credentials[c.id] = &c;

  // Devices that answered last time go first, those never polled next, known-dead ones
  // last: a cycle's first minutes are spent where answers come back.
  std::vector<const Device*> order;
  for (const auto& d : reg->devices) {
    if (Watched(d)) order.push_back(&d);
  }
  auto previous = [this](const std::string& id) -> const DeviceSnapshot* {
    auto it = published_->devices.find(id);
    return it == published_->devices.end() ? nullptr : &it->second;
  };
  auto rank = [&previous](const Device* d) {
    const DeviceSnapshot* p = previous(d->id);
    return p == nullptr ? 1 : p->up ? 0 : 2;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](const Device* a, const Device* b) { return rank(a) < rank(b); });
  summary.devices = order.size();

  snmp::PollEngine engine(
      transport_, {.per_device_in_flight = config_.per_device_requests,
                   .max_repetitions = config_.max_repetitions,
                   .max_oids_per_request = 16,
                   .max_devices_in_flight = static_cast<size_t>(config_.max_devices_in_flight)});
  std::map<std::string, DeviceSnapshot> devices;  // this cycle's, by id
  std::vector<DeviceObservation> batch;
  const auto now = snmp::UnreachableBackoff::Clock::now();
  for (const Device* d : order) {
    if (!backoff_.ShouldPoll(d->id, now)) {
      ++summary.backing_off;
      ++summary.down;
      const DeviceSnapshot* before = previous(d->id);
      auto& snap = devices[d->id] = before ? *before : DeviceSnapshot{};
      snap.id = d->id;
      snap.up = false;
      if (snap.reason.empty()) snap.reason = "unreachable; tried again after a back-off";
      summary.down_devices.emplace_back(d->id, snap.reason);
      continue;
    }
    const Credential* credential = credentials.at(d->credentials);
    DeviceMemory* memory = &memory_[d->id];
    auto make_job = [this, d, credential, kind, memory] {
      return BuildJob(*d, *credential, kind, *memory, config_.timeout, config_.retries,
                      static_cast<size_t>(config_.max_table_rows));
    };
    engine.Submit(make_job,
                  [this, d, kind, memory, &summary, &batch, &devices](snmp::PollResult&& r) {
                    summary.stats += r.stats;
                    if (r.reachable) {
                      ++summary.up;
                      backoff_.RecordSuccess(d->id);
                    } else {
                      ++summary.down;
                      backoff_.RecordFailure(d->id, snmp::UnreachableBackoff::Clock::now());
                      summary.down_devices.emplace_back(d->id, r.error);
                      log::Debug("device " + d->id + " down: " + r.error);
                    }
                    DeviceOutput out = Observe(*d, std::move(r), kind, *memory, NowMs());
                    summary.decode_issues += out.decode_issues;
                    devices[d->id] = std::move(out.snapshot);
                    batch.push_back(std::move(out.observation));
                    if (batch.size() >= 500) writer_.Submit(std::exchange(batch, {}));
                  });
  }
  engine.Run(keep_going);
  summary.interrupted = engine.pending() > 0;
  writer_.Submit(std::move(batch));
  // The rules run on a whole cycle's observations only: an interrupted one would resolve
  // findings whose evidence was simply not read again.
  if (!summary.interrupted) {
    writer_.EndCycle({kind == CycleKind::kDiscovery, reg, NowMs() / 1000});
  }

  // Devices an interrupted cycle did not reach keep what the previous one saw; devices no
  // longer registered (or watched) leave the snapshot, so their series vanish.
  std::set<std::string> ids;
  for (const Device* d : order) {
    ids.insert(d->id);
    if (!devices.count(d->id)) {
      if (const DeviceSnapshot* before = previous(d->id)) devices.emplace(d->id, *before);
    }
  }
  std::erase_if(memory_, [&](const auto& kv) { return !ids.count(kv.first); });

  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CountRequests(self_.snmp_requests, summary.stats);
  CountAnomalies(self_.snmp_anomalies, summary.stats,
                 static_cast<std::uint64_t>(summary.decode_issues));
  self_.poll_interval_seconds = static_cast<double>(config_.poll_interval.count());
  if (kind == CycleKind::kDiscovery) {
    ++self_.discovery_cycles;
    self_.discovery_cycle_duration_seconds = summary.seconds;
  } else {
    ++self_.poll_cycles;
    self_.poll_cycle_duration_seconds = summary.seconds;
  }
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->reg = reg;
  snapshot->devices = std::move(devices);
  snapshot->self = self_;
  snapshot->version = version_;
  snapshot->networks = config_.networks;
  published_ = snapshot;
  snapshots_.Publish(std::move(snapshot));
  return summary;
}

}  // namespace trinet
