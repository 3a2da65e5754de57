#pragma once
// What trinetd observed, written in batches by its one writer: the latest device and
// interface state, discovery facts with first/last seen, walk outcomes and room health.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sqlite.h"

namespace trinet {

struct SystemRow {
  std::optional<std::string> name, descr, object_id, location, contact;
  std::optional<std::int64_t> uptime_ticks;
  std::optional<std::string> chassis_serial, chassis_model;
};

struct InterfaceRow {
  std::int64_t ifindex = 0;
  std::string name;
  std::optional<std::string> descr, alias, phys_address;
  std::optional<std::int64_t> type;
  std::optional<bool> admin_up, oper_up;
  std::optional<double> speed_bits;
  std::optional<std::uint64_t> rx_bytes, tx_bytes, rx_errors, tx_errors, rx_discards, tx_discards;
};

struct FactRow {
  std::string kind;   ///< address, route, arp, lldp, fdb, tcp, …
  std::string key;    ///< unique within (device, kind)
  std::string value;  ///< JSON object
};

struct WalkRow {
  std::string walk;
  std::string end;
  std::int64_t varbinds = 0;  ///< values read
};

/// One device's observations from one poll or discovery.
struct DeviceObservation {
  std::string device;
  std::int64_t observed_at = 0;  ///< Unix seconds
  bool up = false;
  std::string reason;
  double poll_duration = 0;
  bool discovery = false;                               ///< a discovery (else a poll)
  std::optional<SystemRow> system;                      ///< discovery, when answered
  std::optional<std::vector<InterfaceRow>> interfaces;  ///< replaces the device's interfaces
  std::vector<FactRow> facts;
  std::vector<WalkRow> walks;
  std::vector<std::pair<std::string, double>> health;
};

/// Writes a batch in one transaction (all or nothing).
void WriteObservations(sql::Database& db, const std::vector<DeviceObservation>& batch);

/// A stored fact, for the rules and for tests.
struct StoredFact {
  std::string device, kind, key, value;
  std::int64_t first_seen = 0, last_seen = 0;
};
std::vector<StoredFact> LoadFacts(sql::Database& db, const std::optional<std::string>& kind);

}  // namespace trinet
