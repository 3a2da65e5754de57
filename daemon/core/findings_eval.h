#pragma once
// Runs the findings rules at the end of every cycle, on the writer's connection, and
// publishes what /metrics exports of them.

#include <cstdint>
#include <memory>
#include <vector>

#include "core/snapshot.h"
#include "core/writer.h"
#include "finding_store.h"
#include "findings/lifecycle.h"
#include "findings/rule_context.h"

namespace trinet {

/// What /metrics exports of the stored findings and of the register's consolidation
/// progress at `now`.
FindingsSnapshot BuildFindingsSnapshot(const Register& reg,
                                       const std::vector<findings::FindingRecord>& records,
                                       std::int64_t now);

/// The writer's end-of-cycle hook: evaluates, stores, logs changes and publishes. It keeps
/// the discovery facts between evaluations and reads them again only after a discovery
/// cycle or when the register changed: a poll cycle writes no facts.
class FindingsEvaluator {
 public:
  FindingsEvaluator(SnapshotHolder& snapshots, findings::RuleOptions options)
      : snapshots_(snapshots), options_(std::move(options)) {}
  void operator()(sql::Database& db, const CycleEnd& end);

 private:
  SnapshotHolder& snapshots_;
  findings::RuleOptions options_;
  FactsCache facts_;
  /// The register facts_ was evaluated with; held, so that its address is never reused.
  std::shared_ptr<const Register> facts_register_;
};

}  // namespace trinet
