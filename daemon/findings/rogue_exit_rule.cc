// rogue-exit: an unauthorized direct Internet exit 私接互联网 (M1 art. 8, M2 art. 4).
//
// Every registered device that is not the device of a sanctioned exit is checked for signs
// that it reaches the Internet by itself: a default route or a route to a public prefix
// through a gateway in no address plan, a public address on an interface or in its ARP/ND
// table, an established TCP connection to a public address. One finding per device, each
// sign one piece of evidence. See docs/findings.md, "rogue-exit".

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "findings/rules.h"

namespace trinet::findings {
namespace {

using nlohmann::json;

constexpr const char* kRule = "rogue-exit";

// The kinds of evidence, in the order they are listed and ranked: the first one present is
// the finding's reason and leads its summary.
enum Kind { kRoute = 0, kAddress = 1, kArp = 2, kTcp = 3 };

struct KindInfo {
  const char* fact_kind;
  const char* reason;
  const char* default_table;  ///< when the fact does not say which MIB table it came from
  const char* verb;           ///< "DEVICE <verb>: <evidence>"
};

const KindInfo kKinds[] = {
    {"route", "public-route", "inetCidrRouteTable", "routes to the Internet itself"},
    {"address", "public-address", "ipAddressTable", "holds a public Internet address itself"},
    {"arp", "public-neighbour", "ipNetToPhysicalTable",
     "has an Internet address in its neighbour table"},
    {"tcp", "public-tcp", "tcpConnectionTable", "talks to the Internet directly"},
};

constexpr std::int64_t kRouteReject = 2;
constexpr std::int64_t kRouteBlackhole = 5;
constexpr std::int64_t kTcpEstablished = 5;
constexpr std::int64_t kArpInvalid = 2;

// ---- reading fact values without ever throwing ---------------------------------------------

bool HasStringField(const json& v, const char* key) {
  if (!v.is_object()) return false;
  auto it = v.find(key);
  return it != v.end() && it->is_string();
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
}

/// An address as facts hold it, with IPv4-mapped IPv6 (::ffff:a.b.c.d) read as IPv4, so
/// that a connection an agent reports in that form is judged by its IPv4 address.
std::optional<IpAddress> Address(std::string_view text) {
  auto a = RuleContext::ParseFactAddress(text);
  if (!a || a->family != 6) return a;
  for (int i = 0; i < 10; ++i) {
    if (a->bytes[i] != 0) return a;
  }
  if (a->bytes[10] != 0xff || a->bytes[11] != 0xff) return a;
  IpAddress v4;
  v4.family = 4;
  std::copy(a->bytes.begin() + 12, a->bytes.end(), v4.bytes.begin());
  return v4;
}

/// Next hops that are no gateway to anywhere: unspecified (direct), loopback, link-local,
/// multicast, reserved.
bool IsNoGateway(const IpAddress& a) {
  static const std::vector<Cidr> kPrefixes = [] {
    std::vector<Cidr> out;
    std::string error;
    for (const char* text : {"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",
                             "240.0.0.0/4", "::/128", "::1/128", "fe80::/10", "ff00::/8"}) {
      if (auto c = ParseCidr(text, &error)) out.push_back(*c);
    }
    return out;
  }();
  return std::any_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](const Cidr& c) { return c.Contains(a); });
}

std::string TableOf(const Fact& f, Kind kind) {
  std::string table = StringField(f.value, "table");
  return table.empty() ? kKinds[kind].default_table : table;
}

// ---- the evidence of one device ------------------------------------------------------------

struct Item {
  Kind kind;
  Evidence evidence;
};

class DeviceCheck {
 public:
  DeviceCheck(const RuleContext& ctx, const Device& device) : ctx_(ctx), device_(device) {
    for (const Fact* f : ctx_.FactsOf(device_.id, "address")) {
      std::string text = StringField(f->value, "address");
      if (text.empty()) text = f->key;
      if (auto a = Address(text)) own_addresses_.push_back(*a);
    }
  }

  std::vector<Item> Collect() {
    for (const Fact* f : ctx_.FactsOf(device_.id, "route")) Route(*f);
    for (const Fact* f : ctx_.FactsOf(device_.id, "address")) AddressFact(*f);
    for (const Fact* f : ctx_.FactsOf(device_.id, "arp")) Arp(*f);
    std::vector<Item> tcp;
    for (const Fact* f : ctx_.FactsOf(device_.id, "tcp")) Tcp(*f, tcp);
    // On the external network, Internet-facing services legitimately talk to the Internet
    // through the unified exit: their connections only add to other evidence.
    if (device_.network != "external" || !items_.empty()) {
      items_.insert(items_.end(), tcp.begin(), tcp.end());
    }
    return std::move(items_);
  }

 private:
  /// Public, and not one of the sanctioned exit addresses of the device's network.
  bool Counts(const IpAddress& a) const {
    return ctx_.IsPublic(a) && !ctx_.InSanctionedPrefix(a, device_.network);
  }

  std::string InterfaceText(const json& v) const {
    auto ifindex = IntField(v, "ifindex");
    if (!ifindex || *ifindex <= 0) return {};
    for (const InterfaceState* i : ctx_.InterfacesOf(device_.id)) {
      if (i->ifindex == *ifindex && !i->name.empty()) return " on interface " + i->name;
    }
    return " on ifindex " + std::to_string(*ifindex);
  }

  void Add(Kind kind, const Fact& f, std::string value, std::vector<Item>& into) {
    Evidence e;
    e.source = "snmp";
    e.device = device_.id;
    e.table = TableOf(f, kind);
    e.key = f.key;
    e.value = std::move(value);
    e.observed_at = f.last_seen > 0 ? f.last_seen : ctx_.now();
    into.push_back(Item{kind, std::move(e)});
  }

