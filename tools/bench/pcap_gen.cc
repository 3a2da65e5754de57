// Writes benchmark captures for tools/bench/pcap with libpcap's dump API (Ethernet, full
// packets, increasing timestamps). Nothing is sent; the addresses are private, ULA or the
// documentation blocks.
//
//   trinet_bench_pcap_gen mix FILE [PACKETS]       a realistic mix, a few thousand flows
//   trinet_bench_pcap_gen distinct FILE [PACKETS]  every packet a new flow (IPv4 TCP ACKs)
//
// The mix: ~80% TCP/UDP IPv4 between hosts of 10.32.0.0/12 (3,000 host pairs, skewed: a few
// pairs carry most packets), ~10% of them tagged 802.1Q and ~1% QinQ; ~6% IPv6 (ULA and
// link-local); ~1% ARP; ~3% DNS queries to the resolver and ~3% answers; ~0.1% DHCP
// (discover, offer, request, ack); ~1% to public addresses (198.51.100.0/24, 203.0.113.0/24)
// through one gateway MAC. Sizes are IMIX-like: most 60-100 or 1,514 bytes, some 576.

#include <pcap/pcap.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Writer {
  pcap_t* dead = nullptr;
  pcap_dumper_t* dumper = nullptr;
  std::int64_t now_us = 1798761600LL * 1000000;  // 2027-01-01
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(1600);

  explicit Writer(const char* path) {
    dead = pcap_open_dead(DLT_EN10MB, 262144);
    dumper = pcap_dump_open(dead, path);
    if (dumper == nullptr) {
      std::fprintf(stderr, "trinet_bench_pcap_gen: %s\n", pcap_geterr(dead));
      std::exit(2);
    }
  }
  ~Writer() {
    pcap_dump_close(dumper);
    pcap_close(dead);
  }
  // Writes buf[0, len) as a packet of `len` bytes (captured whole), `gap_us` after the last.
  void Put(std::size_t len, int gap_us) {
    now_us += gap_us;
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(now_us / 1000000);
    h.ts.tv_usec = static_cast<suseconds_t>(now_us % 1000000);
    h.caplen = h.len = static_cast<bpf_u_int32>(len);
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, buf.data());
  }
};

