#include "register/register_yaml.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "register/ip.h"

namespace trinet {

std::string Diagnostic::ToString() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::optional<std::string> NearestName(std::string_view word,
                                       const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  auto lower = [](char ch) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  };
  for (const auto& c : candidates) {
    std::vector<size_t> row(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min(
            {row[j] + 1, row[j - 1] + 1, diagonal + (lower(word[i - 1]) != lower(c[j - 1]))});
        diagonal = up;
      }
    }
    if (row[c.size()] < best_distance) {
      best_distance = row[c.size()];
      best = c;
    }
  }
  return best;
}

std::optional<std::string> ReadPassphraseFile(const std::filesystem::path& path,
                                              std::string* error) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    *error = "cannot read passphrase_file " + path.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = "passphrase_file " + path.string() + " is not a regular file";
    return std::nullopt;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    *error = "passphrase_file " + path.string() + " is accessible by group or others (mode " +
             mode + "); run: chmod 600 " + path.string();
    return std::nullopt;
  }
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    *error = "cannot read passphrase_file " + path.string() + ": empty or unreadable";
    return std::nullopt;
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

namespace {

std::string Join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool IsId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  if (!std::islower(static_cast<unsigned char>(s[0])) &&
      !std::isdigit(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

class Context {
 public:
  explicit Context(std::string file) : file_(std::move(file)) {}

  void Error(const YAML::Mark& m, std::string message) {
    errors_.push_back({file_, m.line + 1, m.column + 1, std::move(message)});
  }
  std::vector<Diagnostic> TakeErrors() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    return std::move(errors_);
  }

 private:
  std::string file_;
  std::vector<Diagnostic> errors_;
};

// One YAML mapping read against a fixed set of keys: unknown and duplicate keys are
// reported when it is constructed, and every getter reports its own type errors, so a
// caller reads each field once and gets every problem of the map at once.
class MapReader {
 public:
  MapReader(Context& ctx, const YAML::Node& node, std::string what,
            const std::vector<std::string>& keys)
      : ctx_(ctx), node_(node), what_(std::move(what)) {
    if (!node.IsMap()) {
      ctx_.Error(node.Mark(), what_ + " must be a mapping of key: value");
      valid_ = false;
      return;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      if (!Contains(keys, key)) {
        std::string msg = "unknown key '" + key + "' in " + what_;
        if (auto near = NearestName(key, keys)) msg += "; did you mean '" + *near + "'?";
        ctx_.Error(kv.first.Mark(), msg);
        continue;
      }
      if (!entries_.emplace(key, std::make_pair(kv.first, kv.second)).second) {
        ctx_.Error(kv.first.Mark(), "duplicate key '" + key + "' in " + what_ + " (first at line " +
                                        std::to_string(entries_[key].first.Mark().line + 1) + ")");
      }
    }
  }

  bool valid() const { return valid_; }
  void Rename(std::string what) { what_ = std::move(what); }
  const std::string& what() const { return what_; }

  // The mark of the key's value; of the key itself when the value is empty, because
  // yaml-cpp marks an empty value where the next token starts (often the next line).
  YAML::Mark Mark(const std::string& key) const {
    auto it = entries_.find(key);
    if (it == entries_.end()) return node_.Mark();
    const auto& [k, v] = it->second;
    return v.IsNull() ? k.Mark() : v.Mark();
  }
  YAML::Mark MapMark() const { return node_.Mark(); }
  bool Has(const std::string& key) const { return entries_.count(key) != 0; }

  std::optional<std::string> Str(const std::string& key, bool required) {
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      if (required && valid_) {
        ctx_.Error(node_.Mark(), what_ + " is missing required key '" + key + "'");
      }
      return std::nullopt;
    }
    const YAML::Node& v = it->second.second;
    if (v.IsNull()) {
      if (required) ctx_.Error(Mark(key), "'" + key + "' of " + what_ + " has no value");
      return std::nullopt;
    }
    if (!v.IsScalar()) {
      ctx_.Error(v.Mark(), "'" + key + "' of " + what_ + " must be a single value, not a " +
                               (v.IsSequence() ? "list" : "mapping"));
      return std::nullopt;
    }
    // A quoted "" would otherwise pass as a value and slip past every reference check.
    if (v.Scalar().find_first_not_of(" \t") == std::string::npos) {
      ctx_.Error(v.Mark(), "'" + key + "' of " + what_ + " is empty" +
                               (required ? "" : "; leave the key out instead"));
      return std::nullopt;
    }
    return v.Scalar();
  }

  std::string Required(const std::string& key) { return Str(key, true).value_or(""); }

  std::optional<std::string> Enum(const std::string& key, const std::vector<std::string>& values,
                                  bool required) {
    auto v = Str(key, required);
    if (v && !Contains(values, *v)) {
      std::string msg = what_ + ": " + key + " '" + *v + "' is not one of " + Join(values, " | ");
      if (auto near = NearestName(*v, values)) msg += "; did you mean '" + *near + "'?";
      ctx_.Error(Mark(key), msg);
      return std::nullopt;
    }
    return v;
  }

  std::optional<std::string> Date(const std::string& key) {
    auto v = Str(key, false);
    if (v && !IsDate(*v)) {
      ctx_.Error(Mark(key), what_ + ": " + key + " '" + *v + "' is not a date (YYYY-MM-DD)");
      return std::nullopt;
    }
    return v;
  }

  // A list of scalars; each element's mark is kept for element-level errors.
  std::vector<std::pair<std::string, YAML::Mark>> List(const std::string& key, bool required) {
    std::vector<std::pair<std::string, YAML::Mark>> out;
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.second.IsNull()) {
      if (required && valid_) {
        ctx_.Error(Mark(key), what_ + " is missing required key '" + key + "'");
      }
      return out;
    }
    const YAML::Node& v = it->second.second;
    if (!v.IsSequence()) {
      ctx_.Error(v.Mark(), "'" + key + "' of " + what_ + " must be a list, e.g. [a, b]");
      return out;
    }
    if (required && v.size() == 0) {
      ctx_.Error(v.Mark(), "'" + key + "' of " + what_ + " needs at least one entry");
      return out;
    }
    for (const auto& e : v) {
      if (!e.IsScalar()) {
        ctx_.Error(e.Mark(), "each entry of '" + key + "' in " + what_ + " must be a single value");
        continue;
      }
      out.emplace_back(e.Scalar(), e.Mark());
    }
    return out;
  }