  void Route(const Fact& f) {
    // Destination, length and next hop from the value; what the value lacks from the key,
    // "DEST/LEN[ via NEXTHOP]".
    std::string dest_text = StringField(f.value, "destination");
    auto length = IntField(f.value, "prefix_length");
    std::string hop_text = StringField(f.value, "next_hop");
    const std::string_view key = f.key;
    const auto via = key.find(" via ");
    if (dest_text.empty() || !length) {
      const std::string_view prefix = key.substr(0, via);
      const auto slash = prefix.rfind('/');
      if (slash == std::string_view::npos) return;
      dest_text = std::string(prefix.substr(0, slash));
      length = ParseInt(prefix.substr(slash + 1));
    }
    if (!HasStringField(f.value, "next_hop") && via != std::string_view::npos) {
      hop_text = std::string(key.substr(via + 5));
    }
    auto dest = Address(dest_text);
    if (!dest || !length || *length < 0 || *length > dest->bits()) return;

    if (auto type = IntField(f.value, "type"); type == kRouteReject || type == kRouteBlackhole) {
      return;  // traffic is dropped, not sent anywhere
    }
    if (hop_text.empty()) return;  // directly connected
    auto hop = Address(hop_text);
    if (!hop || IsNoGateway(*hop)) return;
    if (std::find(own_addresses_.begin(), own_addresses_.end(), *hop) != own_addresses_.end()) {
      return;  // the device's own address: a connected route as some agents write it
    }
    if (ctx_.PlanOf(*hop)) return;  // a gateway of the networks: the normal uplink
    if (ctx_.InSanctionedPrefix(*hop, device_.network)) return;  // the unified exit itself

    const bool is_default = *length == 0;
    if (!is_default && !Counts(*dest)) return;

    const std::string hop_words = ctx_.IsPublic(*hop) ? "public next hop " + hop->ToString()
                                                      : hop->ToString() +
                                                            ", a next hop in no "
                                                            "address plan";
    std::string value = is_default ? "default route via " + hop_words
                                   : "route to public prefix " + dest->ToString() + "/" +
                                         std::to_string(*length) + " via " + hop_words;
    Add(kRoute, f, std::move(value), items_);
  }

  void AddressFact(const Fact& f) {
    std::string text = StringField(f.value, "address");
    if (text.empty()) text = f.key;
    auto a = Address(text);
    if (!a || !Counts(*a)) return;
    std::string shown = a->ToString();
    if (auto length = IntField(f.value, "prefix_length")) shown += "/" + std::to_string(*length);
    Add(kAddress, f, "public address " + shown + InterfaceText(f.value), items_);
  }

  void Arp(const Fact& f) {
    if (IntField(f.value, "type") == kArpInvalid) return;
    std::string text = StringField(f.value, "ip");
    if (text.empty()) text = f.key.substr(0, f.key.rfind('@'));
    auto a = Address(text);
    if (!a || !Counts(*a)) return;
    std::string value = "public neighbour " + a->ToString();
    if (std::string mac = StringField(f.value, "mac"); !mac.empty()) {
      value += " (MAC " + mac + ")";
    }
    value += InterfaceText(f.value);
    Add(kArp, f, std::move(value), items_);
  }

  void Tcp(const Fact& f, std::vector<Item>& into) {
    if (IntField(f.value, "state") != kTcpEstablished) return;
    auto remote = Address(StringField(f.value, "remote_address"));
    if (!remote || !Counts(*remote)) return;
    std::string value = "established TCP connection";
    if (auto local = Address(StringField(f.value, "local_address"))) {
      value += " from " + local->ToString();
      if (auto port = IntField(f.value, "local_port")) value += " port " + std::to_string(*port);
    }
    value += " to public address " + remote->ToString();
    if (auto port = IntField(f.value, "remote_port")) value += " port " + std::to_string(*port);
    Add(kTcp, f, std::move(value), into);
  }

  const RuleContext& ctx_;
  const Device& device_;
  std::vector<IpAddress> own_addresses_;
  std::vector<Item> items_;
};

std::string Who(const Device& d) {
  std::string who = d.id + " (";
  if (d.name) who += *d.name + ", ";
  return who + "room " + d.room + ", " + d.network + " network)";
}

}  // namespace

std::vector<Finding> RogueExitRule(const RuleContext& ctx) {
  std::vector<Finding> out;
  for (const Device& device : ctx.reg().devices) {
    if (ctx.IsExitDevice(device.id)) continue;
    std::vector<Item> items = DeviceCheck(ctx, device).Collect();
    if (items.empty()) continue;

    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return std::tie(a.kind, a.evidence.table, a.evidence.key, a.evidence.value) <
             std::tie(b.kind, b.evidence.table, b.evidence.key, b.evidence.value);
    });
    items.erase(std::unique(items.begin(), items.end(),
                            [](const Item& a, const Item& b) {
                              return a.kind == b.kind && a.evidence == b.evidence;
                            }),
                items.end());

    Finding f;
    f.rule = kRule;
    f.reason = kKinds[items.front().kind].reason;
    f.severity = kCritical;
    f.subject = Subject{.type = "device", .id = device.id, .name = device.name.value_or(device.id)};
    ctx.Place(f, device);
    f.summary =
        Who(device) + " " + kKinds[items.front().kind].verb + ": " + items.front().evidence.value;
    if (items.size() > 1) {
      const size_t more = items.size() - 1;
      f.summary += " (and " + std::to_string(more) + " more piece" + (more == 1 ? "" : "s") +
                   " of evidence)";
    }
    for (auto& item : items) f.evidence.push_back(std::move(item.evidence));
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(),
            [](const Finding& a, const Finding& b) { return a.subject.id < b.subject.id; });
  return out;
}

}  // namespace trinet::findings
