#include "snmp/oid.h"

#include <charconv>

namespace trinet::snmp {

std::optional<Oid> Oid::Parse(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::vector<std::uint32_t> arcs;
  while (true) {
    auto dot = text.find('.');
    std::string_view part = text.substr(0, dot);
    std::uint32_t arc = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), arc);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size()) return std::nullopt;
    arcs.push_back(arc);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return Oid(std::move(arcs));
}

std::string Oid::ToString() const {
  std::string out;
  for (auto a : arcs_) {
    if (!out.empty()) out += '.';
    out += std::to_string(a);
  }
  return out;
}

bool Oid::StartsWith(const Oid& prefix) const {
  return prefix.arcs_.size() <= arcs_.size() &&
         std::equal(prefix.arcs_.begin(), prefix.arcs_.end(), arcs_.begin());
}

Oid Oid::Suffix(const Oid& prefix) const {
  return Oid(std::vector<std::uint32_t>(arcs_.begin() + static_cast<long>(prefix.size()),
                                        arcs_.end()));
}

Oid Oid::Append(std::initializer_list<std::uint32_t> more) const {
  Oid out = *this;
  out.arcs_.insert(out.arcs_.end(), more);
  return out;
}

Oid Oid::Append(const Oid& more) const {
  Oid out = *this;
  out.arcs_.insert(out.arcs_.end(), more.arcs_.begin(), more.arcs_.end());
  return out;
}

}  // namespace trinet::snmp
