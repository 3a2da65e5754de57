#pragma once
// A Transport that answers from recorded data in memory, with the semantics of an SNMP
// agent (GET, GETNEXT, GETBULK; v1 errors or v2c exceptions), and records every request.
// For tests of the poll engine and for benchmarks that must not touch the network.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "snmp/transport.h"

namespace trinet::snmp {

class FakeTransport final : public Transport {
 public:
  struct Agent {
    std::map<Oid, Value> data;
    bool dead = false;                 ///< never answers: every request times out
    bool reject_auth = false;          ///< every request fails authentication
    size_t max_response_varbinds = 0;  ///< 0: no limit; more would be answered with tooBig
    /// Called on each response before it is delivered: hostile agents are made here.
    std::function<void(const Request&, Response&)> mutate;
  };

  /// Registers the agent answering at host:port.
  void AddAgent(const std::string& host, int port, Agent agent);

  std::optional<SessionId> Open(const Target& target, std::string* error) override;
  void Close(SessionId id) override;
  void Send(SessionId id, const Request& request, Callback done) override;
  int Poll(std::chrono::milliseconds max_wait) override;
  size_t InFlight() const override { return queue_.size(); }

  /// Every request sent, with the device it was sent to, in order.
  const std::vector<std::pair<std::string, Request>>& requests() const { return requests_; }
  /// The most requests that were outstanding at once to one device.
  int max_in_flight_per_device() const { return max_in_flight_per_device_; }

 private:
  struct Session {
    Target target;
    Agent* agent = nullptr;
    int in_flight = 0;
  };
  struct Pending {
    SessionId session;
    Response response;
    Callback done;
  };
  Response Answer(const Agent& agent, const Request& request, bool v1) const;

  std::map<std::string, Agent> agents_;
  std::map<SessionId, Session> sessions_;
  std::vector<Pending> queue_;
  std::vector<std::pair<std::string, Request>> requests_;
  SessionId next_id_ = 1;
  int max_in_flight_per_device_ = 0;
};

}  // namespace trinet::snmp