void Put16(std::uint8_t* p, unsigned v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void Put32(std::uint8_t* p, std::uint32_t v) {
  Put16(p, v >> 16);
  Put16(p + 2, v & 0xFFFF);
}

using Mac = std::array<std::uint8_t, 6>;
Mac HostMac(std::uint32_t n) {
  return {0x02,           0x32, std::uint8_t(n >> 24), std::uint8_t(n >> 16), std::uint8_t(n >> 8),
          std::uint8_t(n)};
}
const Mac kGatewayMac = {0x00, 0x1b, 0x21, 0x0a, 0x00, 0x01};
const Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// Ethernet header with up to two tags; returns the offset of the payload.
std::size_t Ether(std::uint8_t* p, const Mac& dst, const Mac& src, int vlan, int inner,
                  unsigned ethertype) {
  std::memcpy(p, dst.data(), 6);
  std::memcpy(p + 6, src.data(), 6);
  std::size_t off = 12;
  if (vlan >= 0 && inner >= 0) {
    Put16(p + off, 0x88A8);
    Put16(p + off + 2, static_cast<unsigned>(vlan));
    off += 4;
  }
  if (vlan >= 0) {
    Put16(p + off, 0x8100);
    Put16(p + off + 2, static_cast<unsigned>(inner >= 0 ? inner : vlan));
    off += 4;
  }
  Put16(p + off, ethertype);
  return off + 2;
}

// IPv4 header (no options) carrying `payload` bytes of `proto`; returns the L4 offset.
std::size_t Ip4(std::uint8_t* p, std::size_t off, std::uint32_t src, std::uint32_t dst,
                unsigned proto, std::size_t payload) {
  std::uint8_t* h = p + off;
  std::memset(h, 0, 20);
  h[0] = 0x45;
  Put16(h + 2, static_cast<unsigned>(20 + payload));
  h[6] = 0x40;  // DF
  h[8] = 64;
  h[9] = static_cast<std::uint8_t>(proto);
  Put32(h + 12, src);
  Put32(h + 16, dst);
  return off + 20;
}

std::size_t Ip6(std::uint8_t* p, std::size_t off, const std::array<std::uint8_t, 16>& src,
                const std::array<std::uint8_t, 16>& dst, unsigned next, std::size_t payload) {
  std::uint8_t* h = p + off;
  std::memset(h, 0, 40);
  h[0] = 0x60;
  Put16(h + 4, static_cast<unsigned>(payload));
  h[6] = static_cast<std::uint8_t>(next);
  h[7] = 64;
  std::memcpy(h + 8, src.data(), 16);
  std::memcpy(h + 24, dst.data(), 16);
  return off + 40;
}

void Tcp(std::uint8_t* p, std::size_t off, unsigned sport, unsigned dport, unsigned flags) {
  std::uint8_t* h = p + off;
  std::memset(h, 0, 20);
  Put16(h, sport);
  Put16(h + 2, dport);
  h[12] = 0x50;
  h[13] = static_cast<std::uint8_t>(flags);
  Put16(h + 14, 64240);
}

void Udp(std::uint8_t* p, std::size_t off, unsigned sport, unsigned dport, std::size_t payload) {
  std::uint8_t* h = p + off;
  Put16(h, sport);
  Put16(h + 2, dport);
  Put16(h + 4, static_cast<unsigned>(8 + payload));
  Put16(h + 6, 0);
}

// A DNS query or answer for `name` (dotted) at p + off; returns its length.
std::size_t Dns(std::uint8_t* p, std::size_t off, unsigned id, bool response,
                const std::string& name) {
  std::uint8_t* h = p + off;
  std::memset(h, 0, 12);
  Put16(h, id);
  h[2] = response ? 0x81 : 0x01;
  h[3] = response ? 0x80 : 0x00;
  Put16(h + 4, 1);
  if (response) Put16(h + 6, 1);
  std::size_t n = 12;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    h[n++] = static_cast<std::uint8_t>(dot - start);
    std::memcpy(h + n, name.data() + start, dot - start);
    n += dot - start;
    start = dot + 1;
  }
  h[n++] = 0;
  Put16(h + n, 1);  // A
  Put16(h + n + 2, 1);
  n += 4;
  if (response) {
    const std::uint8_t answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 32, 7, 9};
    std::memcpy(h + n, answer, sizeof answer);
    n += sizeof answer;
  }
  return n;
}

// A DHCP message (BOOTP + options) at p + off; returns its length.
std::size_t Dhcp(std::uint8_t* p, std::size_t off, unsigned type, std::uint32_t xid,
                 const Mac& client, std::uint32_t yiaddr, std::uint32_t server) {
  std::uint8_t* h = p + off;
  std::memset(h, 0, 240);
  h[0] = (type == 2 || type == 5) ? 2 : 1;
  h[1] = 1;
  h[2] = 6;
  Put32(h + 4, xid);
  Put32(h + 16, yiaddr);
  std::memcpy(h + 28, client.data(), 6);
  Put32(h + 236, 0x63825363);
  std::size_t n = 240;
  h[n++] = 53;
  h[n++] = 1;
  h[n++] = static_cast<std::uint8_t>(type);
  if (h[0] == 2) {
    h[n++] = 54;
    h[n++] = 4;
    Put32(h + n, server);
    n += 4;
    h[n++] = 3;
    h[n++] = 4;
    Put32(h + n, 0x0A200001);  // router 10.32.0.1
    n += 4;
    h[n++] = 6;
    h[n++] = 4;
    Put32(h + n, 0x0A200035);  // resolver 10.32.0.53
    n += 4;
    h[n++] = 51;
    h[n++] = 4;
    Put32(h + n, 86400);
    n += 4;
  }
  h[n++] = 255;
  return n;
}

constexpr std::uint32_t kNet = 0x0A200000;  // 10.32.0.0/12
constexpr std::uint32_t kResolver = 0x0A200035;
constexpr std::uint32_t kDhcpServer = 0x0A200002;

std::array<std::uint8_t, 16> Ula(std::uint32_t host, bool link_local) {
  std::array<std::uint8_t, 16> a{};
  if (link_local) {
    a[0] = 0xfe;
    a[1] = 0x80;
  } else {
    a[0] = 0xfd;
    a[1] = 0x32;
  }
  Put32(a.data() + 12, host);
  return a;
}

// IMIX-like wire sizes (Ethernet frame without FCS).
std::size_t FrameSize(std::mt19937_64& rng) {
  unsigned r = rng() % 100;
  if (r < 45) return 66;  // ACKs
  if (r < 55) return 60 + rng() % 200;
  if (r < 65) return 576;
  return 1514;
}

