#include "mib_view.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>

#include "snmp/oid.h"
#include "snmp/snmprec.h"
#include "snmp/varbind.h"

namespace trinet::lab {

namespace {

using snmp::Oid;
using snmp::Value;
using snmp::ValueType;

// snmpsim finds blank and comment lines with bytes.strip() (ASCII whitespace), but parses a
// record from the line decoded as ISO-8859-1 and str.strip()ped, which also removes
// \x1c-\x1f, \x85 and \xa0. A value ending in one of those loses it in snmpsimd; so here.
bool IsAsciiSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool IsLatin1Space(unsigned char c) {
  return IsAsciiSpace(c) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0;
}

std::string_view Strip(std::string_view s, bool (*is_space)(unsigned char)) {
  while (!s.empty() && is_space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Quote(std::string_view s) {
  constexpr std::size_t kMax = 60;
  if (s.size() <= kMax) return "'" + std::string(s) + "'";
  return "'" + std::string(s.substr(0, kMax)) + "...'";
}

// The tags snmpsim's grammar knows (SnmprecGrammar.tagMap), as text: any other spelling
// ("04", "7") is a KeyError when snmpsimd evaluates the record.
constexpr std::array<std::string_view, 13> kKnownTags = {"2",  "4",  "5",  "6",   "64",  "65", "66",
                                                         "67", "68", "70", "128", "129", "130"};

bool IsKnownTag(std::string_view tag) {
  return std::find(kKnownTags.begin(), kKnownTags.end(), tag) != kKnownTags.end();
}

// Appends the value's TLV; false when pyasn1 could not encode it (an OID BER cannot carry).
bool EncodeValue(const Value& v, std::string* out) {
  auto bytes = [](const std::string& s) {
    return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  switch (v.type) {
    case ValueType::kInteger:
      AppendSigned(kTagInteger, v.integer, out);
      return true;
    case ValueType::kOctetString:
      AppendTlv(kTagOctetString, bytes(v.bytes), out);
      return true;
    case ValueType::kNull:
      AppendTlv(kTagNull, {}, out);
      return true;
    case ValueType::kObjectId: {
      std::string content;
      if (!EncodeOidContent(v.oid, &content)) return false;
      AppendTlv(kTagObjectId, bytes(content), out);
      return true;
    }
    case ValueType::kIpAddress:
      AppendTlv(kTagIpAddress, bytes(v.bytes), out);
      return true;
    case ValueType::kCounter32:
      AppendUnsigned(kTagCounter32, v.unsigned_value, out);
      return true;
    case ValueType::kGauge32:
      AppendUnsigned(kTagGauge32, v.unsigned_value, out);
      return true;
    case ValueType::kTimeTicks:
      AppendUnsigned(kTagTimeTicks, v.unsigned_value, out);
      return true;
    case ValueType::kOpaque:
      AppendTlv(kTagOpaque, bytes(v.bytes), out);
      return true;
    case ValueType::kCounter64:
      AppendUnsigned(kTagCounter64, v.unsigned_value, out);
      return true;
    case ValueType::kNoSuchObject:
      AppendTlv(kTagNoSuchObject, {}, out);
      return true;
    case ValueType::kNoSuchInstance:
      AppendTlv(kTagNoSuchInstance, {}, out);
      return true;
    case ValueType::kEndOfMibView:
      AppendTlv(kTagEndOfMibView, {}, out);
      return true;
  }
  return false;
}

// Python's int(text) for the numeric tags (pyasn1 reads their values with int()): surrounding
// whitespace, a sign, and single underscores between digits are accepted. nullopt where
// Python raises, or when the magnitude exceeds 64 bits (beyond every SNMP range anyway).
std::optional<std::pair<bool, std::uint64_t>> PythonInt(std::string_view text) {
  text = Strip(text, IsLatin1Space);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  bool previous_digit = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      if (!previous_digit || i + 1 == text.size()) return std::nullopt;
      previous_digit = false;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    previous_digit = true;
  }
  return std::make_pair(negative && value != 0, value);
}

// The value of a numeric tag as snmpsimd evaluates it, or nullopt (with *why) where it fails.
std::optional<Value> NumericValue(std::string_view base, std::string_view text, std::string* why) {
  const auto number = PythonInt(text);
  const bool is_integer = base == "2";
  const char* type = is_integer     ? "Integer32"
                     : base == "65" ? "Counter32"
                     : base == "66" ? "Gauge32"
                     : base == "67" ? "TimeTicks"
                                    : "Counter64";
  if (number) {
    const auto [negative, magnitude] = *number;
    if (is_integer) {
      if (!negative && magnitude <= 2147483647u) {
        return Value::Integer(static_cast<std::int64_t>(magnitude));
      }
      if (negative && magnitude <= 2147483648u) {
        return Value::Integer(-static_cast<std::int64_t>(magnitude));
      }
    } else if (!negative && (base == "70" || magnitude <= 4294967295u)) {
      const ValueType t = base == "65"   ? ValueType::kCounter32
                          : base == "66" ? ValueType::kGauge32
                          : base == "67" ? ValueType::kTimeTicks
                                         : ValueType::kCounter64;
      return Value::Unsigned(t, magnitude);
    }
  }
  *why = std::string("bad ") + type + " value " + Quote(text);
  return std::nullopt;
}

bool IsNumericTag(std::string_view base) {
  return base == "2" || base == "65" || base == "66" || base == "67" || base == "70";
}

// One record line, as far as loading it went.
struct Record {
  std::size_t line = 0;
  Oid oid;
  bool unindexed = false;
  std::string unevaluable;  // why snmpsimd cannot evaluate the value, or empty
  std::optional<Value> value;
};

// Parses one record line (already stripped as snmpsim does). Returns false with *error set
// when the line cannot be served at all.
bool ParseRecord(std::string_view line, Record* rec, std::string* error) {
  // snmpsim: line.split('|', 2), and both OID and tag must be non-empty.
  const auto bar1 = line.find('|');
  const auto bar2 = bar1 == std::string_view::npos ? bar1 : line.find('|', bar1 + 1);
  if (bar2 == std::string_view::npos || bar1 == 0 || bar2 == bar1 + 1) {
    *error = "expected OID|TAG|VALUE, got " + Quote(line);
    return false;
  }
  const std::string_view oid_text = line.substr(0, bar1);
  const std::string_view tag_text = line.substr(bar1 + 1, bar2 - bar1 - 1);
  const std::string_view value_text = line.substr(bar2 + 1);

  if (auto colon = tag_text.find(':'); colon != std::string_view::npos) {
    *error = "variation module " + Quote(tag_text.substr(colon + 1)) +
             " is not supported: the lab agent serves static recordings only";
    return false;
  }
  auto oid = Oid::Parse(oid_text);
  if (!oid) {
    *error = "bad OID " + Quote(oid_text);
    return false;
  }
  std::string oid_content;
  if (!EncodeOidContent(*oid, &oid_content)) {
    *error = "OID " + Quote(oid_text) + " cannot be encoded in BER";
    return false;
  }
  rec->oid = std::move(*oid);
  // snmpsimd looks a requested OID up in its index by its canonical text; a record written
  // otherwise ("1.3.6.1.2.1.17.4.3.1.2.11.22.33.44.56.00", ".1.3.6...") is never found.
  rec->unindexed = rec->oid.ToString() != oid_text;

  std::string_view base = tag_text;
  char encoding = 0;
  if (base.back() == 'x' || base.back() == 'e') {
    encoding = base.back();
    base.remove_suffix(1);
  }
  if (!IsKnownTag(base)) {
    rec->unevaluable = "unknown tag " + Quote(tag_text);
    return true;
  }
  const bool bytes_type = base == "4" || base == "64" || base == "68";
  if (encoding == 'e' && bytes_type) {
    // The project's parser reads `e` values as Python escapes; snmpsim has its own decoder
    // with quirks, and the agent must answer what snmpsimd answers.
    std::string bytes;
    if (!SnmpsimUnescape(value_text, &bytes)) {
      rec->unevaluable = "bad escaped value " + Quote(value_text);
      return true;
    }
    if (base == "64" && bytes.size() != 4) {
      rec->unevaluable = "IpAddress of " + std::to_string(bytes.size()) + " octets";
      return true;
    }
    const ValueType type = base == "4"    ? ValueType::kOctetString
                           : base == "64" ? ValueType::kIpAddress
                                          : ValueType::kOpaque;
    rec->value = Value::Bytes(type, std::move(bytes));
  } else if (encoding == 0 && IsNumericTag(base)) {
    // The project's parser is stricter than Python's int(); snmpsimd serves " 5" and "+5" as
    // 5, and fails on "Fa3/0/1" (hp_perf.snmprec in the snmpsim examples has such lines).
    rec->value = NumericValue(base, value_text, &rec->unevaluable);
    if (!rec->value) return true;
  } else if (encoding == 0 && !value_text.empty() &&
             (base == "5" || base == "128" || base == "129" || base == "130")) {
    // Null and the exceptions take no value; snmpsim fails to evaluate one that has text.
    rec->unevaluable = "tag " + std::string(base) + " with value " + Quote(value_text);
    return true;
  } else {
    std::string one_line;
    one_line.reserve(line.size());
    one_line.append(oid_text).append("|").append(tag_text).append("|").append(value_text);
    auto parsed = snmp::ParseSnmprec(one_line, "");
    if (!parsed.errors.empty() || parsed.varbinds.size() != 1) {
      // The parser names the line ":1: why"; the caller adds the real file and line.
      std::string why = parsed.errors.empty() ? "unreadable record" : parsed.errors.front();
      if (auto sep = why.find(": "); sep != std::string::npos) why = why.substr(sep + 2);
      *error = why;
      return false;
    }
    rec->value = std::move(parsed.varbinds.front().value);
  }
  if (rec->value->type == ValueType::kOctetString && rec->value->bytes.size() > 65535) {
    // pysnmp's OctetString is SIZE (0..65535): evaluating a longer one fails.
    rec->unevaluable = "OCTET STRING longer than 65535 octets";
    rec->value.reset();
    return true;
  }
  if (rec->value->type == ValueType::kObjectId) {
    std::string ignored;
    if (!EncodeOidContent(rec->value->oid, &ignored)) {
      // pyasn1 would fail to encode every answer carrying it (snmpsimd drops them): refuse.
      *error = "OBJECT IDENTIFIER value " + Quote(value_text) + " cannot be encoded in BER";
      return false;
    }
  }
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool SnmpsimUnescape(std::string_view text, std::string* out) {
  // A transcription of snmpsim 0.4.5's SnmprecRecord.evaluateRawString, state for state.
  out->clear();
  bool escape = false;
  bool in_hex = false;  // after "\x"
  int first_hex = -1;   // the first hex digit once read
  for (char ch : text) {
    int number = static_cast<unsigned char>(ch);
    if (in_hex) {
      if (first_hex < 0) {
        first_hex = HexDigit(ch);
        if (first_hex < 0) return false;
        continue;
      }
      const int second = HexDigit(ch);
      if (second < 0) return false;
      number = (first_hex << 4) + second;
      in_hex = false;
      first_hex = -1;
    }
    if (escape) {
      escape = false;
      switch (number) {
        case '\\':
        case '\'':
        case '"':
          break;
        case 'a':
          number = 7;
          break;
        case 'b':
          number = 8;
          break;
        case 'f':
          number = 12;
          break;
        case 'n':
          number = 10;
          break;
        case 'r':
          number = 13;
          break;
        case 't':
          number = 9;
          break;
        case 'v':
          number = 11;
          break;
        case 'x':
          in_hex = true;
          continue;
        default:
          return false;
      }
    }
    // snmpsim tests for a backslash after translating the escape, so "\\" and "\x5c" start a
    // new escape instead of producing a backslash.
    if (number == '\\') {
      escape = true;
      continue;
    }
    out->push_back(static_cast<char>(number));
  }
  return true;
}

MibView::LoadResult MibView::FromText(std::string_view text, const std::string& file) {
  LoadResult result;
  std::vector<Record> records;
  records.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    const std::string_view ascii = Strip(line, IsAsciiSpace);
    if (ascii.empty() || ascii.front() == '#') continue;
    Record rec;
    rec.line = line_no;
    std::string error;
    if (!ParseRecord(Strip(line, IsLatin1Space), &rec, &error)) {
      result.errors.push_back(file + ":" + std::to_string(line_no) + ": " + error);
      continue;
    }
    if (!records.empty() && !(records.back().oid < rec.oid)) {
      result.errors.push_back(
          file + ":" + std::to_string(line_no) + ": OID " + rec.oid.ToString() +
          (records.back().oid == rec.oid ? " repeats the OID of line "
                                         : " is not after the OID of line ") +
          std::to_string(records.back().line) +
          ": snmpsimd finds records by binary search, so a recording must be sorted by OID "
          "without duplicates");
    }
    if (rec.unindexed) {
      result.warnings.push_back(file + ":" + std::to_string(line_no) + ": warning: OID " +
                                Quote(line.substr(0, line.find('|'))) + " is not written as " +
                                rec.oid.ToString() +
                                ", so snmpsimd's index never finds it: GET answers "
                                "noSuchInstance and GETNEXT stops there (served the same way)");
    } else if (!rec.unevaluable.empty()) {
      result.warnings.push_back(file + ":" + std::to_string(line_no) +
                                ": warning: snmpsimd cannot evaluate this record (" +
                                rec.unevaluable +
                                "): GET answers noSuchInstance and GETNEXT stops there "
                                "(served the same way)");
    }
    records.push_back(std::move(rec));
  }
  if (!result.errors.empty()) return result;

  auto view = std::make_shared<MibView>();
  const std::size_t n = records.size();
  view->arc_begin_.reserve(n + 1);
  view->encoded_begin_.reserve(n + 1);
  view->oid_offset_.reserve(n);
  view->oid_length_.reserve(n);
  view->flags_.reserve(n);
  view->arc_begin_.push_back(0);
  view->encoded_begin_.push_back(0);
  std::string oid_content;
  std::string body;
  std::string varbind;
  for (const Record& rec : records) {
    view->arcs_.insert(view->arcs_.end(), rec.oid.arcs().begin(), rec.oid.arcs().end());
    view->arc_begin_.push_back(view->arcs_.size());
    std::uint8_t flags = 0;
    if (rec.unindexed) flags |= kUnindexed;
    if (rec.unindexed || !rec.value) flags |= kUnserved;
    if (rec.value && rec.value->type == ValueType::kCounter64) flags |= kCounter64;
    if (rec.value && rec.value->IsException()) flags |= kException;
    view->flags_.push_back(flags);

    oid_content.clear();
    body.clear();
    varbind.clear();
    EncodeOidContent(rec.oid, &oid_content);  // checked while parsing
    AppendTlv(kTagObjectId,
              Bytes(reinterpret_cast<const std::uint8_t*>(oid_content.data()), oid_content.size()),
              &body);
    if (rec.value) EncodeValue(*rec.value, &body);  // checked while parsing
    varbind.push_back(static_cast<char>(kTagSequence));
    AppendLength(body.size(), &varbind);
    const std::size_t oid_offset = varbind.size() + 1 + LengthSize(oid_content.size());
    varbind += body;
    view->oid_offset_.push_back(static_cast<std::uint8_t>(oid_offset));
    view->oid_length_.push_back(static_cast<std::uint32_t>(oid_content.size()));
    view->encoded_.insert(view->encoded_.end(), varbind.begin(), varbind.end());
    view->encoded_begin_.push_back(view->encoded_.size());
  }
  result.view = std::move(view);
  return result;
}

MibView::LoadResult MibView::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back(path + ": cannot open: " + std::strerror(errno));
    return result;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    LoadResult result;
    result.errors.push_back(path + ": cannot read: " + std::strerror(errno));
    return result;
  }
  return FromText(text, path);
}

int MibView::Compare(std::size_t index, std::span<const std::uint64_t> oid) const {
  const std::uint32_t* a = arcs_.data() + arc_begin_[index];
  const std::size_t na = arc_begin_[index + 1] - arc_begin_[index];
  const std::size_t n = std::min(na, oid.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != oid[i]) return a[i] < oid[i] ? -1 : 1;
  }
  return na < oid.size() ? -1 : na > oid.size() ? 1 : 0;
}

std::size_t MibView::LowerBound(std::span<const std::uint64_t> oid) const {
  std::size_t lo = 0;
  std::size_t hi = size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (Compare(mid, oid) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::size_t MibView::Find(std::span<const std::uint64_t> oid) const {
  const std::size_t i = LowerBound(oid);
  if (i < size() && Compare(i, oid) == 0) return Serve(i);
  return kNone;
}

std::size_t MibView::Next(std::span<const std::uint64_t> oid) const {
  std::size_t i = LowerBound(oid);
  // snmpsimd: an exact index hit continues with the following line; otherwise its binary
  // search lands on the first record at or after the OID, and one its index cannot find
  // (written non-canonically, even if equal to the OID) ends the walk.
  if (i < size() && (flags_[i] & kUnindexed) == 0 && Compare(i, oid) == 0) ++i;
  return Serve(i);
}

std::size_t MibView::NextAfter(std::size_t index) const { return Serve(index + 1); }

}  // namespace trinet::lab
