#pragma once
// Polls many devices at once over a Transport: GETs for scalars, GETBULK (GETNEXT for v1)
// walks of several table columns per request, a cap on requests in flight per device, and
// defences against hostile or broken agents. It knows SNMP only: what the varbinds mean is
// decode.h's business, what to poll and when is the scheduler's.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "snmp/transport.h"

namespace trinet::snmp {

/// Columns of one table walked together, one request carrying every column still open.
struct WalkRequest {
  std::string name;  ///< e.g. "ifTable"; names the result
  std::vector<Oid> columns;
  size_t max_rows = 10000;  ///< per column; more is cut off and counted as rows_capped
  /// When set, this walk runs only after the walk of that name ended complete with no rows:
  /// a fallback for agents that lack the newer table.
  std::string fallback_for;
};

/// Everything to ask one device in one cycle.
struct PollJob {
  Target target;
  std::vector<Oid> scalars;  ///< GET, split into requests of max_oids_per_request
  std::vector<WalkRequest> walks;
};

/// Why a walk ended early; kComplete when it reached the end of every column.
enum class WalkEnd {
  kComplete,
  kRowCap,         ///< a column had more than max_rows rows
  kNonIncreasing,  ///< the agent returned an OID not after the one asked (a loop)
  kTooBig,         ///< still tooBig with one column and one repetition
  kTimeout,        ///< a request of the walk timed out after its retries
  kError,          ///< an SNMP error status, an auth failure or an empty response
  kAborted,        ///< the device was given up (unreachable) before the walk ended
  kSkipped,        ///< a fallback not needed: its primary table answered (or failed)
};

const char* ToString(WalkEnd end);

struct WalkResult {
  std::string name;
  std::vector<Varbind>
      varbinds;  ///< every varbind inside the walked columns, in OID order per column
  WalkEnd end = WalkEnd::kComplete;
  std::string detail;  ///< e.g. the error status or the offending OID
};

/// Counts of what happened while polling one device (summed into metrics by the daemon).
struct PollStats {
  std::uint64_t requests = 0;
  std::uint64_t ok = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t send_failures = 0;
  std::uint64_t decode_failures = 0;
  std::uint64_t error_status = 0;    ///< responses carrying an SNMP error (other than tooBig)
  std::uint64_t too_big = 0;         ///< tooBig answers (each halved the request)
  std::uint64_t non_increasing = 0;  ///< walks stopped at a non-increasing OID
  std::uint64_t rows_capped = 0;     ///< walks cut at max_rows
  std::uint64_t exceptions = 0;      ///< noSuchObject/noSuchInstance values of GETs

  PollStats& operator+=(const PollStats& o);
};

struct PollResult {
  std::string device;
  bool reachable = false;        ///< at least one response arrived
  std::string error;             ///< why the device counts as down; empty when reachable
  std::vector<Varbind> scalars;  ///< answered scalars; exceptions left out
  std::vector<WalkResult> walks;
  PollStats stats;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point finished;

  std::chrono::duration<double> duration() const { return finished - started; }
  /// The walk called `name`, or nullptr.
  const WalkResult* Walk(const std::string& name) const;
};

struct PollEngineOptions {
  int per_device_in_flight = 2;  ///< never more requests than this outstanding to one agent
  int max_repetitions = 25;      ///< GETBULK start value; halved on tooBig
  size_t max_oids_per_request = 16;
  size_t max_devices_in_flight = 1000;  ///< jobs started at once; the rest wait in order
};

class PollEngine {
 public:
  using Done = std::function<void(PollResult&&)>;

  PollEngine(Transport& transport, PollEngineOptions options);
  ~PollEngine();
  PollEngine(const PollEngine&) = delete;
  PollEngine& operator=(const PollEngine&) = delete;

  /// Queues a job; `done` runs from Run() when the device is finished.
  void Submit(PollJob job, Done done);
  /// Queues a job built only when its turn comes: with thousands of devices, building every
  /// job up front would delay the first request by the time it takes to build them all.
  void Submit(std::function<PollJob()> make_job, Done done);
  /// Drives the transport until every submitted job is done, or `keep_going` returns false
  /// (checked between polls; unfinished jobs are then abandoned without callback).
  void Run(const std::function<bool()>& keep_going = {});
  /// Jobs submitted and not yet done.
  size_t pending() const { return waiting_.size() + active_.size(); }

 private:
  class DevicePoll;
  void StartWaiting();
  void Finish(DevicePoll* poll);

  Transport& transport_;
  PollEngineOptions options_;
  std::deque<std::pair<std::function<PollJob()>, Done>> waiting_;
  std::map<DevicePoll*, std::unique_ptr<DevicePoll>> active_;
  std::vector<DevicePoll*> finished_;
};

/// Zabbix-style handling of unreachable devices: after a failed poll a device is tried
/// again only after a delay that doubles with each consecutive failure (up to a cap), so
/// dead devices cost little and never hold up live ones.
class UnreachableBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  UnreachableBackoff(std::chrono::seconds base, std::chrono::seconds cap)
      : base_(base), cap_(cap) {}

  /// Whether the device should be polled at `now`.
  bool ShouldPoll(const std::string& device, Clock::time_point now) const;
  void RecordSuccess(const std::string& device);
  void RecordFailure(const std::string& device, Clock::time_point now);
  /// Consecutive failures so far (0 when the last poll answered).
  int Failures(const std::string& device) const;

 private:
  struct State {
    int failures = 0;
    Clock::time_point next_attempt;
  };
  std::chrono::seconds base_;
  std::chrono::seconds cap_;
  std::map<std::string, State> state_;
};

}  // namespace trinet::snmp
