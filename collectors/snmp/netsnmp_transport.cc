#include "snmp/netsnmp_transport.h"

// transport.h (included above) declares Request::non_repeaters and ::max_repetitions; Net-SNMP's
// types.h defines those two names as macros for its PDU fields, so its headers come second and
// the macros are removed right after them.
// clang-format off
#include <net-snmp/net-snmp-config.h>  // first, as Net-SNMP requires
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/keytools.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmp_transport.h>
#include <net-snmp/library/snmpusm.h>
// clang-format on
#undef non_repeaters
#undef max_repetitions

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <clocale>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace trinet::snmp {

namespace {

using Clock = std::chrono::steady_clock;
using SessionId = Transport::SessionId;

// ---------------------------------------------------------------------------------------------
// RAII for Net-SNMP allocations.

struct PduDeleter {
  void operator()(netsnmp_pdu* pdu) const { snmp_free_pdu(pdu); }
};
using PduPtr = std::unique_ptr<netsnmp_pdu, PduDeleter>;

struct SessionCloser {
  void operator()(void* sessp) const { snmp_sess_close(sessp); }
};
using SessPtr = std::unique_ptr<void, SessionCloser>;

struct UsmUserDeleter {
  void operator()(usmUser* user) const { usm_free_user(user); }
};
using UsmUserPtr = std::unique_ptr<usmUser, UsmUserDeleter>;

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct FdSetCleanup {
  void operator()(netsnmp_large_fd_set* set) const {
    netsnmp_large_fd_set_cleanup(set);
    delete set;
  }
};
using FdSetPtr = std::unique_ptr<netsnmp_large_fd_set, FdSetCleanup>;

// ---------------------------------------------------------------------------------------------
// Library initialisation: once per process, reading no MIB, no configuration file and no
// persistent state, and writing nothing to /var/lib/snmp.

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

bool g_trace = false;  ///< TRINET_NETSNMP_DEBUG is set: also trace callback operations

void InitNetSnmpOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
    // The TLS certificate code init_snmp() runs opens <persistent dir>/cert_indexes (creating
    // it when missing) and looks for <config dir>/tls/. Directories below /dev/null can be
    // neither read nor created: nothing is read from /etc/snmp or ~/.snmp, nothing is read
    // from or written to /var/lib/snmp.
    static const char kNowhere[] = "/dev/null/trinet-has-no-net-snmp-files";
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, kNowhere);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR, kNowhere);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_NO_TOKEN_WARNINGS, 1);
    // Library alarms (none are registered by the client side today) must never arm SIGALRM
    // in a daemon that owns its event loop: they are run from Poll() instead.
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    // init_snmp() loads the MIB modules named by $MIBS from the directories in $MIBDIRS and
    // sets LC_CTYPE from the environment; trinet reads no MIB and owns its locale. The
    // environment is restored afterwards.
    ScopedEnv mibs("MIBS", "");
    ScopedEnv mibdirs("MIBDIRS", "");
    const char* ctype = std::setlocale(LC_CTYPE, nullptr);
    std::string saved_ctype = ctype ? ctype : "C";
    init_snmp("trinet");
    std::setlocale(LC_CTYPE, saved_ctype.c_str());
    // TRINET_NETSNMP_DEBUG=token[,token...] (e.g. "snmp_api,usm,sess_process_packet" or "ALL")
    // turns on Net-SNMP's own debug output and packet dumps on stderr.
    if (const char* tokens = std::getenv("TRINET_NETSNMP_DEBUG"); tokens && *tokens) {
      g_trace = true;
      snmp_enable_stderrlog();
      debug_register_tokens(tokens);
      snmp_set_do_debugging(1);
      netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DUMP_PACKET, 1);
    }
  });
}

void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);  // best effort: a lower limit only caps open sessions
  }
}

// ---------------------------------------------------------------------------------------------
// Texts. None of them ever includes a community or passphrase.

std::string ApiError(int snmp_errno, int sys_errno = 0) {
  std::string text = snmp_api_errstring(snmp_errno);
  if (sys_errno != 0) text += std::string(" (") + std::strerror(sys_errno) + ")";
  return text;
}

const char* ErrorStatusName(long status) {
  switch (status) {
    case SNMP_ERR_NOERROR:
      return "noError";
    case SNMP_ERR_TOOBIG:
      return "tooBig";
    case SNMP_ERR_NOSUCHNAME:
      return "noSuchName";
    case SNMP_ERR_BADVALUE:
      return "badValue";
    case SNMP_ERR_READONLY:
      return "readOnly";
    case SNMP_ERR_GENERR:
      return "genErr";
    case SNMP_ERR_NOACCESS:
      return "noAccess";
    case SNMP_ERR_WRONGTYPE:
      return "wrongType";
    case SNMP_ERR_WRONGLENGTH:
      return "wrongLength";
    case SNMP_ERR_WRONGENCODING:
      return "wrongEncoding";
    case SNMP_ERR_WRONGVALUE:
      return "wrongValue";
    case SNMP_ERR_NOCREATION:
      return "noCreation";
    case SNMP_ERR_INCONSISTENTVALUE:
      return "inconsistentValue";
    case SNMP_ERR_RESOURCEUNAVAILABLE:
      return "resourceUnavailable";
    case SNMP_ERR_COMMITFAILED:
      return "commitFailed";
    case SNMP_ERR_UNDOFAILED:
      return "undoFailed";
    case SNMP_ERR_AUTHORIZATIONERROR:
      return "authorizationError";
    case SNMP_ERR_NOTWRITABLE:
      return "notWritable";
    case SNMP_ERR_INCONSISTENTNAME:
      return "inconsistentName";
    default:
      return "unknown error-status";
  }
}

/// What an SNMPv3 report says, by the SNMPERR_* code snmpv3_get_report_type() gives it.
std::string ReportText(int report_type) {
  switch (report_type) {
    case SNMPERR_UNKNOWN_USER_NAME:
      return "SNMPv3 report usmStatsUnknownUserNames: the agent does not know this user";
    case SNMPERR_AUTHENTICATION_FAILURE:
      return "SNMPv3 report usmStatsWrongDigests: authentication failed (wrong auth passphrase "
             "or protocol)";
    case SNMPERR_DECRYPTION_ERR:
      return "SNMPv3 report usmStatsDecryptionErrors: the agent could not decrypt the request "
             "(wrong priv passphrase or protocol)";
    case SNMPERR_UNKNOWN_ENG_ID:
      return "SNMPv3 report usmStatsUnknownEngineIDs: the agent's engine ID changed";
    case SNMPERR_NOT_IN_TIME_WINDOW:
      return "SNMPv3 report usmStatsNotInTimeWindows: engine boots/time out of window";
    case SNMPERR_UNSUPPORTED_SEC_LEVEL:
      return "SNMPv3 report usmStatsUnsupportedSecLevels: the user is not configured for this "
             "security level";
    case SNMPERR_UNKNOWN_SEC_MODEL:
      return "SNMPv3 report snmpUnknownSecurityModels";
    case SNMPERR_INVALID_MSG:
      return "SNMPv3 report snmpInvalidMsgs";
    case SNMPERR_UNKNOWN_PDU:
      return "SNMPv3 report snmpUnknownPDUHandlers";
    case SNMPERR_UNKNOWN_REPORT:
    default:
      return "SNMPv3 report of an unknown kind (e.g. snmpUnknownContexts: wrong context name)";
  }
}

// ---------------------------------------------------------------------------------------------
// Protocols: register names to the names Net-SNMP's USM knows, and from those to OIDs. The
// USM lookup tables only list what this build was compiled with, so an unsupported protocol
// is found at Open() and named in the error.

struct ProtocolOid {
  const oid* arcs = nullptr;
  size_t length = 0;
};

std::optional<ProtocolOid> AuthProtocolOid(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> kNames = {
      {"MD5", "MD5"},         {"SHA", "SHA"},         {"SHA-224", "SHA-224"},
      {"SHA-256", "SHA-256"}, {"SHA-384", "SHA-384"}, {"SHA-512", "SHA-512"}};
  auto it = kNames.find(name);
  if (it == kNames.end()) return std::nullopt;
  int type = usm_lookup_auth_type(it->second.c_str());
  if (type < 0) return std::nullopt;
  ProtocolOid out;
  out.arcs = sc_get_auth_oid(type, &out.length);
  if (out.arcs == nullptr || out.length == 0) return std::nullopt;
  // The hash must also be available from the crypto library Net-SNMP was built against.
  if (sc_find_auth_alg_byoid(out.arcs, static_cast<u_int>(out.length)) == nullptr) {
    return std::nullopt;
  }
  return out;
}

