#include "snmp/decode.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <utility>

#include "register/ip.h"
#include "snmp/catalogue.h"

namespace trinet::snmp {

DecodeIssues& DecodeIssues::operator+=(const DecodeIssues& other) {
  wrong_type += other.wrong_type;
  malformed_index += other.malformed_index;
  exception_value += other.exception_value;
  bad_value += other.bad_value;
  return *this;
}

namespace {

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

// ---- text ---------------------------------------------------------------------------------

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  // Continuation bytes needed, and the range of the first one (the lead byte narrows it).
  struct Lead {
    size_t need;
    unsigned char lo, hi;
  };
  Lead lead{};
  if (c >= 0xC2 && c <= 0xDF) {
    lead = {1, 0x80, 0xBF};
  } else if (c == 0xE0) {
    lead = {2, 0xA0, 0xBF};  // no overlong 3-byte forms
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    lead = {2, 0x80, 0xBF};
  } else if (c == 0xED) {
    lead = {2, 0x80, 0x9F};  // no UTF-16 surrogates
  } else if (c == 0xF0) {
    lead = {3, 0x90, 0xBF};  // no overlong 4-byte forms
  } else if (c >= 0xF1 && c <= 0xF3) {
    lead = {3, 0x80, 0xBF};
  } else if (c == 0xF4) {
    lead = {3, 0x80, 0x8F};  // nothing above U+10FFFF
  } else {
    return 0;
  }
  const size_t need = lead.need;
  const unsigned char lo = lead.lo, hi = lead.hi;
  if (i + need >= s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k <= need; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return need + 1;
}

// Agents pad strings with NULs (Windows' ifDescr ends in one), and storage and terminals cut
// text at an embedded NUL, so trailing NULs go and inner ones become U+FFFD like invalid bytes.
std::string_view StripTrailingNuls(std::string_view s) {
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

std::string Utf8Text(std::string_view raw) {
  std::string_view s = StripTrailingNuls(raw);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = s[i] == '\0' ? 0 : Utf8SequenceLength(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// Text fit to show as an identifier: valid UTF-8 without control characters.
bool IsPrintable(std::string_view raw) {
  std::string_view s = StripTrailingNuls(raw);
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ColonHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ':';
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// ---- addresses ----------------------------------------------------------------------------

std::optional<IpAddress> MakeIp(int family, std::string_view bytes) {
  size_t size = family == 4 ? 4 : 16;
  if ((family != 4 && family != 6) || bytes.size() != size) return std::nullopt;
  IpAddress ip;
  ip.family = family;
  std::copy(bytes.begin(), bytes.end(), ip.bytes.begin());
  return ip;
}

bool IsUnspecified(const IpAddress& ip) {
  return std::all_of(ip.bytes.begin(), ip.bytes.begin() + ip.bits() / 8,
                     [](std::uint8_t b) { return b == 0; });
}

// Host bits of `ip` beyond `length` are all zero.
bool IsNetwork(const IpAddress& ip, int length) {
  for (int bit = length; bit < ip.bits(); ++bit) {
    if (ip.bytes[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}

// The prefix length of a contiguous IPv4 netmask; nullopt for 255.0.255.0 and the like.
std::optional<int> MaskLength(std::string_view mask) {
  if (mask.size() != 4) return std::nullopt;
  std::uint32_t m = 0;
  for (unsigned char c : mask) m = (m << 8) | c;
  std::uint32_t inverted = ~m;
  if ((inverted & (inverted + 1)) != 0) return std::nullopt;
  return std::popcount(m);
}

// An InetAddress (RFC 4001) with its InetAddressType.
struct InetAddr {
  int type = 0;  // unknown(0), ipv4(1), ipv6(2), ipv4z(3), ipv6z(4)
  std::string bytes;

  int family() const { return type == 1 || type == 3 ? 4 : type == 2 || type == 4 ? 6 : 0; }
  // The address without its zone index.
  std::optional<IpAddress> Ip() const {
    int f = family();
    if (f == 0) return std::nullopt;
    return MakeIp(f, std::string_view(bytes).substr(0, f == 4 ? 4 : 16));
  }
  // "" for unknown, the address text with "%zone" for the zoned types.
  std::string Text() const {
    auto ip = Ip();
    if (!ip) return "";
    std::string out = ip->ToString();
    if (type == 3 || type == 4) {
      std::uint32_t zone = 0;
      for (unsigned char c : std::string_view(bytes).substr(bytes.size() - 4)) {
        zone = (zone << 8) | c;
      }
      out += "%" + std::to_string(zone);
    }
    return out;
  }
};

bool ValidInetLength(std::uint32_t type, size_t length) {
  switch (type) {
    case 0:
      return length == 0;
    case 1:
      return length == 4;
    case 2:
      return length == 16;
    case 3:
      return length == 8;
    case 4:
      return length == 20;
    default:
      return false;  // dns(16) and unassigned types name no address
  }
}

// Reads a table row's index arcs in INDEX clause order.
class IndexReader {
 public:
  explicit IndexReader(const Oid& index) : arcs_(index.arcs()) {}
  // It keeps a reference to the index's arcs: a temporary would leave it dangling.
  explicit IndexReader(Oid&&) = delete;

  bool AtEnd() const { return pos_ == arcs_.size(); }

  std::optional<std::uint32_t> Arc() {
    if (pos_ >= arcs_.size()) return std::nullopt;
    return arcs_[pos_++];
  }
  // An arc that must lie in [lo, hi], as an INTEGER range in the INDEX does.
  std::optional<std::uint32_t> Arc(std::uint32_t lo, std::uint32_t hi) {
    auto a = Arc();
    if (!a || *a < lo || *a > hi) return std::nullopt;
    return a;
  }
  // `n` arcs of one octet each: a fixed-size OCTET STRING or an IpAddress.
  std::optional<std::string> Octets(size_t n) {
    if (arcs_.size() - pos_ < n) return std::nullopt;
    std::string out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      std::uint32_t a = arcs_[pos_ + i];
      if (a > 255) return std::nullopt;
      out.push_back(static_cast<char>(a));
    }
    pos_ += n;
    return out;
  }
  // A variable-length OCTET STRING: its length, then its octets.
  std::optional<std::string> LengthPrefixedOctets() {
    auto n = Arc();
    if (!n) return std::nullopt;
    return Octets(*n);
  }
  // An InetAddressType then its InetAddress.
  std::optional<InetAddr> Inet() {
    auto type = Arc();
    auto bytes = type ? LengthPrefixedOctets() : std::nullopt;
    if (!bytes || !ValidInetLength(*type, bytes->size())) return std::nullopt;
    return InetAddr{static_cast<int>(*type), std::move(*bytes)};
  }
  // A variable-length OBJECT IDENTIFIER: its arc count, then its arcs.
  bool SkipLengthPrefixedOid() {
    auto n = Arc();
    if (!n || arcs_.size() - pos_ < *n) return false;
    pos_ += *n;
    return true;
  }

 private:
  const std::vector<std::uint32_t>& arcs_;
  size_t pos_ = 0;
};

// ---- collecting table rows ----------------------------------------------------------------

// One row: column number -> value. Values point into the caller's varbinds.
using Row = std::map<std::uint32_t, const Value*>;
// Rows by index.
using Rows = std::map<Oid, Row>;

// Gathers the instances of `columns` under `entry`. Exceptions are counted and dropped here;
// each decoder checks its index layout and value types.
Rows CollectTable(const std::vector<Varbind>& varbinds, const Oid& entry,
                  std::initializer_list<std::uint32_t> columns, DecodeIssues& issues) {
  Rows rows;
  const size_t n = entry.size();
  for (const auto& vb : varbinds) {
    if (vb.oid.size() <= n || !vb.oid.StartsWith(entry)) continue;
    std::uint32_t column = vb.oid[n];
    if (std::find(columns.begin(), columns.end(), column) == columns.end()) continue;
    if (vb.value.IsException()) {
      ++issues.exception_value;
      continue;
    }
    if (vb.oid.size() == n + 1) {
      ++issues.malformed_index;
      continue;
    }
    const auto& arcs = vb.oid.arcs();
    Oid index(std::vector<std::uint32_t>(arcs.begin() + static_cast<long>(n) + 1, arcs.end()));
    rows[std::move(index)].emplace(column, &vb.value);
  }
  return rows;
}

void SkipMalformed(const Row& row, DecodeIssues& issues) {
  issues.malformed_index += static_cast<int>(row.size());
}

// A single-arc index such as ifIndex or entPhysicalIndex (1..2147483647).
std::optional<std::uint32_t> SimpleIndex(const Oid& index) {
  if (index.size() != 1 || index[0] < 1 || index[0] > kInt32Max) return std::nullopt;
  return index[0];
}

// ---- typed values -------------------------------------------------------------------------
// Each accessor returns nullopt when the column is absent (not an issue) or its value does not
// fit (counted). INTEGER and Gauge32/Unsigned32 are both accepted where a number is expected:
// agents swap the two, and both are plain integers on the wire.

class Cells {
 public:
  Cells(const Row& row, DecodeIssues& issues) : row_(row), issues_(issues) {}

  const Value* Get(std::uint32_t column) const {
    auto it = row_.find(column);
    return it == row_.end() ? nullptr : it->second;
  }

  std::optional<std::int64_t> Integer(std::uint32_t column, std::int64_t lo,
                                      std::int64_t hi) const {
    return IntegerValue(Get(column), lo, hi, issues_);
  }
  std::optional<std::string> Bytes(std::uint32_t column) const {
    return BytesValue(Get(column), issues_);
  }
  std::optional<std::string> Text(std::uint32_t column) const {
    auto b = Bytes(column);
    if (!b) return std::nullopt;
    return Utf8Text(*b);
  }
  std::optional<std::string> Ipv4(std::uint32_t column) const {
    const Value* v = Get(column);
    if (!v) return std::nullopt;
    if (v->type != ValueType::kIpAddress) return Wrong();
    if (v->bytes.size() != 4) return Bad();
    return v->bytes;
  }
  std::optional<CounterReading> Counter32(std::uint32_t column) const {
    const Value* v = Get(column);
    if (!v) return std::nullopt;
    if (v->type != ValueType::kCounter32) return Wrong();
    return CounterReading{v->unsigned_value, 32};
  }
  // An HC column: Counter64, or Counter32 from agents that only have 32 bits to offer.
  std::optional<CounterReading> CounterHc(std::uint32_t column) const {
    const Value* v = Get(column);
    if (!v) return std::nullopt;
    if (v->type == ValueType::kCounter64) return CounterReading{v->unsigned_value, 64};
    if (v->type == ValueType::kCounter32) return CounterReading{v->unsigned_value, 32};
    return Wrong();
  }
  std::optional<Oid> ObjectId(std::uint32_t column) const {
    const Value* v = Get(column);
    if (!v) return std::nullopt;
    if (v->type != ValueType::kObjectId) return Wrong();
    return v->oid;
  }
  void CountBad() const { ++issues_.bad_value; }

  static std::optional<std::int64_t> IntegerValue(const Value* v, std::int64_t lo, std::int64_t hi,
                                                  DecodeIssues& issues) {
    if (!v) return std::nullopt;
    std::int64_t n = 0;
    if (v->type == ValueType::kInteger) {
      n = v->integer;
    } else if (v->type == ValueType::kGauge32) {
      n = static_cast<std::int64_t>(v->unsigned_value);
    } else {
      ++issues.wrong_type;
      return std::nullopt;
    }
    if (n < lo || n > hi) {
      ++issues.bad_value;
      return std::nullopt;
    }
    return n;
  }
  static std::optional<std::string> BytesValue(const Value* v, DecodeIssues& issues) {
    if (!v) return std::nullopt;
    if (v->type != ValueType::kOctetString) {
      ++issues.wrong_type;
      return std::nullopt;
    }
    return v->bytes;
  }

 private:
  std::nullopt_t Wrong() const {
    ++issues_.wrong_type;
    return std::nullopt;
  }
  std::nullopt_t Bad() const {
    ++issues_.bad_value;
    return std::nullopt;
  }

  const Row& row_;
  DecodeIssues& issues_;
};

// The value of one scalar instance (e.g. sysName.0); the first if the walk repeats it.
// Exceptions (a GET of an object the agent lacks) are counted and yield nullptr.
const Value* FindInstance(const std::vector<Varbind>& varbinds, const Oid& instance,
                          DecodeIssues& issues, bool* seen = nullptr) {
  for (const auto& vb : varbinds) {
    if (vb.oid != instance) continue;
    if (seen) *seen = true;
    if (vb.value.IsException()) {
      ++issues.exception_value;
      return nullptr;
    }
    return &vb.value;
  }
  return nullptr;
}

std::optional<std::uint32_t> OptionalIfIndex(std::optional<std::int64_t> v) {
  if (!v || *v == 0) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

// ---- LLDP identifiers ---------------------------------------------------------------------

// An LLDP chassis or port id by its subtype; the MAC and network-address subtype numbers
// differ between chassis ids (4, 5) and port ids (3, 4).
std::string FormatLldpId(std::optional<int> subtype, const std::string& bytes, int mac_subtype,
                         int network_subtype) {
  if (subtype == mac_subtype && bytes.size() == 6) return ColonHex(bytes);
  if (subtype == network_subtype && !bytes.empty()) {
    // An IANA address family number, then the address.
    auto family = static_cast<unsigned char>(bytes[0]);
    std::string_view address = std::string_view(bytes).substr(1);
    if (auto ip = MakeIp(family == 1 ? 4 : family == 2 ? 6 : 0, address)) return ip->ToString();
    return ColonHex(bytes);
  }
  if (IsPrintable(bytes)) return std::string(StripTrailingNuls(bytes));
  return ColonHex(bytes);
}

// A management address by its IANA address family (lldpRemManAddrSubtype).
std::string FormatManagementAddress(std::uint32_t subtype, const std::string& bytes) {
  if (subtype == 1 || subtype == 2) {
    if (auto ip = MakeIp(subtype == 1 ? 4 : 6, bytes)) return ip->ToString();
  }
  return ColonHex(bytes);  // all802(6) is a MAC; anything else has no better form
}

bool IsAllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

}  // namespace

// ---- system -------------------------------------------------------------------------------

Decoded<SystemInfo> DecodeSystem(const std::vector<Varbind>& varbinds) {
  Decoded<SystemInfo> out;
  DecodeIssues& issues = out.issues;
  auto text = [&](const Oid& object) -> std::string {
    auto b = Cells::BytesValue(FindInstance(varbinds, object.Append({0}), issues), issues);
    return b ? Utf8Text(*b) : "";
  };
  SystemInfo& s = out.result;
  s.descr = text(kSysDescr);
  s.contact = text(kSysContact);
  s.name = text(kSysName);
  s.location = text(kSysLocation);
  if (const Value* v = FindInstance(varbinds, kSysObjectId.Append({0}), issues)) {
    if (v->type == ValueType::kObjectId) {
      s.object_id = v->oid.ToString();
    } else {
      ++issues.wrong_type;
    }
  }
  if (const Value* v = FindInstance(varbinds, kSysUpTime.Append({0}), issues)) {
    if (v->type == ValueType::kTimeTicks && v->unsigned_value <= 0xffffffffu) {
      s.uptime_ticks = static_cast<std::uint32_t>(v->unsigned_value);
    } else {
      ++issues.wrong_type;
    }
  }
  auto subtype = Cells::IntegerValue(
      FindInstance(varbinds, kLldpLocChassisIdSubtype.Append({0}), issues), 1, 7, issues);
  auto chassis =
      Cells::BytesValue(FindInstance(varbinds, kLldpLocChassisId.Append({0}), issues), issues);
  if (chassis && !chassis->empty()) {
    s.lldp_chassis_id = FormatLldpId(
        subtype ? std::optional<int>(static_cast<int>(*subtype)) : std::nullopt, *chassis, 4, 5);
  }
  return out;
}

// ---- interfaces ---------------------------------------------------------------------------

Decoded<std::vector<InterfaceState>> DecodeInterfaces(const std::vector<Varbind>& varbinds) {
  Decoded<std::vector<InterfaceState>> out;
  DecodeIssues& issues = out.issues;
  // ifTable column numbers (RFC 2863).
  enum : std::uint32_t {
    kDescr = 2,
    kType = 3,
    kSpeed = 5,
    kPhys = 6,
    kAdmin = 7,
    kOper = 8,
    kInOctets = 10,
    kInDiscards = 13,
    kInErrors = 14,
    kOutOctets = 16,
    kOutDiscards = 19,
    kOutErrors = 20,
  };
  // ifXTable column numbers.
  enum : std::uint32_t { kName = 1, kHcIn = 6, kHcOut = 10, kHighSpeed = 15, kAlias = 18 };

  struct Partial {
    InterfaceState state;
    std::string if_name;
    std::optional<std::uint64_t> if_speed, high_speed;
    std::optional<CounterReading> in32, out32, in_hc, out_hc;
  };
  std::map<std::uint32_t, Partial> by_index;

  Rows if_rows = CollectTable(varbinds, kIfEntry,
                              {kDescr, kType, kSpeed, kPhys, kAdmin, kOper, kInOctets, kInDiscards,
                               kInErrors, kOutOctets, kOutDiscards, kOutErrors},
                              issues);
  for (const auto& [index, row] : if_rows) {
    auto ifindex = SimpleIndex(index);
    if (!ifindex) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    Partial& p = by_index[*ifindex];
    InterfaceState& s = p.state;
    s.ifindex = *ifindex;
    if (auto v = c.Text(kDescr)) s.descr = *v;
    if (auto v = c.Integer(kType, 1, kInt32Max)) s.type = static_cast<int>(*v);
    if (auto v = c.Integer(kSpeed, 0, 0xffffffffLL)) p.if_speed = static_cast<std::uint64_t>(*v);
    if (auto v = c.Bytes(kPhys)) s.phys_address = ColonHex(*v);
    if (auto v = c.Integer(kAdmin, 1, 3)) s.admin_up = *v == 1;
    if (auto v = c.Integer(kOper, 1, 7)) s.oper_up = *v == 1;
    p.in32 = c.Counter32(kInOctets);
    p.out32 = c.Counter32(kOutOctets);
    s.in_discards = c.Counter32(kInDiscards);
    s.in_errors = c.Counter32(kInErrors);
    s.out_discards = c.Counter32(kOutDiscards);
    s.out_errors = c.Counter32(kOutErrors);
  }

  Rows x_rows =
      CollectTable(varbinds, kIfXEntry, {kName, kHcIn, kHcOut, kHighSpeed, kAlias}, issues);
  for (const auto& [index, row] : x_rows) {
    auto ifindex = SimpleIndex(index);
    if (!ifindex) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    Partial& p = by_index[*ifindex];
    p.state.ifindex = *ifindex;
    if (auto v = c.Text(kName)) p.if_name = *v;
    if (auto v = c.Text(kAlias)) p.state.alias = *v;
    p.in_hc = c.CounterHc(kHcIn);
    p.out_hc = c.CounterHc(kHcOut);
    if (auto v = c.Integer(kHighSpeed, 0, 0xffffffffLL)) {
      p.high_speed = static_cast<std::uint64_t>(*v);
    }
  }

  out.result.reserve(by_index.size());
  for (auto& [ifindex, p] : by_index) {
    InterfaceState& s = p.state;
    s.name = !p.if_name.empty() ? p.if_name : s.descr;
    if (p.high_speed && *p.high_speed > 0) {
      s.speed_bits = *p.high_speed * 1'000'000;
    } else {
      s.speed_bits = p.if_speed;
    }
    s.in_octets = p.in_hc ? p.in_hc : p.in32;
    s.out_octets = p.out_hc ? p.out_hc : p.out32;
    out.result.push_back(std::move(s));
  }
  return out;
}

// ---- entity -------------------------------------------------------------------------------

Decoded<std::optional<Entity>> DecodeEntity(const std::vector<Varbind>& varbinds) {
  Decoded<std::optional<Entity>> out;
  DecodeIssues& issues = out.issues;
  enum : std::uint32_t { kDescr = 2, kClass = 5, kName = 7, kSerial = 11, kModel = 13 };
  static constexpr int kChassis = 3;

  std::vector<Entity> entities;  // ascending index, as the rows map is ordered
  for (const auto& [index, row] : CollectTable(varbinds, kEntPhysicalEntry,
                                               {kDescr, kClass, kName, kSerial, kModel}, issues)) {
    auto physical_index = SimpleIndex(index);
    if (!physical_index) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    Entity e;
    e.index = *physical_index;
    // RFC 6933 added classes after cpu(12); later revisions may add more.
    if (auto v = c.Integer(kClass, 1, kInt32Max)) e.physical_class = static_cast<int>(*v);
    if (auto v = c.Text(kDescr)) e.descr = *v;
    if (auto v = c.Text(kName)) e.name = *v;
    if (auto v = c.Text(kSerial)) e.serial = *v;
    if (auto v = c.Text(kModel)) e.model = *v;
    entities.push_back(std::move(e));
  }
  auto chassis = std::find_if(entities.begin(), entities.end(),
                              [](const Entity& e) { return e.physical_class == kChassis; });
  if (chassis == entities.end()) {
    chassis = std::find_if(entities.begin(), entities.end(),
                           [](const Entity& e) { return !e.serial.empty(); });
  }
  if (chassis != entities.end()) out.result = std::move(*chassis);
  return out;
}

// ---- addresses ----------------------------------------------------------------------------

namespace {

// The prefix length an ipAddressPrefix RowPointer names for `address`, if it is consistent:
// a row of ipAddressPrefixTable of the same family whose prefix has no host bits set and
// contains the address. Old Net-SNMP agents point IPv4 addresses at garbage such as
// 215.218.234.183/0; that is a bad value, not a /0.
std::optional<int> PrefixFromPointer(const Oid& pointer, const InetAddr& address,
                                     DecodeIssues& issues) {
  if (pointer == Oid{0, 0}) return std::nullopt;  // zeroDotZero: the agent does not know
  const size_t n = kIpAddressPrefixEntry.size();
  std::optional<int> length;
  if (pointer.size() > n + 1 && pointer.StartsWith(kIpAddressPrefixEntry)) {
    const Oid index = pointer.Suffix(kIpAddressPrefixEntry.Append({pointer[n]}));
    IndexReader r(index);
    auto ifindex = r.Arc();
    auto prefix = ifindex ? r.Inet() : std::nullopt;
    auto bits = prefix ? r.Arc() : std::nullopt;
    if (bits && r.AtEnd() && prefix->family() == address.family()) {
      auto net = prefix->Ip();
      auto ip = address.Ip();
      if (net && ip && static_cast<int>(*bits) <= net->bits() &&
          IsNetwork(*net, static_cast<int>(*bits)) &&
          Cidr{*net, static_cast<int>(*bits)}.Contains(*ip)) {
        length = static_cast<int>(*bits);
      }
    }
  }
  if (!length) ++issues.bad_value;
  return length;
}

struct Ipv4Row {
  std::uint32_t ifindex = 0;
  std::string address;
  std::optional<int> prefix_length;
};

// ipAddrTable rows by address text.
std::map<std::string, Ipv4Row> DecodeIpAddrTable(const std::vector<Varbind>& varbinds,
                                                 DecodeIssues& issues) {
  enum : std::uint32_t { kIfIndex = 2, kNetMask = 3 };
  std::map<std::string, Ipv4Row> out;
  for (const auto& [index, row] :
       CollectTable(varbinds, kIpAddrEntry, {kIfIndex, kNetMask}, issues)) {
    IndexReader r(index);
    auto bytes = r.Octets(4);
    if (!bytes || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    auto ifindex = c.Integer(kIfIndex, 1, kInt32Max);
    auto mask = c.Ipv4(kNetMask);
    auto ip = MakeIp(4, *bytes);
    if (!ifindex || IsUnspecified(*ip)) continue;
    Ipv4Row entry{static_cast<std::uint32_t>(*ifindex), ip->ToString(), std::nullopt};
    if (mask) {
      entry.prefix_length = MaskLength(*mask);
      if (!entry.prefix_length) c.CountBad();
    }
    out.emplace(entry.address, std::move(entry));
  }
  return out;
}

}  // namespace

Decoded<std::vector<AddressEntry>> DecodeAddresses(const std::vector<Varbind>& varbinds) {
  Decoded<std::vector<AddressEntry>> out;
  DecodeIssues& issues = out.issues;
  enum : std::uint32_t { kIfIndex = 3, kType = 4, kPrefix = 5 };
  constexpr std::int64_t kBroadcast = 3;

  for (const auto& [index, row] :
       CollectTable(varbinds, kIpAddressEntry, {kIfIndex, kType, kPrefix}, issues)) {
    IndexReader r(index);
    auto address = r.Inet();
    if (!address || !r.AtEnd() || address->family() == 0) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    auto ifindex = c.Integer(kIfIndex, 1, kInt32Max);
    auto type = c.Integer(kType, 1, 3);
    auto pointer = c.ObjectId(kPrefix);
    if (!ifindex || type == kBroadcast || IsUnspecified(*address->Ip())) continue;
    AddressEntry e;
    e.ifindex = static_cast<std::uint32_t>(*ifindex);
    e.family = address->family();
    e.address = address->Text();
    if (pointer) e.prefix_length = PrefixFromPointer(*pointer, *address, issues);
    out.result.push_back(std::move(e));
  }

  // ipAddrTable: the fallback, and the IPv4 prefix lengths ipAddressTable failed to give.
  auto ipv4 = DecodeIpAddrTable(varbinds, issues);
  if (out.result.empty()) {
    for (auto& [text, row] : ipv4) {
      out.result.push_back({row.ifindex, 4, row.address, row.prefix_length});
    }
  } else {
    for (auto& e : out.result) {
      if (e.family != 4 || e.prefix_length) continue;
      auto it = ipv4.find(e.address);
      if (it != ipv4.end()) e.prefix_length = it->second.prefix_length;
    }
  }
  return out;
}

// ---- routes -------------------------------------------------------------------------------

namespace {

std::vector<RouteEntry> InetCidrRoutes(const std::vector<Varbind>& varbinds, DecodeIssues& issues) {
  enum : std::uint32_t { kIfIndex = 7, kType = 8, kProto = 9 };
  std::vector<RouteEntry> out;
  for (const auto& [index, row] :
       CollectTable(varbinds, kInetCidrRouteEntry, {kIfIndex, kType, kProto}, issues)) {
    IndexReader r(index);
    auto dest = r.Inet();
    auto length = dest ? r.Arc() : std::nullopt;
    bool policy = length && r.SkipLengthPrefixedOid();
    auto next_hop = policy ? r.Inet() : std::nullopt;
    auto dest_ip = dest ? dest->Ip() : std::nullopt;
    if (!next_hop || !r.AtEnd() || !dest_ip || static_cast<int>(*length) > dest_ip->bits()) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    RouteEntry e;
    e.family = dest->family();
    e.destination = dest->Text();
    e.prefix_length = static_cast<int>(*length);
    auto hop_ip = next_hop->Ip();
    if (hop_ip && !IsUnspecified(*hop_ip)) e.next_hop = next_hop->Text();
    e.ifindex = OptionalIfIndex(c.Integer(kIfIndex, 0, kInt32Max));
    if (auto v = c.Integer(kType, 1, 5)) e.type = static_cast<int>(*v);
    if (auto v = c.Integer(kProto, 1, kInt32Max)) e.protocol = static_cast<int>(*v);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<RouteEntry> IpCidrRoutes(const std::vector<Varbind>& varbinds, DecodeIssues& issues) {
  enum : std::uint32_t { kIfIndex = 5, kType = 6, kProto = 7 };
  std::vector<RouteEntry> out;
  for (const auto& [index, row] :
       CollectTable(varbinds, kIpCidrRouteEntry, {kIfIndex, kType, kProto}, issues)) {
    IndexReader r(index);
    auto dest = r.Octets(4);
    auto mask = dest ? r.Octets(4) : std::nullopt;
    auto tos = mask ? r.Arc() : std::nullopt;
    auto hop = tos ? r.Octets(4) : std::nullopt;
    auto length = mask ? MaskLength(*mask) : std::nullopt;
    if (!hop || !r.AtEnd() || !length) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    RouteEntry e;
    e.destination = MakeIp(4, *dest)->ToString();
    e.prefix_length = *length;
    if (!IsAllZero(*hop)) e.next_hop = MakeIp(4, *hop)->ToString();
    e.ifindex = OptionalIfIndex(c.Integer(kIfIndex, 0, kInt32Max));
    if (auto v = c.Integer(kType, 1, 4)) e.type = static_cast<int>(*v);
    if (auto v = c.Integer(kProto, 1, kInt32Max)) e.protocol = static_cast<int>(*v);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<RouteEntry> IpRoutes(const std::vector<Varbind>& varbinds, DecodeIssues& issues) {
  enum : std::uint32_t { kIfIndex = 2, kNextHop = 7, kType = 8, kProto = 9, kMask = 11 };
  constexpr int kInvalid = 2;
  constexpr int kDirect = 3;
  std::vector<RouteEntry> out;
  for (const auto& [index, row] :
       CollectTable(varbinds, kIpRouteEntry, {kIfIndex, kNextHop, kType, kProto, kMask}, issues)) {
    IndexReader r(index);
    auto dest = r.Octets(4);
    if (!dest || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    auto mask = c.Ipv4(kMask);
    auto hop = c.Ipv4(kNextHop);
    auto type = c.Integer(kType, 1, 4);
    if (!mask || type == kInvalid) continue;
    auto length = MaskLength(*mask);
    if (!length) {
      c.CountBad();
      continue;
    }
    RouteEntry e;
    e.destination = MakeIp(4, *dest)->ToString();
    e.prefix_length = *length;
    // RFC 1213 puts the agent's own address on the interface as the next hop of a direct
    // route; that is not a gateway.
    if (hop && !IsAllZero(*hop) && type != kDirect) e.next_hop = MakeIp(4, *hop)->ToString();
    e.ifindex = OptionalIfIndex(c.Integer(kIfIndex, 0, kInt32Max));
    if (type) e.type = static_cast<int>(*type);
    if (auto v = c.Integer(kProto, 1, kInt32Max)) e.protocol = static_cast<int>(*v);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Decoded<std::vector<RouteEntry>> DecodeRoutes(const std::vector<Varbind>& varbinds) {
  Decoded<std::vector<RouteEntry>> out;
  out.result = InetCidrRoutes(varbinds, out.issues);
  if (out.result.empty()) out.result = IpCidrRoutes(varbinds, out.issues);
  if (out.result.empty()) out.result = IpRoutes(varbinds, out.issues);
  return out;
}

// ---- ARP / ND -----------------------------------------------------------------------------

Decoded<std::vector<NeighborEntry>> DecodeNeighbors(const std::vector<Varbind>& varbinds) {
  Decoded<std::vector<NeighborEntry>> out;
  DecodeIssues& issues = out.issues;
  constexpr std::int64_t kInvalid = 2;

  {
    enum : std::uint32_t { kPhys = 4, kType = 6 };
    for (const auto& [index, row] :
         CollectTable(varbinds, kIpNetToPhysicalEntry, {kPhys, kType}, issues)) {
      IndexReader r(index);
      auto ifindex = r.Arc(1, kInt32Max);
      auto address = ifindex ? r.Inet() : std::nullopt;
      if (!address || !r.AtEnd() || address->family() == 0) {
        SkipMalformed(row, issues);
        continue;
      }
      Cells c(row, issues);
      auto mac = c.Bytes(kPhys);
      auto type = c.Integer(kType, 1, 5);
      if (!mac || IsAllZero(*mac) || type == kInvalid) continue;
      NeighborEntry e{*ifindex, address->family(), address->Text(), ColonHex(*mac), std::nullopt};
      if (type) e.type = static_cast<int>(*type);
      out.result.push_back(std::move(e));
    }
  }
  if (!out.result.empty()) return out;

  enum : std::uint32_t { kPhys = 2, kType = 4 };
  for (const auto& [index, row] :
       CollectTable(varbinds, kIpNetToMediaEntry, {kPhys, kType}, issues)) {
    IndexReader r(index);
    auto ifindex = r.Arc(1, kInt32Max);
    auto address = ifindex ? r.Octets(4) : std::nullopt;
    if (!address || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    auto mac = c.Bytes(kPhys);
    auto type = c.Integer(kType, 1, 4);
    if (!mac || IsAllZero(*mac) || type == kInvalid) continue;
    NeighborEntry e{*ifindex, 4, MakeIp(4, *address)->ToString(), ColonHex(*mac), std::nullopt};
    if (type) e.type = static_cast<int>(*type);
    out.result.push_back(std::move(e));
  }
  return out;
}

// ---- LLDP ---------------------------------------------------------------------------------

Decoded<std::vector<LldpNeighbor>> DecodeLldpNeighbors(const std::vector<Varbind>& varbinds) {
  Decoded<std::vector<LldpNeighbor>> out;
  DecodeIssues& issues = out.issues;
  enum : std::uint32_t {
    kChassisSubtype = 4,
    kChassisId = 5,
    kPortSubtype = 6,
    kPortId = 7,
    kPortDesc = 8,
    kSysName = 9,
    kSysDesc = 10,
  };
  // LldpPortNumber is 1..4096, but NX-OS and Junos number ports by ifIndex; a larger number is
  // still the right key to join lldpLocPortTable with.
  constexpr std::uint32_t kPortNumMax = std::numeric_limits<std::uint32_t>::max();

  // Keyed by (local port, remote index): lldpRemTimeMark only filters by age, and an agent
  // may list a neighbour under a newer time mark in one table than in the other.
  std::map<std::pair<std::uint32_t, std::uint32_t>, LldpNeighbor> neighbors;
  for (const auto& [index, row] : CollectTable(
           varbinds, kLldpRemEntry,
           {kChassisSubtype, kChassisId, kPortSubtype, kPortId, kPortDesc, kSysName, kSysDesc},
           issues)) {
    IndexReader r(index);
    auto time_mark = r.Arc();
    auto local_port = time_mark ? r.Arc(1, kPortNumMax) : std::nullopt;
    auto remote_index = local_port ? r.Arc(1, kInt32Max) : std::nullopt;
    if (!remote_index || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    LldpNeighbor n;
    n.local_port = *local_port;
    n.remote_index = *remote_index;
    if (auto v = c.Integer(kChassisSubtype, 1, 7)) n.chassis_id_subtype = static_cast<int>(*v);
    if (auto v = c.Integer(kPortSubtype, 1, 7)) n.port_id_subtype = static_cast<int>(*v);
    if (auto v = c.Bytes(kChassisId)) n.chassis_id = FormatLldpId(n.chassis_id_subtype, *v, 4, 5);
    if (auto v = c.Bytes(kPortId)) n.port_id = FormatLldpId(n.port_id_subtype, *v, 3, 4);
    if (auto v = c.Text(kPortDesc)) n.port_desc = *v;
    if (auto v = c.Text(kSysName)) n.sys_name = *v;
    if (auto v = c.Text(kSysDesc)) n.sys_desc = *v;
    // Later time marks sort later: the newest row for a neighbour wins.
    std::pair key{n.local_port, n.remote_index};
    neighbors[key] = std::move(n);
  }

  enum : std::uint32_t { kManIfSubtype = 3, kManIfId = 4 };
  for (const auto& [index, row] :
       CollectTable(varbinds, kLldpRemManAddrEntry, {kManIfSubtype, kManIfId}, issues)) {
    IndexReader r(index);
    auto time_mark = r.Arc();
    auto local_port = time_mark ? r.Arc(1, kPortNumMax) : std::nullopt;
    auto remote_index = local_port ? r.Arc(1, kInt32Max) : std::nullopt;
    auto subtype = remote_index ? r.Arc() : std::nullopt;
    auto address = subtype ? r.LengthPrefixedOctets() : std::nullopt;
    if (!address || !r.AtEnd() || address->empty() || address->size() > 31) {
      SkipMalformed(row, issues);
      continue;
    }
    auto it = neighbors.find({*local_port, *remote_index});
    if (it == neighbors.end()) continue;  // aged out between the two walks
    auto& list = it->second.management_addresses;
    std::string text = FormatManagementAddress(*subtype, *address);
    if (std::find(list.begin(), list.end(), text) == list.end()) list.push_back(std::move(text));
  }

  enum : std::uint32_t { kLocPortSubtype = 2, kLocPortId = 3, kLocPortDesc = 4 };
  for (const auto& [index, row] : CollectTable(
           varbinds, kLldpLocPortEntry, {kLocPortSubtype, kLocPortId, kLocPortDesc}, issues)) {
    if (index.size() != 1 || index[0] < 1) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    std::optional<int> subtype;
    if (auto v = c.Integer(kLocPortSubtype, 1, 7)) subtype = static_cast<int>(*v);
    auto id = c.Bytes(kLocPortId);
    auto desc = c.Text(kLocPortDesc);
    for (auto it = neighbors.lower_bound({index[0], 0});
         it != neighbors.end() && it->first.first == index[0]; ++it) {
      if (id) it->second.local_port_id = FormatLldpId(subtype, *id, 3, 4);
      if (desc) it->second.local_port_desc = *desc;
    }
  }

  out.result.reserve(neighbors.size());
  for (auto& [key, n] : neighbors) out.result.push_back(std::move(n));
  return out;
}

// ---- FDB ----------------------------------------------------------------------------------

Decoded<std::vector<FdbEntry>> DecodeFdb(const std::vector<Varbind>& varbinds) {
  Decoded<std::vector<FdbEntry>> out;
  DecodeIssues& issues = out.issues;
  constexpr std::int64_t kInvalid = 2;
  enum : std::uint32_t { kPort = 2, kStatus = 3 };

  std::map<std::uint32_t, std::uint32_t> port_ifindex;
  for (const auto& [index, row] : CollectTable(varbinds, kDot1dBasePortEntry, {2}, issues)) {
    if (index.size() != 1 || index[0] < 1 || index[0] > 65535) {
      SkipMalformed(row, issues);
      continue;
    }
    if (auto v = Cells(row, issues).Integer(2, 1, kInt32Max)) {
      port_ifindex[index[0]] = static_cast<std::uint32_t>(*v);
    }
  }
  auto add = [&](std::optional<std::uint32_t> vlan, const std::string& mac, const Cells& c) {
    auto port = c.Integer(kPort, 0, 65535);
    auto status = c.Integer(kStatus, 1, 5);
    if (!port || status == kInvalid) return;
    FdbEntry e;
    e.vlan = vlan;
    e.mac = ColonHex(mac);
    e.bridge_port = static_cast<std::uint32_t>(*port);
    if (auto it = port_ifindex.find(e.bridge_port); it != port_ifindex.end()) {
      e.ifindex = it->second;
    }
    if (status) e.status = static_cast<int>(*status);
    out.result.push_back(std::move(e));
  };

  // dot1qVlanFdbId: which VLANs learn into which FDB.
  std::multimap<std::uint32_t, std::uint32_t> fdb_vlans;
  for (const auto& [index, row] : CollectTable(varbinds, kDot1qVlanCurrentEntry, {3}, issues)) {
    IndexReader r(index);
    auto time_mark = r.Arc();
    auto vlan = time_mark ? r.Arc() : std::nullopt;  // VlanIndex: 4095 and up are local
    if (!vlan || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    if (auto fdb = Cells(row, issues).Integer(3, 0, 0xffffffffLL)) {
      fdb_vlans.emplace(static_cast<std::uint32_t>(*fdb), *vlan);
    }
  }
  auto vlan_of = [&](std::uint32_t fdb_id) -> std::optional<std::uint32_t> {
    if (fdb_vlans.empty()) return fdb_id;
    // Several VLANs sharing one FDB (shared learning) leave the VLAN unknown.
    if (fdb_vlans.count(fdb_id) != 1) return std::nullopt;
    return fdb_vlans.find(fdb_id)->second;
  };

  for (const auto& [index, row] :
       CollectTable(varbinds, kDot1qTpFdbEntry, {kPort, kStatus}, issues)) {
    IndexReader r(index);
    auto fdb_id = r.Arc();
    auto mac = fdb_id ? r.Octets(6) : std::nullopt;
    if (!mac || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    add(vlan_of(*fdb_id), *mac, Cells(row, issues));
  }
  if (!out.result.empty()) return out;

  for (const auto& [index, row] :
       CollectTable(varbinds, kDot1dTpFdbEntry, {kPort, kStatus}, issues)) {
    IndexReader r(index);
    auto mac = r.Octets(6);
    if (!mac || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    add(std::nullopt, *mac, Cells(row, issues));
  }
  return out;
}

// ---- TCP ----------------------------------------------------------------------------------

Decoded<std::vector<TcpConnection>> DecodeTcpConnections(const std::vector<Varbind>& varbinds) {
  Decoded<std::vector<TcpConnection>> out;
  DecodeIssues& issues = out.issues;
  // closed(1) .. timeWait(11); deleteTCB(12) is only ever written, never read.
  constexpr std::int64_t kStateMax = 11;

  for (const auto& [index, row] : CollectTable(varbinds, kTcpConnectionEntry, {7}, issues)) {
    IndexReader r(index);
    auto local = r.Inet();
    auto local_port = local ? r.Arc(0, 65535) : std::nullopt;
    auto remote = local_port ? r.Inet() : std::nullopt;
    auto remote_port = remote ? r.Arc(0, 65535) : std::nullopt;
    if (!remote_port || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    auto state = Cells(row, issues).Integer(7, 1, kStateMax);
    if (!state) continue;
    out.result.push_back(
        {local->Text(), *local_port, remote->Text(), *remote_port, static_cast<int>(*state)});
  }
  if (!out.result.empty()) return out;

  for (const auto& [index, row] : CollectTable(varbinds, kTcpConnEntry, {1}, issues)) {
    IndexReader r(index);
    auto local = r.Octets(4);
    auto local_port = local ? r.Arc(0, 65535) : std::nullopt;
    auto remote = local_port ? r.Octets(4) : std::nullopt;
    auto remote_port = remote ? r.Arc(0, 65535) : std::nullopt;
    if (!remote_port || !r.AtEnd()) {
      SkipMalformed(row, issues);
      continue;
    }
    auto state = Cells(row, issues).Integer(1, 1, kStateMax);
    if (!state) continue;
    out.result.push_back({MakeIp(4, *local)->ToString(), *local_port,
                          MakeIp(4, *remote)->ToString(), *remote_port, static_cast<int>(*state)});
  }
  return out;
}

// ---- UPS ----------------------------------------------------------------------------------

Decoded<std::optional<UpsState>> DecodeUps(const std::vector<Varbind>& varbinds) {
  Decoded<std::optional<UpsState>> out;
  DecodeIssues& issues = out.issues;
  bool any = false;
  auto number = [&](const Oid& instance, std::int64_t lo,
                    std::int64_t hi) -> std::optional<std::int64_t> {
    auto v = Cells::IntegerValue(FindInstance(varbinds, instance, issues), lo, hi, issues);
    any = any || v.has_value();
    return v;
  };
  constexpr int kBattery = 5;
  UpsState s;
  if (auto v = number(kUpsOutputSource.Append({0}), 1, 7)) {
    s.output_source = static_cast<int>(*v);
    s.on_battery = *v == kBattery;
  }
  if (auto v = number(kUpsBatteryStatus.Append({0}), 1, 4)) s.battery_status = static_cast<int>(*v);
  s.seconds_on_battery = number(kUpsSecondsOnBattery.Append({0}), 0, kInt32Max);
  s.minutes_remaining = number(kUpsEstimatedMinutesRemaining.Append({0}), 0, kInt32Max);
  if (auto v = number(kUpsEstimatedChargeRemaining.Append({0}), 0, 100)) {
    s.charge_ratio = static_cast<double>(*v) / 100.0;
  }
  if (auto v = number(kUpsInputVoltage.Append({1}), 0, kInt32Max)) {
    s.input_voltage = static_cast<double>(*v);
  }
  if (auto v = number(kUpsOutputPercentLoad.Append({1}), 0, 200)) {
    s.output_load_ratio = static_cast<double>(*v) / 100.0;
  }
  if (any) out.result = s;
  return out;
}

// ---- sensors ------------------------------------------------------------------------------

Decoded<std::vector<SensorReading>> DecodeSensors(const std::vector<Varbind>& varbinds) {
  Decoded<std::vector<SensorReading>> out;
  DecodeIssues& issues = out.issues;
  enum : std::uint32_t { kType = 1, kScale = 2, kPrecision = 3, kValue = 4, kStatus = 5 };
  constexpr std::int64_t kCelsius = 8;
  constexpr std::int64_t kPercentRh = 9;
  constexpr std::int64_t kUnits = 9;  // EntitySensorDataScale units(9) = 10^0
  constexpr std::int64_t kOk = 1;

  std::map<std::uint32_t, std::string> names;
  for (const auto& [index, row] : CollectTable(varbinds, kEntPhysicalEntry, {7}, issues)) {
    auto physical_index = SimpleIndex(index);
    if (!physical_index) {
      SkipMalformed(row, issues);
      continue;
    }
    if (auto v = Cells(row, issues).Text(7)) names[*physical_index] = *v;
  }

  for (const auto& [index, row] : CollectTable(
           varbinds, kEntPhySensorEntry, {kType, kScale, kPrecision, kValue, kStatus}, issues)) {
    auto physical_index = SimpleIndex(index);
    if (!physical_index) {
      SkipMalformed(row, issues);
      continue;
    }
    Cells c(row, issues);
    // Vendors extend EntitySensorDataType; only the two kinds watched here matter.
    auto type = c.Integer(kType, 1, kInt32Max);
    if (type != kCelsius && type != kPercentRh) continue;
    SensorReading s;
    s.index = *physical_index;
    s.kind = type == kCelsius ? SensorKind::kTemperature : SensorKind::kHumidity;
    if (auto it = names.find(s.index); it != names.end()) s.name = it->second;
    auto scale = c.Integer(kScale, 1, 17);
    auto precision = c.Integer(kPrecision, -8, 9);
    auto value = c.Integer(kValue, -1'000'000'000, 1'000'000'000);
    auto status = c.Integer(kStatus, 1, 3);
    if (scale && precision && value && (!status || *status == kOk)) {
      // EntitySensorDataScale steps by 10^3 from units(9); precision counts decimal places.
      int exponent = static_cast<int>(3 * (*scale - kUnits) - *precision);
      s.value = static_cast<double>(*value) * std::pow(10.0, exponent);
    }
    out.result.push_back(std::move(s));
  }
  return out;
}

}  // namespace trinet::snmp