  std::optional<YAML::Node> Map(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.second.IsNull()) return std::nullopt;
    return it->second.second;
  }

 private:
  Context& ctx_;
  YAML::Node node_;
  std::string what_;
  bool valid_ = true;
  std::map<std::string, std::pair<YAML::Node, YAML::Node>> entries_;
};

// An entity as parsed, with the marks of its fields for the cross-reference checks.
template <typename T>
struct Parsed {
  T value;
  std::map<std::string, YAML::Mark> marks;
  YAML::Mark mark;
};

template <typename T>
using Section = std::vector<Parsed<T>>;

struct Sections {
  Section<Network> networks;
  Section<Platform> platforms;
  Section<Unit> units;
  Section<Room> rooms;
  Section<Credential> credentials;
  Section<Device> devices;
  Section<Egress> egress;
};

template <typename T>
std::vector<std::string> Ids(const Section<T>& s) {
  std::vector<std::string> ids;
  for (const auto& p : s) ids.push_back(p.value.id);
  return ids;
}

template <typename T>
const Parsed<T>* Find(const Section<T>& s, const std::string& id) {
  for (const auto& p : s) {
    if (p.value.id == id) return &p;
  }
  return nullptr;
}

// The keys each entity accepts; anything else is reported as unknown.
const std::vector<std::string>& FieldsOf(const Network*) {
  static const std::vector<std::string> k = {"id", "name", "prefixes", "dns_resolvers",
                                             "dhcp_servers"};
  return k;
}
const std::vector<std::string>& FieldsOf(const Platform*) {
  static const std::vector<std::string> k = {"id", "name", "level", "parent", "frozen_since"};
  return k;
}
const std::vector<std::string>& FieldsOf(const Unit*) {
  static const std::vector<std::string> k = {"id", "name", "platform", "admin"};
  return k;
}
const std::vector<std::string>& FieldsOf(const Room*) {
  static const std::vector<std::string> k = {"id",   "name",   "unit",      "platform",
                                             "kind", "status", "exemption", "consolidate_by"};
  return k;
}
const std::vector<std::string>& FieldsOf(const Credential*) {
  static const std::vector<std::string> k = {"id",   "version", "community", "user",
                                             "auth", "priv",    "context"};
  return k;
}
const std::vector<std::string>& FieldsOf(const Device*) {
  static const std::vector<std::string> k = {
      "id", "name", "room", "network", "role", "address", "sysname", "installed", "credentials"};
  return k;
}
const std::vector<std::string>& FieldsOf(const Egress*) {
  static const std::vector<std::string> k = {
      "id",     "name",      "platform",        "network",
      "device", "interface", "public_prefixes", "gateway_macs"};
  return k;
}

