#include "responder.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace trinet::lab {

namespace {

constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::uint8_t kNoSuchName = 2;  // SNMPv1 error-status
constexpr std::uint8_t kGenErr = 5;

bool ReadRangedInteger(BerReader* r, std::int64_t lo, std::int64_t hi, std::int64_t* value) {
  Bytes content;
  if (!r->ReadPrimitive(kTagInteger, &content)) return false;
  return IntegerValue(content, value) && *value >= lo && *value <= hi;
}

// A request varbind's value as pysnmp decodes it: the SMI types of the message's version with
// their constraints. (pysnmp translates an SNMPv1 INTEGER to Integer32 and dies on one out of
// range; the agent drops that packet instead.)
bool ValidValue(int version, std::uint8_t tag, Bytes content) {
  std::int64_t signed_value = 0;
  std::uint64_t unsigned_value = 0;
  switch (tag) {
    case kTagInteger:
      return IntegerValue(content, &signed_value) && signed_value >= kInt32Min &&
             signed_value <= kInt32Max;
    case kTagOctetString:
    case kTagOpaque:
      return true;
    case kTagNull:
      return content.empty();
    case kTagObjectId:
      return DecodeOid(content, nullptr);
    case kTagIpAddress:
      return content.size() == 4;
    case kTagCounter32:
    case kTagGauge32:
    case kTagTimeTicks:
      return UnsignedValue(content, &unsigned_value) &&
             unsigned_value <= std::numeric_limits<std::uint32_t>::max();
    case kTagCounter64:
      return version == 1 && UnsignedValue(content, &unsigned_value);
    case kTagNoSuchObject:
    case kTagNoSuchInstance:
    case kTagEndOfMibView:
      return version == 1 && content.empty();
    default:
      return false;
  }
}

bool IsIntegerType(std::uint8_t tag) {
  return tag == kTagInteger || tag == kTagCounter32 || tag == kTagGauge32 || tag == kTagTimeTicks ||
         tag == kTagCounter64;
}

std::uint8_t* WriteLength(std::size_t length, std::uint8_t* p) {
  std::uint8_t buf[1 + sizeof(std::size_t)];
  std::uint8_t* end = buf + sizeof(buf);
  std::uint8_t* begin = PrependLength(length, end);
  const auto n = static_cast<std::size_t>(end - begin);
  std::memcpy(p, begin, n);
  return p + n;
}

// Varbinds written forward into the response's varbind-list region.
class VarbindWriter {
 public:
  VarbindWriter(std::uint8_t* begin, std::uint8_t* limit)
      : begin_(begin), pos_(begin), limit_(limit) {}

  bool Put(Bytes varbind) {
    if (varbind.size() > static_cast<std::size_t>(limit_ - pos_)) return false;
    std::memcpy(pos_, varbind.data(), varbind.size());
    pos_ += varbind.size();
    ++count_;
    return true;
  }

  // SEQUENCE { OBJECT IDENTIFIER oid, value }.
  bool Put(Bytes oid, std::uint8_t tag, Bytes value) {
    const std::size_t body =
        1 + LengthSize(oid.size()) + oid.size() + 1 + LengthSize(value.size()) + value.size();
    const std::size_t total = 1 + LengthSize(body) + body;
    if (total > static_cast<std::size_t>(limit_ - pos_)) return false;
    std::uint8_t* p = pos_;
    *p++ = kTagSequence;
    p = WriteLength(body, p);
    *p++ = kTagObjectId;
    p = WriteLength(oid.size(), p);
    std::memcpy(p, oid.data(), oid.size());
    p += oid.size();
    *p++ = tag;
    p = WriteLength(value.size(), p);
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
    pos_ = p + value.size();
    ++count_;
    return true;
  }

  bool PutException(Bytes oid, std::uint8_t tag) { return Put(oid, tag, {}); }

  // The request's varbind as pyasn1 re-encodes it: minimal lengths, integers as pyasn1
  // writes them.
  bool PutEcho(const RequestVarbind& vb) {
    if (!IsIntegerType(vb.value_tag)) return Put(vb.oid, vb.value_tag, vb.value);
    const Bytes minimal = MinimalInteger(vb.value);  // at most 9 octets: checked when parsed
    std::uint8_t buf[16];
    std::size_t n = 0;
    if (Pyasn1PadsInteger(minimal)) buf[n++] = 0xff;
    std::memcpy(buf + n, minimal.data(), minimal.size());
    n += minimal.size();
    return Put(vb.oid, vb.value_tag, Bytes(buf, n));
  }

