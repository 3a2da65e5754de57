#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> NetworkBridgeRule(const RuleContext&) { return {}; }

}  // namespace trinet::findings
