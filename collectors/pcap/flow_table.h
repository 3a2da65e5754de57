#pragma once
// Aggregation of decoded packets into flows with bounded memory.
//
// A flow is keyed by (network, outer VLAN, inner VLAN, source MAC, destination MAC, source
// address, destination address): the key plus the destination MAC, which the
// gateway-bypass rule needs (the MAC a private host sends public traffic to). At most
// `max_flows` flows are held; when a new flow arrives at the cap, one is evicted (handed to
// the eviction callback first, so no evidence is lost unseen) and counted.
//
// Eviction is CLOCK (second chance), an approximation of least recently used: a flow that
// got a packet since the clock hand last passed it is spared once, a flow that did not is
// evicted. A new flow starts unmarked, so a scan of one-packet flows (1M distinct flows)
// recycles itself while flows with more than one packet stay. Exact LRU cost a doubly linked
// list update per packet, touching two other flows (two cache misses); CLOCK touches none,
// and the hand sweeps the flows in memory order. Once a flow exists, adding a packet to it
// allocates nothing.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pcap/decode.h"

namespace trinet::pcap {

/// What a flow is keyed by. Compact (56 bytes), compared and hashed as plain bytes.
struct FlowKey {
  std::uint16_t network = 0;  ///< the caller's index of the capture's network
  std::uint16_t outer_vlan = Packet::kNoVlan;
  std::uint16_t inner_vlan = Packet::kNoVlan;
  std::uint8_t layer = 0;                 ///< NetworkLayer of the packets
  std::uint8_t family = 0;                ///< 0 (no addresses), 4 or 6
  std::array<std::uint8_t, 6> src_mac{};  ///< zero when the link layer has none
  std::array<std::uint8_t, 6> dst_mac{};
  std::array<std::uint8_t, 16> src{};  ///< IP source, or ARP sender protocol address
  std::array<std::uint8_t, 16> dst{};  ///< IP destination, or ARP target protocol address
  std::uint32_t reserved = 0;          ///< padding made explicit, always zero

  bool operator==(const FlowKey&) const = default;

  IpAddress SourceAddress() const;
  IpAddress DestinationAddress() const;
};

/// DHCP server replies (offers and acks) seen in a flow. Allocated only for such flows.
struct FlowDhcp {
  std::uint32_t offers = 0;
  std::uint32_t acks = 0;
  bool has_server_id = false;
  IpAddress server_id;                 ///< option 54 of the first offer or ack
  std::vector<IpAddress> routers;      ///< option 3 of the first offer or ack
  std::vector<IpAddress> dns_servers;  ///< option 6 of the first offer or ack
  std::vector<IpAddress> offered;      ///< yiaddr of the first few replies
};

/// One flow: counts, times and what was seen in it.
struct Flow {
  static constexpr std::size_t kMaxDnsNames = 4;

  FlowKey key;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;         ///< wire lengths
  std::int64_t first_seen_us = 0;  ///< capture timestamps, microseconds since the epoch
  std::int64_t last_seen_us = 0;
  std::uint8_t ip_protocol = 0;  ///< of the first packet with ports (else of the first)
  bool has_ports = false;
  std::uint16_t first_src_port = 0;
  std::uint16_t first_dst_port = 0;
  std::uint8_t tcp_flags = 0;       ///< every TCP flag seen, ORed
  std::uint32_t fragments = 0;      ///< packets that were IP fragments
  std::uint32_t decode_errors = 0;  ///< packets that stopped decoding inside this flow
  std::uint32_t dns_queries = 0;    ///< DNS messages with QR = 0
  std::uint32_t dns_responses = 0;
  std::vector<std::string> dns_names;  ///< distinct query names, the first kMaxDnsNames
  std::unique_ptr<FlowDhcp> dhcp;      ///< set when a DHCP offer or ack was seen

  // Internal: the key's hash, and CLOCK's mark (a packet since the hand last passed).
  std::uint64_t hash = 0;
  bool referenced = false;
};

/// The table's counters.
struct FlowTableStats {
  std::size_t flows = 0;           ///< current number of flows
  std::size_t max_flows = 0;       ///< the cap
  std::uint64_t evictions = 0;     ///< flows evicted to make room
  std::uint64_t packets = 0;       ///< packets added
  std::uint64_t bytes = 0;         ///< wire bytes added
  std::uint64_t skipped = 0;       ///< packets with no link-layer header decoded (not added)
  std::size_t bytes_per_flow = 0;  ///< approximate memory per flow, table slots included
  std::size_t memory_bytes = 0;    ///< approximate memory of the table now
};

class FlowTable {
 public:
  using EvictCallback = std::function<void(const Flow&)>;

  /// A table holding at most `max_flows` (at least 1) flows.
  explicit FlowTable(std::size_t max_flows, EvictCallback on_evict = nullptr);
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  /// Adds a decoded packet of the capture's network `network` at `timestamp_us`, counting
  /// `wire_length` bytes. Packets without a decoded link layer are counted as skipped and
  /// not added; returns whether the packet was added.
  bool Add(const Packet& packet, std::uint32_t wire_length, std::int64_t timestamp_us,
           std::uint16_t network = 0);

  /// The key a packet is aggregated under.
  static FlowKey KeyOf(const Packet& packet, std::uint16_t network);

  /// The flow of `key`, or nullptr.
  const Flow* Find(const FlowKey& key) const;

  /// Calls `fn` for each flow, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Flow& f : flows_) fn(f);
  }

  /// Hands every flow to the eviction callback, as if evicted, and empties the table (the
  /// eviction count is unchanged): the end of a capture.
  void Flush();

  std::size_t size() const { return flows_.size(); }
  FlowTableStats Stats() const;

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFF;
  // Flows whose storage is reserved up front (address space, ~700 MB at 4M).
  static constexpr std::size_t kReserveFlows = std::size_t{1} << 22;

  // A slot holds a flow's index and the low 32 bits of its hash, so that probing and
  // deletion compare and place entries without touching the flows (each a cache miss).
  struct Slot {
    std::uint32_t index = kEmpty;
    std::uint32_t hash = 0;
  };

  static std::uint64_t Hash(const FlowKey& key);
  // The slot index holding `key`'s flow, or the empty slot where it would go.
  std::size_t Probe(const FlowKey& key, std::uint64_t hash) const;
  void EraseSlot(std::size_t slot);
  void Grow();
  std::uint32_t Insert(const FlowKey& key, std::uint64_t hash, std::int64_t timestamp_us);
  void Update(Flow& flow, const Packet& packet, std::uint32_t wire_length,
              std::int64_t timestamp_us);

  std::size_t max_flows_;
  EvictCallback on_evict_;
  std::vector<Flow> flows_;  // dense: evicted flows are reused in place
  std::vector<Slot> slots_;  // open addressing, linear probing, load <= 1/2
  std::size_t mask_ = 0;
  std::size_t hand_ = 0;  // CLOCK's hand: the next eviction candidate
  std::uint64_t evictions_ = 0;
  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t skipped_ = 0;
  std::size_t extra_bytes_ = 0;  // heap held by flows' names and DHCP records
};

}  // namespace trinet::pcap
