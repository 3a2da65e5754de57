#pragma once
// What every rule is handed: the register, the observations, the options and the time,
// with indexes built once per evaluation so that rules stay short and fast.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "findings/finding.h"
#include "findings/observations.h"
#include "register/ip.h"
#include "register/register.h"

namespace trinet::findings {

struct RuleOptions {
  /// A room whose devices have all been silent this long is `stale` (seconds).
  std::int64_t stale_after_seconds = 7 * 24 * 3600;
  /// Department rooms are frozen (不再扩建) from the day the measures took effect.
  std::string department_rooms_frozen_since = "2013-12-01";
  /// Capture evidence (Observations::pcap) counts for this long after it was recorded
  /// (seconds): rogue-exit ignores older sightings, so a finding from one capture file
  /// resolves when no capture has shown the suspect for this long.
  std::int64_t pcap_evidence_seconds = 7 * 24 * 3600;
};

/// The string field `key` of a fact's value; empty when absent, not a string, or the value
/// is not an object. Facts come from devices: a rule must never throw on one.
std::string StringField(const nlohmann::json& value, const char* key);

/// The integer field `key` of a fact's value (a JSON integer, or a string of digits);
/// nullopt when absent, of another type or out of range.
std::optional<std::int64_t> IntField(const nlohmann::json& value, const char* key);

/// Unix seconds of 00:00 UTC on a YYYY-MM-DD date; nullopt when malformed or not a day of
/// the calendar (2026-02-30, 2099-13-01).
std::optional<std::int64_t> DateToUnix(std::string_view date);
/// "2026-11-29T21:17:01Z".
std::string FormatUtc(std::int64_t unix_seconds);

/// ASCII lower case (chassis ids, sysNames).
std::string Lower(std::string_view s);

/// Evidence in a stable order: source, device, table, key.
void SortEvidence(Finding& f);

/// "name (id)" of a device for people, or the id when it has no name.
std::string DeviceLabel(const Device& d);
/// "name (id, platform)" of a room.
std::string RoomLabel(const Room& r);

class RuleContext;
/// Who answers for a room, for a finding's summary: "responsible: UNIT, administrator NAME
/// PHONE", or what is missing.
std::string RoomOwner(const RuleContext& ctx, const Room& r);

class RuleContext {
 public:
  RuleContext(const Register& reg, const Observations& obs, std::int64_t now,
              RuleOptions options = {});

  const Register& reg() const { return reg_; }
  const Observations& obs() const { return obs_; }
  std::int64_t now() const { return now_; }
  const RuleOptions& options() const { return options_; }

  const Device* FindDevice(const std::string& id) const;
  const Room* FindRoom(const std::string& id) const;
  const Unit* FindUnit(const std::string& id) const;
  const Platform* FindPlatform(const std::string& id) const;
  const DeviceState* StateOf(const std::string& device) const;
  /// Devices of a room, in register order.
  const std::vector<const Device*>& DevicesIn(const std::string& room) const;

  /// Current facts of one kind on one device (empty when none).
  const std::vector<const Fact*>& FactsOf(const std::string& device, const std::string& kind) const;
  /// Every current fact of one kind, in device order.
  const std::vector<const Fact*>& FactsOfKind(const std::string& kind) const;
  /// Current forwarding-table entries of one device (Observations::fdb; empty when none).
  const std::vector<FdbEntry>& FdbOf(const std::string& device) const;
  const std::vector<const InterfaceState*>& InterfacesOf(const std::string& device) const;
  /// The device's health reading `key` (e.g. ups.output_load_ratio), or nullptr.
  const HealthReading* HealthOf(const std::string& device, const std::string& key) const;

  /// The network whose address plan holds `a`; nullopt when none does.
  std::optional<std::string> PlanOf(const IpAddress& a) const;
  /// "Public" in the findings: globally routable (ip.h) and in no network's address plan.
  bool IsPublic(const IpAddress& a) const;
  /// Parses an address as facts hold it ("192.0.2.1", "fe80::1%5", "10.0.0.1/24").
  static std::optional<IpAddress> ParseFactAddress(std::string_view text);
  /// Whether `a` is inside the public prefixes of a sanctioned exit on `network`.
  bool InSanctionedPrefix(const IpAddress& a, const std::string& network) const;
  /// Whether the device is the device of a sanctioned exit.
  bool IsExitDevice(const std::string& device) const;

  /// The registered device an LLDP neighbour (a fact of kind "lldp") is, matched by chassis
  /// id (the devices' own lldp_local chassis ids and interface MACs), by sysName (the
  /// register's `sysname`, the observed sysName, the device id; case-insensitive, domain
  /// suffix ignored) or by management address (the register's address host). nullptr when
  /// it matches none.
  const Device* MatchNeighbour(const nlohmann::json& lldp) const;

  /// The room, platform, unit and network of `device` copied into a finding.
  void Place(Finding& f, const Device& device) const;
  void Place(Finding& f, const Room& room) const;

 private:
  const Register& reg_;
  const Observations& obs_;
  std::int64_t now_;
  RuleOptions options_;

  std::map<std::string, const Device*> devices_;
  std::map<std::string, const Room*> rooms_;
  std::map<std::string, const Unit*> units_;
  std::map<std::string, const Platform*> platforms_;
  std::map<std::string, std::vector<const Device*>> devices_in_room_;
  std::map<std::pair<std::string, std::string>, std::vector<const Fact*>> facts_;
  std::map<std::string, std::vector<const Fact*>> facts_by_kind_;
  std::map<std::string, std::vector<const InterfaceState*>> interfaces_;
  std::map<std::pair<std::string, std::string>, const HealthReading*> health_;
  std::vector<std::pair<Cidr, std::string>> plans_;       ///< prefix, network
  std::vector<std::pair<Cidr, std::string>> sanctioned_;  ///< prefix, network
  std::set<std::string> exit_devices_;
  std::map<std::string, const Device*> by_chassis_;  ///< lower-case chassis id / MAC
  std::map<std::string, const Device*> by_name_;     ///< lower-case name, first label too
  std::map<std::string, const Device*> by_address_;  ///< management host
};

}  // namespace trinet::findings
