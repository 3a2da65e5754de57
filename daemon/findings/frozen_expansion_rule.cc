#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> FrozenExpansionRule(const RuleContext&) { return {}; }

}  // namespace trinet::findings
