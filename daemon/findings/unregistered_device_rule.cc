// unregistered-device — an LLDP neighbour in no register (M2 art. 4, 10). docs/findings.md.
#include <algorithm>
#include <tuple>

#include "findings/lldp_graph.h"
#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> UnregisteredDeviceRule(const RuleContext& ctx) {
  std::vector<Finding> out;
  lldp::Graph graph(ctx);
  for (const auto& [switch_id, neighbours] : graph.unmatched()) {
    // Two or more on one switch are a candidate shadow room (orphan-room:unregistered).
    if (neighbours.size() != 1) continue;
    const Device* sw = ctx.FindDevice(switch_id);
    if (sw == nullptr) continue;
    const auto& [key, n] = *neighbours.begin();
    Finding f;
    f.rule = "unregistered-device";
    f.reason = "lone-neighbour";
    f.severity = kMinor;
    f.subject = {"neighbour", switch_id + "/" + key, n.label};
    ctx.Place(f, *sw);
    const std::string sw_label = sw->name ? *sw->name + " (" + sw->id + ")" : sw->id;
    std::string where;
    std::string who;
    if (const Room* r = ctx.FindRoom(sw->room)) {
      where = " in " + r->name + " (" + r->id + ", " + r->platform + ")";
      const Unit* u = r->unit ? ctx.FindUnit(*r->unit) : nullptr;
      if (u == nullptr) {
        who = "; no responsible unit is registered";
      } else {
        who = "; " + u->name + " should register it";
        if (u->admin) who += " (administrator " + u->admin->name + ")";
      }
    }
    f.summary = "Unregistered device " + n.label + " is connected to " + sw_label + where +
                " on the " + sw->network + " network" + who;
    for (const Fact* row : n.rows) {
      f.evidence.push_back(lldp::UnmatchedEvidence(switch_id, *row, n.label));
    }
    SortEvidence(f);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace trinet::findings