class Parser {
 public:
  Parser(Context& ctx, std::filesystem::path base_dir, const PassphraseFileReader& reader)
      : ctx_(ctx), base_dir_(std::move(base_dir)), read_passphrase_(reader) {}

  Sections Parse(const YAML::Node& root) {
    static const std::vector<std::string> kTop = {"version", "networks",    "platforms", "units",
                                                  "rooms",   "credentials", "devices",   "egress"};
    MapReader top(ctx_, root, "the register", kTop);
    if (!top.valid()) return {};
    auto version = top.Str("version", true);
    if (version && *version != "1") {
      ctx_.Error(top.Mark("version"),
                 "register version '" + *version + "' is not supported (this trinet reads 1)");
    }
    Sections s;
    ReadSection(top, "networks", "network", s.networks, &Parser::ReadNetwork);
    ReadSection(top, "platforms", "platform", s.platforms, &Parser::ReadPlatform);
    ReadSection(top, "units", "unit", s.units, &Parser::ReadUnit);
    ReadSection(top, "rooms", "room", s.rooms, &Parser::ReadRoom);
    ReadSection(top, "credentials", "credential", s.credentials, &Parser::ReadCredential);
    ReadSection(top, "devices", "device", s.devices, &Parser::ReadDevice);
    ReadSection(top, "egress", "egress", s.egress, &Parser::ReadEgress);
    return s;
  }

 private:
  template <typename T>
  void ReadSection(MapReader& top, const std::string& key, const std::string& kind, Section<T>& out,
                   void (Parser::*read)(MapReader&, Parsed<T>&)) {
    auto node = top.Map(key);
    if (!node) return;
    if (!node->IsSequence()) {
      ctx_.Error(node->Mark(), "'" + key + "' must be a list of " + kind + " entries (- id: ...)");
      return;
    }
    std::map<std::string, int> first_line;
    for (const auto& item : *node) {
      // Name the entry by its id from the start, so that even unknown-key errors say which.
      std::string label = "a " + kind + " entry";
      if (item.IsMap() && item["id"] && item["id"].IsScalar() && !item["id"].Scalar().empty()) {
        label = kind + " '" + item["id"].Scalar() + "'";
      }
      MapReader r(ctx_, item, label, FieldsOf(static_cast<const T*>(nullptr)));
      if (!r.valid()) continue;
      Parsed<T> p;
      p.mark = item.Mark();
      p.value.id = r.Required("id");
      if (!p.value.id.empty()) {
        r.Rename(kind + " '" + p.value.id + "'");
        if (!IsId(p.value.id)) {
          ctx_.Error(r.Mark("id"), kind + " id '" + p.value.id +
                                       "' must be 1-64 lower-case letters, digits, '-', '_' or "
                                       "'.', starting with a letter or digit");
        }
      }
      (this->*read)(r, p);
      for (const auto& k : FieldsOf(static_cast<const T*>(nullptr))) {
        if (r.Has(k)) p.marks[k] = r.Mark(k);
      }
      if (p.value.id.empty()) continue;
      auto [it, inserted] = first_line.emplace(p.value.id, p.mark.line + 1);
      if (!inserted) {
        ctx_.Error(r.Mark("id"), "duplicate " + kind + " id '" + p.value.id +
                                     "' (first defined at line " + std::to_string(it->second) +
                                     ")");
        continue;
      }
      out.push_back(std::move(p));
    }
  }