int Mix(const char* path, std::uint64_t packets) {
  Writer w(path);
  std::uint8_t* p = w.buf.data();
  std::mt19937_64 rng(42);
  constexpr std::uint32_t kPairs = 3000;
  // Host pairs: hosts 10.32.0.10 .. 10.47.x.x; a pair's rank decides how often it talks.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (std::uint32_t i = 0; i < kPairs; ++i) {
    std::uint32_t a = 10 + static_cast<std::uint32_t>(rng() % 4000);
    std::uint32_t b = 10 + static_cast<std::uint32_t>(rng() % 400);  // fewer servers
    pairs.emplace_back(kNet + a * 7 % 0xFFFFF, kNet + 0x100 + b);
  }
  // Skew: half the packets on the first 10% of pairs.
  auto pick_pair = [&]() -> std::uint32_t {
    return (rng() & 1) ? static_cast<std::uint32_t>(rng() % (kPairs / 10))
                       : static_cast<std::uint32_t>(rng() % kPairs);
  };
  const char* names[] = {"intranet.corp.example", "mail.corp.example", "wiki.corp.example",
                         "updates.corp.example",  "ntp.corp.example",  "files.corp.example"};
  for (std::uint64_t n = 0; n < packets; ++n) {
    unsigned r = static_cast<unsigned>(rng() % 1000);
    int gap = 1 + static_cast<int>(rng() % 20);
    if (r < 800) {  // TCP or UDP, internal
      auto [a, b] = pairs[pick_pair()];
      bool forward = rng() & 1;
      std::uint32_t src = forward ? a : b, dst = forward ? b : a;
      int vlan = -1, inner = -1;
      unsigned v = static_cast<unsigned>(rng() % 100);
      if (v < 10) vlan = 100 + static_cast<int>(a % 3);
      if (v == 0) inner = 10;
      std::size_t len = FrameSize(rng);
      bool tcp = (r % 4) != 0;
      std::size_t l3 = Ether(p, HostMac(dst), HostMac(src), vlan, inner, 0x0800);
      std::size_t min = l3 + 20 + (tcp ? 20 : 8);
      if (len < min) len = min;
      std::size_t l4 = Ip4(p, l3, src, dst, tcp ? 6 : 17, len - l3 - 20);
      unsigned sport = 32768 + (a + b) % 20000, dport = tcp ? 443 : 5001;
      if (!forward) std::swap(sport, dport);
      if (tcp) {
        Tcp(p, l4, sport, dport, 0x10 | ((n % 7 == 0) ? 0x08 : 0));
      } else {
        Udp(p, l4, sport, dport, len - l4 - 8);
      }
      w.Put(len, gap);
    } else if (r < 860) {  // IPv6
      auto [a, b] = pairs[rng() % 500];
      bool ll = (r % 5) == 0;
      std::size_t l3 = Ether(p, HostMac(b), HostMac(a), -1, -1, 0x86DD);
      std::size_t len = ll ? 86 : FrameSize(rng);
      if (len < l3 + 40 + 20) len = l3 + 40 + 20;
      std::size_t l4 = Ip6(p, l3, Ula(a, ll), Ula(b, ll), 6, len - l3 - 40);
      Tcp(p, l4, 40000 + a % 1000, 22, 0x10);
      w.Put(len, gap);
    } else if (r < 870) {  // ARP
      auto [a, b] = pairs[rng() % kPairs];
      std::size_t l3 = Ether(p, kBroadcast, HostMac(a), -1, -1, 0x0806);
      std::uint8_t* h = p + l3;
      const std::uint8_t fixed[] = {0, 1, 8, 0, 6, 4, 0, 1};
      std::memcpy(h, fixed, 8);
      std::memcpy(h + 8, HostMac(a).data(), 6);
      Put32(h + 14, a);
      std::memset(h + 18, 0, 6);
      Put32(h + 24, b);
      std::memset(h + 28, 0, 60 - l3 - 28);
      w.Put(60, gap);
    } else if (r < 930) {  // DNS query and its answer
      auto [a, b] = pairs[rng() % kPairs];
      (void)b;
      bool answer = (r % 2) == 0;
      std::uint32_t src = answer ? kResolver : a, dst = answer ? a : kResolver;
      std::size_t l3 = Ether(p, HostMac(dst), HostMac(src), -1, -1, 0x0800);
      std::size_t l7 = l3 + 28;
      std::size_t dns = Dns(p, l7, static_cast<unsigned>(n & 0xFFFF), answer,
                            names[rng() % (sizeof names / sizeof *names)]);
      unsigned port = 40000 + a % 20000;
      Ip4(p, l3, src, dst, 17, 8 + dns);
      Udp(p, l3 + 20, answer ? 53 : port, answer ? port : 53, dns);
      w.Put(std::max<std::size_t>(l7 + dns, 60), gap);
    } else if (r < 931) {  // DHCP: discover, offer, request, ack
      std::uint32_t host = static_cast<std::uint32_t>(rng() % 4000);
      Mac client = HostMac(0x00DD0000 + host);
      std::uint32_t xid = static_cast<std::uint32_t>(rng());
      std::uint32_t yiaddr = kNet + 0x8000 + host;
      for (unsigned type : {1u, 2u, 3u, 5u}) {
        bool reply = type == 2 || type == 5;
        std::size_t l3 = Ether(p, reply ? client : kBroadcast,
                               reply ? HostMac(kDhcpServer) : client, -1, -1, 0x0800);
        std::size_t dhcp = Dhcp(p, l3 + 28, type, xid, client, reply ? yiaddr : 0, kDhcpServer);
        Ip4(p, l3, reply ? kDhcpServer : 0, reply ? yiaddr : 0xFFFFFFFF, 17, 8 + dhcp);
        Udp(p, l3 + 20, reply ? 67 : 68, reply ? 68 : 67, dhcp);
        w.Put(l3 + 28 + dhcp, gap);
      }
      n += 3;
    } else if (r < 940) {  // public, through the one gateway
      auto [a, b] = pairs[rng() % 200];
      (void)b;
      std::uint32_t pub =
          ((rng() & 1) ? 0xC6336400u : 0xCB007100u) + static_cast<std::uint32_t>(rng() % 200 + 1);
      bool out = rng() & 1;
      std::size_t l3 =
          Ether(p, out ? kGatewayMac : HostMac(a), out ? HostMac(a) : kGatewayMac, -1, -1, 0x0800);
      std::size_t len = FrameSize(rng);
      if (len < l3 + 40) len = l3 + 40;
      std::size_t l4 = Ip4(p, l3, out ? a : pub, out ? pub : a, 6, len - l3 - 20);
      Tcp(p, l4, out ? 50000 + a % 1000 : 443, out ? 443 : 50000 + a % 1000, 0x18);
      w.Put(len, gap);
    } else {  // more internal TCP: bulk transfers on the busiest pairs
      auto [a, b] = pairs[rng() % 20];
      std::size_t l3 = Ether(p, HostMac(a), HostMac(b), -1, -1, 0x0800);
      std::size_t l4 = Ip4(p, l3, b, a, 6, 1514 - l3 - 20);
      Tcp(p, l4, 445, 50000 + a % 1000, 0x10);
      w.Put(1514, gap);
    }
  }
  return 0;
}