std::optional<ProtocolOid> PrivProtocolOid(std::string_view name) {
  // AES-192/AES-256 are Net-SNMP's usmAES192/256PrivProtocol (draft-blumenthal-aes-usm-04
  // key extension); the -C variants use the Cisco (Reeder 3DES draft) key extension.
  static const std::map<std::string, std::string, std::less<>> kNames = {
      {"DES", "DES"},
      {"AES", "AES"},
      {"AES-128", "AES"},
      {"AES-192", "AES-192"},
      {"AES-256", "AES-256"},
      {"AES-192-C", "AES-192-C"},
      {"AES-256-C", "AES-256-C"}};
  auto it = kNames.find(name);
  if (it == kNames.end()) return std::nullopt;
  int type = usm_lookup_priv_type(it->second.c_str());
  if (type < 0) return std::nullopt;
  ProtocolOid out;
  out.arcs = sc_get_priv_oid(type, &out.length);
  if (out.arcs == nullptr || out.length == 0) return std::nullopt;
  if (sc_get_priv_alg_byoid(out.arcs, static_cast<u_int>(out.length)) == nullptr) {
    return std::nullopt;
  }
  return out;
}

bool IsKnownAuthName(std::string_view name) {
  for (const auto& n : enums::kAuthProtocols) {
    if (n == name) return true;
  }
  return false;
}

bool IsKnownPrivName(std::string_view name) {
  for (const auto& n : enums::kPrivProtocols) {
    if (n == name) return true;
  }
  return name == "AES-128" || name == "AES-192-C" || name == "AES-256-C";
}

// ---------------------------------------------------------------------------------------------
// Values.

std::string BigEndian(std::uint64_t v, size_t bytes) {
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) out[bytes - 1 - i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

/// Minimal BER content octets of an INTEGER; `is_unsigned` adds a leading zero when needed.
std::string BerInteger(std::uint64_t v, bool is_unsigned) {
  std::string out = BigEndian(v, 8);
  size_t start = 0;
  while (start < 7) {
    auto b = static_cast<unsigned char>(out[start]);
    auto next = static_cast<unsigned char>(out[start + 1]);
    bool redundant = is_unsigned ? (b == 0 && !(next & 0x80))
                                 : ((b == 0 && !(next & 0x80)) || (b == 0xff && (next & 0x80)));
    if (!redundant) break;
    ++start;
  }
  out.erase(0, start);
  if (is_unsigned && (static_cast<unsigned char>(out[0]) & 0x80)) out.insert(0, 1, '\0');
  return out;
}

/// Net-SNMP decodes the Opaque-wrapped types of draft-perkins-opaque (float, double, 64-bit
/// integers) into their own ASN types; Value keeps Opaque content as bytes, so this rebuilds
/// the content the agent sent: tag 0x9f 0x7N, length, value.
std::string OpaqueContent(unsigned char inner_tag, const std::string& value) {
  std::string out;
  out += static_cast<char>(ASN_OPAQUE_TAG1);
  out += static_cast<char>(inner_tag);
  out += static_cast<char>(value.size());
  out += value;
  return out;
}

std::uint64_t Counter64Value(const counter64* c) {
  return (static_cast<std::uint64_t>(c->high & 0xffffffffUL) << 32) | (c->low & 0xffffffffUL);
}

/// One Net-SNMP variable as a Value, or nullopt for a type this decoder does not know.
std::optional<Value> ConvertValue(const netsnmp_variable_list* v) {
  auto bytes = [v]() {
    return v->val.string != nullptr
               ? std::string(reinterpret_cast<const char*>(v->val.string), v->val_len)
               : std::string();
  };
  auto unsigned32 = [v]() {
    return v->val.integer ? static_cast<std::uint64_t>(*v->val.integer) & 0xffffffffULL : 0;
  };
  switch (v->type) {
    case ASN_INTEGER:
      return Value::Integer(v->val.integer ? static_cast<std::int64_t>(*v->val.integer) : 0);
    case ASN_OCTET_STR:
    case ASN_BIT_STR:  // SNMPv1 BITS, carried as bytes
    case ASN_NSAP:     // historic
      return Value::Bytes(ValueType::kOctetString, bytes());
    case ASN_OBJECT_ID: {
      std::vector<std::uint32_t> arcs;
      size_t n = v->val.objid ? v->val_len / sizeof(oid) : 0;
      arcs.reserve(n);
      for (size_t i = 0; i < n; ++i) arcs.push_back(static_cast<std::uint32_t>(v->val.objid[i]));
      return Value::ObjectId(Oid(std::move(arcs)));
    }
    case ASN_IPADDRESS:
      return Value::Bytes(ValueType::kIpAddress, bytes());
    case ASN_COUNTER:
      return Value::Unsigned(ValueType::kCounter32, unsigned32());
    case ASN_GAUGE:     // == ASN_UNSIGNED
    case ASN_UINTEGER:  // historic UInteger32
      return Value::Unsigned(ValueType::kGauge32, unsigned32());
    case ASN_TIMETICKS:
      return Value::Unsigned(ValueType::kTimeTicks, unsigned32());
    case ASN_OPAQUE:
      return Value::Bytes(ValueType::kOpaque, bytes());
    case ASN_COUNTER64:
      return Value::Unsigned(ValueType::kCounter64,
                             v->val.counter64 ? Counter64Value(v->val.counter64) : 0);
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
    case ASN_OPAQUE_FLOAT: {
      std::uint32_t bits = 0;
      if (v->val.floatVal) std::memcpy(&bits, v->val.floatVal, sizeof bits);
      return Value::Bytes(ValueType::kOpaque, OpaqueContent(ASN_OPAQUE_FLOAT, BigEndian(bits, 4)));
    }
    case ASN_OPAQUE_DOUBLE: {
      std::uint64_t bits = 0;
      if (v->val.doubleVal) std::memcpy(&bits, v->val.doubleVal, sizeof bits);
      return Value::Bytes(ValueType::kOpaque, OpaqueContent(ASN_OPAQUE_DOUBLE, BigEndian(bits, 8)));
    }
    case ASN_OPAQUE_COUNTER64:
    case ASN_OPAQUE_U64:
      return Value::Bytes(
          ValueType::kOpaque,
          OpaqueContent(static_cast<unsigned char>(v->type),
                        BerInteger(v->val.counter64 ? Counter64Value(v->val.counter64) : 0, true)));
    case ASN_OPAQUE_I64:
      return Value::Bytes(
          ValueType::kOpaque,
          OpaqueContent(
              ASN_OPAQUE_I64,
              BerInteger(v->val.counter64 ? Counter64Value(v->val.counter64) : 0, false)));
#endif
    case ASN_NULL:
      return Value{};
    case SNMP_NOSUCHOBJECT:
      return Value::Exception(ValueType::kNoSuchObject);
    case SNMP_NOSUCHINSTANCE:
      return Value::Exception(ValueType::kNoSuchInstance);
    case SNMP_ENDOFMIBVIEW:
      return Value::Exception(ValueType::kEndOfMibView);
    default:
      return std::nullopt;
  }
}

Response ResponseFromPdu(const netsnmp_pdu* pdu) {
  Response r;
  r.outcome = Outcome::kOk;
  r.error_status = static_cast<int>(pdu->errstat);
  r.error_index = static_cast<int>(pdu->errindex);
  for (const netsnmp_variable_list* v = pdu->variables; v != nullptr; v = v->next_variable) {
    std::vector<std::uint32_t> arcs(v->name_length);
    for (size_t i = 0; i < v->name_length; ++i) arcs[i] = static_cast<std::uint32_t>(v->name[i]);
    auto value = ConvertValue(v);
    if (!value) {
      Response bad;
      bad.outcome = Outcome::kDecodeFailure;
      char type[8];
      std::snprintf(type, sizeof type, "0x%02x", static_cast<unsigned>(v->type));
      bad.detail = std::string("value of unknown ASN.1 type ") + type + " for " +
                   Oid(std::move(arcs)).ToString();
      return bad;
    }
    r.varbinds.push_back(Varbind{Oid(std::move(arcs)), std::move(*value)});
  }
  if (r.error_status != SNMP_ERR_NOERROR) {
    r.detail = std::string("error-status ") + ErrorStatusName(r.error_status) + "(" +
               std::to_string(r.error_status) + ") at index " + std::to_string(r.error_index);
  }
  return r;
}

Response Failure(Outcome outcome, std::string detail) {
  Response r;
  r.outcome = outcome;
  r.detail = std::move(detail);
  return r;
}

/// How a Net-SNMP error code returned while sending is reported.
Outcome SendErrorOutcome(int snmp_errno) {
  switch (snmp_errno) {
    case SNMPERR_USM_UNKNOWNSECURITYNAME:
    case SNMPERR_USM_UNSUPPORTEDSECURITYLEVEL:
    case SNMPERR_USM_AUTHENTICATIONFAILURE:
    case SNMPERR_USM_UNKNOWNENGINEID:
    case SNMPERR_USM_NOTINTIMEWINDOW:
    case SNMPERR_USM_DECRYPTIONERROR:
    case SNMPERR_UNKNOWN_USER_NAME:
    case SNMPERR_UNSUPPORTED_SEC_LEVEL:
    case SNMPERR_AUTHENTICATION_FAILURE:
    case SNMPERR_DECRYPTION_ERR:
    case SNMPERR_KT_NOT_AVAILABLE:
    case SNMPERR_SC_NOT_CONFIGURED:
      return Outcome::kAuthFailure;
    case SNMPERR_BAD_SENDTO:
    case SNMPERR_TOO_LONG:
    case SNMPERR_BAD_ADDRESS:
    case SNMPERR_NO_SOCKET:
    case SNMPERR_V2_IN_V1:
    case SNMPERR_V1_IN_V2:
    case SNMPERR_BAD_REPEATERS:
    case SNMPERR_BAD_REPETITIONS:
    case SNMPERR_BAD_ASN1_BUILD:
    case SNMPERR_USM_ENCRYPTIONERROR:
    case SNMPERR_SC_GENERAL_FAILURE:
    case SNMPERR_MALLOC:
    default:
      return Outcome::kSendFailure;
  }
}

/// The msgID of an SNMPv3 message, read from its first bytes: SEQUENCE { msgVersion INTEGER
/// (3), msgGlobalData SEQUENCE { msgID INTEGER, ... }, ... }. nullopt for anything else.
std::optional<long> V3MessageId(const unsigned char* p, size_t n) {
  size_t i = 0;
  auto header = [&](unsigned char tag, size_t* len) {
    if (i + 2 > n || p[i] != tag) return false;
    ++i;
    unsigned char first = p[i++];
    if (first < 0x80) {
      *len = first;
      return true;
    }
    size_t octets = first & 0x7f;
    if (octets == 0 || octets > 4 || i + octets > n) return false;
    size_t value = 0;
    for (size_t k = 0; k < octets; ++k) value = (value << 8) | p[i++];
    *len = value;
    return true;
  };
  auto integer = [&](long* out) {
    size_t len = 0;
    if (!header(ASN_INTEGER, &len) || len == 0 || len > 5 || i + len > n) return false;
    if (p[i] & 0x80) return false;  // msgVersion and msgID are never negative
    std::uint64_t value = 0;
    for (size_t k = 0; k < len; ++k) value = (value << 8) | p[i++];
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) return false;
    *out = static_cast<long>(value);
    return true;
  };
  size_t len = 0;
  long version = 0;
  long msgid = 0;
  if (!header(ASN_SEQUENCE | ASN_CONSTRUCTOR, &len) || !integer(&version) || version != 3 ||
      !header(ASN_SEQUENCE | ASN_CONSTRUCTOR, &len) || !integer(&msgid)) {
    return std::nullopt;
  }
  return msgid;
}

