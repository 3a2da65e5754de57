#pragma once
// snmpsim's .snmprec recordings: one `OID|TAG|VALUE` per line, TAG being the BER tag number
// of the value's type (2 Integer, 4 OctetString, 5 Null, 6 ObjectId, 64 IpAddress,
// 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64; 128/129/130 the v2c
// exceptions), optionally suffixed `x` (VALUE in hex) or `e` (VALUE with Python escapes).
// Pure text in, text out: reading files is the caller's business.

#include <string>
#include <string_view>
#include <vector>

#include "snmp/varbind.h"

namespace trinet::snmp {

/// The result of reading one recording.
struct SnmprecParse {
  /// The records that could be read, sorted by OID; of duplicate OIDs the first is kept.
  std::vector<Varbind> varbinds;
  /// One "file:line: why" per line that could not be used, in line order. Lines with a
  /// variation module (`TAG:module`) are reported here as unsupported.
  std::vector<std::string> errors;
};

/// Parses the text of a .snmprec file. `file` names it in errors. Blank lines and lines
/// starting with '#' are skipped, and each line is trimmed of surrounding whitespace, as
/// snmpsim does.
SnmprecParse ParseSnmprec(std::string_view text, const std::string& file);

/// Writes `varbinds` as a .snmprec file, sorted by OID as snmpsim's binary search requires.
/// Octet strings are written as text when they are printable ASCII without surrounding blanks
/// (which snmpsim would trim), otherwise in hex; Opaque is always hex. Varbinds with an empty
/// OID are left out. ParseSnmprec reads the output back to the same varbinds.
std::string FormatSnmprec(const std::vector<Varbind>& varbinds);

}  // namespace trinet::snmp
