#pragma once
// Byte-level builders shared by the pcap tests: frames are written field by field, in network
// byte order, so that a test says exactly what is on the wire.

#include <cstdint>
#include <vector>

namespace trinet::testing::packets {

using Bytes = std::vector<std::uint8_t>;

inline void Put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

inline void Put32(Bytes& b, std::uint32_t v) {
  Put16(b, static_cast<std::uint16_t>(v >> 16));
  Put16(b, static_cast<std::uint16_t>(v));
}

inline void Append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }

/// A UDP header (checksum 0: none) and its payload.
inline Bytes Udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload) {
  Bytes b;
  Put16(b, sport);
  Put16(b, dport);
  Put16(b, static_cast<std::uint16_t>(8 + payload.size()));
  Put16(b, 0);
  Append(b, payload);
  return b;
}

}  // namespace trinet::testing::packets