/// Net-SNMP's USM counters (usmStats*): they move when a reply fails the security checks,
/// which snmp_parse() reports only as a generic parse error.
using UsmStats = std::array<u_int, STAT_USM_STATS_END - STAT_USM_STATS_START + 1>;

UsmStats ReadUsmStats() {
  UsmStats out{};
  for (int i = STAT_USM_STATS_START; i <= STAT_USM_STATS_END; ++i) {
    out[static_cast<size_t>(i - STAT_USM_STATS_START)] = snmp_get_statistic(i);
  }
  return out;
}

/// Why an SNMPv3 reply was dropped, by the USM counter that moved while reading it.
std::optional<std::string> ReplySecurityError(const UsmStats& before, const UsmStats& after) {
  for (int i = STAT_USM_STATS_START; i <= STAT_USM_STATS_END; ++i) {
    auto k = static_cast<size_t>(i - STAT_USM_STATS_START);
    if (after[k] == before[k]) continue;
    switch (i) {
      case STAT_USMSTATSWRONGDIGESTS:
        return "the reply failed SNMPv3 authentication (usmStatsWrongDigests: wrong auth "
               "passphrase or protocol)";
      case STAT_USMSTATSDECRYPTIONERRORS:
        return "the reply could not be decrypted (usmStatsDecryptionErrors: wrong priv "
               "passphrase or protocol)";
      case STAT_USMSTATSUNKNOWNUSERNAMES:
        return "the reply is for an SNMPv3 user unknown here (usmStatsUnknownUserNames)";
      case STAT_USMSTATSUNSUPPORTEDSECLEVELS:
        return "the reply has an unsupported security level (usmStatsUnsupportedSecLevels)";
      case STAT_USMSTATSNOTINTIMEWINDOWS:
        return "the reply is outside the SNMPv3 time window (usmStatsNotInTimeWindows)";
      case STAT_USMSTATSUNKNOWNENGINEIDS:
        return "the reply comes from an unknown SNMPv3 engine ID (usmStatsUnknownEngineIDs)";
      default:
        break;
    }
  }
  return std::nullopt;  // not a security failure: a malformed datagram, ignored
}

std::string PeerName(const std::string& address, int family, int port) {
  return family == AF_INET6 ? "udp6:[" + address + "]:" + std::to_string(port)
                            : "udp:" + address + ":" + std::to_string(port);
}

/// The numeric address of `host`: literals as they are, names through getaddrinfo.
std::optional<std::pair<std::string, int>> ResolveHost(std::string host, std::string* error) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return std::pair{host, AF_INET};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return std::pair{host, AF_INET6};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    *error = "cannot resolve host '" + host + "': " + gai_strerror(rc);
    return std::nullopt;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr = found->ai_family == AF_INET6
                         ? static_cast<const void*>(
                               &reinterpret_cast<const sockaddr_in6*>(found->ai_addr)->sin6_addr)
                         : static_cast<const void*>(
                               &reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr);
  if (inet_ntop(found->ai_family, addr, text, sizeof text) == nullptr) {
    *error = "cannot resolve host '" + host + "': " + std::strerror(errno);
    return std::nullopt;
  }
  return std::pair{std::string(text), found->ai_family};
}

}  // namespace

// =============================================================================================

struct NetSnmpTransport::Impl {
  /// The `magic` Net-SNMP hands back to OnNetSnmp(): one per Net-SNMP session, freed only
  /// after snmp_sess_close() returned, and marked closing first so that a callback arriving
  /// while Net-SNMP tears the session down touches nothing.
  struct Cookie {
    // Some Net-SNMP releases cast the magic of a request answered by a report to the state of
    // their synchronous API and store into its first int; this block absorbs such a store.
    alignas(std::max_align_t) unsigned char absorb[64] = {};
    Impl* impl = nullptr;
    SessionId id = 0;
    bool closing = false;
  };

  struct Pending {
    Callback done;
    bool probe = false;       ///< the SNMPv3 engine ID discovery, not a user request
    long msgid = 0;           ///< the message ID Net-SNMP last sent it with (v3 reports match it)
    int netsnmp_retries = 0;  ///< resends Net-SNMP made: RESEND ops and time-window resends
    Clock::time_point backstop;
    std::optional<Response> report;            ///< a recoverable report, if the retry never answers
    const netsnmp_pdu* last_report = nullptr;  ///< the report last acted on, and its msgid
    long last_report_msgid = 0;
  };

  struct Queued {
    Request request;
    Callback done;
  };

  enum class Engine { kNotV3, kUnknown, kProbing, kKnown };

  /// What a credential resolves to; shared by all sessions opened with equal credentials,
  /// so that 10,000 devices on a handful of credentials cost a handful of these.
  struct Security {
    long version = SNMP_VERSION_2c;
    std::string community;
    // SNMPv3
    std::string user;
    int level = SNMP_SEC_LEVEL_NOAUTH;
    ProtocolOid auth;
    ProtocolOid priv;
    std::vector<u_char> auth_ku;
    std::vector<u_char> priv_ku;
    std::string usm_fingerprint;  ///< protocols and keys, to tell whether a USM entry is ours
  };

