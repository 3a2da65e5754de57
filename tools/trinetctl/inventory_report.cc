#include "inventory_report.h"

#include <algorithm>
#include <set>

#include "text.h"

namespace trinet {
namespace {

std::string Named(const std::string& name, const std::string& id) {
  return name.empty() || name == id ? id : name + " (" + id + ")";
}

std::string Plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : (word.back() == 's' ? "es" : "s"));
}

std::string AdminText(const Unit& u) {
  if (!u.admin) return "no administrator named (M2 art. 10)";
  std::string s = "admin " + u.admin->name;
  if (u.admin->phone) s += "  " + *u.admin->phone;
  if (u.admin->email) s += "  " + *u.admin->email;
  return s;
}

std::string RoomText(const Room& r, size_t devices) {
  std::string s = Named(r.name, r.id) + " · " + r.kind + " · " + r.status;
  if (r.consolidate_by) s += " · consolidate by " + *r.consolidate_by;
  if (r.exemption) s += " · exempt: " + *r.exemption;
  return s + " · " + Plural(devices, "device");
}

// Appends a node line with box-drawing prefix; `last` decides the branch glyph.
void Node(std::string& out, const std::string& prefix, bool last, const std::string& text) {
  out += prefix + (last ? "└─ " : "├─ ") + text + "\n";
}

std::string Child(const std::string& prefix, bool last) { return prefix + (last ? "   " : "│  "); }

}  // namespace

std::string RenderInventoryTree(const Register& reg, const std::optional<std::string>& platform) {
  std::string out;
  size_t platforms = 0;
  for (const auto& p : reg.platforms) {
    if (platform && p.id != *platform) continue;
    ++platforms;
    std::vector<const Room*> rooms;
    for (const auto& r : reg.rooms) {
      if (r.platform == p.id) rooms.push_back(&r);
    }
    auto devices_in = [&](const Room& r) {
      std::vector<const Device*> v;
      for (const auto& d : reg.devices) {
        if (d.room == r.id) v.push_back(&d);
      }
      return v;
    };
    size_t device_count = 0;
    for (const auto* r : rooms) device_count += devices_in(*r).size();

    std::string head = Named(p.name, p.id) + " · " + p.level;
    if (p.parent) head += " under " + *p.parent;
    if (p.frozen_since) head += " · frozen since " + *p.frozen_since;
    head += " · " + Plural(rooms.size(), "room") + " · " + Plural(device_count, "device");
    out += (platforms > 1 ? "\n" : "") + head + "\n";

    // Units of this platform, then rooms with no unit, then the platform's exits.
    struct Group {
      std::string text;
      std::vector<const Room*> rooms;
    };
    std::vector<Group> groups;
    std::set<std::string> placed;
    for (const auto& u : reg.units) {
      Group g{Named(u.name, u.id) + " · " + AdminText(u), {}};
      for (const auto* r : rooms) {
        if (r->unit == u.id) g.rooms.push_back(r);
      }
      if (u.platform != p.id && g.rooms.empty()) continue;
      for (const auto* r : g.rooms) placed.insert(r->id);
      groups.push_back(std::move(g));
    }
    Group orphans{"(rooms with no unit; M2 art. 10)", {}};
    for (const auto* r : rooms) {
      if (!placed.count(r->id)) orphans.rooms.push_back(r);
    }
    if (!orphans.rooms.empty()) groups.push_back(std::move(orphans));
    std::vector<const Egress*> exits;
    for (const auto& e : reg.egress) {
      if (e.platform == p.id) exits.push_back(&e);
    }

    for (size_t g = 0; g < groups.size(); ++g) {
      const bool last_group = g + 1 == groups.size() && exits.empty();
      Node(out, "", last_group, groups[g].text);
      const std::string gp = Child("", last_group);
      for (size_t i = 0; i < groups[g].rooms.size(); ++i) {
        const Room& r = *groups[g].rooms[i];
        const bool last_room = i + 1 == groups[g].rooms.size();
        auto devices = devices_in(r);
        Node(out, gp, last_room, RoomText(r, devices.size()));
        std::vector<std::vector<std::string>> rows;
        for (const auto* d : devices) {
          rows.push_back({d->id, d->name.value_or("-"), d->network, d->role, d->address});
        }
        const std::string rp = Child(gp, last_room);
        std::string table = text::Align(rows);
        size_t start = 0;
        for (size_t k = 0; k < devices.size(); ++k) {
          size_t end = table.find('\n', start);
          Node(out, rp, k + 1 == devices.size(), table.substr(start, end - start));
          start = end + 1;
        }
      }
    }
    for (size_t i = 0; i < exits.size(); ++i) {
      const Egress& e = *exits[i];
      std::string s = "exit " + Named(e.name.value_or(""), e.id) + " · " + e.network + " · " +
                      e.device + " " + e.interface;
      for (const auto& c : e.public_prefixes) s += " · " + c;
      Node(out, "", i + 1 == exits.size(), s);
    }
  }
  if (platforms == 0) {
    return platform ? ""
                    : "The register is empty: apply one with `trinetctl inventory apply FILE`.\n";
  }
  std::string summary = "\n" + Plural(platforms, "platform") + ", " +
                        Plural(reg.units.size(), "unit") + ", " + Plural(reg.rooms.size(), "room") +
                        ", " + Plural(reg.devices.size(), "device") + ", " +
                        Plural(reg.egress.size(), "sanctioned exit") + " in the register\n";
  return out + (platform ? "" : summary);
}

std::map<std::string, std::string> RenderInventoryCsv(const Register& reg) {
  std::map<std::string, std::vector<std::vector<std::string>>> rows;
  for (const auto& r : Flatten(reg)) {
    std::vector<std::string> row{r.id};
    for (const auto& f : r.fields) {
      row.push_back(f.secret && f.value ? std::string(kRedacted) : f.value.value_or(""));
    }
    rows[r.entity].push_back(std::move(row));
  }
  std::map<std::string, std::string> files;
  for (const auto& entity : EntityNames()) {
    std::vector<std::string> header{"id"};
    for (const auto& name : FieldNames(entity)) header.push_back(name);
    const std::string file = entity == "egress" ? "egress.csv" : entity + "s.csv";
    files[file] = text::Csv(header, rows[entity]);
  }
  return files;
}

std::string RenderChanges(const std::vector<FieldChange>& changes) {
  std::string out;
  std::string current;
  for (const auto& c : changes) {
    const std::string subject = c.entity + " " + c.id;
    if (subject != current) {
      out += std::string(c.op == "added" ? "+ " : c.op == "removed" ? "- " : "~ ") + subject + "\n";
      current = subject;
    }
    // A whole entity added or removed is one line; its fields are in the history.
    if (c.op != "changed") continue;
    out += "    " + c.field + ": " + c.old_value.value_or("(unset)") + " → " +
           c.new_value.value_or("(unset)") + "\n";
  }
  return out;
}

std::string RenderHistory(const std::vector<HistoryEntry>& history) {
  std::vector<std::vector<std::string>> rows{
      {"WHEN", "BY", "FILE SHA256", "CHANGE", "ENTITY", "ID", "FIELD", "OLD", "NEW"}};
  for (const auto& h : history) {
    rows.push_back({h.applied_at, h.applied_by, h.sha256.substr(0, 12), h.change.op,
                    h.change.entity, h.change.id, h.change.field, h.change.old_value.value_or("-"),
                    h.change.new_value.value_or("-")});
  }
  return text::Align(rows);
}

}  // namespace trinet
