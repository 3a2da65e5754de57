#include "config.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <system_error>
#include <utility>

namespace trinet::lab {

namespace fs = std::filesystem;

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
    if (s.empty()) break;
    std::size_t n = 0;
    while (n < s.size() && !IsSpace(s[n])) ++n;
    out.push_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

bool ParseDecimal(std::string_view s, std::uint32_t* value) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *value);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// Decimal as Python's str(int) writes it: no sign, no leading zero.
bool ParseCanonicalDecimal(std::string_view s, std::uint32_t* value) {
  if (s.empty() || (s.size() > 1 && s.front() == '0')) return false;
  return ParseDecimal(s, value);
}

// A dotted quad as Python writes a socket address ('127.0.0.1'); network byte order.
bool ParseCanonicalAddress(std::string_view s, std::uint32_t* address) {
  std::uint32_t host = 0;
  for (int part = 0; part < 4; ++part) {
    const auto dot = s.find('.');
    if ((part < 3) == (dot == std::string_view::npos)) return false;
    std::uint32_t octet = 0;
    if (!ParseCanonicalDecimal(s.substr(0, dot), &octet) || octet > 255) return false;
    host = (host << 8) | octet;
    s.remove_prefix(part < 3 ? dot + 1 : s.size());
  }
  *address = htonl(host);
  return true;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The extension as Python's os.path.splitext sees it: after the last dot that is not part of
// the name's leading dots.
std::string_view Extension(std::string_view name) {
  std::size_t lead = 0;
  while (lead < name.size() && name[lead] == '.') ++lead;
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot < lead) return {};
  return name.substr(dot + 1);
}

struct Found {
  fs::path path;
  std::string community;
};

// snmpsimd's getDataFiles: every regular file under `dir` (symbolic links followed) with a
// recording extension. `seen` guards against directory loops.
void Scan(const fs::path& dir, const std::string& prefix, std::set<std::pair<dev_t, ino_t>>* seen,
          std::vector<Found>* found, std::vector<std::string>* errors) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    errors->push_back(dir.string() + ": cannot read the folder");
    return;
  }
  if (!seen->insert({st.st_dev, st.st_ino}).second) return;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    errors->push_back(dir.string() + ": " + ec.message());
    return;
  }
  std::vector<fs::directory_entry> entries;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    entries.push_back(*it);
  }
  if (ec) {
    errors->push_back(dir.string() + ": " + ec.message());
    return;
  }
  // snmpsimd takes the folder's order; the agent sorts, so that its messages are stable.
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) {
              return a.path().filename() < b.path().filename();
            });
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    const std::string rel = prefix.empty() ? name : prefix + "/" + name;
    if (entry.is_directory(ec)) {
      Scan(entry.path(), rel, seen, found, errors);
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    const std::string_view ext = Extension(name);
    if (ext == "snmprec") {
      found->push_back({entry.path(), rel.substr(0, rel.size() - ext.size() - 1)});
    } else if (ext == "snmpwalk" || ext == "sapwalk" || ext == "dump" || ext == "MVC") {
      errors->push_back(entry.path().string() + ": snmpsimd would serve this ." + std::string(ext) +
                        " recording; the lab agent reads .snmprec only (convert it with "
                        "snmpsim-datafile, or move it out of the folder)");
    }
  }
}

}  // namespace

bool Endpoint::IsLoopback() const { return (ntohl(address) >> 24) == 127; }

bool ParseEndpoint(std::string_view text, Endpoint* endpoint, std::string* error) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    *error = "expected ADDRESS:PORT, got '" + std::string(text) + "'";
    return false;
  }
  const std::string host(text.substr(0, colon));
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) {
    *error = "'" + host + "' is not an IPv4 address";
    return false;
  }
  std::uint32_t port = 0;
  if (!ParseDecimal(text.substr(colon + 1), &port) || port == 0 || port > 65535) {
    *error = "bad port in '" + std::string(text) + "'";
    return false;
  }
  endpoint->address = addr.s_addr;
  endpoint->port = static_cast<std::uint16_t>(port);
  endpoint->text = std::string(text);
  return true;
}

