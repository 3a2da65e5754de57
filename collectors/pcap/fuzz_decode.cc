// libFuzzer entry point for DecodePacket: the first byte of the input picks the link type,
// the rest is the captured packet, and the wire length is at least as long (as libpcap
// guarantees). AddressSanitizer catches any read past the captured bytes: the input is
// copied into a buffer of exactly its size so that the end is a redzone.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "pcap/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr int kLinktypes[] = {
      trinet::pcap::linktype::kEthernet, trinet::pcap::linktype::kLinuxSll,
      trinet::pcap::linktype::kLinuxSll2, trinet::pcap::linktype::kRaw};
  if (size == 0) return 0;
  int linktype = kLinktypes[data[0] % 4];
  std::size_t n = size - 1;
  auto copy = std::make_unique<std::uint8_t[]>(n);
  if (n > 0) std::memcpy(copy.get(), data + 1, n);
  static trinet::pcap::Packet packet;
  trinet::pcap::DecodePacket({copy.get(), n}, static_cast<std::uint32_t>(n + (data[0] >> 2)),
                             linktype, &packet);
  // Touch what was decoded so that nothing is optimised away.
  volatile std::size_t sink = packet.dns.name().size() + packet.dhcp.router_count;
  (void)sink;
  return 0;
}
