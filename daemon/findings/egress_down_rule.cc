// egress-down — a sanctioned exit 统一出口 that is down (M2 art. 12). docs/findings.md.
#include <algorithm>
#include <cctype>
#include <string_view>

#include "findings/rules.h"

namespace trinet::findings {
namespace {

bool SameText(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// The exit's interface: ifName, then ifDescr, exactly; then either ignoring case.
const InterfaceState* FindInterface(const std::vector<const InterfaceState*>& interfaces,
                                    const std::string& wanted) {
  for (auto field : {&InterfaceState::name, &InterfaceState::descr}) {
    for (const auto* i : interfaces) {
      if (i->*field == wanted) return i;
    }
  }
  for (auto field : {&InterfaceState::name, &InterfaceState::descr}) {
    for (const auto* i : interfaces) {
      if (SameText(i->*field, wanted)) return i;
    }
  }
  return nullptr;
}

}  // namespace

std::vector<Finding> EgressDownRule(const RuleContext& ctx) {
  std::vector<Finding> out;
  for (const Egress& e : ctx.reg().egress) {
    const Device* d = ctx.FindDevice(e.device);
    const DeviceState* s = ctx.StateOf(e.device);
    if (d == nullptr || s == nullptr) continue;  // never polled: nothing known
    Finding f;
    f.rule = "egress-down";
    f.severity = kCritical;
    f.subject = {"egress", e.id, e.name.value_or(e.id)};
    ctx.Place(f, *d);
    f.network = e.network;
    f.platform = e.platform;
    std::string platform = e.platform;
    if (const Platform* p = ctx.FindPlatform(e.platform)) platform = p->name;
    const std::string exit = "Unified Internet exit " +
                             (e.name ? *e.name + " (" + e.id + ", " : e.id + " (") + platform +
                             ") is down: ";
    std::string device = d->name ? *d->name + " (" + d->id + ")" : d->id;
    std::string who;
    if (const Room* room = ctx.FindRoom(d->room)) {
      device += " in " + room->name;
      if (const Unit* u = room->unit ? ctx.FindUnit(*room->unit) : nullptr) {
        who = "; responsible: " + u->name;
        if (u->admin) {
          who += ", administrator " + u->admin->name;
          if (u->admin->phone) who += " " + *u->admin->phone;
        }
      }
    }
    if (!s->up) {
      f.reason = "device-down";
      f.summary = exit + "its device " + device + " does not answer" + who;
      std::string value = "no answer to the poll at " + FormatUtc(s->last_poll_at);
      if (!s->reason.empty()) value += ": " + s->reason;
      value += s->last_up_at ? "; last answered " + FormatUtc(*s->last_up_at) : "; never answered";
      f.evidence.push_back({"snmp", d->id, "device_status", "up", value,
                            s->last_poll_at > 0 ? s->last_poll_at : ctx.now()});
      out.push_back(std::move(f));
      continue;
    }
    const auto& interfaces = ctx.InterfacesOf(d->id);
    if (interfaces.empty()) continue;  // no interfaces reported: nothing known
    const InterfaceState* i = FindInterface(interfaces, e.interface);
    if (i == nullptr) {
      std::int64_t seen = 0;
      for (const auto* other : interfaces) seen = std::max(seen, other->updated_at);
      f.reason = "interface-missing";
      f.summary = exit + "interface " + e.interface + " is missing from " + device + who;
      f.evidence.push_back({"snmp", d->id, "ifTable", e.interface,
                            "no interface named " + e.interface + " among the " +
                                std::to_string(interfaces.size()) +
                                " interfaces the device reported",
                            seen > 0 ? seen : (s->last_poll_at > 0 ? s->last_poll_at : ctx.now())});
      out.push_back(std::move(f));
      continue;
    }
    const bool admin_down = i->admin_up.has_value() && !*i->admin_up;
    const bool oper_down = i->oper_up.has_value() && !*i->oper_up;
    if (!admin_down && !oper_down) continue;
    const std::string state =
        admin_down ? "administratively down (shut down)" : "operationally down (no link)";
    f.reason = "interface-down";
    f.summary = exit + "interface " + e.interface + " of " + device + " is " + state + who;
    std::string name = i->name;
    if (!i->descr.empty() && i->descr != i->name) name += " (" + i->descr + ")";
    f.evidence.push_back({"snmp", d->id, "ifTable", std::to_string(i->ifindex),
                          "interface " + name + " is " + state,
                          i->updated_at > 0 ? i->updated_at : ctx.now()});
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace trinet::findings
