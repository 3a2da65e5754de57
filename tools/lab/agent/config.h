#pragma once
// What the lab agent serves where: UDP endpoints, the `--devices` file and the snmpsimd-style
// `--data-dir` catalogue with its community-to-recording rule.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mib_view.h"
#include "responder.h"

namespace trinet::lab {

/// An IPv4 UDP endpoint.
struct Endpoint {
  std::uint32_t address = 0;  ///< network byte order
  std::uint16_t port = 0;     ///< host byte order
  std::string text;           ///< as written, for messages

  /// True for 127.0.0.0/8.
  bool IsLoopback() const;
  bool operator==(const Endpoint& o) const { return address == o.address && port == o.port; }
};

/// Parses "A.B.C.D:PORT" (port 1-65535). False with *error set otherwise.
bool ParseEndpoint(std::string_view text, Endpoint* endpoint, std::string* error);

/// One line of a devices file.
struct DeviceLine {
  std::size_t line = 0;
  Endpoint endpoint;
  std::filesystem::path recording;  ///< made absolute against the file's folder
  std::string community = "public";
};

/// A parsed devices file: `ADDRESS:PORT RECORDING [COMMUNITY]` per line, blank lines and
/// `#` comments allowed.
struct DevicesFile {
  std::vector<DeviceLine> devices;
  /// "file:line: why" for malformed lines and repeated endpoints.
  std::vector<std::string> errors;
};

/// Parses the text of a devices file named `file`; relative recordings are taken from
/// `base_dir`.
DevicesFile ParseDevicesFile(std::string_view text, const std::string& file,
                             const std::filesystem::path& base_dir);

/// Every .snmprec recording under a folder, selected by community as snmpsimd 0.4.5 selects
/// them for SNMPv1/v2c: community C is the file's path under the folder without ".snmprec";
/// a request with community C on the endpoint with index N (0-based, in --endpoint order) from
/// address A is answered from `<md5(C)>/1.3.6.1.6.1.1.N/A.snmprec` if it exists, else from
/// `<md5(C)>/1.3.6.1.6.1.1.N.snmprec`, else from `C.snmprec`. A community with no file of its
/// own is unknown (dropped).
class DataDirCatalog {
 public:
  /// The outcome of scanning and loading a folder.
  struct LoadResult {
    std::unique_ptr<DataDirCatalog> catalog;  ///< null when `errors` is not empty
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
    std::size_t recordings = 0;  ///< distinct files loaded
  };

  /// Scans `dir` recursively (following symbolic links) and loads every recording.
  static LoadResult Load(const std::filesystem::path& dir);

  /// The recording answering `community` on endpoint `endpoint` from `source_ip` (network
  /// byte order), or null.
  const MibView* Select(std::string_view community, std::uint32_t endpoint,
                        std::uint32_t source_ip) const;

  /// The communities served, sorted.
  std::vector<std::string> Communities() const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Community {
    const MibView* own = nullptr;
    std::unordered_map<std::uint32_t, const MibView*> by_endpoint;
    std::unordered_map<std::uint64_t, const MibView*> by_endpoint_and_source;
  };

  std::vector<std::shared_ptr<const MibView>> views_;
  std::unordered_map<std::string, Community, StringHash, std::equal_to<>> communities_;
};

/// The selector of endpoint `index` of a `--data-dir` agent.
class DataDirSelector : public ViewSelector {
 public:
  DataDirSelector(const DataDirCatalog* catalog, std::uint32_t index)
      : catalog_(catalog), index_(index) {}
  const MibView* Select(std::string_view community, std::uint32_t source_ip) const override {
    return catalog_->Select(community, index_, source_ip);
  }

 private:
  const DataDirCatalog* catalog_;
  std::uint32_t index_;
};

/// Lowercase hex MD5 of `text` (snmpsimd's context names).
std::string Md5Hex(std::string_view text);

}  // namespace trinet::lab
