#pragma once
// BER as SNMP v1/v2c uses it, for the lab agent: a bounds-checked reader that accepts what
// snmpsimd's decoder (pyasn1) accepts on the paths SNMP requests take, and the encoders for
// the answers. Pure functions over byte spans: nothing here allocates per packet except into
// vectors the caller reuses.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "snmp/oid.h"

namespace trinet::lab {

using Bytes = std::span<const std::uint8_t>;

/// BER tags of the SNMP types the agent reads or writes.
enum Tag : std::uint8_t {
  kTagInteger = 0x02,
  kTagOctetString = 0x04,
  kTagNull = 0x05,
  kTagObjectId = 0x06,
  kTagSequence = 0x30,
  kTagIpAddress = 0x40,
  kTagCounter32 = 0x41,
  kTagGauge32 = 0x42,
  kTagTimeTicks = 0x43,
  kTagOpaque = 0x44,
  kTagCounter64 = 0x46,
  kTagNoSuchObject = 0x80,
  kTagNoSuchInstance = 0x81,
  kTagEndOfMibView = 0x82,
  kTagGetRequest = 0xa0,
  kTagGetNextRequest = 0xa1,
  kTagResponse = 0xa2,
  kTagSetRequest = 0xa3,
  kTagGetBulkRequest = 0xa5,
};

/// A read position inside one constructed BER value (or the whole datagram). Every read checks
/// its bounds; a failed read leaves the reader unusable for the caller's purpose (it returns
/// false and the caller drops the packet).
class BerReader {
 public:
  /// Reads `data` as a sequence of TLVs; bytes after the last one are the caller's business.
  explicit BerReader(Bytes data) : data_(data), pos_(0), end_(data.size()), definite_(true) {}

  /// True when no TLV is left: at the end of a definite length, or before the end-of-contents
  /// octets of an indefinite one.
  bool AtEnd() const;

  /// The tag of the next TLV without consuming it (a high-tag-number form of a small tag
  /// number read as the short form); false at the end or if the header is malformed.
  bool PeekTag(std::uint8_t* tag) const;

  /// Reads one primitive TLV with tag `tag` (definite length, short or long form).
  bool ReadPrimitive(std::uint8_t tag, Bytes* content);

  /// Reads an OCTET STRING-based value with primitive tag `tag`, or a constructed or
  /// indefinite-length form of it, whose chunks are flattened as pyasn1 flattens them into
  /// `*scratch`; `content` then points there. The caller reserves `scratch` so that it never
  /// reallocates (the packet's size is enough).
  bool ReadString(std::uint8_t tag, std::string* scratch, Bytes* content);

  /// Opens the constructed TLV with tag `tag` (definite or indefinite length) as `child`.
  bool Enter(std::uint8_t tag, BerReader* child) const;

  /// Moves past `child`, which must have been read to its end; for an indefinite length this
  /// consumes the end-of-contents octets.
  bool Leave(const BerReader& child);

  /// Offset of the next byte in the buffer the top-level reader was made with.
  std::size_t position() const { return pos_; }

 private:
  bool AppendChunks(std::string* scratch, int depth);
  BerReader(Bytes data, std::size_t pos, std::size_t end, bool definite)
      : data_(data), pos_(pos), end_(end), definite_(definite) {}
  // Reads tag and length at pos_; on success *content_begin is the first content byte and
  // *length the content length, or *indefinite is set.
  bool ReadHeader(std::uint8_t* tag, std::size_t* content_begin, std::size_t* length,
                  bool* indefinite) const;

  Bytes data_;
  std::size_t pos_;
  std::size_t end_;  // definite: end of content; indefinite: the limit the EOC must fit in
  bool definite_;
};

/// The minimal two's-complement form of an INTEGER's content octets, as pyasn1 re-encodes
/// every integer it decodes; empty content (which pyasn1 reads as 0) gives a single 0x00.
Bytes MinimalInteger(Bytes content);

/// True when pyasn1 encodes the integer with minimal content `minimal` one octet longer:
/// CPython's int.to_bytes path in pyasn1 sizes a negative number by the bit length of its
/// absolute value, so -2^(8k-1) (-128, -32768, ..., whose minimal form is 0x80 and zeros) gets
/// a leading 0xff. snmpsimd sends such values that way, so the agent does too.
bool Pyasn1PadsInteger(Bytes minimal);

/// The INTEGER content as a signed 64-bit value; false if it does not fit.
bool IntegerValue(Bytes content, std::int64_t* value);

/// The INTEGER content as an unsigned value of at most 64 bits; false if negative or larger.
bool UnsignedValue(Bytes content, std::uint64_t* value);

/// Checks OBJECT IDENTIFIER content the way pyasn1 does (not empty, no 0x80 leading octet in a
/// sub-identifier, none cut short, at most 20 continuation octets each) and appends its arcs
/// to `arcs` (unless null), the first two split from the first sub-identifier. Arcs too large
/// for 64 bits saturate at UINT64_MAX, which still orders them after every arc of a recording
/// (those fit 32 bits). Returns false, with `arcs` partly appended, if the content is
/// malformed.
bool DecodeOid(Bytes content, std::vector<std::uint64_t>* arcs);

/// Appends the BER length octets for `length` (short form below 128, else minimal long form).
void AppendLength(std::size_t length, std::string* out);

/// Appends a complete TLV.
void AppendTlv(std::uint8_t tag, Bytes content, std::string* out);

/// Appends an INTEGER-family TLV (tag `tag`) holding `value` as pyasn1 encodes it: minimal,
/// except for the padding described at Pyasn1PadsInteger.
void AppendSigned(std::uint8_t tag, std::int64_t value, std::string* out);

/// Appends an unsigned TLV (Counter32, Gauge32, TimeTicks, Counter64), minimally encoded
/// (a leading 0x00 when the top bit is set).
void AppendUnsigned(std::uint8_t tag, std::uint64_t value, std::string* out);

/// The content octets of `oid`; false when BER cannot carry it (fewer than two arcs, a first
/// arc above 2, or a second arc above 39 under a first arc of 0 or 1), as pyasn1 refuses.
bool EncodeOidContent(const snmp::Oid& oid, std::string* out);

/// The number of octets of the length field for a content of `length` octets.
constexpr std::size_t LengthSize(std::size_t length) {
  std::size_t n = 1;
  if (length >= 0x80) {
    for (std::size_t v = length; v != 0; v >>= 8) ++n;
  }
  return n;
}

/// Writes a length field ending just before `end` and returns its first byte. The caller has
/// reserved LengthSize(length) bytes there.
inline std::uint8_t* PrependLength(std::size_t length, std::uint8_t* end) {
  if (length < 0x80) {
    *--end = static_cast<std::uint8_t>(length);
    return end;
  }
  std::uint8_t count = 0;
  for (std::size_t v = length; v != 0; v >>= 8) {
    *--end = static_cast<std::uint8_t>(v & 0xff);
    ++count;
  }
  *--end = static_cast<std::uint8_t>(0x80 | count);
  return end;
}

}  // namespace trinet::lab
