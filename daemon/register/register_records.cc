#include "register/register_records.h"

#include <map>

namespace trinet {
namespace {

std::optional<std::string> JoinList(const std::vector<std::string>& v) {
  if (v.empty()) return std::nullopt;
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class RecordBuilder {
 public:
  RecordBuilder(std::string entity, std::string id) : r_{std::move(entity), std::move(id), {}} {}
  RecordBuilder& Add(std::string name, std::optional<std::string> value, bool secret = false) {
    r_.fields.push_back({std::move(name), std::move(value), secret});
    return *this;
  }
  Record Take() { return std::move(r_); }

 private:
  Record r_;
};

std::optional<std::string> Member(const std::optional<UsmKey>& k, std::string UsmKey::*m) {
  if (!k) return std::nullopt;
  return (*k).*m;
}

Record ToRecord(const Network& n) {
  return RecordBuilder("network", n.id)
      .Add("name", n.name)
      .Add("prefixes", JoinList(n.prefixes))
      .Add("dns_resolvers", JoinList(n.dns_resolvers))
      .Add("dhcp_servers", JoinList(n.dhcp_servers))
      .Take();
}
Record ToRecord(const Platform& p) {
  return RecordBuilder("platform", p.id)
      .Add("name", p.name)
      .Add("level", p.level)
      .Add("parent", p.parent)
      .Add("frozen_since", p.frozen_since)
      .Take();
}
Record ToRecord(const Unit& u) {
  auto admin = [&](auto m) -> std::optional<std::string> {
    if (!u.admin) return std::nullopt;
    return (*u.admin).*m;
  };
  return RecordBuilder("unit", u.id)
      .Add("name", u.name)
      .Add("platform", u.platform)
      .Add("admin.name", u.admin ? std::optional(u.admin->name) : std::nullopt)
      .Add("admin.phone", admin(&Admin::phone))
      .Add("admin.email", admin(&Admin::email))
      .Take();
}
Record ToRecord(const Room& r) {
  return RecordBuilder("room", r.id)
      .Add("name", r.name)
      .Add("unit", r.unit)
      .Add("platform", r.platform)
      .Add("kind", r.kind)
      .Add("status", r.status)
      .Add("consolidate_by", r.consolidate_by)
      .Add("exemption", r.exemption)
      .Take();
}
Record ToRecord(const Credential& c) {
  return RecordBuilder("credential", c.id)
      .Add("version", c.version)
      .Add("community", c.community, true)
      .Add("user", c.user)
      .Add("auth.protocol", Member(c.auth, &UsmKey::protocol))
      .Add("auth.passphrase", Member(c.auth, &UsmKey::passphrase), true)
      .Add("priv.protocol", Member(c.priv, &UsmKey::protocol))
      .Add("priv.passphrase", Member(c.priv, &UsmKey::passphrase), true)
      .Add("context", c.context)
      .Take();
}
Record ToRecord(const Device& d) {
  return RecordBuilder("device", d.id)
      .Add("name", d.name)
      .Add("room", d.room)
      .Add("network", d.network)
      .Add("role", d.role)
      .Add("address", d.address)
      .Add("credentials", d.credentials)
      .Add("sysname", d.sysname)
      .Add("installed", d.installed)
      .Take();
}
Record ToRecord(const Egress& e) {
  return RecordBuilder("egress", e.id)
      .Add("name", e.name)
      .Add("platform", e.platform)
      .Add("network", e.network)
      .Add("device", e.device)
      .Add("interface", e.interface)
      .Add("public_prefixes", JoinList(e.public_prefixes))
      .Add("gateway_macs", JoinList(e.gateway_macs))
      .Take();
}

template <typename T>
void AppendAll(std::vector<Record>& out, const std::vector<T>& v) {
  for (const auto& e : v) out.push_back(ToRecord(e));
}

std::optional<std::string> Shown(const RecordField& f) {
  if (f.secret && f.value) return std::string(kRedacted);
  return f.value;
}

}  // namespace

const std::vector<std::string>& EntityNames() {
  static const std::vector<std::string> k = {"network",    "platform", "unit",  "room",
                                             "credential", "device",   "egress"};
  return k;
}

std::vector<Record> Flatten(const Register& reg) {
  std::vector<Record> out;
  AppendAll(out, reg.networks);
  AppendAll(out, reg.platforms);
  AppendAll(out, reg.units);
  AppendAll(out, reg.rooms);
  AppendAll(out, reg.credentials);
  AppendAll(out, reg.devices);
  AppendAll(out, reg.egress);
  return out;
}

std::vector<std::string> FieldNames(const std::string& entity) {
  Record r;
  if (entity == "network") r = ToRecord(Network{});
  if (entity == "platform") r = ToRecord(Platform{});
  if (entity == "unit") r = ToRecord(Unit{});
  if (entity == "room") r = ToRecord(Room{});
  if (entity == "credential") r = ToRecord(Credential{});
  if (entity == "device") r = ToRecord(Device{});
  if (entity == "egress") r = ToRecord(Egress{});
  std::vector<std::string> names;
  for (const auto& f : r.fields) names.push_back(f.name);
  return names;
}

std::vector<FieldChange> Diff(const Register& before, const Register& after) {
  std::map<std::pair<std::string, std::string>, Record> old_records;
  for (auto& r : Flatten(before)) old_records.emplace(std::make_pair(r.entity, r.id), std::move(r));

  std::vector<FieldChange> changes;
  for (const auto& r : Flatten(after)) {
    auto it = old_records.find({r.entity, r.id});
    for (size_t i = 0; i < r.fields.size(); ++i) {
      const auto& f = r.fields[i];
      std::optional<std::string> old_value;
      if (it != old_records.end()) old_value = it->second.fields[i].value;
      if (old_value == f.value) continue;
      const RecordField old_field{f.name, old_value, f.secret};
      changes.push_back({it == old_records.end() ? "added" : "changed", r.entity, r.id, f.name,
                         Shown(old_field), Shown(f)});
    }
    if (it != old_records.end()) old_records.erase(it);
  }
  // What is left was removed; Flatten's order keeps removals in entity order too.
  for (const auto& r : Flatten(before)) {
    if (!old_records.count({r.entity, r.id})) continue;
    for (const auto& f : r.fields) {
      if (f.value) changes.push_back({"removed", r.entity, r.id, f.name, Shown(f), std::nullopt});
    }
  }
  return changes;
}

}  // namespace trinet
