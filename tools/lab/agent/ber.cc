#include "ber.h"

#include <limits>

namespace trinet::lab {

namespace {

constexpr std::uint8_t kZero[1] = {0};

// pyasn1 refuses an OID sub-identifier with more continuation octets than this, and a tag
// number of more octets than that.
constexpr int kMaxOidContinuationOctets = 20;
constexpr int kMaxTagOctets = 20;
// pyasn1 refuses structures nested deeper; a constructed string's chunks count from the
// varbind's value, five levels below the message.
constexpr int kMaxStringNesting = 95;

}  // namespace

bool BerReader::ReadHeader(std::uint8_t* tag, std::size_t* content_begin, std::size_t* length,
                           bool* indefinite) const {
  std::size_t p = pos_;
  if (p >= end_) return false;
  *tag = data_[p++];
  if ((*tag & 0x1f) == 0x1f) {
    // High-tag-number form. No SNMP type needs it, but pyasn1 reads a small tag number
    // written this way as the same tag (e.g. 0xbf 0x00 as GetRequest), so the agent does.
    std::uint64_t number = 0;
    int octets = 0;
    while (true) {
      if (p >= end_ || ++octets > kMaxTagOctets) return false;
      const std::uint8_t b = data_[p++];
      if (number > (std::uint64_t{1} << 56)) return false;
      number = (number << 7) | (b & 0x7f);
      if ((b & 0x80) == 0) break;
    }
    if (number >= 0x1f) return false;  // no type the agent reads has such a tag
    *tag = static_cast<std::uint8_t>((*tag & 0xe0) | number);
  }
  if (p >= end_) return false;
  const std::uint8_t first = data_[p++];
  *indefinite = false;
  if (first < 0x80) {
    *length = first;
  } else if (first == 0x80) {
    *indefinite = true;
    *length = 0;
  } else {
    std::size_t count = first & 0x7f;
    if (count > end_ - p) return false;
    // BER allows padding a long-form length with leading zero octets; pyasn1 reads them.
    while (count > 0 && data_[p] == 0) {
      ++p;
      --count;
    }
    if (count > sizeof(std::size_t)) return false;
    std::size_t value = 0;
    for (; count > 0; --count) value = (value << 8) | data_[p++];
    *length = value;
  }
  if (!*indefinite && *length > end_ - p) return false;
  *content_begin = p;
  return true;
}

bool BerReader::AtEnd() const {
  if (pos_ >= end_) return true;
  if (definite_) return false;
  return end_ - pos_ >= 2 && data_[pos_] == 0 && data_[pos_ + 1] == 0;
}

bool BerReader::PeekTag(std::uint8_t* tag) const {
  if (AtEnd()) return false;
  std::size_t begin = 0;
  std::size_t length = 0;
  bool indefinite = false;
  return ReadHeader(tag, &begin, &length, &indefinite);
}

bool BerReader::ReadString(std::uint8_t tag, std::string* scratch, Bytes* content) {
  if (AtEnd()) return false;
  std::uint8_t got = 0;
  std::size_t begin = 0;
  std::size_t length = 0;
  bool indefinite = false;
  if (!ReadHeader(&got, &begin, &length, &indefinite)) return false;
  // pyasn1 matches tags without their constructed bit for the OCTET STRING family.
  if ((got & ~std::uint8_t{0x20}) != tag) return false;
  if (!indefinite && (got & 0x20) == 0) {
    *content = data_.subspan(begin, length);
    pos_ = begin + length;
    return true;
  }
  const std::size_t start = scratch->size();
  BerReader chunks = indefinite ? BerReader(data_, begin, end_, false)
                                : BerReader(data_, begin, begin + length, true);
  if (!chunks.AppendChunks(scratch, 1) || !Leave(chunks)) return false;
  *content = Bytes(reinterpret_cast<const std::uint8_t*>(scratch->data()) + start,
                   scratch->size() - start);
  return true;
}

bool BerReader::AppendChunks(std::string* scratch, int depth) {
  // pyasn1 (OctetStringDecoder with its substrateCollector): each chunk must carry the
  // universal OCTET STRING tag, primitive or constructed; a definite-length chunk contributes
  // its content octets as they are, even when constructed, and an indefinite-length one is
  // flattened the same way, recursively.
  if (depth > kMaxStringNesting) return false;
  while (!AtEnd()) {
    std::uint8_t tag = 0;
    std::size_t begin = 0;
    std::size_t length = 0;
    bool indefinite = false;
    if (!ReadHeader(&tag, &begin, &length, &indefinite)) return false;
    if ((tag & ~std::uint8_t{0x20}) != kTagOctetString) return false;
    if (!indefinite) {
      scratch->append(reinterpret_cast<const char*>(data_.data() + begin), length);
      pos_ = begin + length;
      continue;
    }
    BerReader inner(data_, begin, end_, false);
    if (!inner.AppendChunks(scratch, depth + 1) || !Leave(inner)) return false;
  }
  return true;
}

bool BerReader::ReadPrimitive(std::uint8_t tag, Bytes* content) {
  if (AtEnd()) return false;
  std::uint8_t got = 0;
  std::size_t begin = 0;
  std::size_t length = 0;
  bool indefinite = false;
  if (!ReadHeader(&got, &begin, &length, &indefinite)) return false;
  if (got != tag || (tag & 0x20) != 0 || indefinite) return false;
  *content = data_.subspan(begin, length);
  pos_ = begin + length;
  return true;
}

bool BerReader::Enter(std::uint8_t tag, BerReader* child) const {
  if (AtEnd()) return false;
  std::uint8_t got = 0;
  std::size_t begin = 0;
  std::size_t length = 0;
  bool indefinite = false;
  if (!ReadHeader(&got, &begin, &length, &indefinite)) return false;
  if (got != tag || (tag & 0x20) == 0) return false;
  *child = indefinite ? BerReader(data_, begin, end_, false)
                      : BerReader(data_, begin, begin + length, true);
  return true;
}

bool BerReader::Leave(const BerReader& child) {
  if (child.definite_) {
    if (child.pos_ != child.end_) return false;
    pos_ = child.end_;
    return true;
  }
  // An indefinite length ends with two zero octets, which must lie inside this reader.
  if (child.pos_ > end_ || end_ - child.pos_ < 2) return false;
  if (data_[child.pos_] != 0 || data_[child.pos_ + 1] != 0) return false;
  pos_ = child.pos_ + 2;
  return true;
}

Bytes MinimalInteger(Bytes content) {
  if (content.empty()) return Bytes(kZero, 1);
  std::size_t skip = 0;
  while (content.size() - skip >= 2) {
    const std::uint8_t b0 = content[skip];
    const std::uint8_t b1 = content[skip + 1];
    if ((b0 == 0x00 && b1 < 0x80) || (b0 == 0xff && b1 >= 0x80)) {
      ++skip;
    } else {
      break;
    }
  }
  return content.subspan(skip);
}

bool Pyasn1PadsInteger(Bytes minimal) {
  if (minimal.empty() || minimal[0] != 0x80) return false;
  for (std::size_t i = 1; i < minimal.size(); ++i) {
    if (minimal[i] != 0) return false;
  }
  return true;
}

bool IntegerValue(Bytes content, std::int64_t* value) {
  const Bytes m = MinimalInteger(content);
  if (m.size() > 8) return false;
  std::uint64_t v = (m[0] & 0x80) ? ~std::uint64_t{0} : 0;
  for (std::uint8_t b : m) v = (v << 8) | b;
  *value = static_cast<std::int64_t>(v);
  return true;
}

bool UnsignedValue(Bytes content, std::uint64_t* value) {
  Bytes m = MinimalInteger(content);
  if (m[0] & 0x80) return false;
  if (m.size() == 9 && m[0] == 0) m = m.subspan(1);  // the sign octet of a top bit set
  if (m.size() > 8) return false;
  std::uint64_t v = 0;
  for (std::uint8_t b : m) v = (v << 8) | b;
  *value = v;
  return true;
}

bool DecodeOid(Bytes content, std::vector<std::uint64_t>* arcs) {
  if (content.empty()) return false;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  bool first = true;
  std::size_t i = 0;
  while (i < content.size()) {
    // A sub-identifier may not start with 0x80 (a leading zero digit): pyasn1 refuses it.
    if (content[i] == 0x80) return false;
    std::uint64_t v = 0;
    bool saturated = false;
    int continuation = 0;
    while (true) {
      if (i >= content.size()) return false;  // the last octet still had its top bit set
      const std::uint8_t b = content[i++];
      if (b & 0x80) {
        if (++continuation > kMaxOidContinuationOctets) return false;
      }
      if (v > (kMax >> 7)) saturated = true;
      v = (v << 7) | (b & 0x7f);
      if ((b & 0x80) == 0) break;
    }
    if (saturated) v = kMax;
    if (arcs == nullptr) continue;
    if (first) {
      first = false;
      if (v <= 39) {
        arcs->push_back(0);
        arcs->push_back(v);
      } else if (v <= 79) {
        arcs->push_back(1);
        arcs->push_back(v - 40);
      } else {
        arcs->push_back(2);
        arcs->push_back(v == kMax ? kMax : v - 80);
      }
    } else {
      arcs->push_back(v);
    }
  }
  return true;
}

void AppendLength(std::size_t length, std::string* out) {
  std::uint8_t buf[1 + sizeof(std::size_t)];
  std::uint8_t* end = buf + sizeof(buf);
  std::uint8_t* begin = PrependLength(length, end);
  out->append(reinterpret_cast<const char*>(begin), static_cast<std::size_t>(end - begin));
}

void AppendTlv(std::uint8_t tag, Bytes content, std::string* out) {
  out->push_back(static_cast<char>(tag));
  AppendLength(content.size(), out);
  out->append(reinterpret_cast<const char*>(content.data()), content.size());
}

void AppendSigned(std::uint8_t tag, std::int64_t value, std::string* out) {
  std::uint8_t buf[8];
  auto u = static_cast<std::uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<std::uint8_t>(u & 0xff);
    u >>= 8;
  }
  const Bytes minimal = MinimalInteger(Bytes(buf, 8));
  if (!Pyasn1PadsInteger(minimal)) {
    AppendTlv(tag, minimal, out);
    return;
  }
  out->push_back(static_cast<char>(tag));
  AppendLength(minimal.size() + 1, out);
  out->push_back(static_cast<char>(0xff));
  out->append(reinterpret_cast<const char*>(minimal.data()), minimal.size());
}

void AppendUnsigned(std::uint8_t tag, std::uint64_t value, std::string* out) {
  std::uint8_t buf[9];
  buf[0] = 0;
  for (int i = 8; i >= 1; --i) {
    buf[i] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  AppendTlv(tag, MinimalInteger(Bytes(buf, 9)), out);
}

bool EncodeOidContent(const snmp::Oid& oid, std::string* out) {
  if (oid.size() < 2) return false;
  const std::uint64_t first = oid[0];
  const std::uint64_t second = oid[1];
  if (first > 2 || (first < 2 && second > 39)) return false;
  auto put = [out](std::uint64_t v) {
    std::uint8_t buf[10];
    int n = 0;
    do {
      buf[n++] = static_cast<std::uint8_t>(v & 0x7f);
      v >>= 7;
    } while (v != 0);
    while (n > 1) out->push_back(static_cast<char>(buf[--n] | 0x80));
    out->push_back(static_cast<char>(buf[0]));
  };
  put(first * 40 + second);
  for (std::size_t i = 2; i < oid.size(); ++i) put(oid[i]);
  return true;
}

}  // namespace trinet::lab
