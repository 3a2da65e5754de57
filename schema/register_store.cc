#include "register_store.h"

#include <openssl/evp.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

namespace trinet {
namespace {

std::string ToJson(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }

std::vector<std::string> FromJson(const std::string& text) {
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

std::optional<UsmKey> Key(const std::optional<std::string>& protocol,
                          const std::optional<std::string>& passphrase) {
  if (!protocol) return std::nullopt;
  return UsmKey{*protocol, passphrase.value_or("")};
}

template <typename T, typename Row>
std::vector<T> Select(sql::Database& db, std::string_view query, Row row) {
  sql::Statement s(db, query);
  std::vector<T> out;
  while (s.Step()) out.push_back(row(s));
  return out;
}

// Deletes the rows of `table` whose ids are in `before` but not in `after`. The table name
// is one of our own literals; ids are bound.
template <typename T>
void DeleteRemoved(sql::Database& db, const char* table, const std::vector<T>& before,
                   const std::vector<T>& after) {
  std::set<std::string> keep;
  for (const auto& e : after) keep.insert(e.id);
  sql::Statement del(db, std::string("DELETE FROM ") + table + " WHERE id = ?1");
  for (const auto& e : before) {
    if (!keep.count(e.id)) del.Bind(1, e.id).Run();
  }
}

void WriteRegister(sql::Database& db, const Register& before, const Register& r) {
  // Dependents first, so that no deferred foreign key is left dangling at commit.
  DeleteRemoved(db, "egress", before.egress, r.egress);
  DeleteRemoved(db, "devices", before.devices, r.devices);
  DeleteRemoved(db, "credentials", before.credentials, r.credentials);
  DeleteRemoved(db, "rooms", before.rooms, r.rooms);
  DeleteRemoved(db, "units", before.units, r.units);
  DeleteRemoved(db, "platforms", before.platforms, r.platforms);
  DeleteRemoved(db, "networks", before.networks, r.networks);

  // Upserts keep each row's identity, so tables that later refer to devices or rooms keep
  // their history across applies.
  sql::Statement net(db,
                     "INSERT INTO networks (id, name, prefixes, ord, dns_resolvers, "
                     "dhcp_servers) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                     "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                     "prefixes = excluded.prefixes, ord = excluded.ord, "
                     "dns_resolvers = excluded.dns_resolvers, "
                     "dhcp_servers = excluded.dhcp_servers");
  std::int64_t ord = 0;
  for (const auto& n : r.networks) {
    net.Bind(1, n.id).Bind(2, n.name).Bind(3, ToJson(n.prefixes)).Bind(4, ord++);
    net.Bind(5, ToJson(n.dns_resolvers)).Bind(6, ToJson(n.dhcp_servers)).Run();
  }

  sql::Statement plat(db,
                      "INSERT INTO platforms (id, name, level, parent, frozen_since, ord) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
                      "name = excluded.name, level = excluded.level, parent = excluded.parent, "
                      "frozen_since = excluded.frozen_since, ord = excluded.ord");
  ord = 0;
  for (const auto& p : r.platforms) {
    plat.Bind(1, p.id).Bind(2, p.name).Bind(3, p.level).Bind(4, p.parent);
    plat.Bind(5, p.frozen_since).Bind(6, ord++).Run();
  }

  sql::Statement unit(db,
                      "INSERT INTO units (id, name, platform, admin_name, admin_phone, "
                      "admin_email, ord) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                      "platform = excluded.platform, admin_name = excluded.admin_name, "
                      "admin_phone = excluded.admin_phone, admin_email = excluded.admin_email, "
                      "ord = excluded.ord");
  ord = 0;
  for (const auto& u : r.units) {
    unit.Bind(1, u.id).Bind(2, u.name).Bind(3, u.platform);
    if (u.admin) {
      unit.Bind(4, u.admin->name).Bind(5, u.admin->phone).Bind(6, u.admin->email);
    } else {
      unit.BindNull(4).BindNull(5).BindNull(6);
    }
    unit.Bind(7, ord++).Run();
  }

  sql::Statement room(db,
                      "INSERT INTO rooms (id, name, unit, platform, kind, status, "
                      "consolidate_by, exemption, ord) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                      "?9) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                      "unit = excluded.unit, platform = excluded.platform, kind = excluded.kind, "
                      "status = excluded.status, consolidate_by = excluded.consolidate_by, "
                      "exemption = excluded.exemption, ord = excluded.ord");
  ord = 0;
  for (const auto& m : r.rooms) {
    room.Bind(1, m.id).Bind(2, m.name).Bind(3, m.unit).Bind(4, m.platform).Bind(5, m.kind);
    room.Bind(6, m.status).Bind(7, m.consolidate_by).Bind(8, m.exemption).Bind(9, ord++).Run();
  }

  sql::Statement cred(db,
                      "INSERT INTO credentials (id, version, community, user, auth_protocol, "
                      "auth_passphrase, priv_protocol, priv_passphrase, ord, context) VALUES "
                      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET "
                      "context = excluded.context, "
                      "version = excluded.version, community = excluded.community, "
                      "user = excluded.user, auth_protocol = excluded.auth_protocol, "
                      "auth_passphrase = excluded.auth_passphrase, "
                      "priv_protocol = excluded.priv_protocol, "
                      "priv_passphrase = excluded.priv_passphrase, ord = excluded.ord");
  ord = 0;
  for (const auto& c : r.credentials) {
    cred.Bind(1, c.id).Bind(2, c.version).Bind(3, c.community).Bind(4, c.user);
    for (int i : {0, 1}) {
      const auto& k = i == 0 ? c.auth : c.priv;
      if (k) {
        cred.Bind(5 + 2 * i, k->protocol).Bind(6 + 2 * i, k->passphrase);
      } else {
        cred.BindNull(5 + 2 * i).BindNull(6 + 2 * i);
      }
    }
    cred.Bind(9, ord++).Bind(10, c.context).Run();
  }

  sql::Statement dev(db,
                     "INSERT INTO devices (id, name, room, network, role, address, credentials, "
                     "sysname, installed, ord) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                     "ON CONFLICT (id) DO UPDATE SET name = excluded.name, room = excluded.room, "
                     "network = excluded.network, role = excluded.role, "
                     "address = excluded.address, credentials = excluded.credentials, "
                     "sysname = excluded.sysname, installed = excluded.installed, "
                     "ord = excluded.ord");
  ord = 0;
  for (const auto& d : r.devices) {
    dev.Bind(1, d.id).Bind(2, d.name).Bind(3, d.room).Bind(4, d.network).Bind(5, d.role);
    dev.Bind(6, d.address).Bind(7, d.credentials).Bind(8, d.sysname).Bind(9, d.installed);
    dev.Bind(10, ord++).Run();
  }

  sql::Statement egr(db,
                     "INSERT INTO egress (id, name, platform, network, device, interface, "
                     "public_prefixes, gateway_macs, ord) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                     "?8, ?9) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                     "platform = excluded.platform, network = excluded.network, "
                     "device = excluded.device, interface = excluded.interface, "
                     "public_prefixes = excluded.public_prefixes, "
                     "gateway_macs = excluded.gateway_macs, ord = excluded.ord");
  ord = 0;
  for (const auto& e : r.egress) {
    egr.Bind(1, e.id).Bind(2, e.name).Bind(3, e.platform).Bind(4, e.network).Bind(5, e.device);
    egr.Bind(6, e.interface).Bind(7, ToJson(e.public_prefixes)).Bind(8, ToJson(e.gateway_macs));
    egr.Bind(9, ord++).Run();
  }
}

// Replaces secrets given as kRedacted by the stored ones; reports those with nothing stored.
void ResolveRedacted(const Register& stored, Register& incoming, std::vector<std::string>& errors) {
  std::map<std::string, const Credential*> by_id;
  for (const auto& c : stored.credentials) by_id[c.id] = &c;
  for (auto& c : incoming.credentials) {
    const Credential* old = by_id.count(c.id) ? by_id[c.id] : nullptr;
    auto resolve = [&](std::string& secret, const std::optional<std::string>& kept,
                       const char* what) {
      if (secret != kRedacted) return;
      if (kept) {
        secret = *kept;
      } else {
        errors.push_back("credential '" + c.id + "': " + what + " is " + kRedacted +
                         " but no secret is stored for it; give the real value once");
      }
    };
    if (c.community) resolve(*c.community, old ? old->community : std::nullopt, "community");
    if (c.auth) {
      std::optional<std::string> kept;
      if (old && old->auth) kept = old->auth->passphrase;
      resolve(c.auth->passphrase, kept, "auth passphrase");
    }
    if (c.priv) {
      std::optional<std::string> kept;
      if (old && old->priv) kept = old->priv->passphrase;
      resolve(c.priv->passphrase, kept, "priv passphrase");
    }
  }
}

}  // namespace

