#include "pcap/flow_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

namespace trinet::pcap {

// Hashing and comparing the key as bytes is only right without padding holes.
static_assert(sizeof(FlowKey) == 56);
static_assert(std::has_unique_object_representations_v<FlowKey>);

namespace {

IpAddress Address(std::uint8_t family, const std::array<std::uint8_t, 16>& bytes) {
  IpAddress a;
  a.family = family == 6 ? 6 : 4;
  a.bytes = bytes;
  return a;
}

// Heap memory a flow holds beyond its own struct: its names and its DHCP record.
std::size_t HeapBytes(const Flow& f) {
  std::size_t n = f.dns_names.capacity() * sizeof(std::string);
  for (const std::string& s : f.dns_names) {
    if (s.capacity() > 15) n += s.capacity() + 1;  // past the small-string buffer
  }
  if (f.dhcp) {
    n += sizeof(FlowDhcp) + (f.dhcp->routers.capacity() + f.dhcp->dns_servers.capacity() +
                             f.dhcp->offered.capacity()) *
                                sizeof(IpAddress);
  }
  return n;
}

constexpr std::size_t kMaxOffered = 4;

// FlowKey's operator== as seven 8-byte words (no padding: see the static_asserts), without
// a call to memcmp.
bool SameKey(const FlowKey& a, const FlowKey& b) {
  std::uint64_t x[sizeof(FlowKey) / 8], y[sizeof(FlowKey) / 8];
  std::memcpy(x, &a, sizeof x);
  std::memcpy(y, &b, sizeof y);
  std::uint64_t diff = 0;
  for (std::size_t i = 0; i < sizeof(FlowKey) / 8; ++i) diff |= x[i] ^ y[i];
  return diff == 0;
}

}  // namespace

IpAddress FlowKey::SourceAddress() const { return Address(family, src); }
IpAddress FlowKey::DestinationAddress() const { return Address(family, dst); }

FlowTable::FlowTable(std::size_t max_flows, EvictCallback on_evict)
    : max_flows_(std::clamp<std::size_t>(max_flows, 1, kEmpty - 1)),
      on_evict_(std::move(on_evict)) {
  // Start small: a cap of millions must not cost its memory before the flows exist.
  std::size_t initial = std::min<std::size_t>(std::bit_ceil(max_flows_ * 2), 1024);
  slots_.assign(initial, Slot{});
  mask_ = initial - 1;
  // The flows' storage is reserved for the cap (up to kReserveFlows) so that it is never
  // moved: growing a vector of a million flows copied them all, page faults included, a
  // few times over (most of the time with 1M distinct flows). Reserving is address space
  // only: pages become memory when a flow first lands on them.
  flows_.reserve(std::min(max_flows_, kReserveFlows));
}

std::uint64_t FlowTable::Hash(const FlowKey& key) {
  // Seven 8-byte words, each folded in with a multiply; murmur3's finaliser at the end.
  std::uint64_t words[sizeof(FlowKey) / 8];
  std::memcpy(words, &key, sizeof words);
  std::uint64_t h = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t w : words) {
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
  }
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

FlowKey FlowTable::KeyOf(const Packet& p, std::uint16_t network) {
  FlowKey k;
  k.network = network;
  k.outer_vlan = p.outer_vlan;
  k.inner_vlan = p.inner_vlan;
  k.layer = static_cast<std::uint8_t>(p.network);
  if (p.has_src_mac) k.src_mac = p.src_mac.bytes;
  if (p.has_dst_mac) k.dst_mac = p.dst_mac.bytes;
  if (p.has_addresses) {
    k.family = static_cast<std::uint8_t>(p.src.family);
    k.src = p.src.bytes;
    k.dst = p.dst.bytes;
  } else if (p.network == NetworkLayer::kArp && p.error == DecodeError::kNone) {
    k.family = 4;
    k.src = p.arp_sender_ip.bytes;
    k.dst = p.arp_target_ip.bytes;
  }
  return k;
}

std::size_t FlowTable::Probe(const FlowKey& key, std::uint64_t hash) const {
  std::size_t i = hash & mask_;
  for (;;) {
    const Slot& slot = slots_[i];
    if (slot.index == kEmpty) return i;
    if (slot.hash == static_cast<std::uint32_t>(hash) && SameKey(flows_[slot.index].key, key)) {
      return i;
    }
    i = (i + 1) & mask_;
  }
}

// Backward-shift deletion: later entries of the probe run move up into the hole, so lookups
// never need tombstones.
void FlowTable::EraseSlot(std::size_t hole) {
  slots_[hole] = Slot{};
  std::size_t j = hole;
  for (;;) {
    j = (j + 1) & mask_;
    Slot slot = slots_[j];
    if (slot.index == kEmpty) return;
    std::size_t ideal = slot.hash & mask_;
    if (((j - ideal) & mask_) >= ((j - hole) & mask_)) {
      slots_[hole] = slot;
      slots_[j] = Slot{};
      hole = j;
    }
  }
}

void FlowTable::Grow() {
  // Rehashed from the old slots, which hold each flow's index and hash: the flows themselves
  // (a cache miss each) are not touched.
  std::vector<Slot> old(slots_.size() * 2, Slot{});
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.index == kEmpty) continue;
    std::size_t i = slot.hash & mask_;
    while (slots_[i].index != kEmpty) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
}

