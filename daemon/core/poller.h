#pragma once
// One poll or discovery cycle over every registered device this instance watches: builds
// the SNMP jobs, runs them on the poll engine, decodes, hands observations to the writer
// and publishes the new snapshot. Runs on the event-loop thread.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/observe.h"
#include "core/snapshot.h"
#include "core/writer.h"
#include "snmp/poll_engine.h"

namespace trinet {

struct CycleSummary {
  CycleKind kind = CycleKind::kPoll;
  size_t devices = 0;  ///< devices of the register this instance watches
  size_t up = 0;
  size_t down = 0;
  size_t backing_off = 0;  ///< unreachable devices not tried this cycle
  int decode_issues = 0;
  double seconds = 0;
  bool interrupted = false;  ///< stopped before every device was done
  snmp::PollStats stats;
  std::vector<std::pair<std::string, std::string>> down_devices;  ///< id, reason
};

class Poller {
 public:
  Poller(snmp::Transport& transport, ObservationWriter& writer, SnapshotHolder& snapshots,
         std::string version, const DaemonConfig& config);

  /// New settings take effect from the next cycle.
  void Configure(const DaemonConfig& config);
  CycleSummary RunCycle(std::shared_ptr<const Register> reg, CycleKind kind,
                        const std::function<bool()>& keep_going);

 private:
  bool Watched(const Device& d) const;

  snmp::Transport& transport_;
  ObservationWriter& writer_;
  SnapshotHolder& snapshots_;
  std::string version_;
  DaemonConfig config_;
  snmp::UnreachableBackoff backoff_;
  std::map<std::string, DeviceMemory> memory_;
  /// The snapshot this poller published last: what it knows of each device's previous poll.
  /// A cycle builds its devices afresh and moves them into the next snapshot rather than
  /// keeping a copy of its own (with 10,000 devices each copy costs ~100 MB).
  std::shared_ptr<const Snapshot> published_;
  SelfSnapshot self_;
};

}  // namespace trinet
