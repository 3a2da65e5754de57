#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> DeviceUnreachableRule(const RuleContext&) { return {}; }

}  // namespace trinet::findings
