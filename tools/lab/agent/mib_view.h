#pragma once
// One loaded snmpsim recording (.snmprec) as the lab agent serves it: the records sorted by
// OID in flat arrays, each answer's varbind BER-encoded once at load so that answering is a
// binary search and a memcpy.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ber.h"

namespace trinet::lab {

/// A recording. Immutable once loaded; one instance is shared by every endpoint serving it.
///
/// Lookups follow snmpsimd 0.4.5 exactly, including how it serves records it cannot use: a
/// record whose OID is not written in canonical form (leading zeros, a leading dot) is not
/// found by snmpsimd's index, and a record whose value snmpsimd cannot evaluate (unknown tag,
/// bad escape) fails when read. Both are "unserved": GET answers noSuchInstance for them and a
/// GETNEXT that reaches one answers endOfMibView.
class MibView {
 public:
  /// "No record": GET answers noSuchInstance, GETNEXT endOfMibView.
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  /// The outcome of loading a recording.
  struct LoadResult {
    /// The recording; null when `errors` is not empty (nothing is half-loaded).
    std::shared_ptr<const MibView> view;
    /// One "file:line: why" per line that cannot be served: malformed lines, variation modules,
    /// values the project's parser rejects, records out of OID order.
    std::vector<std::string> errors;
    /// One "file:line: warning: why" per unserved record (see the class comment).
    std::vector<std::string> warnings;
  };

  /// Loads the text of a .snmprec file; `file` names it in errors and warnings.
  static LoadResult FromText(std::string_view text, const std::string& file);

  /// Reads and loads the file at `path`.
  static LoadResult FromFile(const std::string& path);

  /// Number of records, served or not.
  std::size_t size() const { return flags_.size(); }

  /// The served record whose OID equals `oid` (GET), or kNone.
  std::size_t Find(std::span<const std::uint64_t> oid) const;

  /// The record a GETNEXT of `oid` answers with, or kNone for endOfMibView.
  std::size_t Next(std::span<const std::uint64_t> oid) const;

  /// The record a GETNEXT of served record `index`'s own OID answers with, or kNone.
  std::size_t NextAfter(std::size_t index) const;

  /// Record `index`'s complete varbind (SEQUENCE of name and value), BER-encoded.
  Bytes Varbind(std::size_t index) const {
    return Bytes(encoded_.data() + encoded_begin_[index],
                 encoded_begin_[index + 1] - encoded_begin_[index]);
  }

  /// The content octets of record `index`'s OID.
  Bytes OidContent(std::size_t index) const {
    return Bytes(encoded_.data() + encoded_begin_[index] + oid_offset_[index], oid_length_[index]);
  }

  /// True when record `index`'s value is a Counter64 (SNMPv1 cannot carry it).
  bool IsCounter64(std::size_t index) const { return (flags_[index] & kCounter64) != 0; }

  /// True when record `index`'s value is a recorded noSuchObject, noSuchInstance or
  /// endOfMibView (tags 128, 129, 130).
  bool IsException(std::size_t index) const { return (flags_[index] & kException) != 0; }

  /// True when snmpsimd cannot serve record `index` (see the class comment).
  bool IsUnserved(std::size_t index) const { return (flags_[index] & kUnserved) != 0; }

 private:
  enum Flag : std::uint8_t {
    kUnindexed = 1,  // OID not written canonically: snmpsimd's exact lookup misses it
    kUnserved = 2,   // unindexed or unevaluable: never answered with
    kCounter64 = 4,
    kException = 8,
  };

  // First record whose OID is >= `oid`.
  std::size_t LowerBound(std::span<const std::uint64_t> oid) const;
  // <0, 0, >0 as record `index`'s OID is below, equal to or above `oid`.
  int Compare(std::size_t index, std::span<const std::uint64_t> oid) const;
  std::size_t Serve(std::size_t index) const {
    return index < size() && (flags_[index] & kUnserved) == 0 ? index : kNone;
  }

  std::vector<std::uint32_t> arcs_;         // every record's OID arcs, concatenated
  std::vector<std::size_t> arc_begin_;      // record i's arcs: [arc_begin_[i], arc_begin_[i+1])
  std::vector<std::uint8_t> encoded_;       // every record's varbind TLV, concatenated
  std::vector<std::size_t> encoded_begin_;  // size() + 1 offsets into encoded_
  std::vector<std::uint8_t> oid_offset_;    // OID content offset within the varbind
  std::vector<std::uint32_t> oid_length_;
  std::vector<std::uint8_t> flags_;
};

/// Decodes snmpsim's `e` value encoding exactly as snmpsim 0.4.5 does
/// (SnmprecRecord.evaluateRawString), including its quirks: an escaped backslash escapes the
/// next character again, and an unfinished escape at the end is dropped. False where snmpsim
/// raises (an unknown escape, a bad hex digit).
bool SnmpsimUnescape(std::string_view text, std::string* out);

}  // namespace trinet::lab
