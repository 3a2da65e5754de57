#pragma once
// Addresses as the register writes them: CIDR prefixes, management addresses, MACs.
// Pure parsing and comparison, no name resolution and no I/O.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trinet {

/// An IPv4 or IPv6 address; IPv4 is held in the first 4 bytes.
struct IpAddress {
  int family = 4;  ///< 4 or 6
  std::array<std::uint8_t, 16> bytes{};

  int bits() const { return family == 4 ? 32 : 128; }
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

/// Parses a literal IPv4 or IPv6 address (no brackets, no zone).
std::optional<IpAddress> ParseIpAddress(std::string_view text);

/// A network prefix such as 10.64.0.0/12 or 2001:db8::/32.
struct Cidr {
  IpAddress address;
  int length = 0;

  std::string ToString() const;
  bool Contains(const IpAddress& a) const;
  bool Overlaps(const Cidr& other) const;
  bool operator==(const Cidr&) const = default;
};

/// Parses "ADDR/LEN" (a bare address is a host prefix). Host bits must be zero, so that a
/// typo such as 10.64.0.1/12 is reported rather than silently widened. On failure returns
/// nullopt and sets *error to a sentence saying why.
std::optional<Cidr> ParseCidr(std::string_view text, std::string* error);

/// Whether `a` is globally routable on the Internet: not private (RFC 1918, IPv6 ULA),
/// shared (100.64/10), loopback, link-local, multicast, unspecified, broadcast or otherwise
/// reserved by IANA. The documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24,
/// 2001:db8::/32) count as routable, so that labs and tests can stand for the Internet with
/// them. Whether an address is inside one of the register's network plans is the caller's
/// question: "public" in the findings means routable *and* in no plan.
bool IsGloballyRoutable(const IpAddress& a);

/// A device's management address: an IPv4 or IPv6 literal or a host name, and a UDP port.
struct ManagementAddress {
  std::string host;  ///< literal in canonical form, or lower-case host name
  int port = 161;
  bool is_literal = false;

  /// Canonical "host:port", with IPv6 in brackets; two devices must not share it.
  std::string Key() const;
};

/// Parses "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal.
std::optional<ManagementAddress> ParseManagementAddress(std::string_view text, std::string* error);

/// Parses a MAC in aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff form and returns it
/// as lower-case aa:bb:cc:dd:ee:ff.
std::optional<std::string> NormaliseMac(std::string_view text);

}  // namespace trinet
