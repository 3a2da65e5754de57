#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> RogueExitRule(const RuleContext&) { return {}; }

}  // namespace trinet::findings
