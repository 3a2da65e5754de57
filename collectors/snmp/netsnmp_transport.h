#pragma once
// Transport implemented with Net-SNMP's single-session C API, driven from one thread by an
// epoll loop. See netsnmp_transport.cc for the design; in short:
//
//  - Open() validates and resolves the target and derives the SNMPv3 keys (Ku, cached per
//    protocol and passphrase) but opens no socket: the Net-SNMP session (one UDP socket) is
//    opened on the first Send() and closed again after `idle_close` without requests, so a
//    register of 10,000 devices costs sockets only for the devices being polled.
//  - Each open session's socket is in one epoll set; replies are read with snmp_sess_read2()
//    on a netsnmp_large_fd_set holding just that descriptor (no FD_SETSIZE limit).
//  - Each session's next Net-SNMP deadline (snmp_sess_select_info2) sits in a min-heap;
//    Poll() calls snmp_sess_timeout() only for sessions whose deadline has passed.
//  - Net-SNMP callbacks only record results; the user's callbacks run afterwards, from Poll(),
//    outside any Net-SNMP call, so they may Send() or Close() freely.
//  - SNMPv3 engine ID discovery is asynchronous (Net-SNMP's own probe blocks in
//    snmp_sess_open): the first request of a v3 session sends an empty noAuth probe, requests
//    wait for its report, and the discovered engine ID survives idle closes.
//
// Not thread-safe: one NetSnmpTransport per process (or several used from the same thread),
// because Net-SNMP keeps process-global state (the USM user table, engine times).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "snmp/transport.h"

namespace trinet::snmp {

struct NetSnmpOptions {
  /// Close a device's Net-SNMP session (its socket) after this long with nothing in flight;
  /// zero keeps sessions open until Close(). Engine IDs and keys are kept across reopening.
  std::chrono::milliseconds idle_close{30'000};
  /// Datagrams read from one socket per wake-up before other sockets get their turn.
  int max_reads_per_wakeup = 64;
};

class NetSnmpTransport final : public Transport {
 public:
  explicit NetSnmpTransport(NetSnmpOptions options = {});
  ~NetSnmpTransport() override;
  NetSnmpTransport(const NetSnmpTransport&) = delete;
  NetSnmpTransport& operator=(const NetSnmpTransport&) = delete;

  std::optional<SessionId> Open(const Target& target, std::string* error) override;
  /// Open() with an explicit SNMPv3 context name; Open() uses the credential's `context`
  /// (default ""). Agents such as snmpsimd and Cisco's per-VLAN views select data by it.
  std::optional<SessionId> OpenWithContext(const Target& target, std::string_view context_name,
                                           std::string* error);
  void Close(SessionId id) override;
  void Send(SessionId id, const Request& request, Callback done) override;
  int Poll(std::chrono::milliseconds max_wait) override;
  size_t InFlight() const override;

  /// Sessions Open()ed and not yet Close()d.
  size_t SessionCount() const;
  /// Net-SNMP sessions (UDP sockets) open right now.
  size_t OpenSocketCount() const;

  /// Whether this Net-SNMP build supports a register protocol name: auth MD5, SHA, SHA-224,
  /// SHA-256, SHA-384, SHA-512; priv DES, AES, AES-192, AES-256 (the "Blumenthal" key
  /// extension, snmpsimd's AES192BLMT/AES256BLMT) and AES-192-C, AES-256-C (the Cisco/Reeder
  /// key extension, snmpsimd's AES192/AES256).
  static bool AuthProtocolSupported(std::string_view name);
  static bool PrivProtocolSupported(std::string_view name);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace trinet::snmp
