// Exposition: the /metrics body rendered once per snapshot, plain and gzip.
//
// A scrape after the first of a cycle costs a few dozen lines of text (the tail) and a copy
// of the cached bytes to the socket. The gzip form is one gzip member made of two deflate
// streams: the cached text's, ended with a sync flush (byte-aligned, not final), and the
// tail's, compressed per scrape and finished; the trailer's CRC-32 is combined from the two
// parts' (crc32_combine), the way pigz joins blocks. So the expensive compression is done
// once per cycle, whatever the capture families do between scrapes.

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "metrics/metrics.h"
#include "metrics/text_format.h"

namespace trinet::metrics {

struct Exposition::Cached {
  // What the text was rendered from. Weak: an old snapshot is not kept alive by the cache,
  // and while this exists its control block cannot be reused by a new snapshot, so an
  // address match is never a false hit.
  std::weak_ptr<const Snapshot> snapshot;
  std::weak_ptr<const FindingsSnapshot> findings;
  std::string text;  // AppendCycleText()

  // The gzip header and `text` deflated, sync-flushed; made at the first gzip scrape.
  mutable std::once_flag gzip_once;
  mutable std::string gzip;
  mutable std::uint32_t crc = 0;  // CRC-32 of `text`
};

namespace {

template <class T>
bool SameOwner(const std::weak_ptr<const T>& a, const std::shared_ptr<const T>& b) {
  return !a.owner_before(b) && !b.owner_before(a);
}

// A zlib deflate stream (RAII).
class Deflater {
 public:
  // window_bits: 15 + 16 for a gzip header and a 32 KiB window, -15 for raw deflate,
  // smaller for less state (-9: 512 bytes); mem_level 1..9 sizes the hash table likewise.
  Deflater(int level, int window_bits, int mem_level) {
    if (deflateInit2(&z_, level, Z_DEFLATED, window_bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("metrics: zlib deflateInit2 failed");
    }
  }
  ~Deflater() { deflateEnd(&z_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Compresses `in`, appending to `out`, and ends with `flush` (Z_SYNC_FLUSH, Z_FINISH).
  void Run(std::string_view in, int flush, std::string& out) {
    constexpr std::size_t kMaxIn = 1u << 30;  // avail_in is 32 bits
    constexpr std::size_t kOutStep = 1u << 18;
    do {
      const std::size_t n = std::min(in.size(), kMaxIn);
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z_.avail_in = static_cast<uInt>(n);
      in.remove_prefix(n);
      const int mode = in.empty() ? flush : Z_NO_FLUSH;
      do {
        const std::size_t used = out.size();
        out.resize(used + kOutStep);
        z_.next_out = reinterpret_cast<Bytef*>(out.data() + used);
        z_.avail_out = static_cast<uInt>(kOutStep);
        const int rc = deflate(&z_, mode);
        out.resize(used + kOutStep - z_.avail_out);
        if (rc == Z_STREAM_ERROR) throw std::runtime_error("metrics: zlib deflate failed");
      } while (z_.avail_out == 0);
    } while (!in.empty());
  }
  // The CRC-32 of the input so far (gzip streams only).
  std::uint32_t crc() const { return static_cast<std::uint32_t>(z_.adler); }

 private:
  z_stream z_{};
};

void PutLittleEndian32(std::string& out, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) out += static_cast<char>((v >> (8 * k)) & 0xFF);
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<bool> gzip, any;  // whether each was listed with a q-value above 0
  while (!accept_encoding.empty()) {
    const std::size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding.remove_prefix(comma == std::string_view::npos ? accept_encoding.size()
                                                                  : comma + 1);
    const std::size_t semi = item.find(';');
    const std::string_view coding = Trim(item.substr(0, semi));
    bool accepted = true;
    for (std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1);
         !params.empty();) {
      const std::size_t next = params.find(';');
      const std::string_view param = Trim(params.substr(0, next));
      params.remove_prefix(next == std::string_view::npos ? params.size() : next + 1);
      if (param.size() >= 2 && (param[0] | 0x20) == 'q' && param[1] == '=') {
        double q = 0;
        const auto r = std::from_chars(param.data() + 2, param.data() + param.size(), q);
        accepted = r.ec == std::errc() && q > 0;
      }
    }
    if (EqualsIgnoringCase(coding, "gzip") || EqualsIgnoringCase(coding, "x-gzip")) {
      gzip = accepted;
    } else if (coding == "*") {
      any = accepted;
    }
  }
  return gzip ? *gzip : any.value_or(false);
}

// ---- Exposition::Body ------------------------------------------------------------------------

std::array<std::string_view, 2> Exposition::Body::Parts() const {
  std::string_view cached;
  if (cached_) cached = gzip_ ? std::string_view(cached_->gzip) : std::string_view(cached_->text);
  return {cached, tail_};
}

std::size_t Exposition::Body::size() const {
  std::size_t n = 0;
  for (const auto& part : Parts()) n += part.size();
  return n;
}

std::string Exposition::Body::Join() const {
  std::string out;
  out.reserve(size());
  for (const auto& part : Parts()) out += part;
  return out;
}

// ---- Exposition ------------------------------------------------------------------------------

Exposition::Exposition(const SnapshotHolder& holder, MetricsOptions options)
    : collectable_(holder, std::move(options)) {}

Exposition::~Exposition() = default;

std::shared_ptr<const Exposition::Cached> Exposition::Current(
    const std::shared_ptr<const Snapshot>& snapshot,
    const std::shared_ptr<const FindingsSnapshot>& findings) const {
  static const Snapshot kNoSnapshot;
  static const FindingsSnapshot kNoFindings;
  // Held while rendering: a scrape that arrives meanwhile waits for this render instead of
  // making its own (it wants the same snapshots, or newer ones that only a later scrape of
  // them will render).
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_ && SameOwner(current_->snapshot, snapshot) &&
      SameOwner(current_->findings, findings)) {
    return current_;
  }
  const Snapshot& s = snapshot ? *snapshot : kNoSnapshot;
  auto cached = std::make_shared<Cached>();
  cached->snapshot = snapshot;
  cached->findings = findings;
  // The previous text's buffer, when no scrape is sending it any more (only this cache holds
  // it, and new holders are made under this lock only): its pages are mapped already, and
  // writing tens of megabytes into fresh pages costs a page fault per 4 KiB, as much as the
  // rendering itself (docs/BENCHMARKS.md).
  if (current_ && current_.use_count() == 1) {
    cached->text = std::move(current_->text);
    cached->text.clear();  // keeps the capacity
    cached->gzip = std::move(current_->gzip);
    cached->gzip.clear();
  }
  current_.reset();
  const std::size_t expected = last_size_ > 0 ? last_size_ + last_size_ / 8 : EstimateTextSize(s);
  text::Reserve(cached->text, expected);
  collectable_.AppendCycleText(cached->text, s, findings ? *findings : kNoFindings, &scratch_);
  last_size_ = cached->text.size();
  renders_.fetch_add(1);
  current_ = cached;  // a previous text still being sent lives on in its bodies
  return cached;
}

Exposition::Body Exposition::Get(bool gzip) const {
  static const Snapshot kNoSnapshot;
  static const CaptureSnapshot kNoCapture;
  // Each snapshot is loaded once, so the cached part and the tail agree.
  const SnapshotHolder& holder = collectable_.holder();
  const std::shared_ptr<const Snapshot> snapshot = holder.Get();
  const std::shared_ptr<const FindingsSnapshot> findings = holder.GetFindings();
  const std::shared_ptr<const CaptureSnapshot> capture = holder.GetCapture();

  Body body;
  body.cached_ = Current(snapshot, findings);
  std::string tail;
  collectable_.AppendTailText(tail, snapshot ? *snapshot : kNoSnapshot,
                              capture ? *capture : kNoCapture);
  if (!gzip) {
    body.tail_ = std::move(tail);
    return body;
  }

  const Cached& cached = *body.cached_;
  std::call_once(cached.gzip_once, [&] {
    // zlib's fastest level: on this text it compresses ~17x (level 6: ~21x) at a third of
    // the time (docs/BENCHMARKS.md), and the first scrape of a cycle waits for it.
    Deflater deflater(Z_BEST_SPEED, 15 + 16, 8);
    std::string z = std::move(cached.gzip);  // empty, maybe with a recycled buffer
    const std::size_t last = last_gzip_size_.load();
    z.reserve(last > 0 ? last + last / 8 : cached.text.size() / 8 + 4096);
    deflater.Run(cached.text, Z_SYNC_FLUSH, z);
    cached.crc = deflater.crc();
    last_gzip_size_.store(z.size());
    cached.gzip = std::move(z);
    compressions_.fetch_add(1);
  });
  // The tail is a few kilobytes: a small window and hash table, a few KiB of zlib state
  // instead of ~270 KiB per scrape.
  Deflater deflater(Z_BEST_SPEED, -12, 4);
  deflater.Run(tail, Z_FINISH, body.tail_);
  const uLong tail_crc =
      crc32(0, reinterpret_cast<const Bytef*>(tail.data()), static_cast<uInt>(tail.size()));
  PutLittleEndian32(body.tail_, static_cast<std::uint32_t>(crc32_combine(
                                    cached.crc, tail_crc, static_cast<z_off_t>(tail.size()))));
  PutLittleEndian32(body.tail_, static_cast<std::uint32_t>(cached.text.size() + tail.size()));
  body.gzip_ = true;
  return body;
}

}  // namespace trinet::metrics
