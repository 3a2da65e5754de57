#include "pcap/reader.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace trinet::pcap {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string At(std::uint64_t offset) { return "byte offset " + std::to_string(offset); }

// Where libpcap has read the file to: exact for pcap and pcapng alike, which adding up
// record sizes is not (pcapng blocks, and libpcap discarding bytes past the snaplen).
std::uint64_t Position(std::FILE* f, std::uint64_t fallback) {
  long at = std::ftell(f);
  return at < 0 ? fallback : static_cast<std::uint64_t>(at);
}

}  // namespace

void CaptureFile::Closer::operator()(::pcap* p) const { pcap_close(p); }

CaptureFile::CaptureFile() = default;
CaptureFile::~CaptureFile() = default;

std::unique_ptr<CaptureFile> CaptureFile::Open(const std::filesystem::path& path,
                                               std::string* error) {
  const std::string name = path.string();
  // fopen + pcap_fopen_offline rather than pcap_open_offline: the FILE* tells where reading
  // stopped when a file is cut short.
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(name.c_str(), "rb"));
  if (!file) {
    *error = "cannot open " + name + ": " + std::strerror(errno);
    return nullptr;
  }
  // glibc answers ftell() with an lseek() per call until a seek has told the stream its
  // offset; after this one it is buffer arithmetic. Without it a call per packet cost more
  // than decoding the packet.
  std::fseek(file.get(), 0, SEEK_SET);
  std::error_code ec;
  std::uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    *error = "cannot read " + name + ": " + ec.message();
    return nullptr;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  ::pcap* handle =
      pcap_fopen_offline_with_tstamp_precision(file.get(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (handle == nullptr) {
    // On failure the FILE* is still ours (unique_ptr closes it).
    std::string why = errbuf;
    if (why.find("truncated") != std::string::npos || size < 24) {
      *error = name + ": the file header is cut: reading stopped at " + At(size) +
               " (end of file): " + why;
    } else {
      *error = name + ": not a capture file libpcap can read: " + why;
    }
    return nullptr;
  }
  file.release();  // pcap_close closes it from now on
  std::unique_ptr<CaptureFile> f(new CaptureFile());
  f->handle_.reset(handle);
  f->name_ = name;
  f->linktype_ = pcap_datalink(handle);
  f->snaplen_ = pcap_snapshot(handle);
  f->file_size_ = size;
  f->offset_ = Position(pcap_file(handle), 0);
  return f;
}

CaptureFile::Status CaptureFile::Next(RawPacket* out) {
  if (!error_.empty()) return Status::kError;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_.get(), &header, &data);
  switch (rc) {
    case 1:
      ++packets_;
      out->timestamp_us =
          std::int64_t{header->ts.tv_sec} * 1000000 + std::int64_t{header->ts.tv_usec};
      out->wire_length = header->len;
      out->data = {data, header->caplen};
      // A classic pcap record is its 16-byte header and caplen bytes, so the offset can be
      // summed instead of asked of stdio (a locked call per packet). Whether the file is one
      // is checked against ftell() on the first record (pcapng blocks and 24-byte-header
      // variants never match); a record libpcap cut at the snaplen (caplen == snaplen: the
      // bytes past it were read and dropped) is asked of ftell() too.
      if (summing_ == Summing::kYes && header->caplen < static_cast<bpf_u_int32>(snaplen_)) {
        offset_ += 16 + std::uint64_t{header->caplen};
      } else {
        const std::uint64_t at = Position(pcap_file(handle_.get()), offset_);
        if (summing_ == Summing::kUnknown) {
          summing_ = at == offset_ + 16 + header->caplen ? Summing::kYes : Summing::kNo;
        }
        offset_ = at;
      }
      return Status::kPacket;
    case PCAP_ERROR_BREAK:  // no more packets in the file
      offset_ = Position(pcap_file(handle_.get()), offset_);
      if (offset_ < file_size_) {
        // Not seen from libpcap 1.10, which reports cut records as errors; but an end
        // before the end of the file must not pass for a clean one.
        error_ = name_ + ": truncated record at " + At(offset_) + ": the file ends at " +
                 At(file_size_) + ", after " + std::to_string(packets_) + " packets";
        return Status::kError;
      }
      return Status::kEnd;
    case 0:  // a live capture's timeout: never for a file
      error_ = name_ + ": libpcap reported a timeout reading a file, at " + At(offset_);
      return Status::kError;
    case PCAP_ERROR: {
      std::string why = pcap_geterr(handle_.get());
      if (why.find("truncated") != std::string::npos) {
        error_ = name_ + ": truncated record at " + At(offset_) + ": the file ends at " +
                 At(file_size_) + ", after " + std::to_string(packets_) + " packets (" + why + ")";
      } else {
        error_ = name_ + ": unreadable record at " + At(offset_) + ", after " +
                 std::to_string(packets_) + " packets: " + why;
      }
      return Status::kError;
    }
    default:
      error_ = name_ + ": pcap_next_ex returned " + std::to_string(rc) + " at " + At(offset_);
      return Status::kError;
  }
}

}  // namespace trinet::pcap