std::uint32_t FlowTable::Insert(const FlowKey& key, std::uint64_t hash, std::int64_t timestamp_us) {
  std::uint32_t index;
  if (flows_.size() >= max_flows_) {
    // At the cap: the hand spares marked flows once (clearing the mark) and takes the first
    // unmarked one; after one full turn every mark is clear, so this ends.
    while (flows_[hand_].referenced) {
      flows_[hand_].referenced = false;
      hand_ = hand_ + 1 == flows_.size() ? 0 : hand_ + 1;
    }
    index = static_cast<std::uint32_t>(hand_);
    hand_ = hand_ + 1 == flows_.size() ? 0 : hand_ + 1;
    Flow& victim = flows_[index];
    EraseSlot(Probe(victim.key, victim.hash));
    if (on_evict_) on_evict_(victim);
    ++evictions_;
    extra_bytes_ -= HeapBytes(victim);
    victim = Flow{};  // frees its names and DHCP record; its storage is reused
  } else {
    if ((flows_.size() + 1) * 2 > slots_.size()) Grow();
    index = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
  }
  Flow& f = flows_[index];
  f.key = key;
  f.hash = hash;
  f.first_seen_us = f.last_seen_us = timestamp_us;
  slots_[Probe(key, hash)] = Slot{index, static_cast<std::uint32_t>(hash)};
  return index;
}