DevicesFile ParseDevicesFile(std::string_view text, const std::string& file,
                             const fs::path& base_dir) {
  DevicesFile out;
  std::map<std::pair<std::uint32_t, std::uint16_t>, std::size_t> first_line;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = Trim(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = file + ":" + std::to_string(line_no) + ": ";
    const auto fields = Fields(line);
    if (fields.size() < 2 || fields.size() > 3) {
      out.errors.push_back(where + "expected ADDRESS:PORT RECORDING [COMMUNITY], got '" +
                           std::string(line) + "'");
      continue;
    }
    DeviceLine device;
    device.line = line_no;
    std::string error;
    if (!ParseEndpoint(fields[0], &device.endpoint, &error)) {
      out.errors.push_back(where + error);
      continue;
    }
    const auto [it, inserted] =
        first_line.insert({{device.endpoint.address, device.endpoint.port}, line_no});
    if (!inserted) {
      out.errors.push_back(where + "endpoint " + device.endpoint.text +
                           " is already served by line " + std::to_string(it->second));
      continue;
    }
    const fs::path recording{std::string(fields[1])};
    device.recording =
        (recording.is_absolute() ? recording : base_dir / recording).lexically_normal();
    if (fields.size() == 3) device.community = std::string(fields[2]);
    out.devices.push_back(std::move(device));
  }
  return out;
}

std::string Md5Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    return {};  // no MD5 in this OpenSSL: no community matches the hashed layout
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

DataDirCatalog::LoadResult DataDirCatalog::Load(const fs::path& dir) {
  LoadResult result;
  std::vector<Found> found;
  std::set<std::pair<dev_t, ino_t>> seen;
  Scan(dir, "", &seen, &found, &result.errors);
  if (!result.errors.empty()) return result;

  auto catalog = std::make_unique<DataDirCatalog>();
  // A file reached through several links is loaded once, as snmpsimd shares it.
  std::map<fs::path, const MibView*> by_path;
  std::map<std::string, const MibView*> by_community;
  for (const Found& f : found) {
    std::error_code ec;
    fs::path canonical = fs::canonical(f.path, ec);
    if (ec) canonical = f.path;
    const MibView* view = nullptr;
    if (auto it = by_path.find(canonical); it != by_path.end()) {
      view = it->second;
    } else {
      auto loaded = MibView::FromFile(f.path.string());
      result.errors.insert(result.errors.end(), loaded.errors.begin(), loaded.errors.end());
      result.warnings.insert(result.warnings.end(), loaded.warnings.begin(), loaded.warnings.end());
      if (!loaded.view) continue;
      view = loaded.view.get();
      catalog->views_.push_back(std::move(loaded.view));
      by_path[canonical] = view;
    }
    by_community[f.community] = view;
  }
  if (!result.errors.empty()) return result;

  std::unordered_map<std::string, std::string> community_by_md5;
  for (const auto& [community, view] : by_community) {
    catalog->communities_[community].own = view;
    community_by_md5[Md5Hex(community)] = community;
  }
  // snmpsimd's per-endpoint and per-source variants: "<md5(C)>/1.3.6.1.6.1.1.N[/A.B.C.D]".
  constexpr std::string_view kUdpDomain = "/1.3.6.1.6.1.1.";
  for (const auto& [name, view] : by_community) {
    const std::string_view s(name);
    if (s.size() < 32 + kUdpDomain.size() || !IsLowerHex(s.substr(0, 32)) ||
        s.substr(32, kUdpDomain.size()) != kUdpDomain) {
      continue;
    }
    auto owner = community_by_md5.find(std::string(s.substr(0, 32)));
    if (owner == community_by_md5.end()) continue;
    std::string_view rest = s.substr(32 + kUdpDomain.size());
    const auto slash = rest.find('/');
    std::uint32_t endpoint = 0;
    if (!ParseCanonicalDecimal(rest.substr(0, slash), &endpoint)) continue;
    Community& c = catalog->communities_[owner->second];
    if (slash == std::string_view::npos) {
      c.by_endpoint[endpoint] = view;
      continue;
    }
    std::uint32_t source = 0;
    if (!ParseCanonicalAddress(rest.substr(slash + 1), &source)) continue;
    c.by_endpoint_and_source[(std::uint64_t{endpoint} << 32) | source] = view;
  }
  result.recordings = catalog->views_.size();
  result.catalog = std::move(catalog);
  return result;
}

const MibView* DataDirCatalog::Select(std::string_view community, std::uint32_t endpoint,
                                      std::uint32_t source_ip) const {
  const auto it = communities_.find(community);
  if (it == communities_.end()) return nullptr;
  const Community& c = it->second;
  if (!c.by_endpoint_and_source.empty()) {
    const auto s = c.by_endpoint_and_source.find((std::uint64_t{endpoint} << 32) | source_ip);
    if (s != c.by_endpoint_and_source.end()) return s->second;
  }
  if (!c.by_endpoint.empty()) {
    const auto e = c.by_endpoint.find(endpoint);
    if (e != c.by_endpoint.end()) return e->second;
  }
  return c.own;
}

std::vector<std::string> DataDirCatalog::Communities() const {
  std::vector<std::string> out;
  out.reserve(communities_.size());
  for (const auto& [name, c] : communities_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace trinet::lab