  struct Session {
    SessionId id = 0;
    std::shared_ptr<const Security> sec;
    std::string address;  ///< numeric
    int family = AF_INET;
    int port = 161;
    long timeout_us = 0;
    int retries = 0;
    std::string context;  ///< SNMPv3 context name
    Engine engine = Engine::kNotV3;
    std::string engine_id;
    std::vector<Queued> waiting;  ///< requests waiting for the engine ID
    // Engine discovery outcomes noted in OnNetSnmp(), acted on once Net-SNMP has returned.
    bool engine_found = false;
    bool forget_engine = false;
    std::optional<Response> probe_failure;

    // The Net-SNMP session, open while the device is being polled.
    std::unique_ptr<Cookie> cookie;
    SessPtr sessp;
    int fd = -1;
    std::unordered_map<long, Pending> pending;
    std::optional<Clock::time_point> scheduled;  ///< our heap entry for Net-SNMP's deadline
    Clock::time_point last_activity;
    bool idle_timer = false;  ///< an idle-close entry for this session is in the heap
    size_t outstanding = 0;   ///< Send()s whose callback has not run: pending, waiting, ready

    long version() const { return sec->version; }
    /// "127.0.0.1:161", for details.
    std::string where() const {
      return (family == AF_INET6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
    }
  };

  enum class TimerKind : std::uint8_t { kNetSnmp, kBackstop, kIdle };
  struct Timer {
    Clock::time_point at;
    SessionId id;
    long reqid;
    TimerKind kind;
    bool operator>(const Timer& o) const { return at > o.at; }
  };

  struct Ready {
    SessionId id;  ///< 0: not bound to a session (Send() to an unknown session)
    Callback done;
    Response response;
  };

  NetSnmpOptions options;
  UniqueFd epoll;
  FdSetPtr fdset;
  int fdset_size = 0;
  SessionId next_id = 1;
  std::unordered_map<SessionId, std::unique_ptr<Session>> sessions;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::vector<Ready> ready;
  size_t in_flight = 0;
  size_t open_sockets = 0;
  std::map<std::string, std::vector<u_char>> ku_cache;  ///< protocol + passphrase -> Ku
  /// By credential content; weak, so that a credential no session uses any more is derived
  /// again (cheaply: Ku stays in ku_cache) if it comes back.
  std::map<std::string, std::weak_ptr<const Security>> security_cache;

  explicit Impl(NetSnmpOptions opts) : options(opts), epoll(epoll_create1(EPOLL_CLOEXEC)) {
    InitNetSnmpOnce();
    RaiseFileLimit();
    if (epoll.get() < 0) {
      throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    }
    fdset.reset(new netsnmp_large_fd_set);
    fdset_size = FD_SETSIZE;
    netsnmp_large_fd_set_init(fdset.get(), fdset_size);
    NETSNMP_LARGE_FD_ZERO(fdset.get());
  }

  ~Impl() {
    for (auto& [id, session] : sessions) CloseNetSnmp(*session);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // ------------------------------------------------------------------------------------------
  // Open

  /// Ku for a passphrase, computed once per hash and passphrase (generate_Ku hashes 1 MB).
  std::optional<std::vector<u_char>> Ku(const std::string& protocol, const ProtocolOid& hash,
                                        const std::string& passphrase, const char* which,
                                        std::string* error) {
    std::string key = protocol + '\0' + passphrase;
    if (auto it = ku_cache.find(key); it != ku_cache.end()) return it->second;
    if (passphrase.size() < USM_LENGTH_P_MIN) {
      *error = std::string(which) + " passphrase is shorter than " +
               std::to_string(USM_LENGTH_P_MIN) + " characters";
      return std::nullopt;
    }
    std::vector<u_char> ku(USM_AUTH_KU_LEN);
    size_t len = ku.size();
    int rc = generate_Ku(hash.arcs, static_cast<u_int>(hash.length),
                         reinterpret_cast<const u_char*>(passphrase.data()), passphrase.size(),
                         ku.data(), &len);
    switch (rc) {
      case SNMPERR_SUCCESS:
        break;
      default:
        *error = std::string("cannot derive the ") + which + " key: " + ApiError(rc);
        return std::nullopt;
    }
    ku.resize(len);
    ku_cache.emplace(std::move(key), ku);
    return ku;
  }

  /// The Security of a credential, derived once per distinct credential content.
  std::shared_ptr<const Security> SecurityFor(const Credential& cred, std::string* error) {
    std::string key;
    key.reserve(96);
    auto add = [&key](const std::optional<std::string>& field) {
      key += field ? "+" + *field : std::string("-");
      key += '\0';
    };
    key += cred.version;
    key += '\0';
    add(cred.community);
    add(cred.user);
    add(cred.auth ? std::optional(cred.auth->protocol) : std::nullopt);
    add(cred.auth ? std::optional(cred.auth->passphrase) : std::nullopt);
    add(cred.priv ? std::optional(cred.priv->protocol) : std::nullopt);
    add(cred.priv ? std::optional(cred.priv->passphrase) : std::nullopt);
    if (auto it = security_cache.find(key); it != security_cache.end()) {
      if (auto live = it->second.lock()) return live;
      security_cache.erase(it);
    }

    auto sec = std::make_shared<Security>();
    if (cred.version == "1") {
      sec->version = SNMP_VERSION_1;
    } else if (cred.version == "2c") {
      sec->version = SNMP_VERSION_2c;
    } else if (cred.version == "3") {
      sec->version = SNMP_VERSION_3;
    } else {
      *error = "credential '" + cred.id + "': unknown SNMP version '" + cred.version + "'";
      return nullptr;
    }
    if (sec->version != SNMP_VERSION_3) {
      if (!cred.community) {
        *error = "credential '" + cred.id + "': SNMPv1/v2c needs a community";
        return nullptr;
      }
      sec->community = *cred.community;
    } else {
      if (!cred.user || cred.user->empty()) {
        *error = "credential '" + cred.id + "': SNMPv3 needs a user";
        return nullptr;
      }
      sec->user = *cred.user;
      sec->level = SNMP_SEC_LEVEL_NOAUTH;
      sec->usm_fingerprint = "v3";
      if (cred.priv && !cred.auth) {
        *error = "credential '" + cred.id + "': privacy requires authentication";
        return nullptr;
      }
      if (cred.auth) {
        const std::string& name = cred.auth->protocol;
        auto proto = AuthProtocolOid(name);
        if (!proto) {
          *error = "credential '" + cred.id + "': auth protocol '" + name + "' is " +
                   (IsKnownAuthName(name) ? "not supported by this Net-SNMP build" : "unknown");
          return nullptr;
        }
        auto ku = Ku(name, *proto, cred.auth->passphrase, "auth", error);
        if (!ku) {
          *error = "credential '" + cred.id + "': " + *error;
          return nullptr;
        }
        sec->auth = *proto;
        sec->auth_ku = std::move(*ku);
        sec->level = SNMP_SEC_LEVEL_AUTHNOPRIV;
        sec->usm_fingerprint +=
            "|a:" + name + ":" + std::string(sec->auth_ku.begin(), sec->auth_ku.end());
        if (cred.priv) {
          const std::string& pname = cred.priv->protocol;
          auto pproto = PrivProtocolOid(pname);
          if (!pproto) {
            *error = "credential '" + cred.id + "': priv protocol '" + pname + "' is " +
                     (IsKnownPrivName(pname) ? "not supported by this Net-SNMP build" : "unknown");
            return nullptr;
          }
          // The privacy key is derived with the authentication protocol's hash (RFC 3414).
          auto pku = Ku(name, *proto, cred.priv->passphrase, "priv", error);
          if (!pku) {
            *error = "credential '" + cred.id + "': " + *error;
            return nullptr;
          }
          sec->priv = *pproto;
          sec->priv_ku = std::move(*pku);
          sec->level = SNMP_SEC_LEVEL_AUTHPRIV;
          sec->usm_fingerprint +=
              "|p:" + pname + ":" + std::string(sec->priv_ku.begin(), sec->priv_ku.end());
        }
      }
    }
    security_cache.emplace(std::move(key), sec);
    return sec;
  }

  std::optional<SessionId> Open(const Target& target, std::string_view context,
                                std::string* error) {
    std::string scratch;
    if (error == nullptr) error = &scratch;
    if (target.port <= 0 || target.port > 65535) {
      *error = "port " + std::to_string(target.port) + " out of range";
      return std::nullopt;
    }
    if (target.timeout.count() <= 0 || target.retries < 0) {
      *error = "timeout must be positive and retries not negative";
      return std::nullopt;
    }
    if (target.timeout.count() > std::numeric_limits<long>::max() / 1000) {
      *error = "timeout too long";
      return std::nullopt;
    }
    auto sec = SecurityFor(target.credential, error);
    if (!sec) return std::nullopt;
    auto address = ResolveHost(target.host, error);
    if (!address) return std::nullopt;

    auto session = std::make_unique<Session>();
    session->sec = std::move(sec);
    session->address = std::move(address->first);
    session->family = address->second;
    session->port = target.port;
    session->timeout_us = static_cast<long>(target.timeout.count()) * 1000L;
    session->retries = target.retries;
    if (session->version() == SNMP_VERSION_3) {
      session->context = std::string(context);
      session->engine = Engine::kUnknown;
    }
    session->id = next_id++;
    session->last_activity = Clock::now();
    SessionId id = session->id;
    sessions.emplace(id, std::move(session));
    return id;
  }

  // ------------------------------------------------------------------------------------------
  // The Net-SNMP session of a device

  void EnsureFdSetSize(int fd) {
    if (fd < fdset_size) return;
    int size = fdset_size;
    while (size <= fd) size *= 2;
    netsnmp_large_fd_set_resize(fdset.get(), size);
    NETSNMP_LARGE_FD_ZERO(fdset.get());
    fdset_size = size;
  }

  /// Opens the Net-SNMP session (the socket) of `s`. Never probes: v3 engine IDs are
  /// discovered asynchronously by StartProbe().
  bool OpenNetSnmp(Session& s, std::string* error) {
    if (s.sessp) return true;
    const Security& sec = *s.sec;
    std::string peer = PeerName(s.address, s.family, s.port);
    netsnmp_session in;
    snmp_sess_init(&in);
    in.version = sec.version;
    in.peername = peer.data();
    in.timeout = s.timeout_us;
    in.retries = s.retries;
    in.flags |= SNMP_FLAGS_DONT_PROBE;
    in.callback = nullptr;
    in.callback_magic = nullptr;
    if (sec.version == SNMP_VERSION_3) {
      in.securityModel = SNMP_SEC_MODEL_USM;
      in.securityName = const_cast<char*>(sec.user.c_str());
      in.securityNameLen = sec.user.size();
      in.securityLevel = sec.level;
      in.contextName = const_cast<char*>(s.context.c_str());
      in.contextNameLen = s.context.size();
      if (sec.level >= SNMP_SEC_LEVEL_AUTHNOPRIV) {
        in.securityAuthProto = const_cast<oid*>(sec.auth.arcs);
        in.securityAuthProtoLen = sec.auth.length;
        std::memcpy(in.securityAuthKey, sec.auth_ku.data(), sec.auth_ku.size());
        in.securityAuthKeyLen = sec.auth_ku.size();
      }
      if (sec.level == SNMP_SEC_LEVEL_AUTHPRIV) {
        in.securityPrivProto = const_cast<oid*>(sec.priv.arcs);
        in.securityPrivProtoLen = sec.priv.length;
        std::memcpy(in.securityPrivKey, sec.priv_ku.data(), sec.priv_ku.size());
        in.securityPrivKeyLen = sec.priv_ku.size();
      }
      if (s.engine == Engine::kKnown) {
        // Reopening after an idle close: no discovery needed.
        in.securityEngineID = reinterpret_cast<u_char*>(const_cast<char*>(s.engine_id.data()));
        in.securityEngineIDLen = s.engine_id.size();
        in.contextEngineID = in.securityEngineID;
        in.contextEngineIDLen = in.securityEngineIDLen;
      }
    } else {
      in.community = reinterpret_cast<u_char*>(const_cast<char*>(sec.community.data()));
      in.community_len = sec.community.size();
    }
    auto cookie = std::make_unique<Cookie>();
    cookie->impl = this;
    cookie->id = s.id;
    SessPtr sessp(snmp_sess_open(&in));
    // snmp_sess_open() copied what it keeps; the key material on the stack goes now.
    std::memset(in.securityAuthKey, 0, sizeof in.securityAuthKey);
    std::memset(in.securityPrivKey, 0, sizeof in.securityPrivKey);
    if (!sessp) {
      *error = "cannot open a Net-SNMP session to " + s.where() + ": " +
               ApiError(in.s_snmp_errno, in.s_errno);
      return false;
    }
    netsnmp_session* sp = snmp_sess_session(sessp.get());
    netsnmp_transport* transport = snmp_sess_transport(sessp.get());
    if (sp == nullptr || transport == nullptr || transport->sock < 0) {
      *error = "Net-SNMP session to " + s.where() + " has no socket";
      return false;
    }
    // The library clears this after opening; keep it so that no send ever probes synchronously.
    sp->flags |= SNMP_FLAGS_DONT_PROBE;
    int fd = transport->sock;
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = s.id;
    if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      *error = std::string("epoll_ctl: ") + std::strerror(errno);
      return false;
    }
    EnsureFdSetSize(fd);
    s.fd = fd;
    s.cookie = std::move(cookie);
    s.sessp = std::move(sessp);
    s.scheduled.reset();
    ++open_sockets;
    if (s.engine == Engine::kKnown && !InstallUsmUser(s, error)) {
      CloseNetSnmp(s);
      return false;
    }
    return true;
  }

