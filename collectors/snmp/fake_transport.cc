#include "snmp/fake_transport.h"

#include <algorithm>

namespace trinet::snmp {
namespace {

std::string Key(const std::string& host, int port) { return host + ":" + std::to_string(port); }

}  // namespace

void FakeTransport::AddAgent(const std::string& host, int port, Agent agent) {
  agents_[Key(host, port)] = std::move(agent);
}

std::optional<Transport::SessionId> FakeTransport::Open(const Target& target, std::string* error) {
  auto it = agents_.find(Key(target.host, target.port));
  if (it == agents_.end() && target.host == "unresolvable.invalid") {
    *error = "cannot resolve " + target.host;
    return std::nullopt;
  }
  SessionId id = next_id_++;
  sessions_[id] = Session{target, it == agents_.end() ? nullptr : &it->second, 0};
  return id;
}

void FakeTransport::Close(SessionId id) {
  sessions_.erase(id);
  std::erase_if(queue_, [id](const Pending& p) { return p.session == id; });
}

void FakeTransport::Send(SessionId id, const Request& request, Callback done) {
  Session& s = sessions_.at(id);
  requests_.emplace_back(s.target.device, request);
  max_in_flight_per_device_ = std::max(max_in_flight_per_device_, ++s.in_flight);
  Response r;
  if (!s.agent || s.agent->dead) {
    r.outcome = Outcome::kTimeout;
    r.detail = "no response";
  } else if (s.agent->reject_auth) {
    r.outcome = Outcome::kAuthFailure;
    r.detail = "usmStatsWrongDigests";
  } else {
    r = Answer(*s.agent, request, s.target.credential.version == "1");
    if (s.agent->mutate) s.agent->mutate(request, r);
  }
  queue_.push_back(Pending{id, std::move(r), std::move(done)});
}

int FakeTransport::Poll(std::chrono::milliseconds /*max_wait*/) {
  // Deliver what is queued now; callbacks may queue more, delivered by the next Poll.
  auto batch = std::move(queue_);
  queue_.clear();
  int ran = 0;
  for (auto& p : batch) {
    auto it = sessions_.find(p.session);
    if (it == sessions_.end()) continue;  // closed meanwhile
    --it->second.in_flight;
    p.done(std::move(p.response));
    ++ran;
  }
  return ran;
}

Response FakeTransport::Answer(const Agent& agent, const Request& request, bool v1) const {
  Response r;
  auto next = [&](const Oid& oid) -> std::optional<Varbind> {
    auto it = agent.data.upper_bound(oid);
    if (it == agent.data.end()) return std::nullopt;
    return Varbind{it->first, it->second};
  };
  auto fail = [&](int status, size_t index) {
    r.error_status = status;
    r.error_index = static_cast<int>(index + 1);
    r.varbinds.clear();
  };
  switch (request.type) {
    case PduType::kGet:
      for (size_t i = 0; i < request.oids.size(); ++i) {
        auto it = agent.data.find(request.oids[i]);
        if (it != agent.data.end()) {
          r.varbinds.push_back({it->first, it->second});
        } else if (v1) {
          fail(kNoSuchName, i);
          return r;
        } else {
          r.varbinds.push_back({request.oids[i], Value::Exception(ValueType::kNoSuchInstance)});
        }
      }
      break;
    case PduType::kGetNext:
      for (size_t i = 0; i < request.oids.size(); ++i) {
        if (auto vb = next(request.oids[i])) {
          r.varbinds.push_back(*vb);
        } else if (v1) {
          fail(kNoSuchName, i);
          return r;
        } else {
          r.varbinds.push_back({request.oids[i], Value::Exception(ValueType::kEndOfMibView)});
        }
      }
      break;
    case PduType::kGetBulk: {
      const size_t nr = std::min<size_t>(static_cast<size_t>(std::max(0, request.non_repeaters)),
                                         request.oids.size());
      for (size_t i = 0; i < nr; ++i) {
        auto vb = next(request.oids[i]);
        r.varbinds.push_back(
            vb ? *vb : Varbind{request.oids[i], Value::Exception(ValueType::kEndOfMibView)});
      }
      std::vector<Oid> cursor(request.oids.begin() + static_cast<long>(nr), request.oids.end());
      for (int rep = 0; rep < request.max_repetitions && !cursor.empty(); ++rep) {
        bool any = false;
        for (auto& c : cursor) {
          auto vb = next(c);
          if (vb) {
            c = vb->oid;
            any = true;
            r.varbinds.push_back(*vb);
          } else {
            r.varbinds.push_back({c, Value::Exception(ValueType::kEndOfMibView)});
          }
        }
        if (!any) break;
      }
      break;
    }
  }
  if (agent.max_response_varbinds && r.varbinds.size() > agent.max_response_varbinds) {
    r.varbinds.clear();
    r.error_status = kTooBig;
  }
  return r;
}

}  // namespace trinet::snmp
