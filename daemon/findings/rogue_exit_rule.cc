// rogue-exit: an unauthorized direct Internet exit 私接互联网 (M1 art. 8, M2 art. 4).
//
// Every registered device that is not the device of a sanctioned exit is checked for signs
// that it reaches the Internet by itself: a default route or a route to a public prefix
// through a gateway in no address plan, a public address on an interface or in its ARP/ND
// table, an established TCP connection to a public address. Packet captures (source
// `pcap`) add the gateways, resolvers and DHCP servers they saw: a suspect MAC that is an
// interface of a registered device adds to that device's finding, any other MAC is a
// subject of its own (`mac:aa:bb:cc:dd:ee:ff`). One finding per subject, each sign one piece
// of evidence. See docs/findings.md, "rogue-exit".

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
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
// the finding's reason and leads its summary. A device's own statement that it routes to or
// holds the Internet comes first; a capture showing it as the gateway of Internet traffic is
// as direct; neighbours and connections show contact with the Internet, not that the device
// is the exit; a DHCP server or resolver that is not sanctioned is a sign of a consumer
// router, not proof of an exit. The last kind (the switch port a MAC was learnt on) only
// places a subject and never leads.
enum Kind {
  kRoute = 0,
  kAddress,
  kPcapPublic,
  kPcapBypass,
  kArp,
  kTcp,
  kPcapDhcp,
  kPcapResolver,
  kFdb,
};

struct KindInfo {
  const char* fact_kind;  ///< the fact kind, or the capture observation kind
  const char* reason;
  const char* default_table;  ///< when the fact does not say which MIB table it came from
  const char* verb;           ///< "DEVICE <verb>: <evidence>"
  bool critical;              ///< enough alone for a critical finding (else major)
};

