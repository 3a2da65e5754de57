#include "snmp/poll_engine.h"

#include <algorithm>

namespace trinet::snmp {

const char* ToString(WalkEnd end) {
  switch (end) {
    case WalkEnd::kComplete:
      return "complete";
    case WalkEnd::kRowCap:
      return "row cap";
    case WalkEnd::kNonIncreasing:
      return "non-increasing OID";
    case WalkEnd::kTooBig:
      return "tooBig";
    case WalkEnd::kTimeout:
      return "timeout";
    case WalkEnd::kError:
      return "error";
    case WalkEnd::kAborted:
      return "aborted";
    case WalkEnd::kSkipped:
      return "skipped";
  }
  return "unknown";
}

PollStats& PollStats::operator+=(const PollStats& o) {
  requests += o.requests;
  ok += o.ok;
  timeouts += o.timeouts;
  auth_failures += o.auth_failures;
  send_failures += o.send_failures;
  decode_failures += o.decode_failures;
  error_status += o.error_status;
  too_big += o.too_big;
  non_increasing += o.non_increasing;
  rows_capped += o.rows_capped;
  exceptions += o.exceptions;
  return *this;
}

const WalkResult* PollResult::Walk(const std::string& name) const {
  for (const auto& w : walks) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

// One device's job: a queue of tasks (GET chunks and walks) run at most
// per_device_in_flight at a time over one transport session.
class PollEngine::DevicePoll {
 public:
  DevicePoll(PollEngine& engine, PollJob job, Done done)
      : engine_(engine), job_(std::move(job)), done_(std::move(done)) {
    result_.device = job_.target.device;
    v1_ = job_.target.credential.version == "1";
  }

  void Start() {
    result_.started = std::chrono::steady_clock::now();
    std::string error;
    session_ = engine_.transport_.Open(job_.target, &error);
    if (!session_) {
      result_.error = error;
      for (const auto& w : job_.walks)
        result_.walks.push_back({w.name, {}, WalkEnd::kAborted, error});
      Finish();
      return;
    }
    const size_t chunk = std::max<size_t>(1, engine_.options_.max_oids_per_request);
    for (size_t i = 0; i < job_.scalars.size(); i += chunk) {
      auto end = job_.scalars.begin() + static_cast<long>(std::min(job_.scalars.size(), i + chunk));
      tasks_.push_back(
          Task{std::vector<Oid>(job_.scalars.begin() + static_cast<long>(i), end), -1});
    }
    for (size_t i = 0; i < job_.walks.size(); ++i) {
      WalkState w;
      w.request = &job_.walks[i];
      w.next = w.request->columns;
      w.open.assign(w.next.size(), true);
      w.rows.assign(w.next.size(), 0);
      w.repetitions = std::max(1, engine_.options_.max_repetitions);
      w.columns_per_request = w.next.size();
      w.started = job_.walks[i].fallback_for.empty();
      walks_.push_back(std::move(w));
      result_.walks.push_back({job_.walks[i].name, {}, WalkEnd::kComplete, {}});
      if (w.started) tasks_.push_back(Task{{}, static_cast<int>(i)});
    }
    Pump();
  }

  bool finished() const { return finished_; }
  std::optional<Transport::SessionId> session() const { return session_; }
  PollResult TakeResult() { return std::move(result_); }
  Done& done() { return done_; }

 private:
  struct Task {
    std::vector<Oid> oids;  // a GET chunk, when walk < 0
    int walk = -1;
  };
  struct WalkState {
    const WalkRequest* request = nullptr;
    std::vector<Oid> next;  // per column: the last OID received (or the column itself)
    std::vector<bool> open;
    std::vector<size_t> rows;
    int repetitions = 1;
    size_t columns_per_request = 1;
    bool row_capped = false;
    bool started = false;  // false: a fallback waiting for its primary
    bool ended = false;
  };

  void Pump() {
    while (!finished_ && in_flight_ < engine_.options_.per_device_in_flight && !tasks_.empty()) {
      Task t = std::move(tasks_.front());
      tasks_.pop_front();
      ++in_flight_;
      if (t.walk >= 0) {
        SendWalk(static_cast<size_t>(t.walk));
      } else {
        SendGet(std::move(t.oids));
      }
    }
    if (!finished_ && in_flight_ == 0 && tasks_.empty()) Finish();
  }

  // Counts a transport-level failure; true when the device must be given up.
  bool Failed(const Response& r) {
    switch (r.outcome) {
      case Outcome::kOk:
        ++result_.stats.ok;
        result_.reachable = true;
        return false;
      case Outcome::kTimeout:
        ++result_.stats.timeouts;
        // A device that never answered is down: stop now instead of timing out on every
        // remaining request, so a dead device costs one timeout, not one per table.
        if (!result_.reachable) Abort("timeout: no response from " + Address());
        return !result_.reachable;
      case Outcome::kAuthFailure:
        ++result_.stats.auth_failures;
        Abort("authentication failed: " + r.detail);
        return true;
      case Outcome::kSendFailure:
        ++result_.stats.send_failures;
        Abort("send failed: " + r.detail);
        return true;
      case Outcome::kDecodeFailure:
        ++result_.stats.decode_failures;
        return false;
    }
    return false;
  }

  std::string Address() const { return job_.target.host + ":" + std::to_string(job_.target.port); }

  void SendGet(std::vector<Oid> oids) {
    Request req{PduType::kGet, oids, 0, 0};
    ++result_.stats.requests;
    engine_.transport_.Send(*session_, req, [this, oids = std::move(oids)](Response&& r) mutable {
      --in_flight_;
      if (finished_) return;  // given up while this was in flight; the reply changes nothing
      if (Failed(r) || r.outcome != Outcome::kOk) return Pump();
      if ((r.error_status == kTooBig || r.error_status == kGenErr) && oids.size() > 1) {
        // Split the chunk and try both halves: tooBig says so, and agents with a limit on
        // varbinds per request (snmpsimd --max-varbinds, some embedded agents) say genErr.
        ++(r.error_status == kTooBig ? result_.stats.too_big : result_.stats.error_status);
        auto mid = oids.begin() + static_cast<long>(oids.size() / 2);
        tasks_.push_front(Task{std::vector<Oid>(mid, oids.end()), -1});
        tasks_.push_front(Task{std::vector<Oid>(oids.begin(), mid), -1});
      } else if (r.error_status == kNoSuchName && v1_ && r.error_index >= 1 &&
                 static_cast<size_t>(r.error_index) <= oids.size()) {
        // SNMPv1 fails the whole GET for one missing object: drop it and ask again.
        ++result_.stats.exceptions;
        oids.erase(oids.begin() + (r.error_index - 1));
        if (!oids.empty()) tasks_.push_front(Task{std::move(oids), -1});
      } else if (r.error_status != kNoError) {
        ++result_.stats.error_status;
      } else {
        for (auto& vb : r.varbinds) {
          if (vb.value.IsException() || vb.value.type == ValueType::kNull) {
            ++result_.stats.exceptions;
          } else {
            result_.scalars.push_back(std::move(vb));
          }
        }
      }
      Pump();
    });
  }

  void SendWalk(size_t index) {
    WalkState& w = walks_[index];
    std::vector<size_t> columns;  // indexes of the open columns this request carries
    for (size_t c = 0; c < w.open.size() && columns.size() < w.columns_per_request; ++c) {
      if (w.open[c]) columns.push_back(c);
    }
    if (columns.empty()) {
      EndWalk(index, w.row_capped ? WalkEnd::kRowCap : WalkEnd::kComplete, {});
      --in_flight_;
      return Pump();
    }
    Request req;
    req.type = v1_ ? PduType::kGetNext : PduType::kGetBulk;
    for (size_t c : columns) req.oids.push_back(w.next[c]);
    if (!v1_) req.max_repetitions = w.repetitions;
    ++result_.stats.requests;
    engine_.transport_.Send(*session_, req, [this, index, columns](Response&& r) {
      --in_flight_;
      if (finished_) return;
      OnWalkResponse(index, columns, std::move(r));
      Pump();
    });
  }

  void OnWalkResponse(size_t index, const std::vector<size_t>& columns, Response&& r) {
    WalkState& w = walks_[index];
    if (Failed(r)) return;
    if (r.outcome == Outcome::kTimeout) return EndWalk(index, WalkEnd::kTimeout, "timeout");
    if (r.outcome != Outcome::kOk) return EndWalk(index, WalkEnd::kError, r.detail);

    if (r.error_status == kTooBig) {
      ++result_.stats.too_big;
      if (w.repetitions > 1) {
        w.repetitions = std::max(1, w.repetitions / 2);
      } else if (columns.size() > 1) {
        w.columns_per_request = std::max<size_t>(1, columns.size() / 2);
      } else {
        return EndWalk(index, WalkEnd::kTooBig, "tooBig with one varbind");
      }
      return Continue(index);
    }
    if (r.error_status == kGenErr && (columns.size() > 1 || w.repetitions > 1)) {
      // Agents that limit the varbinds per request answer genErr rather than tooBig; ask
      // for fewer columns, then fewer rows, before giving up.
      ++result_.stats.error_status;
      // Halve what was actually sent: never down to zero columns, which would read as the
      // walk's natural end.
      if (columns.size() > 1) {
        w.columns_per_request = std::max<size_t>(1, columns.size() / 2);
      } else {
        w.repetitions = std::max(1, w.repetitions / 2);
      }
      return Continue(index);
    }
    if (r.error_status == kNoSuchName && v1_ && r.error_index >= 1 &&
        static_cast<size_t>(r.error_index) <= columns.size()) {
      // SNMPv1 end of the view for one column: close it and go on with the others.
      w.open[columns[static_cast<size_t>(r.error_index - 1)]] = false;
      return Continue(index);
    }
    if (r.error_status != kNoError) {
      ++result_.stats.error_status;
      return EndWalk(index, WalkEnd::kError, "error status " + std::to_string(r.error_status));
    }
    if (r.varbinds.empty()) {
      ++result_.stats.error_status;
      return EndWalk(index, WalkEnd::kError, "empty response");
    }

    WalkResult& out = result_.walks[index];
    // GETBULK interleaves the columns: varbind k belongs to the (k mod n)-th column asked.
    for (size_t k = 0; k < r.varbinds.size(); ++k) {
      const size_t c = columns[k % columns.size()];
      if (!w.open[c]) continue;
      Varbind& vb = r.varbinds[k];
      const Oid& column = w.request->columns[c];
      if (vb.value.type == ValueType::kEndOfMibView || !vb.oid.StartsWith(column) ||
          vb.oid.size() == column.size()) {
        w.open[c] = false;
        continue;
      }
      if (vb.oid <= w.next[c]) {
        ++result_.stats.non_increasing;
        return EndWalk(index, WalkEnd::kNonIncreasing,
                       vb.oid.ToString() + " after " + w.next[c].ToString());
      }
      if (w.rows[c] >= w.request->max_rows) {
        if (!w.row_capped) ++result_.stats.rows_capped;
        w.row_capped = true;
        w.open[c] = false;
        continue;
      }
      ++w.rows[c];
      w.next[c] = vb.oid;
      out.varbinds.push_back(std::move(vb));
    }
    Continue(index);
  }

  // Queues the walk's next request at the front, so a walk keeps its slot.
  void Continue(size_t index) { tasks_.push_front(Task{{}, static_cast<int>(index)}); }

  void EndWalk(size_t index, WalkEnd end, std::string detail) {
    WalkResult& out = result_.walks[index];
    auto& w = walks_[index];
    if (w.ended) return;
    w.ended = true;
    out.end = end;
    out.detail = std::move(detail);
    std::fill(w.open.begin(), w.open.end(), false);
    // Keep each column's rows together in OID order: the decoders read by column.
    std::stable_sort(out.varbinds.begin(), out.varbinds.end(),
                     [](const Varbind& a, const Varbind& b) { return a.oid < b.oid; });
    // A fallback table is read only when its primary answered with nothing at all.
    const bool need_fallback = end == WalkEnd::kComplete && out.varbinds.empty();
    for (size_t j = 0; j < walks_.size(); ++j) {
      if (walks_[j].started || job_.walks[j].fallback_for != job_.walks[index].name) continue;
      walks_[j].started = true;
      if (need_fallback && !finished_) {
        tasks_.push_back(Task{{}, static_cast<int>(j)});
      } else {
        EndWalk(j, WalkEnd::kSkipped, "primary " + job_.walks[index].name + " " + ToString(end));
      }
    }
  }

  void Abort(const std::string& error) {
    if (result_.error.empty()) result_.error = error;
    tasks_.clear();
    for (size_t i = 0; i < walks_.size(); ++i) {
      if (walks_[i].started) EndWalk(i, WalkEnd::kAborted, error);
    }
    Finish();
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    result_.finished = std::chrono::steady_clock::now();
    for (size_t i = 0; i < walks_.size(); ++i) {
      if (!walks_[i].started) {
        EndWalk(i, WalkEnd::kSkipped, "device given up");
      } else {
        EndWalk(i, walks_[i].row_capped ? WalkEnd::kRowCap : WalkEnd::kComplete, {});
      }
    }
    if (!result_.reachable && result_.error.empty()) result_.error = "no response";
    engine_.Finish(this);
  }

  PollEngine& engine_;
  PollJob job_;
  Done done_;
  PollResult result_;
  bool v1_ = false;
  std::optional<Transport::SessionId> session_;
  std::deque<Task> tasks_;
  std::vector<WalkState> walks_;
  int in_flight_ = 0;
  bool finished_ = false;
};

PollEngine::PollEngine(Transport& transport, PollEngineOptions options)
    : transport_(transport), options_(options) {}

PollEngine::~PollEngine() {
  for (auto& [poll, owned] : active_) {
    if (auto s = poll->session()) transport_.Close(*s);
  }
}

void PollEngine::Submit(PollJob job, Done done) {
  auto shared = std::make_shared<PollJob>(std::move(job));
  Submit([shared] { return std::move(*shared); }, std::move(done));
}

void PollEngine::Submit(std::function<PollJob()> make_job, Done done) {
  waiting_.emplace_back(std::move(make_job), std::move(done));
}

void PollEngine::StartWaiting() {
  while (!waiting_.empty() && active_.size() < options_.max_devices_in_flight) {
    auto [make_job, done] = std::move(waiting_.front());
    waiting_.pop_front();
    auto poll = std::make_unique<DevicePoll>(*this, make_job(), std::move(done));
    DevicePoll* raw = poll.get();
    active_.emplace(raw, std::move(poll));
    raw->Start();
  }
}

void PollEngine::Finish(DevicePoll* poll) { finished_.push_back(poll); }

void PollEngine::Run(const std::function<bool()>& keep_going) {
  while (true) {
    StartWaiting();
    // Completed polls are closed and reported only here, outside the transport's callbacks,
    // because closing a session destroys the callback that may be running.
    while (!finished_.empty()) {
      auto batch = std::move(finished_);
      finished_.clear();
      for (DevicePoll* poll : batch) {
        auto node = active_.extract(poll);
        if (auto s = poll->session()) transport_.Close(*s);
        PollResult result = poll->TakeResult();
        poll->done()(std::move(result));
      }
      StartWaiting();
    }
    if (active_.empty() && waiting_.empty()) return;
    if (keep_going && !keep_going()) return;
    transport_.Poll(std::chrono::milliseconds(100));
  }
}

bool UnreachableBackoff::ShouldPoll(const std::string& device, Clock::time_point now) const {
  auto it = state_.find(device);
  return it == state_.end() || it->second.failures == 0 || now >= it->second.next_attempt;
}

void UnreachableBackoff::RecordSuccess(const std::string& device) { state_.erase(device); }

void UnreachableBackoff::RecordFailure(const std::string& device, Clock::time_point now) {
  State& s = state_[device];
  ++s.failures;
  auto delay = base_;
  for (int i = 1; i < s.failures && delay < cap_; ++i) delay *= 2;
  s.next_attempt = now + std::min(delay, cap_);
}

int UnreachableBackoff::Failures(const std::string& device) const {
  auto it = state_.find(device);
  return it == state_.end() ? 0 : it->second.failures;
}

}  // namespace trinet::snmp
