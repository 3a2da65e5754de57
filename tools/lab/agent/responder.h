#pragma once
// The lab agent's answer to one request datagram: a pure function of the request bytes, the
// recordings and the options, written to match snmpsimd 0.4.5 (pysnmp 4.4) byte for byte for
// SNMPv1 and v2c GET, GETNEXT, GETBULK and SET. docs/lab.md lists the behaviours it copies.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ber.h"
#include "mib_view.h"

namespace trinet::lab {

/// Picks the recording that answers a request on one endpoint.
class ViewSelector {
 public:
  virtual ~ViewSelector() = default;
  /// The recording serving `community` for a request from `source_ip` (IPv4, network byte
  /// order), or null: the request is dropped silently, as snmpsimd drops unknown communities.
  virtual const MibView* Select(std::string_view community, std::uint32_t source_ip) const = 0;
};

/// One community and one recording: an endpoint of `--devices`.
class SingleViewSelector : public ViewSelector {
 public:
  SingleViewSelector(std::string community, const MibView* view)
      : community_(std::move(community)), view_(view) {}
  const MibView* Select(std::string_view community, std::uint32_t) const override {
    return community == community_ ? view_ : nullptr;
  }

 private:
  std::string community_;
  const MibView* view_;
};

/// One varbind of a request: the content octets of its name and of its value.
struct RequestVarbind {
  Bytes oid;
  std::uint8_t value_tag = 0;
  Bytes value;
  std::size_t arcs_begin = 0;  ///< the name's arcs in Request::arcs
  std::size_t arcs_end = 0;
};

/// A decoded request. Its spans point into the datagram.
struct Request {
  int version = 0;  ///< 0 = SNMPv1, 1 = SNMPv2c
  Bytes community;
  std::uint8_t pdu = 0;              ///< kTagGetRequest, kTagGetNextRequest, kTagSetRequest, ...
  Bytes request_id;                  ///< minimal INTEGER content, echoed in the answer
  std::int64_t non_repeaters = 0;    ///< GETBULK
  std::int64_t max_repetitions = 0;  ///< GETBULK
  std::vector<RequestVarbind> varbinds;
  std::vector<std::uint64_t> arcs;  ///< every name's arcs (see DecodeOid)
  std::string strings;              ///< the content of constructed strings, concatenated
};

/// Why a request got no answer.
enum class Drop : std::uint8_t {
  kNone,
  kMalformed,  ///< not BER snmpsimd would decode, or a value it refuses
  kVersion,    ///< not SNMPv1 or v2c (SNMPv3 is not simulated)
  kPduType,    ///< not GET, GETNEXT, GETBULK or SET (or GETBULK in SNMPv1)
  kCommunity,  ///< no recording for this community
  kTooBig,     ///< the answer would exceed a UDP datagram (snmpsimd drops it too)
};

/// Decodes `packet`. kNone when it is a GET, GETNEXT, GETBULK or SET that snmpsimd would
/// answer; bytes after the message are ignored, as snmpsimd ignores them. `request`'s vectors
/// are reused, so a warm Request decodes without allocating.
Drop ParseRequest(Bytes packet, Request* request);

/// Options of the agent that change answers.
struct ResponderOptions {
  /// snmpsimd's --max-varbinds: a GETBULK repeats at most max_varbinds / R times for R
  /// repeated varbinds (at least 1).
  std::uint32_t max_varbinds = 64;
};

/// The answer to one request.
struct Answer {
  /// The response datagram, inside the output buffer; empty when dropped.
  Bytes message;
  /// Number of varbinds in the response.
  std::uint32_t varbinds = 0;
  Drop drop = Drop::kNone;
};

/// Answers requests; holds the scratch space, so one per thread.
class Responder {
 public:
  /// The largest response snmpsimd sends (pysnmp's maximum message size for UDP).
  static constexpr std::size_t kMaxMessage = 65507;
  /// The output buffer Respond needs.
  static constexpr std::size_t kOutputSize = 2 * 65536 + 256;

  explicit Responder(ResponderOptions options) : options_(options) {}

  /// Answers `packet` received from `source_ip` (network byte order) on an endpoint served by
  /// `selector`, writing into `out` (at least kOutputSize bytes).
  Answer Respond(Bytes packet, const ViewSelector& selector, std::uint32_t source_ip,
                 std::span<std::uint8_t> out);

 private:
  // Where a GETBULK repetition continues from: a record, or the end of the MIB reached from
  // the OID with content `end_oid`.
  struct Cursor {
    std::size_t record = MibView::kNone;
    Bytes end_oid;
  };

  ResponderOptions options_;
  Request request_;
  std::vector<std::size_t> results_;
  std::vector<Cursor> cursors_;
};

}  // namespace trinet::lab