  std::uint8_t* begin() const { return begin_; }
  std::uint8_t* end() const { return pos_; }
  std::uint32_t count() const { return count_; }

 private:
  std::uint8_t* begin_;
  std::uint8_t* pos_;
  std::uint8_t* limit_;
  std::uint32_t count_ = 0;
};

std::uint8_t* PrependBytes(Bytes bytes, std::uint8_t* p) {
  p -= bytes.size();
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p;
}

std::uint8_t* PrependTlv(std::uint8_t tag, Bytes content, std::uint8_t* p) {
  p = PrependBytes(content, p);
  p = PrependLength(content.size(), p);
  *--p = tag;
  return p;
}

// An INTEGER from its minimal content, as pyasn1 writes it.
std::uint8_t* PrependInteger(Bytes minimal, std::uint8_t* p) {
  const bool pad = Pyasn1PadsInteger(minimal);
  p = PrependBytes(minimal, p);
  if (pad) *--p = 0xff;
  p = PrependLength(minimal.size() + (pad ? 1 : 0), p);
  *--p = kTagInteger;
  return p;
}

std::uint8_t* PrependInteger(std::int64_t value, std::uint8_t* p) {
  std::uint8_t buf[8];
  auto u = static_cast<std::uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<std::uint8_t>(u & 0xff);
    u >>= 8;
  }
  return PrependInteger(MinimalInteger(Bytes(buf, 8)), p);
}

std::span<const std::uint64_t> Arcs(const Request& request, const RequestVarbind& vb) {
  return std::span<const std::uint64_t>(request.arcs.data() + vb.arcs_begin,
                                        vb.arcs_end - vb.arcs_begin);
}

}  // namespace

Drop ParseRequest(Bytes packet, Request* request) {
  request->varbinds.clear();
  request->arcs.clear();
  request->strings.clear();
  // Constructed strings are flattened here and spans point into it: it must not reallocate.
  request->strings.reserve(packet.size());
  BerReader top(packet);
  BerReader message(packet);
  if (!top.Enter(kTagSequence, &message)) return Drop::kMalformed;
  std::int64_t version = 0;
  Bytes content;
  if (!message.ReadPrimitive(kTagInteger, &content)) return Drop::kMalformed;
  if (!IntegerValue(content, &version) || (version != 0 && version != 1)) return Drop::kVersion;
  request->version = static_cast<int>(version);
  if (!message.ReadString(kTagOctetString, &request->strings, &request->community)) {
    return Drop::kMalformed;
  }

  std::uint8_t pdu_tag = 0;
  if (!message.PeekTag(&pdu_tag)) return Drop::kMalformed;
  // The PDU types each version's message may carry; others do not decode at all.
  const bool known = version == 0 ? pdu_tag >= 0xa0 && pdu_tag <= 0xa4
                                  : pdu_tag >= 0xa0 && pdu_tag <= 0xa8 && pdu_tag != 0xa4;
  if (!known) return Drop::kMalformed;
  if (pdu_tag != kTagGetRequest && pdu_tag != kTagGetNextRequest && pdu_tag != kTagSetRequest &&
      pdu_tag != kTagGetBulkRequest) {
    // Responses, traps, informs and reports: snmpsimd has no application for them.
    return Drop::kPduType;
  }
  request->pdu = pdu_tag;
  BerReader pdu(packet);
  if (!message.Enter(pdu_tag, &pdu)) return Drop::kMalformed;
  if (!pdu.ReadPrimitive(kTagInteger, &content)) return Drop::kMalformed;
  if (version == 1) {
    // SNMPv2c's request-id is an Integer32; SNMPv1's is any INTEGER, echoed as it came.
    std::int64_t id = 0;
    if (!IntegerValue(content, &id) || id < kInt32Min || id > kInt32Max) return Drop::kMalformed;
  }
  request->request_id = MinimalInteger(content);
  if (pdu_tag == kTagGetBulkRequest) {
    if (!ReadRangedInteger(&pdu, 0, kInt32Max, &request->non_repeaters) ||
        !ReadRangedInteger(&pdu, 0, kInt32Max, &request->max_repetitions)) {
      return Drop::kMalformed;
    }
  } else {
    // error-status may be any INTEGER. error-index: SNMPv2c's is 0..2^31-1; pysnmp clamps
    // SNMPv1's to the number of varbinds but dies on a negative one (the agent drops it).
    if (!pdu.ReadPrimitive(kTagInteger, &content)) return Drop::kMalformed;
    if (!pdu.ReadPrimitive(kTagInteger, &content)) return Drop::kMalformed;
    const Bytes error_index = MinimalInteger(content);
    std::int64_t index = 0;
    if ((error_index[0] & 0x80) != 0) return Drop::kMalformed;
    if (version == 1 && (!IntegerValue(error_index, &index) || index > kInt32Max)) {
      return Drop::kMalformed;
    }
    request->non_repeaters = request->max_repetitions = 0;
  }
  BerReader list(packet);
  if (!pdu.Enter(kTagSequence, &list)) return Drop::kMalformed;
  while (!list.AtEnd()) {
    BerReader item(packet);
    if (!list.Enter(kTagSequence, &item)) return Drop::kMalformed;
    RequestVarbind vb;
    if (!item.ReadPrimitive(kTagObjectId, &vb.oid)) return Drop::kMalformed;
    vb.arcs_begin = request->arcs.size();
    if (!DecodeOid(vb.oid, &request->arcs)) return Drop::kMalformed;
    vb.arcs_end = request->arcs.size();
    if (!item.PeekTag(&vb.value_tag)) return Drop::kMalformed;
    const std::uint8_t primitive = vb.value_tag & ~std::uint8_t{0x20};
    if (primitive == kTagOctetString || primitive == kTagIpAddress || primitive == kTagOpaque) {
      vb.value_tag = primitive;
      if (!item.ReadString(primitive, &request->strings, &vb.value)) return Drop::kMalformed;
    } else if (!item.ReadPrimitive(vb.value_tag, &vb.value)) {
      return Drop::kMalformed;
    }
    if (!ValidValue(request->version, vb.value_tag, vb.value)) return Drop::kMalformed;
    if (!list.Leave(item)) return Drop::kMalformed;
    request->varbinds.push_back(vb);
  }
  if (!pdu.Leave(list) || !message.Leave(pdu) || !top.Leave(message)) return Drop::kMalformed;
  return Drop::kNone;
}

