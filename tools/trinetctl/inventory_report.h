#pragma once
// What `trinetctl inventory` prints and writes: pure functions of the register and history.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "register/register.h"
#include "register/register_records.h"
#include "register_store.h"

namespace trinet {

/// The tree platform → unit (admin) → room (status, deadline) → devices, with counts, and
/// each platform's sanctioned exits. `platform` limits it to one platform.
std::string RenderInventoryTree(const Register& reg, const std::optional<std::string>& platform);

/// One CSV file per entity ("devices.csv" → content); secrets redacted.
std::map<std::string, std::string> RenderInventoryCsv(const Register& reg);

/// Changes as `+`/`~`/`-` lines grouped by entity, for apply and its dry run.
std::string RenderChanges(const std::vector<FieldChange>& changes);

/// The history as an aligned table, oldest first.
std::string RenderHistory(const std::vector<HistoryEntry>& history);

}  // namespace trinet
