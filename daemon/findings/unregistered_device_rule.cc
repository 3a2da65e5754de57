#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> UnregisteredDeviceRule(const RuleContext&) { return {}; }

}  // namespace trinet::findings
