#pragma once
// The findings rules: pure functions of (register, observations, now) -> findings, one per
// file with its policy article, registered in one table (rules.cc). See docs/findings.md.

#include <string>
#include <vector>

#include "findings/finding.h"
#include "findings/rule_context.h"

namespace trinet::findings {

using RuleFn = std::vector<Finding> (*)(const RuleContext&);

struct RuleInfo {
  const char* name;    ///< the finding's `rule`
  const char* policy;  ///< the articles it enforces
  RuleFn evaluate;
};

// One per file: rogue_exit_rule.cc, network_bridge_rule.cc, ...
std::vector<Finding> RogueExitRule(const RuleContext& ctx);
std::vector<Finding> NetworkBridgeRule(const RuleContext& ctx);
std::vector<Finding> OrphanRoomRule(const RuleContext& ctx);
std::vector<Finding> FrozenExpansionRule(const RuleContext& ctx);
std::vector<Finding> UnregisteredDeviceRule(const RuleContext& ctx);
std::vector<Finding> DeviceUnreachableRule(const RuleContext& ctx);
std::vector<Finding> EgressDownRule(const RuleContext& ctx);

/// Every rule, in the order they are evaluated and documented.
const std::vector<RuleInfo>& Rules();
const RuleInfo* FindRule(const std::string& name);

/// Runs every rule. Findings come out sorted by id, one per id (a rule producing the same id
/// twice has its evidence merged), each with its rule's policy when the rule left it empty.
std::vector<Finding> EvaluateRules(const RuleContext& ctx);

}  // namespace trinet::findings
