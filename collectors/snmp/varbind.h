#pragma once
// SNMP values as plain data, independent of Net-SNMP's structures, so that decoding and
// walking are pure functions testable with recorded data.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snmp/oid.h"

namespace trinet::snmp {

enum class ValueType {
  kInteger,      ///< INTEGER / Integer32 (signed)
  kOctetString,  ///< OCTET STRING (bytes, not necessarily text)
  kObjectId,     ///< OBJECT IDENTIFIER
  kIpAddress,    ///< IpAddress, 4 bytes in `bytes`
  kCounter32,
  kGauge32,      ///< Gauge32 / Unsigned32
  kTimeTicks,    ///< hundredths of a second
  kOpaque,
  kCounter64,
  kNull,
  kNoSuchObject,    ///< v2c exception
  kNoSuchInstance,  ///< v2c exception
  kEndOfMibView,    ///< v2c exception
};

/// One value; which member holds it depends on `type`.
struct Value {
  ValueType type = ValueType::kNull;
  std::int64_t integer = 0;   ///< kInteger
  std::uint64_t unsigned_value = 0;  ///< kCounter32, kGauge32, kTimeTicks, kCounter64
  std::string bytes;          ///< kOctetString, kIpAddress, kOpaque
  Oid oid;                    ///< kObjectId

  bool IsException() const {
    return type == ValueType::kNoSuchObject || type == ValueType::kNoSuchInstance ||
           type == ValueType::kEndOfMibView;
  }
  bool operator==(const Value&) const = default;

  static Value Integer(std::int64_t v) { return {ValueType::kInteger, v, 0, {}, {}}; }
  static Value Unsigned(ValueType t, std::uint64_t v) { return {t, 0, v, {}, {}}; }
  static Value Bytes(ValueType t, std::string v) { return {t, 0, 0, std::move(v), {}}; }
  static Value ObjectId(Oid v) { return {ValueType::kObjectId, 0, 0, {}, std::move(v)}; }
  static Value Exception(ValueType t) { return {t, 0, 0, {}, {}}; }
};

struct Varbind {
  Oid oid;
  Value value;
  bool operator==(const Varbind&) const = default;
};

}  // namespace trinet::snmp