const KindInfo kKinds[] = {
    {"route", "public-route", "inetCidrRouteTable", "routes to the Internet itself", true},
    {"address", "public-address", "ipAddressTable", "holds a public Internet address itself", true},
    {"public-traffic", "pcap-public-traffic", "public-traffic",
     "is the gateway of Internet traffic on a network that must have none", true},
    {"gateway-bypass", "pcap-gateway-bypass", "gateway-bypass",
     "is a gateway to the Internet that is no sanctioned exit", true},
    {"arp", "public-neighbour", "ipNetToPhysicalTable",
     "has an Internet address in its neighbour table", true},
    {"tcp", "public-tcp", "tcpConnectionTable", "talks to the Internet directly", true},
    {"rogue-dhcp", "pcap-rogue-dhcp", "rogue-dhcp",
     "hands out DHCP leases without being a registered DHCP server", false},
    {"foreign-resolver", "pcap-foreign-resolver", "foreign-resolver",
     "receives DNS queries as a resolver that is not sanctioned", false},
    {"fdb", "", "dot1qTpFdbTable", "", false},
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

// ---- the evidence of packet captures -------------------------------------------------------

std::optional<Kind> PcapKind(std::string_view kind) {
  for (Kind k : {kPcapPublic, kPcapBypass, kPcapDhcp, kPcapResolver}) {
    if (kind == kKinds[k].fact_kind) return k;
  }
  return std::nullopt;
}

std::string VlanText(const PcapSighting& s) {
  if (s.outer_vlan < 0) return "untagged";
  std::string v = "VLAN " + std::to_string(s.outer_vlan);
  if (s.inner_vlan >= 0) v += "/" + std::to_string(s.inner_vlan);
  return v;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

/// Microseconds of capture time as UTC seconds.
std::string CaptureTime(std::int64_t us) { return FormatUtc(us / 1000000); }

/// The sentence of a sighting: what was seen, between which MACs and addresses, where and
/// when, how much.
std::string Describe(const PcapSighting& s, Kind kind) {
  const std::string frame = "frame " + s.src_mac + " -> " + s.dst_mac;
  std::string v;
  switch (kind) {
    case kPcapPublic:
      v = "public traffic " + s.src + " -> " + s.dst + " through gateway MAC " + s.suspect_mac +
          " (public address " + s.suspect_address + ", " + frame + ")";
      break;
    case kPcapBypass:
      v = "Internet traffic " + s.src + " -> " + s.dst + " through gateway MAC " + s.suspect_mac +
          ", which is no sanctioned exit's gateway (public address " + s.suspect_address + ", " +
          frame + ")";
      break;
    case kPcapResolver:
      v = "DNS queries from " + s.src + " (MAC " + s.src_mac + ") to resolver " +
          s.suspect_address + " via MAC " + s.suspect_mac + ", not a sanctioned resolver";
      if (!s.dns_names.empty()) v += " (names " + Join(s.dns_names) + ")";
      break;
    default:
      v = "DHCP offers from server " + s.suspect_address + " (MAC " + s.suspect_mac + ") to " +
          s.dst + " (MAC " + s.dst_mac + "), not a registered DHCP server";
      if (!s.routers.empty()) v += "; routers " + Join(s.routers);
      if (!s.dns_servers.empty()) v += "; DNS servers " + Join(s.dns_servers);
      break;
  }
  v += "; " + VlanText(s) + ", " + std::to_string(s.packets) + " packet" +
       (s.packets == 1 ? "" : "s") + ", " + std::to_string(s.bytes) + " bytes, " +
       std::to_string(s.flows) + " flow" + (s.flows == 1 ? "" : "s") + ", first seen " +
       CaptureTime(s.first_seen_us) + ", last seen " + CaptureTime(s.last_seen_us) + " by " +
       s.source;
  return v;
}

bool ListHas(const std::vector<std::string>& list, const std::string& address) {
  auto a = ParseIpAddress(address);
  if (!a) return false;
  return std::any_of(list.begin(), list.end(), [&](const std::string& t) {
    auto b = ParseIpAddress(t);
    return b && *b == *a;
  });
}

/// Whether the current register still condemns what the capture saw: the analysis ran on
/// the register of its time, the rule judges by today's (a resolver or DHCP server
/// registered since, a prefix added to a plan, a gateway MAC sanctioned since).
bool StillCounts(const RuleContext& ctx, const PcapSighting& s, Kind kind, const std::string& mac) {
  for (const Egress& e : ctx.reg().egress) {
    if (e.network != s.network) continue;
    for (const auto& g : e.gateway_macs) {
      if (NormaliseMac(g) == mac) return false;  // a sanctioned exit's gateway
    }
  }
  const Network* net = nullptr;
  for (const Network& n : ctx.reg().networks) {
    if (n.id == s.network) net = &n;
  }
  switch (kind) {
    case kPcapPublic:
    case kPcapBypass: {
      auto a = ParseIpAddress(s.suspect_address);
      return a && ctx.IsPublic(*a) && !ctx.InSanctionedPrefix(*a, s.network);
    }
    case kPcapResolver:
      return net != nullptr && !net->dns_resolvers.empty() &&
             !ListHas(net->dns_resolvers, s.suspect_address);
    default:
      return net != nullptr && !net->dhcp_servers.empty() &&
             !ListHas(net->dhcp_servers, s.suspect_address) && !ListHas(net->dhcp_servers, s.src);
  }
}

/// A subject the rule reports on: a registered device or an unregistered MAC.
struct Group {
  const Device* device = nullptr;
  std::string mac;      ///< unregistered: the MAC
  std::string network;  ///< unregistered: the network of its first capture
  std::vector<Item> items;
};

/// Where an unregistered MAC was learnt: the registered switch port with the fewest MACs
/// (an access port rather than an uplink), as an fdb evidence item; nullopt when no
/// registered switch has learnt it.
std::optional<Item> LearntAt(const RuleContext& ctx, const std::string& mac, const Device** sw) {
  struct Hit {
    const std::string* device;
    const FdbEntry* entry;
    int macs_on_port;
  };
  std::vector<Hit> hits;
  const std::uint64_t wanted = FdbEntry::MacBits(mac);
  if (wanted == FdbEntry::kNoMac) return std::nullopt;
  for (const auto& [device, entries] : ctx.obs().fdb) {
    if (ctx.FindDevice(device) == nullptr || ctx.IsExitDevice(device)) continue;
    std::map<std::int32_t, int> macs_per_port;
    for (const FdbEntry& e : entries) ++macs_per_port[e.ifindex >= 0 ? e.ifindex : e.bridge_port];
    for (const FdbEntry& e : entries) {
      if (e.mac != wanted) continue;  // integers: this runs over every switch's table
      hits.push_back({&device, &e, macs_per_port[e.ifindex >= 0 ? e.ifindex : e.bridge_port]});
    }
  }
  const Hit* best = nullptr;
  for (const Hit& h : hits) {
    if (best == nullptr || h.macs_on_port < best->macs_on_port) best = &h;
  }
  if (best == nullptr) return std::nullopt;
  const FdbEntry& fdb = *best->entry;
  *sw = ctx.FindDevice(*best->device);
  std::string where;
  if (fdb.ifindex >= 0) {
    where = " on ifindex " + std::to_string(fdb.ifindex);
    for (const InterfaceState* i : ctx.InterfacesOf(*best->device)) {
      if (i->ifindex == fdb.ifindex && !i->name.empty()) where = " on port " + i->name;
    }
  } else if (fdb.bridge_port >= 0) {
    where = " on bridge port " + std::to_string(fdb.bridge_port);
  }
  if (fdb.vlan >= 0) where += " (VLAN " + std::to_string(fdb.vlan) + ")";
  Evidence e;
  e.source = "snmp";
  e.device = *best->device;
  e.table = fdb.Table();
  e.key = fdb.Key();
  e.value = "MAC " + mac + " learnt" + where + " of " + DeviceLabel(**sw);
  e.observed_at = fdb.last_seen > 0 ? fdb.last_seen : ctx.now();
  return Item{kFdb, std::move(e)};
}

}  // namespace

std::vector<Finding> RogueExitRule(const RuleContext& ctx) {
  std::map<std::string, Group> groups;  // by subject type:id
  for (const Device& device : ctx.reg().devices) {
    if (ctx.IsExitDevice(device.id)) continue;
    std::vector<Item> items = DeviceCheck(ctx, device).Collect();
    if (items.empty()) continue;
    Group& g = groups["device:" + device.id];
    g.device = &device;
    g.items = std::move(items);
  }

  // Captures: the suspect MAC is a registered device's interface, or a subject of its own.
  std::map<std::string, const Device*> by_mac;
  for (const InterfaceState& i : ctx.obs().interfaces) {
    const Device* d = ctx.FindDevice(i.device);
    auto mac = NormaliseMac(i.phys_address);
    if (d != nullptr && mac) by_mac.emplace(*mac, d);
  }
  const std::int64_t since = ctx.now() - ctx.options().pcap_evidence_seconds;
  for (const PcapSighting& s : ctx.obs().pcap) {
    if (s.recorded_at < since || s.recorded_at > ctx.now()) continue;  // outside the window
    const auto kind = PcapKind(s.kind);
    const auto mac = NormaliseMac(s.suspect_mac);
    if (!kind || !mac || *mac == "00:00:00:00:00:00") continue;  // no MAC: no subject
    if (!StillCounts(ctx, s, *kind, *mac)) continue;
    const auto it = by_mac.find(*mac);
    const Device* device = it == by_mac.end() ? nullptr : it->second;
    if (device != nullptr && ctx.IsExitDevice(device->id)) continue;
    Group& g = groups[device ? "device:" + device->id : "mac:" + *mac];
    if (g.device == nullptr && g.mac.empty()) {
      g.device = device;
      if (!device) g.mac = *mac;
    }
    Evidence e;
    e.source = "pcap";
    e.device = s.source;
    e.table = s.kind;
    e.key = *mac + " " + s.suspect_address;
    if (s.outer_vlan >= 0) e.key += " " + VlanText(s);
    e.value = Describe(s, *kind);
    e.observed_at = s.last_seen_us > 0 ? s.last_seen_us / 1000000 : s.recorded_at;
    if (e.observed_at <= 0) e.observed_at = ctx.now();
    g.items.push_back(Item{*kind, std::move(e)});
  }

  std::vector<Finding> out;
  for (auto& [key, g] : groups) {
    auto& items = g.items;
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
    const bool critical = std::any_of(items.begin(), items.end(),
                                      [](const Item& i) { return kKinds[i.kind].critical; });
    f.severity = critical ? kCritical : kMajor;
    std::string who;
    if (g.device != nullptr) {
      f.subject = Subject{
          .type = "device", .id = g.device->id, .name = g.device->name.value_or(g.device->id)};
      ctx.Place(f, *g.device);
      who = Who(*g.device);
    } else {
      // The network of its strongest sighting.
      for (const PcapSighting& s : ctx.obs().pcap) {
        if (NormaliseMac(s.suspect_mac) == g.mac &&
            s.kind == kKinds[items.front().kind].fact_kind) {
          g.network = s.network;
          break;
        }
      }
      f.subject = Subject{.type = "mac", .id = g.mac, .name = "unregistered device " + g.mac};
      who = "unregistered device " + g.mac + " (" + g.network + " network";
      const Device* sw = nullptr;
      if (auto learnt = LearntAt(ctx, g.mac, &sw)) {
        if (const Room* r = ctx.FindRoom(sw->room)) {
          ctx.Place(f, *r);
          who += ", learnt on " + DeviceLabel(*sw) + " in room " + r->id;
        }
        items.push_back(std::move(*learnt));
      }
      who += ")";
      f.network = g.network;
    }
    f.summary = who + " " + kKinds[items.front().kind].verb + ": " + items.front().evidence.value;
    if (items.size() > 1) {
      const size_t more = items.size() - 1;
      f.summary += " (and " + std::to_string(more) + " more piece" + (more == 1 ? "" : "s") +
                   " of evidence)";
    }
    for (auto& item : items) f.evidence.push_back(std::move(item.evidence));
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.subject.type, a.subject.id) < std::tie(b.subject.type, b.subject.id);
  });
  return out;
}

}  // namespace trinet::findings