  void ReadNetwork(MapReader& r, Parsed<Network>& p) {
    auto& n = p.value;
    if (!n.id.empty() && !Contains(enums::kNetworkIds, n.id)) {
      std::string msg = "network id '" + n.id + "' is not one of " +
                        Join(enums::kNetworkIds, " | ") + " (the three networks are fixed)";
      if (auto near = NearestName(n.id, enums::kNetworkIds))
        msg += "; did you mean '" + *near + "'?";
      ctx_.Error(r.Mark("id"), msg);
    }
    n.name = r.Required("name");
    for (const auto& [text, mark] : r.List("prefixes", true)) {
      std::string err;
      if (auto c = ParseCidr(text, &err)) {
        n.prefixes.push_back(c->ToString());
        prefix_marks_[n.id].push_back(mark);
      } else {
        ctx_.Error(mark, r.what() + ": " + err);
      }
    }
    ReadAddressList(r, "dns_resolvers", n.dns_resolvers);
    ReadAddressList(r, "dhcp_servers", n.dhcp_servers);
  }

  // An optional list of IP addresses (no prefix, no port), stored in canonical text form
  // (IPv6 compressed, lower case). An address listed twice, in whatever spelling, is an error.
  void ReadAddressList(MapReader& r, const std::string& key, std::vector<std::string>& out) {
    std::map<std::string, int> first_line;
    for (const auto& [text, mark] : r.List(key, false)) {
      auto a = ParseIpAddress(text);
      if (!a) {
        std::string msg = r.what() + ": " + key + " entry '" + text + "' is not an IP address";
        if (text.find('/') != std::string::npos) {
          msg += "; give a single address, not a prefix";
        } else if (text.find('[') != std::string::npos) {
          msg += "; write IPv6 without brackets and without a port, quoted: \"2001:db8::53\"";
        } else if (text.find('%') != std::string::npos) {
          msg += "; zone ids such as %eth0 are not accepted";
        } else if (text.find(':') != std::string::npos && text.find('.') != std::string::npos) {
          msg += "; give the address without a port";
        } else {
          msg += " (IPv4 such as 10.64.0.53, or IPv6 such as \"2001:db8::53\")";
        }
        ctx_.Error(mark, msg);
        continue;
      }
      const std::string canonical = a->ToString();
      auto [it, inserted] = first_line.emplace(canonical, mark.line + 1);
      if (!inserted) {
        ctx_.Error(mark, r.what() + ": " + key + " lists " + canonical + " twice (first at line " +
                             std::to_string(it->second) + ")");
        continue;
      }
      out.push_back(canonical);
    }
  }

  void ReadPlatform(MapReader& r, Parsed<Platform>& p) {
    auto& v = p.value;
    v.name = r.Required("name");
    v.level = r.Enum("level", enums::kPlatformLevels, true).value_or("");
    v.parent = r.Str("parent", false);
    v.frozen_since = r.Date("frozen_since");
  }

  void ReadUnit(MapReader& r, Parsed<Unit>& p) {
    auto& v = p.value;
    v.name = r.Required("name");
    v.platform = r.Required("platform");
    if (auto node = r.Map("admin")) {
      static const std::vector<std::string> kAdmin = {"name", "phone", "email"};
      MapReader a(ctx_, *node, "admin of " + r.what(), kAdmin);
      if (!a.valid()) return;
      Admin admin;
      admin.name = a.Required("name");
      admin.phone = a.Str("phone", false);
      admin.email = a.Str("email", false);
      if (admin.email) {
        auto at = admin.email->find('@');
        if (at == std::string::npos || at == 0 || admin.email->find('.', at) == std::string::npos) {
          ctx_.Error(a.Mark("email"),
                     "admin of " + r.what() + ": '" + *admin.email + "' is not an e-mail address");
        }
      }
      v.admin = admin;
    }
  }

  void ReadRoom(MapReader& r, Parsed<Room>& p) {
    auto& v = p.value;
    v.name = r.Required("name");
    v.unit = r.Str("unit", false);
    v.platform = r.Required("platform");
    v.kind = r.Enum("kind", enums::kRoomKinds, true).value_or("");
    v.status = r.Enum("status", enums::kRoomStatuses, true).value_or("");
    v.consolidate_by = r.Date("consolidate_by");
    v.exemption = r.Str("exemption", false);
    if (r.Has("consolidate_by") && v.kind == "central") {
      ctx_.Error(r.Mark("consolidate_by"),
                 r.what() +
                     ": consolidate_by applies to department rooms only; this room is "
                     "central");
    }
    if (v.status == "exempt" && (!v.exemption || v.exemption->empty())) {
      ctx_.Error(r.Mark("status"), r.what() +
                                       ": status exempt needs an 'exemption' giving the law "
                                       "that requires the room (M1 art. 8)");
    }
    if (v.exemption && !v.status.empty() && v.status != "exempt") {
      ctx_.Error(r.Mark("exemption"), r.what() + ": 'exemption' is given but status is '" +
                                          v.status + "'; set status: exempt or remove it");
    }
  }