Register LoadRegister(sql::Database& db) {
  Register r;
  r.networks = Select<Network>(
      db, "SELECT id, name, prefixes, dns_resolvers, dhcp_servers FROM networks ORDER BY ord",
      [](sql::Statement& s) {
        return Network{s.Text(0), s.Text(1), FromJson(s.Text(2)), FromJson(s.Text(3)),
                       FromJson(s.Text(4))};
      });
  r.platforms = Select<Platform>(
      db, "SELECT id, name, level, parent, frozen_since FROM platforms ORDER BY ord",
      [](sql::Statement& s) {
        return Platform{s.Text(0), s.Text(1), s.Text(2), s.OptText(3), s.OptText(4)};
      });
  r.units = Select<Unit>(
      db, "SELECT id, name, platform, admin_name, admin_phone, admin_email FROM units ORDER BY ord",
      [](sql::Statement& s) {
        Unit u{s.Text(0), s.Text(1), s.Text(2), std::nullopt};
        if (auto name = s.OptText(3)) u.admin = Admin{*name, s.OptText(4), s.OptText(5)};
        return u;
      });
  r.rooms = Select<Room>(db,
                         "SELECT id, name, unit, platform, kind, status, consolidate_by, exemption "
                         "FROM rooms ORDER BY ord",
                         [](sql::Statement& s) {
                           return Room{s.Text(0), s.Text(1), s.OptText(2), s.Text(3),
                                       s.Text(4), s.Text(5), s.OptText(6), s.OptText(7)};
                         });
  r.credentials = Select<Credential>(
      db,
      "SELECT id, version, community, user, auth_protocol, auth_passphrase, priv_protocol, "
      "priv_passphrase, context FROM credentials ORDER BY ord",
      [](sql::Statement& s) {
        return Credential{s.Text(0),
                          s.Text(1),
                          s.OptText(2),
                          s.OptText(3),
                          Key(s.OptText(4), s.OptText(5)),
                          Key(s.OptText(6), s.OptText(7)),
                          s.OptText(8)};
      });
  r.devices =
      Select<Device>(db,
                     "SELECT id, name, room, network, role, address, credentials, "
                     "sysname, installed FROM devices ORDER BY ord",
                     [](sql::Statement& s) {
                       return Device{s.Text(0), s.OptText(1), s.Text(2),    s.Text(3),   s.Text(4),
                                     s.Text(5), s.Text(6),    s.OptText(7), s.OptText(8)};
                     });
  r.egress = Select<Egress>(db,
                            "SELECT id, name, platform, network, device, interface, "
                            "public_prefixes, gateway_macs FROM egress ORDER BY ord",
                            [](sql::Statement& s) {
                              return Egress{s.Text(0),           s.OptText(1),       s.Text(2),
                                            s.Text(3),           s.Text(4),          s.Text(5),
                                            FromJson(s.Text(6)), FromJson(s.Text(7))};
                            });
  return r;
}