void FlowTable::Update(Flow& f, const Packet& p, std::uint32_t wire_length,
                       std::int64_t timestamp_us) {
  ++f.packets;
  f.bytes += wire_length;
  // Files are mostly in time order; min/max keeps first <= last when they are not.
  f.first_seen_us = std::min(f.first_seen_us, timestamp_us);
  f.last_seen_us = std::max(f.last_seen_us, timestamp_us);
  if (f.packets == 1) f.ip_protocol = p.ip_protocol;
  if (p.has_ports && !f.has_ports) {
    f.has_ports = true;
    f.ip_protocol = p.ip_protocol;
    f.first_src_port = p.src_port;
    f.first_dst_port = p.dst_port;
  }
  if (p.has_tcp_flags) f.tcp_flags |= p.tcp_flags;
  if (p.is_fragment) ++f.fragments;
  if (p.error != DecodeError::kNone) ++f.decode_errors;

  if (p.dns.present) {
    if (p.dns.response) {
      ++f.dns_responses;
    } else {
      ++f.dns_queries;
      std::string_view name = p.dns.name();
      if (p.dns.has_question && f.dns_names.size() < Flow::kMaxDnsNames &&
          std::find(f.dns_names.begin(), f.dns_names.end(), name) == f.dns_names.end()) {
        std::size_t before = HeapBytes(f);
        if (f.dns_names.empty()) f.dns_names.reserve(Flow::kMaxDnsNames);
        f.dns_names.emplace_back(name);
        extra_bytes_ += HeapBytes(f) - before;
      }
    }
  }
  if (p.dhcp.present && p.dhcp.op == 2 && (p.dhcp.IsOffer() || p.dhcp.IsAck())) {
    std::size_t before = HeapBytes(f);
    if (!f.dhcp) {
      f.dhcp = std::make_unique<FlowDhcp>();
      f.dhcp->has_server_id = p.dhcp.has_server_id;
      f.dhcp->server_id = p.dhcp.server_id;
      f.dhcp->routers.assign(p.dhcp.routers.begin(), p.dhcp.routers.begin() + p.dhcp.router_count);
      f.dhcp->dns_servers.assign(p.dhcp.dns_servers.begin(),
                                 p.dhcp.dns_servers.begin() + p.dhcp.dns_server_count);
    }
    (p.dhcp.IsOffer() ? f.dhcp->offers : f.dhcp->acks) += 1;
    auto& offered = f.dhcp->offered;
    if (offered.size() < kMaxOffered &&
        std::find(offered.begin(), offered.end(), p.dhcp.your_address) == offered.end()) {
      offered.push_back(p.dhcp.your_address);
    }
    extra_bytes_ += HeapBytes(f) - before;
  }
}

bool FlowTable::Add(const Packet& packet, std::uint32_t wire_length, std::int64_t timestamp_us,
                    std::uint16_t network) {
  if (!packet.has_src_mac && !packet.has_dst_mac && !packet.has_addresses) {
    ++skipped_;
    return false;
  }
  ++packets_;
  bytes_ += wire_length;
  FlowKey key = KeyOf(packet, network);
  std::uint64_t hash = Hash(key);
  if (flows_.size() >= max_flows_) {
    // Likely a new flow evicting the one under the hand: start loading that one's slot now,
    // so that the two cache misses (this key's slot, the victim's) overlap.
    __builtin_prefetch(&slots_[flows_[hand_].hash & mask_]);
  }
  std::uint32_t index = slots_[Probe(key, hash)].index;
  if (index == kEmpty) {
    index = Insert(key, hash, timestamp_us);
  } else {
    flows_[index].referenced = true;
  }
  Update(flows_[index], packet, wire_length, timestamp_us);
  return true;
}

const Flow* FlowTable::Find(const FlowKey& key) const {
  std::uint32_t index = slots_[Probe(key, Hash(key))].index;
  return index == kEmpty ? nullptr : &flows_[index];
}

void FlowTable::Flush() {
  if (on_evict_) {
    for (const Flow& f : flows_) on_evict_(f);
  }
  flows_.clear();
  std::fill(slots_.begin(), slots_.end(), Slot{});
  hand_ = 0;
  extra_bytes_ = 0;
}

FlowTableStats FlowTable::Stats() const {
  FlowTableStats s;
  s.flows = flows_.size();
  s.max_flows = max_flows_;
  s.evictions = evictions_;
  s.packets = packets_;
  s.bytes = bytes_;
  s.skipped = skipped_;
  // The flows in use: the reserved rest of flows_ is address space, not memory.
  s.memory_bytes = flows_.size() * sizeof(Flow) + slots_.capacity() * sizeof(Slot) + extra_bytes_;
  // A flow costs its struct and, at load 1/2 at most, up to four slots (two after growth).
  s.bytes_per_flow =
      sizeof(Flow) + 4 * sizeof(Slot) + (flows_.empty() ? 0 : extra_bytes_ / flows_.size());
  return s;
}

}  // namespace trinet::pcap