  std::optional<UsmKey> ReadUsmKey(MapReader& parent, const std::string& key,
                                   const std::vector<std::string>& protocols) {
    auto node = parent.Map(key);
    if (!node) return std::nullopt;
    static const std::vector<std::string> kKey = {"protocol", "passphrase", "passphrase_file"};
    MapReader r(ctx_, *node, key + " of " + parent.what(), kKey);
    if (!r.valid()) return std::nullopt;
    UsmKey k;
    k.protocol = r.Enum("protocol", protocols, true).value_or("");
    auto inline_secret = r.Str("passphrase", false);
    auto file = r.Str("passphrase_file", false);
    if (inline_secret && file) {
      ctx_.Error(r.Mark("passphrase_file"),
                 r.what() + ": give either passphrase or passphrase_file, not both");
      return k;
    } else if (file) {
      std::filesystem::path path(*file);
      if (path.is_relative()) path = base_dir_ / path;
      std::string err;
      if (auto secret = read_passphrase_(path, &err)) {
        k.passphrase = *secret;
      } else {
        ctx_.Error(r.Mark("passphrase_file"), r.what() + ": " + err);
        return k;
      }
    } else if (inline_secret) {
      k.passphrase = *inline_secret;
    } else {
      ctx_.Error(r.MapMark(), r.what() + " needs passphrase or passphrase_file");
      return k;
    }
    // RFC 3414 section 11.2: USM passphrases are at least 8 characters long; Net-SNMP
    // refuses shorter ones only when it first sends, so refuse them here.
    if (k.passphrase != kRedacted && k.passphrase.size() < 8) {
      ctx_.Error(r.Mark(file ? "passphrase_file" : "passphrase"),
                 r.what() + ": the passphrase is shorter than 8 characters (RFC 3414)");
    }
    return k;
  }

  void ReadCredential(MapReader& r, Parsed<Credential>& p) {
    auto& v = p.value;
    v.version = r.Enum("version", enums::kSnmpVersions, true).value_or("");
    v.community = r.Str("community", false);
    v.user = r.Str("user", false);
    v.auth = ReadUsmKey(r, "auth", enums::kAuthProtocols);
    v.priv = ReadUsmKey(r, "priv", enums::kPrivProtocols);
    v.context = r.Str("context", false);
    if (v.version == "1" || v.version == "2c") {
      if (!v.community) {
        ctx_.Error(r.MapMark(), r.what() + ": SNMP v" + v.version + " needs a 'community'");
      }
      for (const char* k : {"user", "auth", "priv", "context"}) {
        if (r.Has(k)) {
          ctx_.Error(r.Mark(k), r.what() + ": '" + k + "' is for SNMP v3; this is v" + v.version);
        }
      }
    } else if (v.version == "3") {
      if (!v.user) ctx_.Error(r.MapMark(), r.what() + ": SNMP v3 needs a 'user'");
      if (r.Has("community")) {
        ctx_.Error(r.Mark("community"), r.what() + ": 'community' is for SNMP v1/v2c; this is v3");
      }
      if (r.Has("priv") && !r.Has("auth")) {
        ctx_.Error(r.Mark("priv"), r.what() + ": 'priv' needs 'auth' (authPriv)");
      }
    }
  }

  void ReadDevice(MapReader& r, Parsed<Device>& p) {
    auto& v = p.value;
    v.name = r.Str("name", false);
    v.room = r.Required("room");
    v.network = r.Required("network");
    v.role = r.Enum("role", enums::kDeviceRoles, true).value_or("");
    v.address = r.Required("address");
    v.credentials = r.Required("credentials");
    v.sysname = r.Str("sysname", false);
    v.installed = r.Date("installed");
    if (!v.address.empty()) {
      std::string err;
      if (!ParseManagementAddress(v.address, &err)) {
        ctx_.Error(r.Mark("address"), r.what() + ": address " + err);
      }
    }
  }

