#pragma once
// Numeric object identifiers. trinet reads no MIB files: every OID it uses is compiled in
// (catalogue.h) and every OID it prints is numeric.

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trinet::snmp {

class Oid {
 public:
  Oid() = default;
  Oid(std::initializer_list<std::uint32_t> arcs) : arcs_(arcs) {}
  explicit Oid(std::vector<std::uint32_t> arcs) : arcs_(std::move(arcs)) {}

  /// Parses "1.3.6.1.2.1.1.3.0" (a leading dot is accepted). nullopt if malformed.
  static std::optional<Oid> Parse(std::string_view text);

  std::string ToString() const;
  const std::vector<std::uint32_t>& arcs() const { return arcs_; }
  size_t size() const { return arcs_.size(); }
  bool empty() const { return arcs_.empty(); }
  std::uint32_t operator[](size_t i) const { return arcs_[i]; }

  /// True when `prefix` is this OID or an ancestor of it.
  bool StartsWith(const Oid& prefix) const;
  /// The arcs after `prefix` (the row index of a table column). Requires StartsWith(prefix).
  Oid Suffix(const Oid& prefix) const;
  /// This OID with `more` arcs appended.
  Oid Append(std::initializer_list<std::uint32_t> more) const;
  Oid Append(const Oid& more) const;

  auto operator<=>(const Oid&) const = default;
  bool operator==(const Oid&) const = default;

 private:
  std::vector<std::uint32_t> arcs_;
};

}  // namespace trinet::snmp
