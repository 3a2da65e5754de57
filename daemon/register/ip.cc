#include "register/ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace trinet {

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

std::string Cidr::ToString() const { return address.ToString() + "/" + std::to_string(length); }

namespace {

bool PrefixEqual(const IpAddress& a, const IpAddress& b, int length) {
  int full = length / 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + full, b.bytes.begin())) return false;
  int rest = length % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

std::optional<int> ParsePort(std::string_view s) {
  int port = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || p != s.data() + s.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

bool IsHostName(std::string_view s) {
  // RFC 1123 labels: letters, digits, hyphens; no label starts or ends with a hyphen.
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view label = s.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    start = end + 1;
  }
  // All-numeric dotted names are mistyped IPv4 addresses, not host names.
  return !std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

}  // namespace

bool Cidr::Contains(const IpAddress& a) const {
  return a.family == address.family && PrefixEqual(a, address, length);
}

bool Cidr::Overlaps(const Cidr& other) const {
  if (other.address.family != address.family) return false;
  return PrefixEqual(address, other.address, std::min(length, other.length));
}

std::optional<Cidr> ParseCidr(std::string_view text, std::string* error) {
  auto slash = text.find('/');
  auto addr = ParseIpAddress(text.substr(0, slash));
  if (!addr) {
    *error = "'" + std::string(text) + "' is not an IPv4 or IPv6 prefix";
    return std::nullopt;
  }
  Cidr c{*addr, addr->bits()};
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), c.length);
    if (len.empty() || ec != std::errc() || p != len.data() + len.size() || c.length < 0 ||
        c.length > addr->bits()) {
      *error = "'" + std::string(text) + "' has an invalid prefix length (0.." +
               std::to_string(addr->bits()) + ")";
      return std::nullopt;
    }
  }
  IpAddress network{addr->family, {}};
  for (int i = 0; i < c.length / 8; ++i) network.bytes[i] = addr->bytes[i];
  if (c.length % 8) {
    network.bytes[c.length / 8] =
        addr->bytes[c.length / 8] & static_cast<std::uint8_t>(0xff << (8 - c.length % 8));
  }
  if (network != *addr) {
    *error = "'" + std::string(text) + "' has host bits set; did you mean " +
             Cidr{network, c.length}.ToString() + "?";
    return std::nullopt;
  }
  return c;
}

bool IsGloballyRoutable(const IpAddress& a) {
  // IANA's special-purpose registries (RFC 6890 and successors), less the documentation
  // blocks on purpose (see the header).
  static const std::vector<Cidr> kNotRoutable = [] {
    std::vector<Cidr> out;
    for (const char* text :
         {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
          "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4",
          "240.0.0.0/4", "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64",
          "fc00::/7", "fe80::/10", "ff00::/8"}) {
      std::string error;
      out.push_back(*ParseCidr(text, &error));
    }
    return out;
  }();
  return std::none_of(kNotRoutable.begin(), kNotRoutable.end(),
                      [&a](const Cidr& c) { return c.Contains(a); });
}

std::string ManagementAddress::Key() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ManagementAddress> ParseManagementAddress(std::string_view text, std::string* error) {
  ManagementAddress m;
  std::string_view host = text;
  std::optional<std::string_view> port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      *error = "'" + std::string(text) + "' has '[' without ']'";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        *error = "'" + std::string(text) + "': expected ':PORT' after ']'";
        return std::nullopt;
      }
      port = rest.substr(1);
    }
    auto a = ParseIpAddress(host);
    if (!a || a->family != 6) {
      *error = "'" + std::string(host) + "' in brackets is not an IPv6 address";
      return std::nullopt;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port) {
    auto p = ParsePort(*port);
    if (!p) {
      *error = "'" + std::string(text) + "': port must be a number from 1 to 65535";
      return std::nullopt;
    }
    m.port = *p;
  }
  if (auto a = ParseIpAddress(host)) {
    m.host = a->ToString();
    m.is_literal = true;
    return m;
  }
  if (!IsHostName(host)) {
    *error = "'" + std::string(text) + "' is neither an IP address nor a host name";
    return std::nullopt;
  }
  m.host.resize(host.size());
  std::transform(host.begin(), host.end(), m.host.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return m;
}

std::optional<std::string> NormaliseMac(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (c != ':' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  if (hex.size() != 12) return std::nullopt;
  // Separators must follow one of the three usual layouts, not appear at random.
  static const char* const kLayouts[] = {"xx:xx:xx:xx:xx:xx", "xx-xx-xx-xx-xx-xx",
                                         "xxxx.xxxx.xxxx"};
  bool layout_ok = false;
  for (std::string_view layout : kLayouts) {
    if (layout.size() != text.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < layout.size() && ok; ++i) {
      ok = layout[i] == 'x' ? std::isxdigit(static_cast<unsigned char>(text[i])) != 0
                            : text[i] == layout[i];
    }
    layout_ok = layout_ok || ok;
  }
  if (!layout_ok) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < 12; i += 2) {
    if (!out.empty()) out += ':';
    out += hex.substr(i, 2);
  }
  return out;
}

}  // namespace trinet
