#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> EgressDownRule(const RuleContext&) { return {}; }

}  // namespace trinet::findings
