// trinetctl: the register (台账), the findings and the audit report, from a terminal.
// Exit codes: 0 ok, 1 invalid input, 2 usage, 3 runtime failure.

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "audit_report.h"
#include "finding_store.h"
#include "findings/rules.h"
#include "findings_report.h"
#include "inventory_report.h"
#include "pcap_report.h"
#include "pcap_store.h"
#include "register/register_yaml.h"
#include "register_store.h"

namespace fs = std::filesystem;

namespace trinet {
namespace {

enum ExitCode { kOk = 0, kInvalidInput = 1, kUsage = 2, kRuntime = 3 };

// Input the user must fix: printed as it is, exit 1.
struct InvalidInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

fs::path DefaultDatabase() {
  const char* env = std::getenv("TRINET_DB");
  return env && *env ? fs::path(env) : fs::path("var") / "trinet.db";
}

sql::Database OpenDatabase(const fs::path& path) {
  if (path == fs::path("var") / "trinet.db") fs::create_directories("var");
  return sql::Database::Open(path);
}

std::string LoginName() {
  if (const char* user = std::getenv("USER"); user && *user) return user;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  return "uid " + std::to_string(getuid());
}

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

int Apply(const fs::path& db_path, const fs::path& file, bool dry_run) {
  RegisterLoad load = LoadRegisterFile(file);
  if (!load.errors.empty()) {
    for (const auto& d : load.errors) std::cerr << d.ToString() << "\n";
    std::cerr << load.errors.size() << (load.errors.size() == 1 ? " error" : " errors") << " in "
              << file.string() << "; nothing applied.\n";
    return kInvalidInput;
  }
  // A dry run against a database that does not exist yet compares with an empty register in
  // memory, so that it leaves nothing behind on disk.
  auto db =
      dry_run && !fs::exists(db_path) ? sql::Database::Open(":memory:") : OpenDatabase(db_path);
  ApplyRequest request{file.string(), Sha256Hex(load.text), LoginName(), UtcNow(), dry_run};
  ApplyResult result = ApplyRegister(db, std::move(*load.reg), request);
  if (!result.errors.empty()) {
    for (const auto& e : result.errors) std::cerr << file.string() << ": " << e << "\n";
    std::cerr << "nothing applied.\n";
    return kInvalidInput;
  }
  if (result.changes.empty()) {
    std::cout << "No changes: " << db_path.string() << " already holds " << file.string() << ".\n";
    return kOk;
  }
  std::cout << RenderChanges(result.changes);
  std::cout << (dry_run ? "Dry run: would apply " : "Applied ") << result.changes.size()
            << (result.changes.size() == 1 ? " change" : " changes") << " from " << file.string()
            << " (sha256 " << request.sha256.substr(0, 12) << ")"
            << (dry_run ? "; nothing written.\n" : " to " + db_path.string() + ".\n");
  return kOk;
}

void CheckPlatform(const Register& reg, const std::string& platform) {
  std::vector<std::string> ids;
  for (const auto& p : reg.platforms) {
    if (p.id == platform) return;
    ids.push_back(p.id);
  }
  std::string msg = "no platform '" + platform + "' in the register";
  if (auto near = NearestName(platform, ids)) msg += "; did you mean '" + *near + "'?";
  throw InvalidInput(msg);
}

int Show(const fs::path& db_path, const std::optional<std::string>& platform) {
  auto db = OpenDatabase(db_path);
  Register reg = LoadRegister(db);
  if (platform) CheckPlatform(reg, *platform);
  std::cout << RenderInventoryTree(reg, platform);
  return kOk;
}

int Export(const fs::path& db_path, const std::string& format, const std::optional<fs::path>& out) {
  auto db = OpenDatabase(db_path);
  Register reg = LoadRegister(db);
  if (format == "yaml") {
    const std::string yaml = EmitRegisterYaml(reg);
    if (!out) {
      std::cout << yaml;
      return kOk;
    }
    fs::create_directories(*out);
    WriteFile(*out / "register.yaml", yaml);
    std::cerr << "wrote " << (*out / "register.yaml").string() << "\n";
    return kOk;
  }
  if (!out) throw InvalidInput("--format csv writes one file per entity: give --out DIR");
  fs::create_directories(*out);
  for (const auto& [name, content] : RenderInventoryCsv(reg)) {
    WriteFile(*out / name, content);
    std::cerr << "wrote " << (*out / name).string() << "\n";
  }
  return kOk;
}

int History(const fs::path& db_path, const std::optional<std::string>& since) {
  auto db = OpenDatabase(db_path);
  auto history = LoadHistory(db, since);
  if (history.empty()) {
    std::cout << "No register changes" << (since ? " since " + *since : "") << ".\n";
    return kOk;
  }
  std::cout << RenderHistory(history);
  return kOk;
}

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The stored finding `id`, or an InvalidInput naming the nearest id.
findings::FindingRecord FindingOrThrow(sql::Database& db, const std::string& id) {
  if (auto r = LoadFinding(db, id)) return *r;
  std::vector<std::string> ids;
  for (const auto& r : LoadFindings(db)) ids.push_back(r.finding.Id());
  std::string msg = "no finding '" + id + "'";
  if (auto near = NearestName(id, ids)) msg += "; did you mean '" + *near + "'?";
  throw InvalidInput(msg);
}

int ListFindings(const fs::path& db_path, const FindingsFilter& filter, bool as_json) {
  auto db = OpenDatabase(db_path);
  sql::ReadTransaction snapshot(db);
  Register reg = LoadRegister(db);
  if (filter.platform) CheckPlatform(reg, *filter.platform);
  std::vector<findings::FindingRecord> records;
  for (auto& r : LoadFindings(db)) {
    if (Matches(r, filter)) records.push_back(std::move(r));
  }
  SortForDesk(records);
  if (as_json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : records) out.push_back(FindingJson(r, reg));
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << RenderFindingsTable(records, reg);
  }
  return kOk;
}

int ShowFinding(const fs::path& db_path, const std::string& id, bool as_json) {
  auto db = OpenDatabase(db_path);
  sql::ReadTransaction snapshot(db);
  Register reg = LoadRegister(db);
  const auto r = FindingOrThrow(db, id);
  const auto history = LoadFindingHistory(db, id);
  if (as_json) {
    auto j = FindingJson(r, reg);
    j["history"] = nlohmann::ordered_json::array();
    for (const auto& h : history) {
      j["history"].push_back(
          {{"at", findings::FormatUtc(h.at)}, {"event", h.event}, {"by", h.by}, {"note", h.note}});
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << RenderFindingDetail(r, reg, history);
  }
  return kOk;
}

// ack and waive: one transaction, so a finding changed meanwhile by trinetd is read fresh.
template <typename Change>
int ChangeFinding(const fs::path& db_path, const std::string& id, Change change) {
  auto db = OpenDatabase(db_path);
  sql::Transaction tx(db);
  auto r = FindingOrThrow(db, id);
  std::vector<findings::HistoryEvent> events;
  if (auto error = change(r, events)) throw InvalidInput(*error);
  WriteFindings(db, {r}, events);
  tx.Commit();
  std::cout << id << ": " << r.state << "\n";
  return kOk;
}

std::optional<std::int64_t> ParseTime(const std::string& text) {
  auto day = findings::DateToUnix(text.substr(0, 10));
  if (!day) return std::nullopt;
  if (text.size() == 10) return day;
  if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
    return std::nullopt;
  }
  for (size_t i : {11, 12, 14, 15, 17, 18}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  const int h = std::stoi(text.substr(11, 2));
  const int m = std::stoi(text.substr(14, 2));
  const int sec = std::stoi(text.substr(17, 2));
  if (h > 23 || m > 59 || sec > 59) return std::nullopt;
  return *day + h * 3600 + m * 60 + sec;
}

// Without --at: evaluates now and stores the result, as trinetd does after a cycle. With
// --at: shows what the findings would be at that time and writes nothing, so an audit's
// "what if" can never expire a waiver or move a finding's history.
int EvaluateNow(const fs::path& db_path, const std::optional<std::string>& at,
                const FindingsFilter& filter, const findings::RuleOptions& options) {
  std::int64_t now = NowSeconds();
  if (at) {
    auto t = ParseTime(*at);
    if (!t) throw InvalidInput("--at '" + *at + "' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    now = *t;
  }
  auto db = OpenDatabase(db_path);
  Register reg;
  {
    sql::ReadTransaction snapshot(db);
    reg = LoadRegister(db);
  }
  const auto records =
      at ? PreviewFindings(db, reg, now, options) : EvaluateFindings(db, reg, now, options);
  size_t open = 0;
  for (const auto& r : records) open += r.state != findings::kResolved;
  if (at) {
    std::vector<findings::FindingRecord> shown;
    for (const auto& r : records) {
      if (Matches(r, filter)) shown.push_back(r);
    }
    SortForDesk(shown);
    std::cout << RenderFindingsTable(shown, reg);
    std::cout << "As of " << findings::FormatUtc(now) << ": " << open
              << " findings would not be resolved; nothing written (without --at, evaluate "
                 "stores the result).\n";
    return kOk;
  }
  std::cout << "Evaluated " << findings::Rules().size() << " rules at " << findings::FormatUtc(now)
            << ": " << open << " findings not resolved, " << records.size() - open
            << " resolved.\n";
  return kOk;
}

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, so that a failing close (a full disk on NFS) is seen before the rename.
  bool Close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// Writes `content` to a new file beside `path` and renames it over `path` once all of it is
// on disk: a reader never sees half a report, and a failure (full disk, killed process)
// leaves whatever was at `path` before. The temporary file is removed on every error.
void WriteFileAtomically(const fs::path& path, const std::string& content) {
  if (fs::is_directory(path)) throw InvalidInput("--out " + path.string() + " is a folder");
  auto fail = [&](const std::string& what, int error) {
    throw std::runtime_error("cannot " + what + ": " + std::strerror(error));
  };
  fs::path temp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    temp = path;
    temp += ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(attempt);
    // Mode 0666 less the umask, as the report would get from a shell redirection.
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) fail("create " + temp.string(), errno);
  }
  if (fd < 0) fail("create a temporary file beside " + path.string(), EEXIST);
  Fd file(fd);
  struct RemoveUnlessRenamed {
    const fs::path& temp;
    bool renamed = false;
    ~RemoveUnlessRenamed() {
      if (!renamed) ::unlink(temp.c_str());
    }
  } guard{temp};
  for (size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(file.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write " + temp.string(), errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(file.get()) != 0) fail("write " + temp.string(), errno);
  if (!file.Close()) fail("write " + temp.string(), errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename to " + path.string(), errno);
  guard.renamed = true;
}

struct PcapFlags {
  fs::path file;
  std::string network;
  bool json = false;
  bool record = false;
  bool partial = false;
  std::size_t max_flows = 1000000;
};

// `pcap analyze` (docs/pcap.md, "Offline analysis"): reads a capture file, shows what it
// found and the rogue-exit findings it would give; --record stores the observations and
// evaluates for real. A file cut short is shown as far as it was read and exits 1; it is
// recorded only with --partial. Captured addresses are never resolved to names.
int PcapAnalyze(const fs::path& db_path, const PcapFlags& flags,
                const findings::RuleOptions& options) {
  auto db = OpenDatabase(db_path);
  Register reg;
  {
    sql::ReadTransaction snapshot(db);
    reg = LoadRegister(db);
  }
  std::vector<std::string> ids;
  for (const auto& n : reg.networks) ids.push_back(n.id);
  if (ids.empty()) ids = enums::kNetworkIds;
  if (std::find(ids.begin(), ids.end(), flags.network) == ids.end()) {
    std::string allowed;
    for (const auto& id : ids) allowed += (allowed.empty() ? "" : ", ") + id;
    throw InvalidInput("no network '" + flags.network + "' in the register; --network is one of " +
                       allowed);
  }
  const std::string source = "file:" + flags.file.filename().string();
  std::string open_error;
  auto analysis = AnalyzeCaptureFile(flags.file, PolicyFor(reg, flags.network, source),
                                     flags.max_flows, &open_error);
  if (!analysis) throw InvalidInput(open_error);
  const std::int64_t now = NowSeconds();
  const bool record = flags.record && (!analysis->error || flags.partial);
  std::vector<findings::FindingRecord> records;
  if (record) {
    RecordPcapObservations(db, analysis->observations, now);
    records = EvaluateFindings(db, reg, now, options);
  } else {
    std::vector<findings::PcapSighting> extra;
    for (const auto& o : analysis->observations) extra.push_back(SightingOf(o, now));
    records = PreviewFindings(db, reg, now, options, extra);
  }
  const auto shown = FindingsFromSource(records, source);
  if (flags.json) {
    std::cout << PcapAnalysisJson(*analysis, shown, reg, record).dump(2) << "\n";
  } else {
    std::cout << RenderPcapAnalysis(*analysis, shown, reg, record);
  }
  if (analysis->error) {
    std::cerr << "trinetctl: " << *analysis->error << "\n";
    if (flags.record && !flags.partial) {
      std::cerr << "trinetctl: the file is cut short: nothing recorded (--partial records what "
                   "was read)\n";
    }
    return kInvalidInput;
  }
  return kOk;
}

struct AuditFlags {
  std::string format;
  std::string lang = "zh";
  std::optional<std::string> platform, since, until;
  std::optional<fs::path> out;
};

// The consolidation office's report (docs/audit.md). Every flag is checked before the
// database is read, and the report is rendered whole before anything is written.
int Audit(const fs::path& db_path, const AuditFlags& flags) {
  AuditParams params;
  params.now = NowSeconds();
  params.platform = flags.platform;
  if (auto error = ResolveAuditPeriod(flags.since, flags.until, params)) throw InvalidInput(*error);
  // An audit of a mistyped path must not create an empty database and report nothing.
  if (!fs::exists(db_path)) {
    throw InvalidInput("no database at " + db_path.string() +
                       " (give --db or $TRINET_DB; trinetctl inventory apply creates it)");
  }
  params.database = fs::absolute(db_path).lexically_normal().string();
  auto db = OpenDatabase(db_path);
  if (flags.platform) CheckPlatform(LoadRegister(db), *flags.platform);
  const AuditData data = LoadAuditData(db, params);
  const AuditRenderOptions options{flags.lang};
  const std::string report = flags.format == "html"  ? RenderAuditHtml(data, options)
                             : flags.format == "csv" ? RenderAuditCsv(data, options)
                                                     : RenderAuditMarkdown(data, options);
  if (!flags.out) {
    std::cout << report << std::flush;
    if (!std::cout) throw std::runtime_error("cannot write the report to standard output");
    return kOk;
  }
  WriteFileAtomically(*flags.out, report);
  std::cerr << "wrote " << flags.out->string() << "\n";
  return kOk;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "trinetctl: the register (台账) of platforms, units, machine rooms, devices and sanctioned "
      "Internet exits of the three government networks, and the findings against it.\n"
      "Exit codes: 0 ok, 1 invalid input, 2 usage error, 3 runtime failure.",
      "trinetctl"};
  app.require_subcommand(1);
  app.fallthrough();
  fs::path db_path = DefaultDatabase();
  app.add_option("--db", db_path, "SQLite database (default: $TRINET_DB, else ./var/trinet.db)");

  auto* inventory =
      app.add_subcommand("inventory", "Apply, show, export the register and its history");
  inventory->require_subcommand(1);

  fs::path apply_file;
  bool dry_run = false;
  auto* apply = inventory->add_subcommand(
      "apply", "Validate a register file and make it the register (one transaction)");
  apply->add_option("FILE", apply_file, "Register YAML, see docs/register.md")->required();
  apply->add_flag("--dry-run", dry_run, "Print what would change; write nothing");

  std::optional<std::string> show_platform;
  auto* show = inventory->add_subcommand(
      "show", "Print the tree platform → unit (admin) → room → devices, with counts");
  show->add_option("--platform", show_platform, "Only this platform (id)");

  std::string format = "yaml";
  std::optional<fs::path> out_dir;
  auto* exp = inventory->add_subcommand(
      "export", "Write the register as YAML (applies back unchanged) or CSV; secrets redacted");
  exp->add_option("--format", format, "yaml or csv")
      ->check(CLI::IsMember({"yaml", "csv"}))
      ->capture_default_str();
  exp->add_option("--out", out_dir, "Folder to write register.yaml or one CSV per entity into");

  std::optional<std::string> since;
  auto* history = inventory->add_subcommand("history", "Every change applied, oldest first");
  history->add_option("--since", since, "Only changes applied on or after DATE (YYYY-MM-DD)")
      ->check([](const std::string& s) {
        return s.size() >= 10 && s[4] == '-' && s[7] == '-' ? std::string()
                                                            : std::string("expected YYYY-MM-DD");
      });

  auto* findings_cmd = app.add_subcommand(
      "findings",
      "Breaches of the policy with evidence: list (default: every finding not resolved), "
      "show, ack, waive, evaluate");
  findings_cmd->require_subcommand(0, 1);
  FindingsFilter filter;
  bool as_json = false;
  std::vector<std::string> rule_names;
  for (const auto& r : findings::Rules()) rule_names.emplace_back(r.name);
  findings_cmd->add_option("--state", filter.state, "open, acknowledged, waived, resolved or all")
      ->check(CLI::IsMember({"open", "acknowledged", "waived", "resolved", "all"}));
  findings_cmd->add_option("--rule", filter.rule, "Only this rule")
      ->check(CLI::IsMember(rule_names));
  findings_cmd->add_option("--network", filter.network, "Only this network")
      ->check(CLI::IsMember(enums::kNetworkIds));
  findings_cmd->add_option("--platform", filter.platform, "Only this platform (id)");
  findings_cmd->add_flag("--json", as_json, "JSON array (docs/findings.md) instead of a table");

  std::string finding_id;
  bool show_json = false;
  auto* fshow = findings_cmd->add_subcommand("show", "One finding with evidence and history");
  fshow->add_option("ID", finding_id, "Finding id")->required();
  fshow->add_flag("--json", show_json, "JSON object instead of text");

  std::string by, note, reason, until;
  auto* fack = findings_cmd->add_subcommand("ack", "Acknowledge: someone is on it");
  fack->add_option("ID", finding_id, "Finding id")->required();
  fack->add_option("--by", by, "Who acknowledges")->required();
  fack->add_option("--note", note, "What is being done")->required();

  auto* fwaive = findings_cmd->add_subcommand(
      "waive", "Waive until a date, e.g. where a law requires the exception (M1 art. 8)");
  fwaive->add_option("ID", finding_id, "Finding id")->required();
  fwaive->add_option("--by", by, "Who approved the waiver")->required();
  fwaive->add_option("--reason", reason, "Why (the law or decision)")->required();
  fwaive->add_option("--until", until, "Last day of the waiver, YYYY-MM-DD")->required();

  std::optional<std::string> at;
  double stale_days = 7;
  findings::RuleOptions rule_options;
  auto* feval = findings_cmd->add_subcommand(
      "evaluate", "Run the rules on the stored observations now, as trinetd does after a cycle");
  feval->add_option("--at", at,
                    "Show what the findings would be at this time (YYYY-MM-DD[THH:MM:SSZ]) "
                    "on the stored observations; writes nothing");
  feval->add_option("--stale-after-days", stale_days, "As trinetd's option")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3650.0));
  feval
      ->add_option("--department-rooms-frozen-since", rule_options.department_rooms_frozen_since,
                   "As trinetd's option")
      ->capture_default_str();

  double pcap_evidence_days = 7;
  feval
      ->add_option("--pcap-evidence-days", pcap_evidence_days,
                   "As trinetd's option: capture evidence counts this long after recording")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3650.0));

  auto* pcap_cmd = app.add_subcommand(
      "pcap", "The passive egress watch on capture files (docs/pcap.md); never captures itself");
  pcap_cmd->require_subcommand(1);
  PcapFlags pcap_flags;
  auto* panalyze = pcap_cmd->add_subcommand(
      "analyze",
      "Read a pcap or pcapng file taken on NETWORK and show the public traffic, gateway "
      "bypasses, foreign resolvers and rogue DHCP servers in it, with the rogue-exit findings "
      "they give (a preview unless --record)");
  panalyze->add_option("FILE", pcap_flags.file, "Capture file, pcap or pcapng")->required();
  panalyze->add_option("--network", pcap_flags.network, "The network it was captured on")
      ->required();
  panalyze->add_flag("--json", pcap_flags.json, "JSON object (docs/pcap.md) instead of text");
  panalyze->add_flag("--record", pcap_flags.record,
                     "Store the observations and evaluate the findings (their lifecycle)");
  panalyze->add_flag("--partial", pcap_flags.partial,
                     "With --record: record what was read from a file cut short");
  panalyze->add_option("--max-flows", pcap_flags.max_flows, "Flows held at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  panalyze
      ->add_option("--pcap-evidence-days", pcap_evidence_days,
                   "As trinetd's option: capture evidence counts this long after recording")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3650.0));
  panalyze->add_option("--stale-after-days", stale_days, "As trinetd's option")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3650.0));

  AuditFlags audit_flags;
  auto* audit = app.add_subcommand(
      "audit",
      "The consolidation office's report for the yearly assessment (M2 art. 15): progress per "
      "platform and unit, rogue exits and bridges with evidence, orphan rooms, waivers and "
      "register changes of a period (docs/audit.md)");
  audit->add_option("--format", audit_flags.format, "html (one self-contained page), csv or md")
      ->required()
      ->check(CLI::IsMember({"html", "csv", "md"}));
  audit->add_option("--platform", audit_flags.platform, "Only this platform (id)");
  audit->add_option("--lang", audit_flags.lang, "Labels of html and md: zh or en")
      ->check(CLI::IsMember({"zh", "en"}))
      ->capture_default_str();
  audit->add_option("--out", audit_flags.out,
                    "Write to FILE (atomically: complete or not at all); default standard output");
  audit->add_option("--since", audit_flags.since,
                    "First day of the period, YYYY-MM-DD (default: a year before --until)");
  audit->add_option("--until", audit_flags.until,
                    "Last day of the period, YYYY-MM-DD (default: today, UTC)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }

  try {
    if (apply->parsed()) return Apply(db_path, apply_file, dry_run);
    if (show->parsed()) return Show(db_path, show_platform);
    if (exp->parsed()) return Export(db_path, format, out_dir);
    if (history->parsed()) return History(db_path, since);
    if (fshow->parsed()) return ShowFinding(db_path, finding_id, show_json);
    if (fack->parsed()) {
      return ChangeFinding(db_path, finding_id, [&](auto& r, auto& events) {
        return findings::Acknowledge(r, by, note, NowSeconds(), events);
      });
    }
    if (fwaive->parsed()) {
      return ChangeFinding(db_path, finding_id, [&](auto& r, auto& events) {
        return findings::Waive(r, by, reason, until, NowSeconds(), events);
      });
    }
    if (feval->parsed()) {
      if (!findings::DateToUnix(rule_options.department_rooms_frozen_since)) {
        throw InvalidInput("--department-rooms-frozen-since is not YYYY-MM-DD");
      }
      rule_options.stale_after_seconds = static_cast<std::int64_t>(stale_days * 86400);
      rule_options.pcap_evidence_seconds = static_cast<std::int64_t>(pcap_evidence_days * 86400);
      return EvaluateNow(db_path, at, filter, rule_options);
    }
    if (panalyze->parsed()) {
      rule_options.stale_after_seconds = static_cast<std::int64_t>(stale_days * 86400);
      rule_options.pcap_evidence_seconds = static_cast<std::int64_t>(pcap_evidence_days * 86400);
      return PcapAnalyze(db_path, pcap_flags, rule_options);
    }
    if (findings_cmd->parsed()) return ListFindings(db_path, filter, as_json);
    if (audit->parsed()) return Audit(db_path, audit_flags);
  } catch (const InvalidInput& e) {
    std::cerr << "trinetctl: " << e.what() << "\n";
    return kInvalidInput;
  } catch (const std::exception& e) {
    std::cerr << "trinetctl: " << e.what() << "\n";
    return kRuntime;
  }
  return kUsage;
}

}  // namespace
}  // namespace trinet

int main(int argc, char** argv) { return trinet::Main(argc, argv); }
