#include "core/writer.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"
#include "pcap_store.h"

namespace trinet {

ObservationWriter::ObservationWriter(const std::filesystem::path& db, CycleEndHook on_cycle_end)
    : db_(sql::Database::Open(db)),
      on_cycle_end_(std::move(on_cycle_end)),
      thread_([this] { Loop(); }) {}

ObservationWriter::~ObservationWriter() { Stop(); }

void ObservationWriter::Submit(std::vector<DeviceObservation> batch) {
  if (batch.empty()) return;
  {
    std::unique_lock lock(mu_);
    // Back-pressure: a discovery of thousands of switches reads faster than SQLite writes,
    // and without a bound the whole cycle would wait in memory. The poller waits at most a
    // batch's write (well under its SNMP timeouts); a stopping writer takes everything.
    cv_.wait(lock, [this] { return queued_devices_ < kMaxQueuedDevices || stopping_; });
    queued_devices_ += batch.size();
    queue_.push_back({std::move(batch), std::nullopt, {}, 0});
  }
  cv_.notify_all();
}

void ObservationWriter::SubmitPcap(std::vector<pcap::PcapObservation> observations,
                                   std::int64_t now) {
  if (observations.empty()) return;
  {
    std::lock_guard lock(mu_);
    Item item;
    item.pcap = std::move(observations);
    item.pcap_at = now;
    queue_.push_back(std::move(item));
  }
  cv_.notify_all();
}

void ObservationWriter::EndCycle(CycleEnd end) {
  if (!on_cycle_end_) return;
  {
    std::lock_guard lock(mu_);
    queue_.push_back({{}, std::move(end), {}, 0});
  }
  cv_.notify_all();
}

void ObservationWriter::Flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return (queue_.empty() && !busy_) || !thread_.joinable(); });
}

void ObservationWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t ObservationWriter::batches_written() const {
  std::lock_guard lock(mu_);
  return written_;
}

std::uint64_t ObservationWriter::batches_failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

std::uint64_t ObservationWriter::pcap_written() const {
  std::lock_guard lock(mu_);
  return pcap_written_;
}

std::uint64_t ObservationWriter::pcap_failed() const {
  std::lock_guard lock(mu_);
  return pcap_failed_;
}

void ObservationWriter::WritePcap(const Item& item) {
  bool ok = false;
  // As for batches: a busy database is retried, anything else logged and the window dropped
  // (the next window brings the same suspects again if they are still there).
  for (int attempt = 1; attempt <= 3 && !ok; ++attempt) {
    try {
      RecordPcapObservations(db_, item.pcap, item.pcap_at);
      ok = true;
    } catch (const sql::Error& e) {
      log::Error(std::string("writer: ") + std::to_string(item.pcap.size()) +
                 " capture observations not written (attempt " + std::to_string(attempt) +
                 "): " + e.what());
      if ((e.code() & 0xff) != SQLITE_BUSY && (e.code() & 0xff) != SQLITE_LOCKED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    }
  }
  std::lock_guard lock(mu_);
  (ok ? pcap_written_ : pcap_failed_) += 1;
}

void ObservationWriter::Loop() {
  while (true) {
    std::vector<DeviceObservation> batch;
    std::optional<CycleEnd> end;
    Item pcap_item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and everything written
      // Merge what queued up meanwhile: fewer, larger transactions under load. A cycle's
      // end is not merged past: its hook must see exactly what came before it. A capture
      // window is an item of its own.
      if (!queue_.front().pcap.empty()) pcap_item = std::move(queue_.front());
      end = std::move(queue_.front().end);
      batch = std::move(queue_.front().batch);
      queue_.pop_front();
      while (pcap_item.pcap.empty() && !end && !queue_.empty() && !queue_.front().end &&
             queue_.front().pcap.empty() && batch.size() < 5000) {
        auto& next = queue_.front().batch;
        batch.insert(batch.end(), std::make_move_iterator(next.begin()),
                     std::make_move_iterator(next.end()));
        queue_.pop_front();
      }
      queued_devices_ -= std::min(queued_devices_, batch.size());
      busy_ = true;
    }
    cv_.notify_all();  // a Submit waiting for room
    if (!pcap_item.pcap.empty()) {
      WritePcap(pcap_item);
      {
        std::lock_guard lock(mu_);
        busy_ = false;
      }
      cv_.notify_all();
      continue;
    }
    if (end) {
      // A failed evaluation (a locked database, a bug) is logged and the writer goes on:
      // observations must keep being written, and the next cycle evaluates again.
      try {
        on_cycle_end_(db_, *end);
      } catch (const std::exception& e) {
        log::Error(std::string("writer: end-of-cycle evaluation failed: ") + e.what());
      }
      {
        std::lock_guard lock(mu_);
        busy_ = false;
      }
      cv_.notify_all();
      continue;
    }
    bool ok = false;
    // A busy database (an auditor's long read, a backup) is retried; anything else is a bug
    // or a broken disk, logged and counted, and the batch is dropped rather than retried
    // forever while new observations pile up behind it.
    for (int attempt = 1; attempt <= 3 && !ok; ++attempt) {
      try {
        WriteObservations(db_, batch);
        ok = true;
      } catch (const sql::Error& e) {
        log::Error(std::string("writer: batch of ") + std::to_string(batch.size()) +
                   " observations not written (attempt " + std::to_string(attempt) +
                   "): " + e.what());
        if ((e.code() & 0xff) != SQLITE_BUSY && (e.code() & 0xff) != SQLITE_LOCKED) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
      }
    }
    {
      std::lock_guard lock(mu_);
      busy_ = false;
      (ok ? written_ : failed_) += 1;
    }
    cv_.notify_all();
  }
}

}  // namespace trinet
