#include "snmp/snmprec.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

namespace trinet::snmp {

namespace {

// snmprec tags are the sum of a type's BER class, form and number, as snmpsim computes them.
constexpr int kTagInteger = 2;
constexpr int kTagOctetString = 4;
constexpr int kTagNull = 5;
constexpr int kTagObjectId = 6;
constexpr int kTagIpAddress = 64;
constexpr int kTagCounter32 = 65;
constexpr int kTagGauge32 = 66;
constexpr int kTagTimeTicks = 67;
constexpr int kTagOpaque = 68;
constexpr int kTagCounter64 = 70;
constexpr int kTagNoSuchObject = 128;
constexpr int kTagNoSuchInstance = 129;
constexpr int kTagEndOfMibView = 130;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Quoted in errors, cut so that one absurd line does not flood the log.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 60;
  if (s.size() <= kMax) return "'" + std::string(s) + "'";
  return "'" + std::string(s.substr(0, kMax)) + "...'";
}

template <typename T>
std::optional<T> ParseNumber(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> DecodeHex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = HexDigit(s[i]);
    int lo = HexDigit(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// The escapes snmpsim's `e` encoding accepts (Python string literal escapes).
std::optional<std::string> DecodeEscapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    switch (s[i]) {
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
        out.push_back('\'');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'x': {
        if (i + 2 >= s.size()) return std::nullopt;
        int hi = HexDigit(s[i + 1]);
        int lo = HexDigit(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

std::optional<std::string> ParseDottedQuad(std::string_view s) {
  std::string out;
  for (int part = 0; part < 4; ++part) {
    auto dot = s.find('.');
    if ((part < 3) == (dot == std::string_view::npos)) return std::nullopt;
    auto octet = ParseNumber<unsigned>(s.substr(0, dot));
    if (!octet || *octet > 255) return std::nullopt;
    out.push_back(static_cast<char>(*octet));
    if (part < 3) s.remove_prefix(dot + 1);
  }
  return out;
}

// Parses one record's value; on failure returns nullopt with *error set.
std::optional<Value> ParseValue(int tag, char encoding, std::string_view text, std::string* error) {
  const bool bytes_type = tag == kTagOctetString || tag == kTagIpAddress || tag == kTagOpaque;
  std::string bytes;
  if (encoding != 0) {
    // snmpsim decodes `x` and `e` values into octets, which only the octet-string types take.
    if (!bytes_type) {
      *error = std::string("the '") + encoding + "' encoding is not valid for tag " +
               std::to_string(tag);
      return std::nullopt;
    }
    auto decoded = encoding == 'x' ? DecodeHex(text) : DecodeEscapes(text);
    if (!decoded) {
      *error = (encoding == 'x' ? "bad hex value " : "bad escaped value ") + Quote(text);
      return std::nullopt;
    }
    bytes = std::move(*decoded);
  } else if (bytes_type) {
    bytes = std::string(text);
  }

  auto bad = [&](const char* what) {
    *error = std::string("bad ") + what + " value " + Quote(text);
    return std::nullopt;
  };
  switch (tag) {
    case kTagInteger: {
      auto v = ParseNumber<std::int32_t>(text);
      if (!v) return bad("Integer32");
      return Value::Integer(*v);
    }
    case kTagOctetString:
      return Value::Bytes(ValueType::kOctetString, std::move(bytes));
    case kTagNull:
      if (!text.empty()) return bad("Null");
      return Value{};
    case kTagObjectId: {
      auto oid = Oid::Parse(text);
      if (!oid) return bad("ObjectId");
      return Value::ObjectId(std::move(*oid));
    }
    case kTagIpAddress: {
      // pysnmp takes a plain value of exactly four characters as the four octets themselves
      // (recordings contain such values, e.g. "J}M}" for 74.125.77.125), anything else as
      // dotted-quad text.
      if (encoding == 0 && bytes.size() != 4) {
        auto quad = ParseDottedQuad(text);
        if (!quad) return bad("IpAddress");
        bytes = std::move(*quad);
      }
      if (bytes.size() != 4) return bad("IpAddress");
      return Value::Bytes(ValueType::kIpAddress, std::move(bytes));
    }
    case kTagCounter32:
    case kTagGauge32:
    case kTagTimeTicks: {
      auto v = ParseNumber<std::uint32_t>(text);
      if (!v) {
        return bad(tag == kTagCounter32 ? "Counter32"
                   : tag == kTagGauge32 ? "Gauge32"
                                        : "TimeTicks");
      }
      auto type = tag == kTagCounter32 ? ValueType::kCounter32
                  : tag == kTagGauge32 ? ValueType::kGauge32
                                       : ValueType::kTimeTicks;
      return Value::Unsigned(type, *v);
    }
    case kTagOpaque:
      return Value::Bytes(ValueType::kOpaque, std::move(bytes));
    case kTagCounter64: {
      auto v = ParseNumber<std::uint64_t>(text);
      if (!v) return bad("Counter64");
      return Value::Unsigned(ValueType::kCounter64, *v);
    }
    case kTagNoSuchObject:
      return Value::Exception(ValueType::kNoSuchObject);
    case kTagNoSuchInstance:
      return Value::Exception(ValueType::kNoSuchInstance);
    case kTagEndOfMibView:
      return Value::Exception(ValueType::kEndOfMibView);
    default:
      *error = "unknown tag " + std::to_string(tag);
      return std::nullopt;
  }
}

struct Record {
  Varbind varbind;
  size_t line = 0;
};

struct LineError {
  size_t line = 0;
  std::string message;
};

// Parses one trimmed, non-comment line; on failure returns nullopt with *error set.
std::optional<Varbind> ParseLine(std::string_view line, std::string* error) {
  auto bar1 = line.find('|');
  auto bar2 = bar1 == std::string_view::npos ? bar1 : line.find('|', bar1 + 1);
  if (bar2 == std::string_view::npos) {
    *error = "expected OID|TAG|VALUE, got " + Quote(line);
    return std::nullopt;
  }
  std::string_view oid_text = line.substr(0, bar1);
  std::string_view tag_text = line.substr(bar1 + 1, bar2 - bar1 - 1);
  std::string_view value_text = line.substr(bar2 + 1);

  auto oid = Oid::Parse(oid_text);
  if (!oid) {
    *error = "bad OID " + Quote(oid_text);
    return std::nullopt;
  }
  if (auto colon = tag_text.find(':'); colon != std::string_view::npos) {
    *error = "variation module " + Quote(tag_text.substr(colon + 1)) + " is not supported";
    return std::nullopt;
  }
  char encoding = 0;
  if (!tag_text.empty() && (tag_text.back() == 'x' || tag_text.back() == 'e')) {
    encoding = tag_text.back();
    tag_text.remove_suffix(1);
  }
  auto tag = ParseNumber<int>(tag_text);
  if (!tag) {
    *error = "bad tag " + Quote(line.substr(bar1 + 1, bar2 - bar1 - 1));
    return std::nullopt;
  }
  auto value = ParseValue(*tag, encoding, value_text, error);
  if (!value) return std::nullopt;
  return Varbind{std::move(*oid), std::move(*value)};
}

char HexChar(unsigned v) { return "0123456789abcdef"[v & 0xf]; }

std::string Hex(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(HexChar(c >> 4));
    out.push_back(HexChar(c));
  }
  return out;
}

// Text that snmpsim reads back unchanged: printable ASCII, nothing its line trim would eat.
bool IsPlainText(const std::string& bytes) {
  if (!bytes.empty() && (bytes.front() == ' ' || bytes.back() == ' ')) return false;
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

void AppendRecord(const Varbind& vb, std::string* out) {
  const Value& v = vb.value;
  std::string tag;
  std::string text;
  switch (v.type) {
    case ValueType::kInteger:
      tag = "2";
      text = std::to_string(v.integer);
      break;
    case ValueType::kOctetString:
      if (IsPlainText(v.bytes)) {
        tag = "4";
        text = v.bytes;
      } else {
        tag = "4x";
        text = Hex(v.bytes);
      }
      break;
    case ValueType::kNull:
      tag = "5";
      break;
    case ValueType::kObjectId:
      tag = "6";
      text = v.oid.ToString();
      break;
    case ValueType::kIpAddress:
      if (v.bytes.size() == 4) {
        tag = "64";
        for (int i = 0; i < 4; ++i) {
          if (i) text += '.';
          text += std::to_string(static_cast<unsigned char>(v.bytes[i]));
        }
      } else {
        tag = "64x";
        text = Hex(v.bytes);
      }
      break;
    case ValueType::kCounter32:
      tag = "65";
      text = std::to_string(v.unsigned_value);
      break;
    case ValueType::kGauge32:
      tag = "66";
      text = std::to_string(v.unsigned_value);
      break;
    case ValueType::kTimeTicks:
      tag = "67";
      text = std::to_string(v.unsigned_value);
      break;
    case ValueType::kOpaque:
      tag = "68x";
      text = Hex(v.bytes);
      break;
    case ValueType::kCounter64:
      tag = "70";
      text = std::to_string(v.unsigned_value);
      break;
    case ValueType::kNoSuchObject:
      tag = "128";
      break;
    case ValueType::kNoSuchInstance:
      tag = "129";
      break;
    case ValueType::kEndOfMibView:
      tag = "130";
      break;
  }
  *out += vb.oid.ToString();
  *out += '|';
  *out += tag;
  *out += '|';
  *out += text;
  *out += '\n';
}

}  // namespace

SnmprecParse ParseSnmprec(std::string_view text, const std::string& file) {
  std::vector<Record> records;
  // A recording of a large switch has tens of thousands of lines; growing the vector as it
  // goes would move every record several times.
  records.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::vector<LineError> errors;
  size_t line_no = 0;
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    std::string error;
    auto vb = ParseLine(line, &error);
    if (vb) {
      records.push_back({std::move(*vb), line_no});
    } else {
      errors.push_back({line_no, std::move(error)});
    }
  }

  // Recordings are normally sorted already; stable_sort keeps the first of duplicates first.
  if (!std::is_sorted(records.begin(), records.end(), [](const Record& a, const Record& b) {
        return a.varbind.oid < b.varbind.oid;
      })) {
    std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
      return a.varbind.oid < b.varbind.oid;
    });
  }
  SnmprecParse out;
  out.varbinds.reserve(records.size());
  size_t kept_line = 0;
  for (auto& record : records) {
    if (!out.varbinds.empty() && record.varbind.oid == out.varbinds.back().oid) {
      errors.push_back({record.line, "duplicate OID " + record.varbind.oid.ToString() +
                                         " (first at line " + std::to_string(kept_line) + ")"});
      continue;
    }
    kept_line = record.line;
    out.varbinds.push_back(std::move(record.varbind));
  }

  std::stable_sort(errors.begin(), errors.end(),
                   [](const LineError& a, const LineError& b) { return a.line < b.line; });
  out.errors.reserve(errors.size());
  for (auto& e : errors) {
    out.errors.push_back(file + ":" + std::to_string(e.line) + ": " + e.message);
  }
  return out;
}

std::string FormatSnmprec(const std::vector<Varbind>& varbinds) {
  std::vector<const Varbind*> sorted;
  sorted.reserve(varbinds.size());
  for (const auto& vb : varbinds) {
    if (!vb.oid.empty()) sorted.push_back(&vb);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Varbind* a, const Varbind* b) { return a->oid < b->oid; });
  std::string out;
  out.reserve(sorted.size() * 64);  // a typical record's length
  for (const Varbind* vb : sorted) AppendRecord(*vb, &out);
  return out;
}

}  // namespace trinet::snmp
