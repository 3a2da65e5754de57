// The peer of tools/bench/pcap: the least a libpcap reader can do with a file. Opens it,
// calls pcap_next_ex until the end, counts packets and wire bytes, prints them and the
// loop's own time. Usage: trinet_bench_pcap_bare FILE

#include <pcap/pcap.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(argv[1], errbuf);
  if (p == nullptr) {
    std::fprintf(stderr, "%s\n", errbuf);
    return 1;
  }
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  std::uint64_t packets = 0, bytes = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    ++packets;
    bytes += h->len;
  }
  pcap_close(p);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("packets %llu bytes %llu seconds %.6f\n", static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(bytes), s);
  return rc == PCAP_ERROR_BREAK ? 0 : 1;
}
