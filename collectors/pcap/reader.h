#pragma once
// Reading capture files (pcap and pcapng) with libpcap, offline only: a thin RAII wrapper
// over pcap_fopen_offline and pcap_next_ex. It never transmits and never resolves names.
//
// A file cut short is reported with the byte offset where its last, incomplete record (or
// its file header) starts and where the file ends; the packets before it have been returned
// and stay valid results.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

struct pcap;  // libpcap's pcap_t, kept out of this header

namespace trinet::pcap {

/// One packet as libpcap returned it. `data` stays valid until the next call to Next().
struct RawPacket {
  std::int64_t timestamp_us = 0;       ///< microseconds since the epoch
  std::uint32_t wire_length = 0;       ///< the packet's length on the wire
  std::span<const std::uint8_t> data;  ///< the captured bytes (caplen of them)
};

/// An open capture file.
class CaptureFile {
 public:
  /// Opens `path`. On failure returns nullptr and sets *error to a sentence naming the file
  /// and, when the file header is cut, the byte offset where reading stopped.
  static std::unique_ptr<CaptureFile> Open(const std::filesystem::path& path, std::string* error);
  ~CaptureFile();
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;

  enum class Status {
    kPacket,  ///< *out holds the next packet
    kEnd,     ///< the file ended cleanly after its last record
    kError,   ///< reading stopped: error() says where and why; packets() were read before
  };

  /// Reads the next packet.
  Status Next(RawPacket* out);

  /// The file's link-layer type (DLT_*, as DecodePacket takes it).
  int linktype() const { return linktype_; }
  /// The capture's snapshot length.
  int snaplen() const { return snaplen_; }
  /// The packets returned so far.
  std::uint64_t packets() const { return packets_; }
  /// The byte offset just after the last complete record read (the file header at first).
  std::uint64_t offset() const { return offset_; }
  /// The file's size in bytes when it was opened.
  std::uint64_t file_size() const { return file_size_; }
  /// Why Next() returned kError; empty before.
  const std::string& error() const { return error_; }

 private:
  struct Closer {
    void operator()(::pcap* p) const;
  };
  CaptureFile();

  std::unique_ptr<::pcap, Closer> handle_;
  std::string name_;
  int linktype_ = 0;
  int snaplen_ = 0;
  std::uint64_t packets_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t file_size_ = 0;
  // Whether offset_ is summed from record sizes (classic pcap) or asked of ftell().
  enum class Summing : std::uint8_t { kUnknown, kYes, kNo };
  Summing summing_ = Summing::kUnknown;
  std::string error_;
};

}  // namespace trinet::pcap
