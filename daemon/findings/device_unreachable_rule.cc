// device-unreachable — a registered device that does not answer (M2 art. 12).
// docs/findings.md.
#include "findings/rules.h"

namespace trinet::findings {

std::vector<Finding> DeviceUnreachableRule(const RuleContext& ctx) {
  std::vector<Finding> out;
  for (const Device& d : ctx.reg().devices) {
    const DeviceState* s = ctx.StateOf(d.id);
    if (s == nullptr || s->up) continue;   // never polled (another instance's), or answering
    if (ctx.IsExitDevice(d.id)) continue;  // egress-down reports exits
    const Room* room = ctx.FindRoom(d.room);
    if (room != nullptr && (room->status == "consolidated" || room->status == "decommissioned")) {
      continue;  // a closed room's devices are meant to be gone
    }
    Finding f;
    f.rule = "device-unreachable";
    f.reason = "no-answer";
    f.severity = kMajor;
    f.subject = {"device", d.id, d.name.value_or(d.id)};
    ctx.Place(f, d);
    const std::string label = d.name ? *d.name + " (" + d.id + ")" : d.id;
    const std::string since =
        s->last_up_at ? "last answered " + FormatUtc(*s->last_up_at) : "never answered";
    std::string where;
    std::string who;
    if (room != nullptr) {
      where = " in " + room->name + " (" + room->id + ", " + room->platform + ")";
      const Unit* u = room->unit ? ctx.FindUnit(*room->unit) : nullptr;
      if (u == nullptr) {
        who = "; no responsible unit is registered";
      } else {
        who = "; responsible: " + u->name;
        if (u->admin) {
          who += ", administrator " + u->admin->name;
          if (u->admin->phone) who += " " + *u->admin->phone;
        } else {
          who += ", no administrator named";
        }
      }
    }
    f.summary =
        label + where + " on the " + d.network + " network does not answer (" + since + ")" + who;
    std::string value = "no answer to the poll at " + FormatUtc(s->last_poll_at);
    if (!s->reason.empty()) value += ": " + s->reason;
    value += "; " + since;
    f.evidence.push_back({"snmp", d.id, "device_status", "up", value,
                          s->last_poll_at > 0 ? s->last_poll_at : ctx.now()});
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace trinet::findings
