#pragma once
// The register (台账): what is supposed to exist on the three networks.
//
// Plain values only. The YAML loader (register_yaml.h) builds a Register from a file and
// validates it; the store (schema/register_store.h) keeps it in SQLite; the daemon and the
// findings rules read it. See docs/register.md for every field and the policy article it serves.

#include <optional>
#include <string>
#include <vector>

namespace trinet {

/// The value a secret is exported as; applying it keeps the stored secret.
inline constexpr const char* kRedacted = "<redacted>";

/// Three physically separate networks (M2 art. 2, 4). Their ids are fixed.
struct Network {
  std::string id;  ///< external | internal | classified
  std::string name;
  std::vector<std::string> prefixes;  ///< address plan, CIDR, normalised
  // The two lists below are optional; their `{}` initialisers let `Network{id, name,
  // prefixes}` leave them out without -Wmissing-field-initializers.
  /// Sanctioned DNS resolvers, IP addresses in canonical text; empty: not configured, so
  /// the capture rules do not judge DNS on this network (M1 art. 8, M2 art. 4).
  std::vector<std::string> dns_resolvers{};
  /// Registered DHCP servers or relays, IP addresses in canonical text; empty: not
  /// configured, so the capture rules do not judge DHCP offers on this network.
  std::vector<std::string> dhcp_servers{};

  bool operator==(const Network&) const = default;
};

struct Platform {
  std::string id;
  std::string name;
  std::string level;                        ///< city | county
  std::optional<std::string> parent;        ///< platform id
  std::optional<std::string> frozen_since;  ///< YYYY-MM-DD

  bool operator==(const Platform&) const = default;
};

struct Admin {
  std::string name;
  std::optional<std::string> phone;
  std::optional<std::string> email;

  bool operator==(const Admin&) const = default;
};

struct Unit {
  std::string id;
  std::string name;
  std::string platform;
  std::optional<Admin> admin;  ///< the system administrator 系统管理员 (M2 art. 10)

  bool operator==(const Unit&) const = default;
};

struct Room {
  std::string id;
  std::string name;
  std::optional<std::string> unit;
  std::string platform;
  std::string kind;    ///< central | department
  std::string status;  ///< active | consolidating | consolidated | decommissioned | exempt
  std::optional<std::string> consolidate_by;  ///< YYYY-MM-DD, department rooms only
  std::optional<std::string> exemption;       ///< required when status is exempt

  bool operator==(const Room&) const = default;
};

/// One USM key (auth or priv) of an SNMPv3 credential.
struct UsmKey {
  std::string protocol;    ///< auth: MD5, SHA, SHA-224..SHA-512; priv: DES, AES, AES-192, AES-256
  std::string passphrase;  ///< the secret itself (read from passphrase_file at load)

  bool operator==(const UsmKey&) const = default;
};

struct Credential {
  std::string id;
  std::string version;                   ///< 1 | 2c | 3
  std::optional<std::string> community;  ///< v1/v2c; secret
  std::optional<std::string> user;       ///< v3 security name
  std::optional<UsmKey> auth;            ///< v3
  std::optional<UsmKey> priv;            ///< v3, requires auth
  std::optional<std::string> context;    ///< v3 context name (default ""), e.g. "vlan-10"

  bool operator==(const Credential&) const = default;
};

struct Device {
  std::string id;
  std::optional<std::string> name;
  std::string room;
  std::string network;
  std::string
      role;  ///< core | distribution | access | egress | firewall | server | camera | ups | sensor
  std::string address;  ///< host[:port] as written; see ParseManagementAddress
  std::string credentials;
  std::optional<std::string> sysname;
  std::optional<std::string> installed;  ///< YYYY-MM-DD

  bool operator==(const Device&) const = default;
};

/// A sanctioned Internet exit 统一出口 (M1 art. 8, M2 art. 4).
struct Egress {
  std::string id;
  std::optional<std::string> name;
  std::string platform;
  std::string network;
  std::string device;
  std::string interface;                     ///< matched against ifName, then ifDescr
  std::vector<std::string> public_prefixes;  ///< CIDR, normalised
  std::vector<std::string> gateway_macs;     ///< lower-case aa:bb:cc:dd:ee:ff

  bool operator==(const Egress&) const = default;
};

struct Register {
  int version = 1;
  std::vector<Network> networks;
  std::vector<Platform> platforms;
  std::vector<Unit> units;
  std::vector<Room> rooms;
  std::vector<Credential> credentials;
  std::vector<Device> devices;
  std::vector<Egress> egress;

  bool operator==(const Register&) const = default;
};

/// The fixed enumerations of the format, in documentation order.
namespace enums {
inline const std::vector<std::string> kNetworkIds = {"external", "internal", "classified"};
inline const std::vector<std::string> kPlatformLevels = {"city", "county"};
inline const std::vector<std::string> kRoomKinds = {"central", "department"};
inline const std::vector<std::string> kRoomStatuses = {"active", "consolidating", "consolidated",
                                                       "decommissioned", "exempt"};
inline const std::vector<std::string> kDeviceRoles = {
    "core", "distribution", "access", "egress", "firewall", "server", "camera", "ups", "sensor"};
inline const std::vector<std::string> kSnmpVersions = {"1", "2c", "3"};
inline const std::vector<std::string> kAuthProtocols = {"MD5",     "SHA",     "SHA-224",
                                                        "SHA-256", "SHA-384", "SHA-512"};
/// AES-192/AES-256 use the Blumenthal key extension (RFC draft, Net-SNMP's default);
/// AES-192-C/AES-256-C the Reeder extension that Cisco devices use.
inline const std::vector<std::string> kPrivProtocols = {"DES",     "AES",       "AES-192",
                                                        "AES-256", "AES-192-C", "AES-256-C"};
}  // namespace enums

}  // namespace trinet