  /// Closes the Net-SNMP session of `s`, dropping whatever it still has in flight.
  void CloseNetSnmp(Session& s) {
    if (!s.sessp) return;
    if (s.fd >= 0) epoll_ctl(epoll.get(), EPOLL_CTL_DEL, s.fd, nullptr);
    s.cookie->closing = true;
    s.sessp.reset();  // snmp_sess_close(): frees its requests and closes the socket
    s.cookie.reset();
    s.fd = -1;
    s.pending.clear();
    s.scheduled.reset();
    if (s.engine == Engine::kProbing) s.engine = Engine::kUnknown;
    --open_sockets;
  }

  // ------------------------------------------------------------------------------------------
  // SNMPv3 USM

  /// Process-wide: whose keys Net-SNMP's USM table holds for (engine ID, user). Net-SNMP
  /// keeps one entry per engine ID and user, shared by all sessions.
  static std::map<std::string, std::string>& UsmOwners() {
    static std::map<std::string, std::string> owners;
    return owners;
  }

  /// Makes Net-SNMP's USM entry for this engine ID and user hold this session's keys.
  /// create_user_from_session() fills in only what an existing entry lacks, so an entry
  /// holding other keys (another credential for the same user on an agent with the same
  /// engine ID) is removed first.
  bool InstallUsmUser(Session& s, std::string* error) {
    netsnmp_session* sp = snmp_sess_session(s.sessp.get());
    const std::string& user = s.sec->user;
    std::string key = s.engine_id + '\0' + user;
    auto& owner = UsmOwners()[key];
    usmUser* existing = usm_get_user(reinterpret_cast<const u_char*>(s.engine_id.data()),
                                     s.engine_id.size(), user.c_str());
    if (existing != nullptr && owner == s.sec->usm_fingerprint) return true;
    if (existing != nullptr) {
      usm_remove_user(existing);
      usm_free_user(existing);
    }
    sp->flags &= ~SNMP_FLAGS_USER_CREATED;
    int rc = create_user_from_session(sp);
    switch (rc) {
      case SNMPERR_SUCCESS:
        owner = s.sec->usm_fingerprint;
        return true;
      default:
        *error = "cannot set up SNMPv3 user '" + user + "': " + ApiError(rc);
        owner.clear();
        return false;
    }
  }

  /// The user with the empty name that engine ID discovery is sent as (as Net-SNMP's own
  /// probe does).
  static void EnsureDiscoveryUser() {
    if (usm_get_user(nullptr, 0, "") != nullptr) return;
    UsmUserPtr user(usm_create_user());  // no auth, no priv
    if (!user) return;
    user->name = strdup("");
    user->secName = strdup("");
    if (user->name == nullptr || user->secName == nullptr) return;
    user->userStorageType = ST_READONLY;  // never part of any persistent store
    usm_add_user(user.release());         // the USM table owns it now
  }

  Clock::duration Backstop(const Session& s) const {
    // Net-SNMP reports every request (timeout after retries); this only catches a request
    // Net-SNMP forgot without a callback. Discovery may come first, hence twice.
    auto attempt = std::chrono::microseconds(s.timeout_us);
    return 2 * attempt * (s.retries + 1) +
           std::max<Clock::duration>(attempt, std::chrono::seconds(1));
  }