  void ReadEgress(MapReader& r, Parsed<Egress>& p) {
    auto& v = p.value;
    v.name = r.Str("name", false);
    v.platform = r.Required("platform");
    v.network = r.Required("network");
    v.device = r.Required("device");
    v.interface = r.Required("interface");
    for (const auto& [text, mark] : r.List("public_prefixes", false)) {
      std::string err;
      if (auto c = ParseCidr(text, &err)) {
        v.public_prefixes.push_back(c->ToString());
      } else {
        ctx_.Error(mark, r.what() + ": " + err);
      }
    }
    for (const auto& [text, mark] : r.List("gateway_macs", false)) {
      if (auto mac = NormaliseMac(text)) {
        v.gateway_macs.push_back(*mac);
      } else {
        ctx_.Error(mark, r.what() + ": '" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
      }
    }
  }

 public:
  // Marks of each network's prefixes, in the order of Network::prefixes.
  std::map<std::string, std::vector<YAML::Mark>> prefix_marks_;

 private:
  Context& ctx_;
  std::filesystem::path base_dir_;
  const PassphraseFileReader& read_passphrase_;
};

// Reports a reference to an id that the target section does not define.
template <typename From, typename To>
void CheckRef(Context& ctx, const Parsed<From>& from, const std::string& field,
              const std::optional<std::string>& ref, const std::string& from_kind,
              const Section<To>& to, const std::string& to_kind) {
  if (!ref || ref->empty() || Find(to, *ref)) return;
  auto it = from.marks.find(field);
  std::string msg = from_kind + " '" + from.value.id + "': " + field + " '" + *ref +
                    "' is not a registered " + to_kind;
  if (auto near = NearestName(*ref, Ids(to))) msg += "; did you mean '" + *near + "'?";
  ctx.Error(it != from.marks.end() ? it->second : from.mark, msg);
}

YAML::Mark MarkOf(const std::map<std::string, YAML::Mark>& marks, const std::string& key,
                  const YAML::Mark& fallback) {
  auto it = marks.find(key);
  return it == marks.end() ? fallback : it->second;
}

void CrossCheck(Context& ctx, const Sections& s,
                const std::map<std::string, std::vector<YAML::Mark>>& prefix_marks) {
  // Network address plans must not overlap: an address must belong to one network only,
  // or the bridge and rogue-exit rules cannot tell which network it is on.
  std::vector<std::tuple<Cidr, std::string, YAML::Mark>> plan;
  for (const auto& n : s.networks) {
    if (n.value.prefixes.empty()) continue;  // none valid, so none has a mark recorded
    const auto& marks = prefix_marks.at(n.value.id);
    for (size_t i = 0; i < n.value.prefixes.size(); ++i) {
      std::string err;
      Cidr c = *ParseCidr(n.value.prefixes[i], &err);
      for (const auto& [other, other_net, other_mark] : plan) {
        if (other_net != n.value.id && c.Overlaps(other)) {
          ctx.Error(marks[i], "network '" + n.value.id + "': prefix " + c.ToString() +
                                  " overlaps " + other.ToString() + " of network '" + other_net +
                                  "' (line " + std::to_string(other_mark.line + 1) + ")");
        }
      }
      plan.emplace_back(c, n.value.id, marks[i]);
    }
  }

  for (const auto& p : s.platforms) {
    CheckRef(ctx, p, "parent", p.value.parent, "platform", s.platforms, "platform");
    const auto parent = p.value.parent ? Find(s.platforms, *p.value.parent) : nullptr;
    if (p.value.level == "city" && p.value.parent) {
      ctx.Error(MarkOf(p.marks, "parent", p.mark),
                "platform '" + p.value.id + "': a city platform has no parent");
    } else if (p.value.level == "county" && !p.value.parent) {
      ctx.Error(p.mark, "platform '" + p.value.id +
                            "': a county platform needs 'parent' (its city platform)");
    } else if (parent && parent->value.level != "city") {
      ctx.Error(MarkOf(p.marks, "parent", p.mark),
                "platform '" + p.value.id + "': parent '" + parent->value.id + "' is a " +
                    parent->value.level + " platform, not a city platform");
    }
  }
  for (const auto& u : s.units) {
    CheckRef(ctx, u, "platform", std::optional(u.value.platform), "unit", s.platforms, "platform");
  }
  for (const auto& r : s.rooms) {
    CheckRef(ctx, r, "unit", r.value.unit, "room", s.units, "unit");
    CheckRef(ctx, r, "platform", std::optional(r.value.platform), "room", s.platforms, "platform");
  }

  std::map<std::string, std::pair<std::string, int>> addresses;  // key -> (device, line)
  for (const auto& d : s.devices) {
    const auto& v = d.value;
    CheckRef(ctx, d, "room", std::optional(v.room), "device", s.rooms, "room");
    CheckRef(ctx, d, "network", std::optional(v.network), "device", s.networks, "network");
    CheckRef(ctx, d, "credentials", std::optional(v.credentials), "device", s.credentials,
             "credential profile");
    std::string err;
    if (auto a = ParseManagementAddress(v.address, &err)) {
      auto mark = MarkOf(d.marks, "address", d.mark);
      auto [it, inserted] = addresses.emplace(a->Key(), std::make_pair(v.id, mark.line + 1));
      if (!inserted) {
        ctx.Error(mark, "device '" + v.id + "': management address " + a->Key() +
                            " is already used by device '" + it->second.first + "' (line " +
                            std::to_string(it->second.second) + ")");
      }
    }
  }

  for (const auto& e : s.egress) {
    const auto& v = e.value;
    CheckRef(ctx, e, "platform", std::optional(v.platform), "egress", s.platforms, "platform");
    CheckRef(ctx, e, "network", std::optional(v.network), "egress", s.networks, "network");
    CheckRef(ctx, e, "device", std::optional(v.device), "egress", s.devices, "device");
    const auto* d = Find(s.devices, v.device);
    if (!d) continue;
    if (!v.network.empty() && d->value.network != v.network) {
      ctx.Error(MarkOf(e.marks, "device", e.mark),
                "egress '" + v.id + "': device '" + v.device + "' is on network '" +
                    d->value.network + "', not on the exit's network '" + v.network + "'");
    }
    const auto* room = Find(s.rooms, d->value.room);
    if (room && Find(s.platforms, v.platform) && room->value.platform != v.platform) {
      ctx.Error(MarkOf(e.marks, "platform", e.mark),
                "egress '" + v.id + "': device '" + v.device + "' stands in room '" +
                    room->value.id + "' of platform '" + room->value.platform +
                    "', not on the exit's platform '" + v.platform + "'");
    }
    if (d->value.role != "egress" && d->value.role != "firewall") {
      ctx.Error(MarkOf(e.marks, "device", e.mark),
                "egress '" + v.id + "': device '" + v.device + "' has role '" + d->value.role +
                    "'; a sanctioned exit's device must have role egress or firewall");
    }
  }
}

RegisterLoad Refused(std::vector<Diagnostic> errors) {
  RegisterLoad load;
  load.errors = std::move(errors);
  return load;
}

template <typename T>
std::vector<T> Values(Section<T>& s) {
  std::vector<T> out;
  out.reserve(s.size());
  for (auto& p : s) out.push_back(std::move(p.value));
  return out;
}

}  // namespace

