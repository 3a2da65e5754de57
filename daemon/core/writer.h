#pragma once
// The one writer: a thread that owns the daemon's database connection and writes batches of
// observations, each in one transaction. Collectors hand batches over and never wait on
// SQLite. At the end of every cycle the writer runs a hook (the findings evaluation) on
// its connection, after everything of that cycle is written.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "observation_store.h"
#include "pcap/analyze.h"
#include "register/register.h"

namespace trinet {

/// The end of a poll or discovery cycle, queued behind the cycle's observations.
struct CycleEnd {
  bool discovery = false;
  std::shared_ptr<const Register> reg;  ///< the register the cycle polled
  std::int64_t at = 0;                  ///< Unix seconds
};

class ObservationWriter {
 public:
  using CycleEndHook = std::function<void(sql::Database&, const CycleEnd&)>;

  /// Opens (and migrates) the database on the calling thread, so that a bad path fails at
  /// start-up, then starts the writer thread.
  explicit ObservationWriter(const std::filesystem::path& db, CycleEndHook on_cycle_end = {});
  ~ObservationWriter();
  ObservationWriter(const ObservationWriter&) = delete;
  ObservationWriter& operator=(const ObservationWriter&) = delete;

  /// Queues a batch. Blocks while observations of kMaxQueuedDevices devices or more wait to
  /// be written: a poller faster than the disk must not pile a cycle up in memory.
  void Submit(std::vector<DeviceObservation> batch);
  static constexpr size_t kMaxQueuedDevices = 1000;
  /// Queues what a capture source found in one window, recorded at `now` (Unix seconds)
  /// with RecordPcapObservations; a following cycle end's evaluation sees it.
  void SubmitPcap(std::vector<pcap::PcapObservation> observations, std::int64_t now);
  /// Queues the end of a cycle: the hook runs once everything before it is written.
  void EndCycle(CycleEnd end);
  /// Blocks until everything submitted so far is written (or given up).
  void Flush();
  /// Writes what is queued, then ends the thread. Called by the destructor too.
  void Stop();

  std::uint64_t batches_written() const;
  std::uint64_t batches_failed() const;
  /// Windows of capture observations written, and given up.
  std::uint64_t pcap_written() const;
  std::uint64_t pcap_failed() const;

 private:
  struct Item {
    std::vector<DeviceObservation> batch;
    std::optional<CycleEnd> end;
    std::vector<pcap::PcapObservation> pcap;  ///< set: a capture window, never merged
    std::int64_t pcap_at = 0;
  };
  void Loop();
  void WritePcap(const Item& item);

  sql::Database db_;
  CycleEndHook on_cycle_end_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool busy_ = false;
  size_t queued_devices_ = 0;  ///< observations in queue_ (not the one being written)
  std::uint64_t written_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t pcap_written_ = 0;
  std::uint64_t pcap_failed_ = 0;
  std::thread thread_;
};

}  // namespace trinet
