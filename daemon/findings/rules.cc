#include "findings/rules.h"

#include <algorithm>
#include <map>

namespace trinet::findings {

std::string Finding::Id() const {
  std::string id = rule;
  if (rule == "orphan-room" && !reason.empty()) id += ":" + reason;
  id += ":" + subject.type + ":" + subject.id;
  return id;
}

const std::vector<RuleInfo>& Rules() {
  static const std::vector<RuleInfo> kRules = {
      {"rogue-exit", "M1 art. 8, M2 art. 4", RogueExitRule},
      {"network-bridge", "M2 art. 2, 4", NetworkBridgeRule},
      {"orphan-room", "M2 art. 4, M1 art. 8", OrphanRoomRule},
      {"frozen-expansion", "M2 art. 4", FrozenExpansionRule},
      {"unregistered-device", "M2 art. 4, 10", UnregisteredDeviceRule},
      {"device-unreachable", "M2 art. 12", DeviceUnreachableRule},
      {"egress-down", "M2 art. 12", EgressDownRule},
  };
  return kRules;
}

const RuleInfo* FindRule(const std::string& name) {
  for (const auto& r : Rules()) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

std::vector<Finding> EvaluateRules(const RuleContext& ctx) {
  std::map<std::string, Finding> by_id;
  for (const auto& rule : Rules()) {
    for (auto& f : rule.evaluate(ctx)) {
      if (f.policy.empty()) f.policy = rule.policy;
      auto [it, inserted] = by_id.try_emplace(f.Id(), f);
      if (!inserted) {
        for (auto& e : f.evidence) {
          if (std::find(it->second.evidence.begin(), it->second.evidence.end(), e) ==
              it->second.evidence.end()) {
            it->second.evidence.push_back(std::move(e));
          }
        }
      }
    }
  }
  std::vector<Finding> out;
  out.reserve(by_id.size());
  for (auto& [id, f] : by_id) out.push_back(std::move(f));
  return out;
}

}  // namespace trinet::findings
