#pragma once
// The register in the store: load it, apply a new one in one transaction with its change
// history, and read that history back.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "register/register.h"
#include "register/register_records.h"
#include "sqlite.h"

namespace trinet {

/// Reads the applied register; empty when nothing was applied yet.
Register LoadRegister(sql::Database& db);

struct ApplyRequest {
  std::string file;        ///< as given on the command line, recorded in the history
  std::string sha256;      ///< of the file's bytes
  std::string applied_by;  ///< login name, recorded in the history
  std::string now;         ///< UTC ISO 8601, recorded in the history
  bool dry_run = false;
};

struct ApplyResult {
  std::vector<FieldChange> changes;  ///< empty: the register is already in the store
  std::vector<std::string> errors;   ///< non-empty: nothing was applied
  bool applied = false;              ///< changes were written (not a dry run, no errors)
};

/// Applies `incoming` as the new register, replacing the stored one, in one transaction.
/// Secrets given as kRedacted keep the stored value. Idempotent: a register equal to the
/// stored one writes nothing.
ApplyResult ApplyRegister(sql::Database& db, Register incoming, const ApplyRequest& request);

struct HistoryEntry {
  std::string applied_at;
  std::string file;
  std::string sha256;
  std::string applied_by;
  FieldChange change;
};

/// The change history, oldest first; `since` (YYYY-MM-DD or a full timestamp) filters.
std::vector<HistoryEntry> LoadHistory(sql::Database& db, const std::optional<std::string>& since);

/// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

/// The current time as UTC ISO 8601 (2026-11-29T18:49:58Z).
std::string UtcNow();

}  // namespace trinet