RegisterLoad ParseRegister(std::string_view yaml, const std::string& file,
                           const std::filesystem::path& base_dir,
                           const PassphraseFileReader& read_passphrase) {
  Context ctx(file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    ctx.Error(e.mark, "YAML syntax: " + e.msg);
    return Refused(ctx.TakeErrors());
  }
  if (!root.IsDefined() || root.IsNull()) {
    return Refused({{file, 0, 0, "the register is empty (expected 'version: 1' and lists)"}});
  }
  Parser parser(ctx, base_dir, read_passphrase);
  Sections s = parser.Parse(root);
  CrossCheck(ctx, s, parser.prefix_marks_);
  auto errors = ctx.TakeErrors();
  if (!errors.empty()) return Refused(std::move(errors));
  Register reg;
  reg.networks = Values(s.networks);
  reg.platforms = Values(s.platforms);
  reg.units = Values(s.units);
  reg.rooms = Values(s.rooms);
  reg.credentials = Values(s.credentials);
  reg.devices = Values(s.devices);
  reg.egress = Values(s.egress);
  RegisterLoad load;
  load.reg = std::move(reg);
  return load;
}

RegisterLoad LoadRegisterFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Refused(
        {{file.string(), 0, 0, std::string("cannot read the register: ") + std::strerror(errno)}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  const auto base = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  RegisterLoad load = ParseRegister(text.str(), file.string(), base);
  load.text = text.str();
  return load;
}

namespace {

void EmitOpt(YAML::Emitter& out, const char* key, const std::optional<std::string>& v) {
  if (v) out << YAML::Key << key << YAML::Value << *v;
}

void EmitList(YAML::Emitter& out, const char* key, const std::vector<std::string>& v) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& s : v) out << s;
  out << YAML::EndSeq;
}