  void StartProbe(Session& s) {
    EnsureDiscoveryUser();
    PduPtr pdu(snmp_pdu_create(SNMP_MSG_GET));
    if (!pdu) {
      FailWaiting(s, Failure(Outcome::kSendFailure, "out of memory"));
      return;
    }
    pdu->version = SNMP_VERSION_3;
    pdu->securityName = strdup("");
    pdu->securityNameLen = 0;
    pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
    pdu->securityModel = SNMP_SEC_MODEL_USM;
    long reqid = pdu->reqid;
    Pending& p = s.pending[reqid];
    p.probe = true;
    p.msgid = pdu->msgid;
    p.backstop = Clock::now() + Backstop(s);
    auto backstop = p.backstop;
    s.engine = Engine::kProbing;
    int rc = snmp_sess_async_send(s.sessp.get(), pdu.get(), &OnNetSnmp, s.cookie.get());
    if (rc == 0) {
      netsnmp_session* sp = snmp_sess_session(s.sessp.get());
      s.pending.erase(reqid);
      s.engine = Engine::kUnknown;
      int err = sp->s_snmp_errno;
      FailWaiting(
          s, Failure(SendErrorOutcome(err), "cannot send SNMPv3 engine ID discovery to " +
                                                s.where() + ": " + ApiError(err, sp->s_errno)));
      return;
    }
    pdu.release();  // Net-SNMP owns it now
    timers.push({backstop, s.id, reqid, TimerKind::kBackstop});
    ScheduleAfterSend(s);
  }

  void FailWaiting(Session& s, const Response& failure) {
    std::vector<Queued> queued;
    queued.swap(s.waiting);
    for (auto& q : queued) ready.push_back({s.id, std::move(q.done), failure});
    NoteIdle(s);
  }

