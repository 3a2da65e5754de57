#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> OrphanRoomRule(const RuleContext&) { return {}; }

}  // namespace trinet::findings