void EmitKey(YAML::Emitter& out, const char* key, const std::optional<UsmKey>& k) {
  if (!k) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "protocol" << YAML::Value << k->protocol;
  out << YAML::Key << "passphrase" << YAML::Value << kRedacted;
  out << YAML::EndMap;
}

}  // namespace

std::string EmitRegisterYaml(const Register& reg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << reg.version;

  out << YAML::Key << "networks" << YAML::Value << YAML::BeginSeq;
  for (const auto& n : reg.networks) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << n.id;
    out << YAML::Key << "name" << YAML::Value << n.name;
    EmitList(out, "prefixes", n.prefixes);
    // Left out when empty, so that a register without them exports as it was written.
    if (!n.dns_resolvers.empty()) EmitList(out, "dns_resolvers", n.dns_resolvers);
    if (!n.dhcp_servers.empty()) EmitList(out, "dhcp_servers", n.dhcp_servers);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "platforms" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : reg.platforms) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << p.id;
    out << YAML::Key << "name" << YAML::Value << p.name;
    out << YAML::Key << "level" << YAML::Value << p.level;
    EmitOpt(out, "parent", p.parent);
    EmitOpt(out, "frozen_since", p.frozen_since);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "units" << YAML::Value << YAML::BeginSeq;
  for (const auto& u : reg.units) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << u.id;
    out << YAML::Key << "name" << YAML::Value << u.name;
    out << YAML::Key << "platform" << YAML::Value << u.platform;
    if (u.admin) {
      out << YAML::Key << "admin" << YAML::Value << YAML::Flow << YAML::BeginMap;
      out << YAML::Key << "name" << YAML::Value << u.admin->name;
      EmitOpt(out, "phone", u.admin->phone);
      EmitOpt(out, "email", u.admin->email);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "rooms" << YAML::Value << YAML::BeginSeq;
  for (const auto& r : reg.rooms) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << r.id;
    out << YAML::Key << "name" << YAML::Value << r.name;
    EmitOpt(out, "unit", r.unit);
    out << YAML::Key << "platform" << YAML::Value << r.platform;
    out << YAML::Key << "kind" << YAML::Value << r.kind;
    out << YAML::Key << "status" << YAML::Value << r.status;
    EmitOpt(out, "consolidate_by", r.consolidate_by);
    EmitOpt(out, "exemption", r.exemption);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "credentials" << YAML::Value << YAML::BeginSeq;
  for (const auto& c : reg.credentials) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << c.id;
    out << YAML::Key << "version" << YAML::Value << c.version;
    if (c.community) out << YAML::Key << "community" << YAML::Value << kRedacted;
    EmitOpt(out, "user", c.user);
    EmitKey(out, "auth", c.auth);
    EmitKey(out, "priv", c.priv);
    EmitOpt(out, "context", c.context);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "devices" << YAML::Value << YAML::BeginSeq;
  for (const auto& d : reg.devices) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << d.id;
    EmitOpt(out, "name", d.name);
    out << YAML::Key << "room" << YAML::Value << d.room;
    out << YAML::Key << "network" << YAML::Value << d.network;
    out << YAML::Key << "role" << YAML::Value << d.role;
    out << YAML::Key << "address" << YAML::Value << d.address;
    out << YAML::Key << "credentials" << YAML::Value << d.credentials;
    EmitOpt(out, "sysname", d.sysname);
    EmitOpt(out, "installed", d.installed);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "egress" << YAML::Value << YAML::BeginSeq;
  for (const auto& e : reg.egress) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << e.id;
    EmitOpt(out, "name", e.name);
    out << YAML::Key << "platform" << YAML::Value << e.platform;
    out << YAML::Key << "network" << YAML::Value << e.network;
    out << YAML::Key << "device" << YAML::Value << e.device;
    out << YAML::Key << "interface" << YAML::Value << e.interface;
    EmitList(out, "public_prefixes", e.public_prefixes);
    EmitList(out, "gateway_macs", e.gateway_macs);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::EndMap;
  return std::string(
             "# trinet register, exported; secrets are <redacted> and applying this\n"
             "# file keeps the stored ones.\n") +
         out.c_str() + "\n";
}

}  // namespace trinet
