#include "observation_store.h"

namespace trinet {
namespace {

std::optional<std::int64_t> Bits(const std::optional<std::uint64_t>& v) {
  if (!v) return std::nullopt;
  return static_cast<std::int64_t>(*v);  // the bit pattern; read back with the reverse cast
}

void BindOpt(sql::Statement& s, int i, const std::optional<std::int64_t>& v) {
  if (v) {
    s.Bind(i, *v);
  } else {
    s.BindNull(i);
  }
}

void BindOpt(sql::Statement& s, int i, const std::optional<bool>& v) {
  BindOpt(s, i, v ? std::optional<std::int64_t>(*v ? 1 : 0) : std::nullopt);
}

void BindOpt(sql::Statement& s, int i, const std::optional<double>& v) {
  if (v) {
    s.Bind(i, *v);
  } else {
    s.BindNull(i);
  }
}

}  // namespace

void WriteObservations(sql::Database& db, const std::vector<DeviceObservation>& batch) {
  if (batch.empty()) return;
  sql::Transaction tx(db);
  sql::Statement status(
      db,
      "INSERT INTO device_status (device, up, reason, last_poll_at, last_up_at, poll_duration, "
      "first_poll_at) VALUES (?1, ?2, ?3, ?4, CASE WHEN ?2 THEN ?4 END, ?5, ?4) "
      "ON CONFLICT (device) DO UPDATE SET "
      "up = excluded.up, reason = excluded.reason, last_poll_at = excluded.last_poll_at, "
      "last_up_at = coalesce(excluded.last_up_at, last_up_at), "
      "poll_duration = excluded.poll_duration");
  sql::Statement system(
      db,
      "UPDATE device_status SET sys_name = ?2, sys_descr = ?3, sys_object_id = ?4, "
      "sys_location = ?5, sys_contact = ?6, sys_uptime_ticks = ?7, chassis_serial = ?8, "
      "chassis_model = ?9, discovered_at = ?10 WHERE device = ?1");
  sql::Statement clear_ifs(db, "DELETE FROM interface_status WHERE device = ?1");
  sql::Statement iface(
      db,
      "INSERT INTO interface_status (device, ifindex, name, descr, alias, type, phys_address, "
      "admin_up, oper_up, speed_bits, rx_bytes, tx_bytes, rx_errors, tx_errors, rx_discards, "
      "tx_discards, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
      "?14, ?15, ?16, ?17)");
  sql::Statement fact(db,
                      "INSERT INTO facts (device, kind, key, value, first_seen, last_seen) VALUES "
                      "(?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (device, kind, key) DO UPDATE SET "
                      "value = excluded.value, last_seen = excluded.last_seen");
  sql::Statement walk(
      db,
      "INSERT INTO walks (device, walk, completed_at, end, varbinds) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (device, walk) DO UPDATE SET completed_at = excluded.completed_at, "
      "end = excluded.end, varbinds = excluded.varbinds");
  sql::Statement health(
      db,
      "INSERT INTO health (device, key, value, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (device, key) DO UPDATE SET value = excluded.value, "
      "updated_at = excluded.updated_at");

  for (const auto& o : batch) {
    status.Bind(1, o.device).Bind(2, std::int64_t{o.up ? 1 : 0});
    status.Bind(3, o.up ? std::optional<std::string>() : std::optional<std::string>(o.reason));
    status.Bind(4, o.observed_at).Bind(5, o.poll_duration).Run();
    if (o.system) {
      const auto& s = *o.system;
      system.Bind(1, o.device).Bind(2, s.name).Bind(3, s.descr).Bind(4, s.object_id);
      system.Bind(5, s.location).Bind(6, s.contact);
      BindOpt(system, 7, s.uptime_ticks);
      system.Bind(8, s.chassis_serial).Bind(9, s.chassis_model).Bind(10, o.observed_at).Run();
    }
    if (o.interfaces) {
      clear_ifs.Bind(1, o.device).Run();
      for (const auto& i : *o.interfaces) {
        iface.Bind(1, o.device).Bind(2, i.ifindex).Bind(3, i.name).Bind(4, i.descr);
        iface.Bind(5, i.alias);
        BindOpt(iface, 6, i.type);
        iface.Bind(7, i.phys_address);
        BindOpt(iface, 8, i.admin_up);
        BindOpt(iface, 9, i.oper_up);
        BindOpt(iface, 10, i.speed_bits);
        BindOpt(iface, 11, Bits(i.rx_bytes));
        BindOpt(iface, 12, Bits(i.tx_bytes));
        BindOpt(iface, 13, Bits(i.rx_errors));
        BindOpt(iface, 14, Bits(i.tx_errors));
        BindOpt(iface, 15, Bits(i.rx_discards));
        BindOpt(iface, 16, Bits(i.tx_discards));
        iface.Bind(17, o.observed_at).Run();
      }
    }
    for (const auto& f : o.facts) {
      fact.Bind(1, o.device).Bind(2, f.kind).Bind(3, f.key).Bind(4, f.value);
      fact.Bind(5, o.observed_at).Run();
    }
    for (const auto& w : o.walks) {
      walk.Bind(1, o.device).Bind(2, w.walk).Bind(3, o.observed_at).Bind(4, w.end);
      walk.Bind(5, w.varbinds).Run();
    }
    for (const auto& [key, value] : o.health) {
      health.Bind(1, o.device).Bind(2, key).Bind(3, value).Bind(4, o.observed_at).Run();
    }
  }
  tx.Commit();
}

std::vector<StoredFact> LoadFacts(sql::Database& db, const std::optional<std::string>& kind) {
  sql::Statement s(db,
                   "SELECT device, kind, key, value, first_seen, last_seen FROM facts "
                   "WHERE ?1 IS NULL OR kind = ?1 ORDER BY device, kind, key");
  s.Bind(1, kind);
  std::vector<StoredFact> out;
  while (s.Step()) {
    out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4), s.Int(5)});
  }
  return out;
}

}  // namespace trinet
