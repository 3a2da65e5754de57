#pragma once
// The register as flat records of named text fields: one shape for the change history,
// the CSV export and the terminal tree, so each of them is written once for all entities.

#include <optional>
#include <string>
#include <vector>

#include "register/register.h"

namespace trinet {

struct RecordField {
  std::string name;                  ///< e.g. "admin.phone"
  std::optional<std::string> value;  ///< nullopt when the register leaves it out
  bool secret = false;               ///< never shown; exported as kRedacted
};

struct Record {
  std::string entity;  ///< "network", "platform", "unit", "room", "credential", "device", "egress"
  std::string id;
  std::vector<RecordField> fields;  ///< every field of the entity, always in the same order
};

/// Entity names in dependency order (a later one refers only to earlier ones).
const std::vector<std::string>& EntityNames();

/// Every entity of the register as records, grouped by entity in EntityNames() order and in
/// register order within one entity.
std::vector<Record> Flatten(const Register& reg);

/// The column names of an entity's records (also for an entity with no rows).
std::vector<std::string> FieldNames(const std::string& entity);

/// One field of one entity that differs between two registers. A new entity has one change
/// per field it sets (old empty); a removed entity one per field it had (new empty). Secret
/// values are reported as kRedacted, never as themselves.
struct FieldChange {
  std::string op;  ///< "added", "changed" or "removed": what happened to the entity
  std::string entity;
  std::string id;
  std::string field;
  std::optional<std::string> old_value;
  std::optional<std::string> new_value;
  bool operator==(const FieldChange&) const = default;
};

std::vector<FieldChange> Diff(const Register& before, const Register& after);

}  // namespace trinet
