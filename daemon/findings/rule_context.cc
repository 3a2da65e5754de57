#include "findings/rule_context.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <ctime>
#include <limits>
#include <tuple>

namespace trinet::findings {
namespace {

template <typename Map, typename Key>
auto Find(const Map& m, const Key& k) -> typename Map::mapped_type {
  auto it = m.find(k);
  return it == m.end() ? nullptr : it->second;
}

}  // namespace

std::string StringField(const nlohmann::json& value, const char* key) {
  if (!value.is_object()) return {};
  auto it = value.find(key);
  return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> IntField(const nlohmann::json& value, const char* key) {
  if (!value.is_object()) return std::nullopt;
  auto it = value.find(key);
  if (it == value.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void SortEvidence(Finding& f) {
  std::stable_sort(f.evidence.begin(), f.evidence.end(), [](const Evidence& a, const Evidence& b) {
    return std::tie(a.source, a.device, a.table, a.key) <
           std::tie(b.source, b.device, b.table, b.key);
  });
}

std::string DeviceLabel(const Device& d) { return d.name ? *d.name + " (" + d.id + ")" : d.id; }

std::string RoomLabel(const Room& r) { return r.name + " (" + r.id + ", " + r.platform + ")"; }

std::string RoomOwner(const RuleContext& ctx, const Room& r) {
  const Unit* u = r.unit ? ctx.FindUnit(*r.unit) : nullptr;
  if (u == nullptr) return "no responsible unit is registered";
  std::string who = "responsible: " + u->name;
  if (!u->admin) return who + ", no administrator named";
  who += ", administrator " + u->admin->name;
  if (u->admin->phone) who += " " + *u->admin->phone;
  return who;
}

std::optional<std::int64_t> DateToUnix(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(date[i]))) return std::nullopt;
  }
  const int year = std::stoi(std::string(date.substr(0, 4)));
  const int month = std::stoi(std::string(date.substr(5, 2)));
  const int day = std::stoi(std::string(date.substr(8, 2)));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) {
    return std::nullopt;  // timegm would roll it over into another day
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string FormatUtc(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FdbEntry::MacText() const {
  if (mac == kNoMac) return {};
  std::string out;
  out.reserve(17);
  for (int i = 5; i >= 0; --i) {
    static const char* const kHex = "0123456789abcdef";
    const auto byte = static_cast<unsigned>((mac >> (8 * i)) & 0xff);
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
    if (i) out += ':';
  }
  return out;
}

std::string FdbEntry::Key() const {
  return (vlan >= 0 ? std::to_string(vlan) : std::string("-")) + "|" + MacText();
}

FdbEntry FdbEntryOf(const std::string& key, const nlohmann::json& value, std::int64_t first_seen,
                    std::int64_t last_seen) {
  FdbEntry e;
  e.first_seen = first_seen;
  e.last_seen = last_seen;
  auto int32 = [&value](const char* name) -> std::int32_t {
    auto v = IntField(value, name);
    return v && *v >= 0 && *v <= std::numeric_limits<std::int32_t>::max()
               ? static_cast<std::int32_t>(*v)
               : -1;
  };
  e.ifindex = int32("ifindex");
  e.bridge_port = int32("bridge_port");
  e.vlan = int32("vlan");
  e.q_bridge = StringField(value, "table") != "dot1dTpFdbTable";
  std::string text = StringField(value, "mac");
  if (text.empty()) text = key.substr(key.find('|') + 1);
  e.mac = FdbEntry::MacBits(text);
  return e;
}

std::uint64_t FdbEntry::MacBits(std::string_view text) {
  const auto mac = NormaliseMac(text);
  if (!mac) return kNoMac;
  std::uint64_t bits = 0;
  for (char c : *mac) {
    if (c == ':') continue;
    bits = bits << 4 | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return bits;
}

void MoveFdbFacts(Observations& obs) {
  std::vector<Fact> rest;
  for (auto& f : obs.facts) {
    if (f.kind == "fdb") {
      obs.fdb[f.device].push_back(FdbEntryOf(f.key, f.value, f.first_seen, f.last_seen));
    } else {
      rest.push_back(std::move(f));
    }
  }
  obs.facts = std::move(rest);
}

RuleContext::RuleContext(const Register& reg, const Observations& obs, std::int64_t now,
                         RuleOptions options)
    : reg_(reg), obs_(obs), now_(now), options_(std::move(options)) {
  for (const auto& d : reg_.devices) {
    devices_[d.id] = &d;
    devices_in_room_[d.room].push_back(&d);
  }
  for (const auto& r : reg_.rooms) rooms_[r.id] = &r;
  for (const auto& u : reg_.units) units_[u.id] = &u;
  for (const auto& p : reg_.platforms) platforms_[p.id] = &p;
  for (const auto& f : obs_.facts) {
    facts_[{f.device, f.kind}].push_back(&f);
    facts_by_kind_[f.kind].push_back(&f);
  }
  for (const auto& i : obs_.interfaces) interfaces_[i.device].push_back(&i);
  for (const auto& h : obs_.health) health_.emplace(std::make_pair(h.device, h.key), &h);
  std::string ignored;
  for (const auto& n : reg_.networks) {
    for (const auto& p : n.prefixes) {
      if (auto c = ParseCidr(p, &ignored)) plans_.emplace_back(*c, n.id);
    }
  }
  for (const auto& e : reg_.egress) {
    exit_devices_.insert(e.device);
    for (const auto& p : e.public_prefixes) {
      if (auto c = ParseCidr(p, &ignored)) sanctioned_.emplace_back(*c, e.network);
    }
  }
  // Neighbour matching: first registration wins, so a duplicate name or chassis id cannot
  // make the answer depend on map order.
  auto add_name = [this](const std::string& name, const Device* d) {
    if (name.empty()) return;
    const std::string lower = Lower(name);
    by_name_.emplace(lower, d);
    by_name_.emplace(lower.substr(0, lower.find('.')), d);
  };
  for (const auto& d : reg_.devices) {
    if (d.sysname) add_name(*d.sysname, &d);
    add_name(d.id, &d);
    if (auto* s = StateOf(d.id); s && s->sys_name) add_name(*s->sys_name, &d);
    for (const Fact* f : FactsOf(d.id, "lldp_local")) {
      by_chassis_.emplace(Lower(StringField(f->value, "chassis_id")), &d);
    }
    for (const InterfaceState* i : InterfacesOf(d.id)) {
      if (!i->phys_address.empty()) by_chassis_.emplace(Lower(i->phys_address), &d);
    }
    std::string error;
    if (auto m = ParseManagementAddress(d.address, &error)) by_address_.emplace(m->host, &d);
    for (const Fact* f : FactsOf(d.id, "address")) {
      if (auto ip = ParseFactAddress(StringField(f->value, "address"))) {
        if (!ip->ToString().starts_with("127.")) by_address_.emplace(ip->ToString(), &d);
      }
    }
  }
  by_chassis_.erase("");
}

const Device* RuleContext::FindDevice(const std::string& id) const { return Find(devices_, id); }
const Room* RuleContext::FindRoom(const std::string& id) const { return Find(rooms_, id); }
const Unit* RuleContext::FindUnit(const std::string& id) const { return Find(units_, id); }
const Platform* RuleContext::FindPlatform(const std::string& id) const {
  return Find(platforms_, id);
}

const DeviceState* RuleContext::StateOf(const std::string& device) const {
  auto it = obs_.devices.find(device);
  return it == obs_.devices.end() ? nullptr : &it->second;
}

const std::vector<const Device*>& RuleContext::DevicesIn(const std::string& room) const {
  static const std::vector<const Device*> kNone;
  auto it = devices_in_room_.find(room);
  return it == devices_in_room_.end() ? kNone : it->second;
}

const std::vector<const Fact*>& RuleContext::FactsOf(const std::string& device,
                                                     const std::string& kind) const {
  static const std::vector<const Fact*> kNone;
  auto it = facts_.find({device, kind});
  return it == facts_.end() ? kNone : it->second;
}

const std::vector<const Fact*>& RuleContext::FactsOfKind(const std::string& kind) const {
  static const std::vector<const Fact*> kNone;
  auto it = facts_by_kind_.find(kind);
  return it == facts_by_kind_.end() ? kNone : it->second;
}

const std::vector<FdbEntry>& RuleContext::FdbOf(const std::string& device) const {
  static const std::vector<FdbEntry> kNone;
  auto it = obs_.fdb.find(device);
  return it == obs_.fdb.end() ? kNone : it->second;
}

const std::vector<const InterfaceState*>& RuleContext::InterfacesOf(
    const std::string& device) const {
  static const std::vector<const InterfaceState*> kNone;
  auto it = interfaces_.find(device);
  return it == interfaces_.end() ? kNone : it->second;
}

const HealthReading* RuleContext::HealthOf(const std::string& device,
                                           const std::string& key) const {
  auto it = health_.find({device, key});
  return it == health_.end() ? nullptr : it->second;
}

std::optional<std::string> RuleContext::PlanOf(const IpAddress& a) const {
  for (const auto& [cidr, network] : plans_) {
    if (cidr.Contains(a)) return network;
  }
  return std::nullopt;
}

bool RuleContext::IsPublic(const IpAddress& a) const { return IsGloballyRoutable(a) && !PlanOf(a); }

std::optional<IpAddress> RuleContext::ParseFactAddress(std::string_view text) {
  const auto cut = text.find_first_of("%/");
  return ParseIpAddress(text.substr(0, cut));
}

bool RuleContext::InSanctionedPrefix(const IpAddress& a, const std::string& network) const {
  return std::any_of(sanctioned_.begin(), sanctioned_.end(),
                     [&](const auto& s) { return s.second == network && s.first.Contains(a); });
}

bool RuleContext::IsExitDevice(const std::string& device) const {
  return exit_devices_.count(device) > 0;
}

const Device* RuleContext::MatchNeighbour(const nlohmann::json& lldp) const {
  const std::string chassis = Lower(StringField(lldp, "chassis_id"));
  if (!chassis.empty()) {
    if (auto* d = Find(by_chassis_, chassis)) return d;
  }
  const std::string name = Lower(StringField(lldp, "sys_name"));
  if (!name.empty()) {
    if (auto* d = Find(by_name_, name)) return d;
    if (auto* d = Find(by_name_, name.substr(0, name.find('.')))) return d;
  }
  if (auto it = lldp.is_object() ? lldp.find("management_addresses") : lldp.end();
      it != lldp.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (!a.is_string()) continue;
      if (auto ip = ParseFactAddress(a.get<std::string>())) {
        if (auto* d = Find(by_address_, ip->ToString())) return d;
      }
    }
  }
  return nullptr;
}

void RuleContext::Place(Finding& f, const Device& device) const {
  f.network = device.network;
  if (const Room* r = FindRoom(device.room)) Place(f, *r);
  f.network = device.network;
}

void RuleContext::Place(Finding& f, const Room& room) const {
  f.room = room.id;
  f.platform = room.platform;
  f.unit = room.unit.value_or("");
}

}  // namespace trinet::findings