Answer Responder::Respond(Bytes packet, const ViewSelector& selector, std::uint32_t source_ip,
                          std::span<std::uint8_t> out) {
  Answer answer;
  Request& req = request_;
  answer.drop = ParseRequest(packet, &req);
  if (answer.drop != Drop::kNone) return answer;
  const MibView* view = selector.Select(
      std::string_view(reinterpret_cast<const char*>(req.community.data()), req.community.size()),
      source_ip);
  if (view == nullptr) {
    answer.drop = Drop::kCommunity;
    return answer;
  }

  // The varbinds go forward after room for the headers, which are then written backwards in
  // front of them once their lengths are known: no copy of the varbinds.
  constexpr std::size_t kHeaderSlack = 48;
  const std::size_t headroom = kHeaderSlack + req.community.size() + req.request_id.size();
  if (headroom > kMaxMessage || out.size() < headroom + kMaxMessage) {
    answer.drop = Drop::kTooBig;
    return answer;
  }
  VarbindWriter w(out.data() + headroom, out.data() + headroom + kMaxMessage);
  const std::size_t n = req.varbinds.size();
  std::int64_t error_status = 0;
  std::int64_t error_index = 0;
  bool fits = true;

  auto echo_all = [&]() {
    for (const RequestVarbind& vb : req.varbinds) fits = fits && w.PutEcho(vb);
  };

  if (req.version == 0) {
    // SNMPv1 through pysnmp's v2-to-v1 translation (RFC 2576): an exception anywhere becomes
    // noSuchName at the first such varbind; a Counter64 in a GET is noSuchName at the last
    // Counter64; a GETNEXT steps over Counter64 values. With an error, the request's varbinds
    // are returned.
    results_.clear();
    std::size_t first_exception = MibView::kNone;
    std::size_t last_counter64 = MibView::kNone;
    for (std::size_t i = 0; i < n; ++i) {
      const auto arcs = Arcs(req, req.varbinds[i]);
      std::size_t r = MibView::kNone;
      if (req.pdu == kTagGetRequest) {
        r = view->Find(arcs);
        if (r != MibView::kNone && view->IsCounter64(r)) last_counter64 = i;
      } else if (req.pdu == kTagGetNextRequest) {
        r = view->Next(arcs);
        while (r != MibView::kNone && view->IsCounter64(r)) r = view->NextAfter(r);
      }  // SET: every varbind is noSuchInstance
      if ((r == MibView::kNone || view->IsException(r)) && first_exception == MibView::kNone) {
        first_exception = i;
      }
      results_.push_back(r);
    }
    if (last_counter64 != MibView::kNone) {
      error_status = kNoSuchName;
      error_index = static_cast<std::int64_t>(last_counter64) + 1;
    } else if (first_exception != MibView::kNone) {
      error_status = kNoSuchName;
      error_index = static_cast<std::int64_t>(first_exception) + 1;
    }
    if (error_status != 0) {
      echo_all();
    } else {
      for (std::size_t r : results_) fits = fits && w.Put(view->Varbind(r));
    }
  } else if (req.pdu == kTagGetRequest || req.pdu == kTagSetRequest) {
    for (std::size_t i = 0; i < n && fits; ++i) {
      const RequestVarbind& vb = req.varbinds[i];
      const std::size_t r = req.pdu == kTagGetRequest ? view->Find(Arcs(req, vb)) : MibView::kNone;
      fits = r != MibView::kNone ? w.Put(view->Varbind(r))
                                 : w.PutException(vb.oid, kTagNoSuchInstance);
    }
  } else if (req.pdu == kTagGetNextRequest) {
    for (std::size_t i = 0; i < n && fits; ++i) {
      const RequestVarbind& vb = req.varbinds[i];
      const std::size_t r = view->Next(Arcs(req, vb));
      fits =
          r != MibView::kNone ? w.Put(view->Varbind(r)) : w.PutException(vb.oid, kTagEndOfMibView);
    }
  } else {
    // GETBULK as pysnmp's BulkCommandResponder: N non-repeaters, then M rounds over the R
    // others, M capped at max_varbinds / R. Every round is a GETNEXT of the previous round's
    // answers, so an endOfMibView repeats (same OID) until the M rounds are done.
    const std::size_t non_repeaters = std::min(static_cast<std::size_t>(req.non_repeaters), n);
    const std::size_t repeaters = n - non_repeaters;
    std::int64_t rounds = req.max_repetitions;
    if (repeaters != 0) {
      rounds = std::min<std::int64_t>(rounds,
                                      static_cast<std::int64_t>(options_.max_varbinds / repeaters));
    }
    if (non_repeaters == 0 && (rounds == 0 || repeaters == 0)) {
      // No varbind to answer with: pysnmp raises, which becomes genErr on the first varbind.
      error_status = kGenErr;
      error_index = n != 0 ? 1 : 0;
      echo_all();
    } else {
      for (std::size_t i = 0; i < non_repeaters && fits; ++i) {
        const RequestVarbind& vb = req.varbinds[i];
        const std::size_t r = view->Next(Arcs(req, vb));
        fits = r != MibView::kNone ? w.Put(view->Varbind(r))
                                   : w.PutException(vb.oid, kTagEndOfMibView);
      }
      cursors_.clear();
      for (std::size_t i = non_repeaters; i < n; ++i) {
        const RequestVarbind& vb = req.varbinds[i];
        cursors_.push_back({view->Next(Arcs(req, vb)), vb.oid});
      }
      for (std::int64_t round = 0; round < rounds && fits; ++round) {
        for (Cursor& c : cursors_) {
          if (round > 0 && c.record != MibView::kNone) {
            const std::size_t next = view->NextAfter(c.record);
            if (next == MibView::kNone) c.end_oid = view->OidContent(c.record);
            c.record = next;
          }
          fits = c.record != MibView::kNone ? w.Put(view->Varbind(c.record))
                                            : w.PutException(c.end_oid, kTagEndOfMibView);
          if (!fits) break;
        }
      }
    }
  }
  if (!fits) {
    answer.drop = Drop::kTooBig;
    return answer;
  }

  // Message ::= SEQUENCE { version, community, GetResponse-PDU { request-id, error-status,
  // error-index, varbinds } }, written backwards from the varbinds.
  std::uint8_t* const end = w.end();
  std::uint8_t* p = w.begin();
  p = PrependLength(static_cast<std::size_t>(end - p), p);
  *--p = kTagSequence;
  p = PrependInteger(error_index, p);
  p = PrependInteger(error_status, p);
  p = PrependInteger(req.request_id, p);
  p = PrependLength(static_cast<std::size_t>(end - p), p);
  *--p = kTagResponse;
  p = PrependTlv(kTagOctetString, req.community, p);
  p = PrependInteger(req.version, p);
  p = PrependLength(static_cast<std::size_t>(end - p), p);
  *--p = kTagSequence;
  const auto size = static_cast<std::size_t>(end - p);
  if (size > kMaxMessage) {
    answer.drop = Drop::kTooBig;
    return answer;
  }
  answer.message = Bytes(p, size);
  answer.varbinds = w.count();
  return answer;
}

}  // namespace trinet::lab
