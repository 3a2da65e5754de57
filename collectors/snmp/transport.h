#pragma once
// The seam between SNMP polling logic and the network. The poll engine (poll_engine.h)
// speaks only this interface; NetSnmpTransport implements it with Net-SNMP on one event
// loop, and FakeTransport (tests) answers from recorded walks and records what was asked.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "register/register.h"
#include "snmp/varbind.h"

namespace trinet::snmp {

/// Where and how to reach one agent.
struct Target {
  std::string device;  ///< register id, for logs and errors
  std::string host;    ///< IPv4/IPv6 literal or host name
  int port = 161;
  Credential credential;  ///< version 1, 2c or 3 with its secrets
  std::chrono::milliseconds timeout{2000};
  int retries = 1;
};

enum class PduType { kGet, kGetNext, kGetBulk };

struct Request {
  PduType type = PduType::kGet;
  std::vector<Oid> oids;
  int non_repeaters = 0;    ///< GETBULK only
  int max_repetitions = 0;  ///< GETBULK only
};

enum class Outcome {
  kOk,             ///< a response PDU arrived (it may still carry an error_status)
  kTimeout,        ///< no response after all retries
  kAuthFailure,    ///< SNMPv3 report: unknown user or engine, wrong digest, decryption error
  kSendFailure,    ///< could not send (socket, resolution, PDU too large to send)
  kDecodeFailure,  ///< a response that could not be parsed
};

/// SNMP errorStatus values the engine acts on (RFC 3416).
inline constexpr int kNoError = 0;
inline constexpr int kTooBig = 1;
inline constexpr int kNoSuchName = 2;  ///< SNMPv1's end of view / missing object
inline constexpr int kGenErr = 5;      ///< some agents' answer to "too many varbinds asked"

struct Response {
  Outcome outcome = Outcome::kOk;
  int error_status = kNoError;
  int error_index = 0;
  std::vector<Varbind> varbinds;
  std::string detail;  ///< why, for anything but a clean kOk; never contains a secret
};

class Transport {
 public:
  using SessionId = std::uint64_t;
  using Callback = std::function<void(Response&&)>;

  virtual ~Transport() = default;

  /// Prepares a session to `target`. nullopt with *error set when the target cannot be used
  /// at all (unsupported protocol in this Net-SNMP build, unresolvable host, no socket).
  virtual std::optional<SessionId> Open(const Target& target, std::string* error) = 0;
  /// Ends a session; its outstanding requests are dropped and their callbacks never run.
  virtual void Close(SessionId id) = 0;
  /// Queues a request; `done` runs exactly once, from a later Poll() on the same thread.
  virtual void Send(SessionId id, const Request& request, Callback done) = 0;
  /// Waits up to `max_wait` for replies and timeouts and runs the callbacks that are due.
  /// Returns how many callbacks ran.
  virtual int Poll(std::chrono::milliseconds max_wait) = 0;
  /// Requests sent and not yet completed, over all sessions.
  virtual size_t InFlight() const = 0;
};

}  // namespace trinet::snmp