ApplyResult ApplyRegister(sql::Database& db, Register incoming, const ApplyRequest& request) {
  ApplyResult result;
  // One IMMEDIATE transaction from read to write: a concurrent apply cannot slip between
  // the diff and the write, and any failure rolls the whole apply back.
  sql::Transaction tx(db);
  Register stored = LoadRegister(db);
  ResolveRedacted(stored, incoming, result.errors);
  if (!result.errors.empty()) return result;
  result.changes = Diff(stored, incoming);
  if (result.changes.empty() || request.dry_run) return result;

  WriteRegister(db, stored, incoming);
  sql::Statement apply(db,
                       "INSERT INTO register_applies (applied_at, file, sha256, applied_by) "
                       "VALUES (?1, ?2, ?3, ?4)");
  apply.Bind(1, request.now).Bind(2, request.file).Bind(3, request.sha256);
  apply.Bind(4, request.applied_by).Run();
  const std::int64_t apply_id = sqlite3_last_insert_rowid(db.handle());
  sql::Statement history(db,
                         "INSERT INTO register_history (apply_id, op, entity, entity_id, field, "
                         "old_value, new_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  for (const auto& c : result.changes) {
    history.Bind(1, apply_id).Bind(2, c.op).Bind(3, c.entity).Bind(4, c.id).Bind(5, c.field);
    history.Bind(6, c.old_value).Bind(7, c.new_value).Run();
  }
  tx.Commit();
  result.applied = true;
  return result;
}

std::vector<HistoryEntry> LoadHistory(sql::Database& db, const std::optional<std::string>& since) {
  sql::Statement s(db,
                   "SELECT a.applied_at, a.file, a.sha256, a.applied_by, h.op, h.entity, "
                   "h.entity_id, h.field, h.old_value, h.new_value FROM register_history h "
                   "JOIN register_applies a ON a.id = h.apply_id "
                   "WHERE ?1 IS NULL OR a.applied_at >= ?1 ORDER BY h.id");
  s.Bind(1, since);
  std::vector<HistoryEntry> out;
  while (s.Step()) {
    out.push_back(
        {s.Text(0), s.Text(1), s.Text(2), s.OptText(3).value_or(""),
         FieldChange{s.Text(4), s.Text(5), s.Text(6), s.Text(7), s.OptText(8), s.OptText(9)}});
  }
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string UtcNow() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace trinet