int Distinct(const char* path, std::uint64_t packets) {
  Writer w(path);
  std::uint8_t* p = w.buf.data();
  const Mac gw = HostMac(kNet + 1);
  for (std::uint64_t n = 0; n < packets; ++n) {
    // Source n in 10.32/12 (wrapping), destination chosen so that each (src, dst) is new.
    std::uint32_t src = kNet + static_cast<std::uint32_t>(n % 0xFFFFF);
    std::uint32_t dst = kNet + static_cast<std::uint32_t>((n / 0xFFFFF + 1) * 7919 % 0xFFFFF);
    std::size_t l3 = Ether(p, gw, HostMac(src), -1, -1, 0x0800);
    std::size_t l4 = Ip4(p, l3, src, dst, 6, 20);
    Tcp(p, l4, 40000 + static_cast<unsigned>(n % 20000), 443, 0x02);
    w.Put(l4 + 20, 1);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s mix|distinct FILE [PACKETS]\n", argv[0]);
    return 2;
  }
  std::uint64_t packets = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000000;
  std::string kind = argv[1];
  if (kind == "mix") return Mix(argv[2], packets);
  if (kind == "distinct") return Distinct(argv[2], packets);
  std::fprintf(stderr, "unknown kind %s\n", argv[1]);
  return 2;
}