  /// Acts on what OnNetSnmp() noted about engine discovery, after Net-SNMP has returned.
  void AfterNetSnmp(Session& s) {
    if (!s.sessp) return;
    netsnmp_session* sp = snmp_sess_session(s.sessp.get());
    if (s.forget_engine) {
      s.forget_engine = false;
      if (s.engine == Engine::kKnown) {
        SNMP_FREE(sp->securityEngineID);
        sp->securityEngineIDLen = 0;
        SNMP_FREE(sp->contextEngineID);
        sp->contextEngineIDLen = 0;
        s.engine_id.clear();
        s.engine = Engine::kUnknown;
      }
    }
    if (s.engine_found) {
      s.engine_found = false;
      auto set = [](u_char** field, size_t* len, const std::string& value) {
        SNMP_FREE(*field);
        *field = static_cast<u_char*>(malloc(value.size()));
        if (*field == nullptr) {
          *len = 0;
          return false;
        }
        std::memcpy(*field, value.data(), value.size());
        *len = value.size();
        return true;
      };
      std::string error;
      if (!set(&sp->securityEngineID, &sp->securityEngineIDLen, s.engine_id) ||
          !set(&sp->contextEngineID, &sp->contextEngineIDLen, s.engine_id)) {
        s.engine = Engine::kUnknown;
        FailWaiting(s, Failure(Outcome::kSendFailure, "out of memory"));
      } else if (!InstallUsmUser(s, &error)) {
        s.engine = Engine::kUnknown;
        FailWaiting(s, Failure(Outcome::kAuthFailure, error));
      } else {
        s.engine = Engine::kKnown;
        std::vector<Queued> queued;
        queued.swap(s.waiting);
        for (auto& q : queued) SendNow(s, q.request, std::move(q.done));
      }
    }
    if (s.probe_failure) {
      Response failure = std::move(*s.probe_failure);
      s.probe_failure.reset();
      s.engine = Engine::kUnknown;
      FailWaiting(s, failure);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Send

  void Send(SessionId id, const Request& request, Callback done) {
    ++in_flight;
    auto it = sessions.find(id);
    if (it == sessions.end()) {
      ready.push_back(
          {0, std::move(done),
           Failure(Outcome::kSendFailure, "unknown session " + std::to_string(id) + " (closed?)")});
      return;
    }
    Session& s = *it->second;
    ++s.outstanding;
    s.last_activity = Clock::now();
    std::string error;
    if (!OpenNetSnmp(s, &error)) {
      ready.push_back({s.id, std::move(done), Failure(Outcome::kSendFailure, error)});
      return;
    }
    switch (s.engine) {
      case Engine::kUnknown:
        s.waiting.push_back({request, std::move(done)});
        StartProbe(s);
        return;
      case Engine::kProbing:
        s.waiting.push_back({request, std::move(done)});
        return;
      case Engine::kNotV3:
      case Engine::kKnown:
        SendNow(s, request, std::move(done));
        return;
    }
  }

  PduPtr BuildPdu(const Session& s, const Request& request, std::string* error) {
    int command = SNMP_MSG_GET;
    switch (request.type) {
      case PduType::kGet:
        command = SNMP_MSG_GET;
        break;
      case PduType::kGetNext:
        command = SNMP_MSG_GETNEXT;
        break;
      case PduType::kGetBulk:
        command = SNMP_MSG_GETBULK;
        break;
    }
    if (command == SNMP_MSG_GETBULK && s.version() == SNMP_VERSION_1) {
      *error = "GETBULK is not part of SNMPv1";
      return nullptr;
    }
    PduPtr pdu(snmp_pdu_create(command));
    if (!pdu) {
      *error = "out of memory";
      return nullptr;
    }
    if (command == SNMP_MSG_GETBULK) {
      if (request.non_repeaters < 0 || request.max_repetitions < 0) {
        *error = "GETBULK non-repeaters and max-repetitions must not be negative";
        return nullptr;
      }
      pdu->errstat = request.non_repeaters;     // non_repeaters
      pdu->errindex = request.max_repetitions;  // max_repetitions
    }
    std::vector<oid> arcs;
    for (const Oid& o : request.oids) {
      if (o.empty() || o.size() > MAX_OID_LEN) {
        *error = "OID '" + o.ToString() + "' has " + std::to_string(o.size()) + " arcs (1 to " +
                 std::to_string(MAX_OID_LEN) + " allowed)";
        return nullptr;
      }
      arcs.assign(o.arcs().begin(), o.arcs().end());
      if (snmp_add_null_var(pdu.get(), arcs.data(), arcs.size()) == nullptr) {
        *error = "cannot add OID " + o.ToString() + " to the PDU";
        return nullptr;
      }
    }
    return pdu;
  }

  void SendNow(Session& s, const Request& request, Callback done) {
    std::string error;
    PduPtr pdu = BuildPdu(s, request, &error);
    if (!pdu) {
      ready.push_back({s.id, std::move(done), Failure(Outcome::kSendFailure, error)});
      NoteIdle(s);
      return;
    }
    if (s.version() == SNMP_VERSION_3 && !InstallUsmUser(s, &error)) {
      ready.push_back({s.id, std::move(done), Failure(Outcome::kAuthFailure, error)});
      NoteIdle(s);
      return;
    }
    long reqid = pdu->reqid;
    Pending& p = s.pending[reqid];
    p.done = std::move(done);
    p.msgid = pdu->msgid;
    p.backstop = Clock::now() + Backstop(s);
    auto backstop = p.backstop;
    int rc = snmp_sess_async_send(s.sessp.get(), pdu.get(), &OnNetSnmp, s.cookie.get());
    if (rc == 0) {
      netsnmp_session* sp = snmp_sess_session(s.sessp.get());
      int err = sp->s_snmp_errno;
      ready.push_back({s.id, std::move(p.done),
                       Failure(SendErrorOutcome(err),
                               "cannot send to " + s.where() + ": " + ApiError(err, sp->s_errno))});
      s.pending.erase(reqid);
      NoteIdle(s);
      return;  // `pdu` is still ours and freed here
    }
    pdu.release();  // Net-SNMP owns it now
    timers.push({backstop, s.id, reqid, TimerKind::kBackstop});
    ScheduleAfterSend(s);
  }

  // ------------------------------------------------------------------------------------------
  // Deadlines

  /// A request sent now expires in Net-SNMP at now + timeout; schedule that unless an earlier
  /// deadline of the session is already in the heap (it will reschedule when it fires).
  void ScheduleAfterSend(Session& s) {
    auto at = Clock::now() + std::chrono::microseconds(s.timeout_us);
    if (!s.scheduled || at < *s.scheduled) {
      s.scheduled = at;
      timers.push({at, s.id, 0, TimerKind::kNetSnmp});
    }
  }

  /// Asks Net-SNMP for the session's earliest request deadline and puts it in the heap.
  void Reschedule(Session& s) {
    s.scheduled.reset();
    if (!s.sessp || s.pending.empty()) return;
    netsnmp_transport* transport = snmp_sess_transport(s.sessp.get());
    // snmp_sess_select_info2() closes a session whose socket is gone; never let it.
    if (transport == nullptr || transport->sock < 0) return;
    int numfds = 0;
    int block = 1;
    timeval tv{0, 0};
    snmp_sess_select_info2(s.sessp.get(), &numfds, fdset.get(), &tv, &block);
    NETSNMP_LARGE_FD_CLR(transport->sock, fdset.get());
    if (block) return;  // nothing outstanding in Net-SNMP
    // At least 1 ms ahead, so that a deadline Net-SNMP still calls due right after
    // snmp_sess_timeout() (same microsecond) cannot spin in one Poll() pass.
    auto delay = std::max<Clock::duration>(
        std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec),
        std::chrono::milliseconds(1));
    auto at = Clock::now() + delay;
    s.scheduled = at;
    timers.push({at, s.id, 0, TimerKind::kNetSnmp});
  }

  /// Called whenever a session may have run out of work: starts its idle countdown.
  void NoteIdle(Session& s) {
    if (!s.pending.empty() || !s.waiting.empty()) return;
    s.last_activity = Clock::now();
    if (options.idle_close.count() > 0 && s.sessp && !s.idle_timer) {
      s.idle_timer = true;  // one idle entry per session in the heap at most
      timers.push({s.last_activity + options.idle_close, s.id, 0, TimerKind::kIdle});
    }
  }

  void RunTimer(const Timer& t) {
    auto it = sessions.find(t.id);
    if (it == sessions.end()) return;
    Session& s = *it->second;
    switch (t.kind) {
      case TimerKind::kNetSnmp:
        if (!s.scheduled || *s.scheduled != t.at || !s.sessp) return;  // superseded
        s.scheduled.reset();
        snmp_sess_timeout(s.sessp.get());  // resends or reports TIMED_OUT
        run_alarms();  // select_info2 counts library alarms in its deadline; due ones run here
        AfterNetSnmp(s);
        Reschedule(s);
        return;
      case TimerKind::kBackstop: {
        auto p = s.pending.find(t.reqid);
        if (p == s.pending.end() || p->second.backstop != t.at) return;
        Response r = p->second.report
                         ? *p->second.report
                         : Failure(Outcome::kTimeout, "no response from " + s.where() +
                                                          " (Net-SNMP dropped the request)");
        Complete(s, t.reqid, std::move(r));
        AfterNetSnmp(s);
        return;
      }
      case TimerKind::kIdle: {
        s.idle_timer = false;
        if (!s.sessp || !s.pending.empty() || !s.waiting.empty()) return;  // NoteIdle rearms
        auto idle_until = s.last_activity + options.idle_close;
        if (Clock::now() >= idle_until) {
          CloseNetSnmp(s);
        } else {  // active since: count again from the last activity
          s.idle_timer = true;
          timers.push({idle_until, s.id, 0, TimerKind::kIdle});
        }
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Callbacks from Net-SNMP: record, never call user code.

  static int OnNetSnmp(int op, netsnmp_session* sp, int reqid, netsnmp_pdu* pdu, void* magic) {
    auto* cookie = static_cast<Cookie*>(magic);
    if (cookie == nullptr) return 1;
    if (cookie->closing) {
      if (g_trace)
        std::fprintf(stderr, "trinet: op %d for reqid %d while closing: ignored\n", op, reqid);
      return 1;
    }
    try {
      auto it = cookie->impl->sessions.find(cookie->id);
      if (it == cookie->impl->sessions.end()) return 1;
      cookie->impl->HandleOp(*it->second, sp, op, reqid, pdu);
    } catch (...) {
      // Nothing may unwind through C. Whatever was not recorded ends at its backstop.
    }
    return 1;
  }

  /// Finds the request a callback is about: by request ID, or for SNMPv3 reports (whose
  /// request ID need not be the request's) by message ID. A report that matches neither
  /// (say, to a retry Net-SNMP sent under a message ID it did not tell) ends at the backstop.
  Pending* Match(Session& s, int reqid, const netsnmp_pdu* pdu, long* found) {
    if (auto it = s.pending.find(reqid); it != s.pending.end()) {
      *found = it->first;
      return &it->second;
    }
    if (pdu != nullptr && pdu->command == SNMP_MSG_REPORT) {
      for (auto& [id, p] : s.pending) {
        if (p.msgid == pdu->msgid) {
          *found = id;
          return &p;
        }
      }
    }
    return nullptr;
  }

  void HandleOp(Session& s, netsnmp_session* sp, int op, int reqid, netsnmp_pdu* pdu) {
    long id = 0;
    Pending* p = Match(s, reqid, pdu, &id);
    if (g_trace) {
      std::fprintf(stderr,
                   "trinet: session %llu op %d reqid %d pdu %s msgid %ld report %d -> %s%ld\n",
                   static_cast<unsigned long long>(s.id), op, reqid,
                   pdu ? snmp_pdu_type(pdu->command) : "-", pdu ? pdu->msgid : 0L,
                   pdu && pdu->command == SNMP_MSG_REPORT ? snmpv3_get_report_type(pdu) : 0,
                   p ? (p->probe ? "probe " : "request ") : "unmatched ", id);
    }
    switch (op) {
      case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
        if (p == nullptr || pdu == nullptr) return;
        switch (pdu->command) {
          case SNMP_MSG_RESPONSE:
            if (p->probe) {
              // An agent that answers the empty probe outright still tells its engine ID.
              ProbeAnswered(s, id, pdu);
            } else {
              Complete(s, id, ResponseFromPdu(pdu));
            }
            return;
          case SNMP_MSG_REPORT:
            HandleReport(s, sp, id, *p, pdu);
            return;
          default:
            Complete(
                s, id,
                Failure(Outcome::kDecodeFailure, std::string("unexpected PDU type ") +
                                                     snmp_pdu_type(pdu->command) + " in reply"));
            return;
        }
      case NETSNMP_CALLBACK_OP_TIMED_OUT:
        if (p == nullptr) return;
        Complete(s, id,
                 p->report ? *p->report
                           : Failure(Outcome::kTimeout,
                                     (p->probe ? "no answer to SNMPv3 engine ID discovery from "
                                               : "no response from ") +
                                         s.where() + " after " + std::to_string(s.retries + 1) +
                                         " attempt(s) of " + std::to_string(s.timeout_us / 1000) +
                                         " ms"));
        return;
      case NETSNMP_CALLBACK_OP_SEND_FAILED:
        if (p == nullptr) return;
        Complete(s, id,
                 Failure(Outcome::kSendFailure, "cannot send to " + s.where() + ": " +
                                                    ApiError(sp->s_snmp_errno, sp->s_errno)));
        return;
      case NETSNMP_CALLBACK_OP_RESEND:
        // A retry after a timeout; the request stays outstanding under a new message ID.
        if (p == nullptr) return;
        ++p->netsnmp_retries;
        if (pdu != nullptr) p->msgid = pdu->msgid;
        return;
      case NETSNMP_CALLBACK_OP_SEC_ERROR:
        // Net-SNMP 5.9 announces every report it receives as a security error first and
        // then delivers it as RECEIVED_MESSAGE; without a report, the reply failed the
        // security checks (digest, decryption, time window) and nothing else follows.
        if (p == nullptr) return;
        if (pdu != nullptr && pdu->command == SNMP_MSG_REPORT) {
          HandleReport(s, sp, id, *p, pdu);
          return;
        }
        Complete(s, id,
                 Failure(Outcome::kAuthFailure, "SNMPv3 security error on the reply from " +
                                                    s.where() + ": " + ApiError(sp->s_snmp_errno)));
        return;
      case NETSNMP_CALLBACK_OP_CONNECT:
        return;  // stream transports only
      case NETSNMP_CALLBACK_OP_DISCONNECT: {
        // Stream transports only: everything outstanding is lost.
        std::vector<long> ids;
        for (auto& [rid, pending] : s.pending) ids.push_back(rid);
        for (long rid : ids) {
          Complete(s, rid,
                   Failure(Outcome::kSendFailure, "connection to " + s.where() + " closed"));
        }
        return;
      }
      default:
        return;
    }
  }

  void ProbeAnswered(Session& s, long id, const netsnmp_pdu* pdu) {
    s.pending.erase(id);
    if (pdu->securityEngineIDLen == 0 || pdu->securityEngineID == nullptr) {
      s.probe_failure = Failure(Outcome::kAuthFailure,
                                "SNMPv3 engine ID discovery: the reply carries no engine ID");
      return;
    }
    s.engine_id.assign(reinterpret_cast<const char*>(pdu->securityEngineID),
                       pdu->securityEngineIDLen);
    s.engine_found = true;
  }

  void HandleReport(Session& s, netsnmp_session* sp, long id, Pending& p, netsnmp_pdu* pdu) {
    // The same report comes as SEC_ERROR and as RECEIVED_MESSAGE: act on it once.
    if (p.last_report == pdu && p.last_report_msgid == pdu->msgid) return;
    p.last_report = pdu;
    p.last_report_msgid = pdu->msgid;
    if (p.probe) {
      ProbeAnswered(s, id, pdu);  // usmStatsUnknownEngineIDs, as expected
      return;
    }
    int type = snmpv3_get_report_type(pdu);
    switch (type) {
      case SNMPERR_NOT_IN_TIME_WINDOW:
        // Net-SNMP has just learnt the agent's boots/time from this authenticated report and
        // resends at once while the request has retries left (rp->retries <= sp->retries).
        if (p.netsnmp_retries <= sp->retries) {
          ++p.netsnmp_retries;
          p.report = Failure(Outcome::kAuthFailure, ReportText(type));
          return;
        }
        Complete(s, id, Failure(Outcome::kAuthFailure, ReportText(type)));
        return;
      case SNMPERR_UNKNOWN_ENG_ID:
        // The agent was replaced or re-keyed: discover again on the next request.
        s.forget_engine = true;
        Complete(s, id, Failure(Outcome::kAuthFailure, ReportText(type)));
        return;
      case SNMPERR_UNKNOWN_USER_NAME:
      case SNMPERR_AUTHENTICATION_FAILURE:
      case SNMPERR_DECRYPTION_ERR:
      case SNMPERR_UNSUPPORTED_SEC_LEVEL:
      case SNMPERR_UNKNOWN_SEC_MODEL:
      case SNMPERR_INVALID_MSG:
      case SNMPERR_UNKNOWN_PDU:
      case SNMPERR_UNKNOWN_REPORT:
      default:
        Complete(s, id, Failure(Outcome::kAuthFailure, ReportText(type)));
        return;
    }
  }

  void Complete(Session& s, long id, Response response) {
    auto it = s.pending.find(id);
    if (it == s.pending.end()) return;
    if (it->second.probe) {
      s.pending.erase(it);
      s.probe_failure = std::move(response);
      return;
    }
    ready.push_back({s.id, std::move(it->second.done), std::move(response)});
    s.pending.erase(it);
    NoteIdle(s);
  }

  // ------------------------------------------------------------------------------------------
  // Poll

  void ReadSession(Session& s) {
    for (int i = 0; i < options.max_reads_per_wakeup && s.sessp; ++i) {
      // A v3 reply that fails the security checks is dropped by Net-SNMP without a callback;
      // its msgID, peeked here first, tells which request it answered.
      std::optional<long> msgid;
      UsmStats before{};
      if (s.version() == SNMP_VERSION_3) {
        before = ReadUsmStats();
        unsigned char head[32];
        ssize_t n = recv(s.fd, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) msgid = V3MessageId(head, static_cast<size_t>(n));
      }
      NETSNMP_LARGE_FD_SET(s.fd, fdset.get());
      int rc = snmp_sess_read2(s.sessp.get(), fdset.get());
      NETSNMP_LARGE_FD_CLR(s.fd, fdset.get());
      netsnmp_session* sp = snmp_sess_session(s.sessp.get());
      switch (rc) {
        case 0:
          continue;  // one datagram processed
        default:
          // -1: nothing left to read, or a datagram that did not parse (dropped).
          if (sp->s_snmp_errno == SNMPERR_BAD_RECVFROM) break;
          if (g_trace) {
            std::fprintf(stderr, "trinet: session %llu dropped a datagram: %s\n",
                         static_cast<unsigned long long>(s.id), ApiError(sp->s_snmp_errno).c_str());
          }
          if (s.version() != SNMP_VERSION_3 || !msgid) continue;
          if (auto why = ReplySecurityError(before, ReadUsmStats())) {
            for (auto& [id, p] : s.pending) {
              if (p.msgid != *msgid) continue;
              Complete(s, id, Failure(Outcome::kAuthFailure, *why + " from " + s.where()));
              break;
            }
          }
          continue;
      }
      break;
    }
    AfterNetSnmp(s);
  }

  void WaitAndProcess(Clock::duration wait) {
    if (wait < Clock::duration::zero()) wait = Clock::duration::zero();
    if (!timers.empty()) {
      auto until_timer = timers.top().at - Clock::now();
      if (until_timer < wait) wait = std::max(until_timer, Clock::duration::zero());
    }
    // Round up so that a deadline 0.3 ms away does not become a busy loop.
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
    int timeout_ms = static_cast<int>(std::min<long long>(ms, std::numeric_limits<int>::max()));
    constexpr int kMaxEvents = 256;
    epoll_event events[kMaxEvents];
    int n = epoll_wait(epoll.get(), events, kMaxEvents, timeout_ms);
    if (n < 0 && errno != EINTR) {
      throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
    }
    for (int i = 0; i < n; ++i) {
      auto it = sessions.find(events[i].data.u64);
      if (it == sessions.end() || !it->second->sessp) continue;
      ReadSession(*it->second);
    }
    auto now = Clock::now();
    while (!timers.empty() && timers.top().at <= now) {
      Timer t = timers.top();
      timers.pop();
      RunTimer(t);
    }
  }

  int Deliver() {
    std::vector<Ready> batch;
    batch.swap(ready);
    int ran = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      Ready& r = batch[i];
      if (r.id != 0) {
        auto it = sessions.find(r.id);
        if (it == sessions.end()) continue;  // Close()d meanwhile: dropped, already uncounted
        --it->second->outstanding;
      }
      --in_flight;
      ++ran;
      try {
        if (r.done) r.done(std::move(r.response));
      } catch (...) {
        // Keep the callbacks not run yet for the next Poll().
        ready.insert(ready.begin(),
                     std::make_move_iterator(batch.begin() + static_cast<long>(i) + 1),
                     std::make_move_iterator(batch.end()));
        throw;
      }
    }
    return ran;
  }

  int Poll(std::chrono::milliseconds max_wait) {
    auto deadline = Clock::now() + std::max(max_wait, std::chrono::milliseconds(0));
    while (true) {
      WaitAndProcess(ready.empty() ? deadline - Clock::now() : Clock::duration::zero());
      if (!ready.empty() || Clock::now() >= deadline) break;
    }
    return Deliver();
  }

  void Close(SessionId id) {
    auto it = sessions.find(id);
    if (it == sessions.end()) return;
    Session& s = *it->second;
    in_flight -= s.outstanding;
    CloseNetSnmp(s);
    sessions.erase(it);
  }
};

// =============================================================================================

NetSnmpTransport::NetSnmpTransport(NetSnmpOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

NetSnmpTransport::~NetSnmpTransport() = default;

std::optional<Transport::SessionId> NetSnmpTransport::Open(const Target& target,
                                                           std::string* error) {
  return impl_->Open(target, target.credential.context.value_or(""), error);
}

std::optional<Transport::SessionId> NetSnmpTransport::OpenWithContext(const Target& target,
                                                                      std::string_view context_name,
                                                                      std::string* error) {
  return impl_->Open(target, context_name, error);
}

void NetSnmpTransport::Close(SessionId id) { impl_->Close(id); }

void NetSnmpTransport::Send(SessionId id, const Request& request, Callback done) {
  impl_->Send(id, request, std::move(done));
}

int NetSnmpTransport::Poll(std::chrono::milliseconds max_wait) { return impl_->Poll(max_wait); }

size_t NetSnmpTransport::InFlight() const { return impl_->in_flight; }

size_t NetSnmpTransport::SessionCount() const { return impl_->sessions.size(); }

size_t NetSnmpTransport::OpenSocketCount() const { return impl_->open_sockets; }

bool NetSnmpTransport::AuthProtocolSupported(std::string_view name) {
  InitNetSnmpOnce();
  return AuthProtocolOid(name).has_value();
}

bool NetSnmpTransport::PrivProtocolSupported(std::string_view name) {
  InitNetSnmpOnce();
  return PrivProtocolOid(name).has_value();
}

}  // namespace trinet::snmp
