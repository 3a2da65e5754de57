#pragma once
// The one writer: a thread that owns the daemon's database connection and writes batches of
// observations, each in one transaction. Collectors hand batches over and never wait on
// SQLite.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "observation_store.h"

namespace trinet {

class ObservationWriter {
 public:
  /// Opens (and migrates) the database on the calling thread, so that a bad path fails at
  /// start-up, then starts the writer thread.
  explicit ObservationWriter(const std::filesystem::path& db);
  ~ObservationWriter();
  ObservationWriter(const ObservationWriter&) = delete;
  ObservationWriter& operator=(const ObservationWriter&) = delete;

  void Submit(std::vector<DeviceObservation> batch);
  /// Blocks until everything submitted so far is written (or given up).
  void Flush();
  /// Writes what is queued, then ends the thread. Called by the destructor too.
  void Stop();

  std::uint64_t batches_written() const;
  std::uint64_t batches_failed() const;

 private:
  void Loop();

  sql::Database db_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<DeviceObservation>> queue_;
  bool stopping_ = false;
  bool busy_ = false;
  std::uint64_t written_ = 0;
  std::uint64_t failed_ = 0;
  std::thread thread_;
};

}  // namespace trinet
