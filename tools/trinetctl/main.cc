// trinetctl: the register (台账) and, later, findings and audits, from a terminal.
// Exit codes: 0 ok, 1 invalid input, 2 usage, 3 runtime failure.

#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "inventory_report.h"
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

int Show(const fs::path& db_path, const std::optional<std::string>& platform) {
  auto db = OpenDatabase(db_path);
  Register reg = LoadRegister(db);
  if (platform) {
    bool known = false;
    std::vector<std::string> ids;
    for (const auto& p : reg.platforms) {
      known = known || p.id == *platform;
      ids.push_back(p.id);
    }
    if (!known) {
      std::string msg = "no platform '" + *platform + "' in the register";
      if (auto near = NearestName(*platform, ids)) msg += "; did you mean '" + *near + "'?";
      throw InvalidInput(msg);
    }
  }
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

int Main(int argc, char** argv) {
  CLI::App app{
      "trinetctl: the register (台账) of platforms, units, machine rooms, devices and sanctioned "
      "Internet exits of the three government networks.\n"
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
