// trinet-lab-agent: a simulated SNMP v1/v2c agent for the lab and the benchmarks, answering
// from snmpsim .snmprec recordings exactly as snmpsimd 0.4.5 does, on one thread and fast
// enough for 10,000 devices (docs/lab.md, "The lab agent").
//
//   trinet-lab-agent --devices FILE [--max-varbinds N] [--ready-file PATH] [--stats]
//   trinet-lab-agent --data-dir DIR --endpoint 127.0.0.1:PORT [--endpoint ...] [...]
//
// Exit codes: 0 stopped by SIGTERM or SIGINT; 2 bad usage, configuration or recording (every
// problem is printed first); 3 runtime failure (bind, descriptors, the event loop).

#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "mib_view.h"
#include "responder.h"
#include "server.h"

namespace fs = std::filesystem;

namespace trinet::lab {
namespace {

constexpr int kUsage = 2;
constexpr int kRuntime = 3;
constexpr std::size_t kMaxWarnings = 20;
constexpr const char* kProgram = "trinet-lab-agent";

int Fail(const std::vector<std::string>& errors) {
  for (const auto& e : errors) std::cerr << e << "\n";
  return kUsage;
}

void PrintWarnings(const std::vector<std::string>& warnings) {
  for (std::size_t i = 0; i < warnings.size() && i < kMaxWarnings; ++i) {
    std::cerr << warnings[i] << "\n";
  }
  if (warnings.size() > kMaxWarnings) {
    std::cerr << kProgram << ": ... and " << warnings.size() - kMaxWarnings
              << " more records snmpsimd cannot serve (served the same way)\n";
  }
}

bool ReadFile(const fs::path& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path.string() + ": cannot open: " + std::strerror(errno);
    return false;
  }
  text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = path.string() + ": cannot read: " + std::strerror(errno);
    return false;
  }
  return true;
}

// Written to a temporary name and renamed, so that a reader never sees half a line.
bool WriteReadyFile(const std::string& path, const std::string& line, std::string* error) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << line;
    out.flush();
    if (!out) {
      *error = tmp + ": cannot write: " + std::strerror(errno);
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    *error = "rename " + tmp + " to " + path + ": " + ec.message();
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

void PrintStats(const ServerStats& s) {
  rusage usage{};
  double user = 0;
  double system = 0;
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    user = static_cast<double>(usage.ru_utime.tv_sec) + usage.ru_utime.tv_usec / 1e6;
    system = static_cast<double>(usage.ru_stime.tv_sec) + usage.ru_stime.tv_usec / 1e6;
  }
  std::fprintf(
      stderr,
      "%s: requests %llu answered %llu varbinds %llu dropped %llu (malformed %llu, "
      "version %llu, pdu %llu, community %llu, too big %llu, send failed %llu, receive "
      "errors %llu) cpu user %.2f s system %.2f s\n",
      kProgram, static_cast<unsigned long long>(s.requests),
      static_cast<unsigned long long>(s.answered), static_cast<unsigned long long>(s.varbinds),
      static_cast<unsigned long long>(s.dropped()), static_cast<unsigned long long>(s.malformed),
      static_cast<unsigned long long>(s.bad_version), static_cast<unsigned long long>(s.bad_pdu),
      static_cast<unsigned long long>(s.bad_community), static_cast<unsigned long long>(s.too_big),
      static_cast<unsigned long long>(s.send_failed),
      static_cast<unsigned long long>(s.receive_errors), user, system);
}

int Main(int argc, char** argv) {
  CLI::App app{
      "trinet-lab-agent: answers SNMP v1/v2c GET, GETNEXT, GETBULK and SET from snmpsim "
      ".snmprec recordings exactly as snmpsimd 0.4.5 does, on loopback endpoints.",
      kProgram};
  std::string devices_file;
  std::string data_dir;
  std::vector<std::string> endpoint_texts;
  std::uint32_t max_varbinds = 64;
  std::string ready_file;
  bool stats = false;
  bool allow_non_loopback = false;
  auto* devices_opt = app.add_option(
      "--devices", devices_file,
      "one device per line: ADDRESS:PORT RECORDING [COMMUNITY] (community defaults to public; "
      "RECORDING relative to FILE's folder)");
  auto* dir_opt = app.add_option(
      "--data-dir", data_dir,
      "serve every .snmprec under DIR on every --endpoint, selected by community as snmpsimd does");
  auto* endpoint_opt =
      app.add_option("--endpoint", endpoint_texts, "ADDRESS:PORT to serve --data-dir on");
  app.add_option("--max-varbinds", max_varbinds,
                 "at most N varbinds in a GETBULK answer, as snmpsimd's --max-varbinds")
      ->check(CLI::Range(1u, 2147483647u));
  app.add_option("--ready-file", ready_file,
                 "write 'ready <endpoints> <recordings>' here once serving");
  app.add_flag("--stats", stats, "print request counters and CPU time to stderr on exit");
  app.add_flag("--allow-non-loopback", allow_non_loopback,
               "allow endpoints outside 127.0.0.0/8 (never needed in the lab)");
  devices_opt->excludes(dir_opt)->excludes(endpoint_opt);
  dir_opt->needs(endpoint_opt);
  endpoint_opt->needs(dir_opt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }
  if (devices_file.empty() && data_dir.empty()) {
    std::cerr << kProgram << ": give --devices FILE, or --data-dir DIR with --endpoint\n";
    return kUsage;
  }

  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::vector<ServedEndpoint> served;
  std::size_t recordings = 0;
  std::unique_ptr<DataDirCatalog> catalog;
  // Recordings loaded for --devices, by path: the same recording on many lines is loaded once.
  std::map<fs::path, std::shared_ptr<const MibView>> views;

  auto check_loopback = [&](const Endpoint& e, const std::string& where) {
    if (!allow_non_loopback && !e.IsLoopback()) {
      errors.push_back(where + e.text +
                       " is not on loopback (127.0.0.0/8): refusing to bind it (the lab never "
                       "leaves the machine; --allow-non-loopback overrides)");
    }
  };

  if (!devices_file.empty()) {
    std::string text;
    std::string error;
    if (!ReadFile(devices_file, &text, &error)) return Fail({error});
    const fs::path base = fs::absolute(fs::path(devices_file)).parent_path();
    DevicesFile parsed = ParseDevicesFile(text, devices_file, base);
    errors = parsed.errors;
    for (const DeviceLine& d : parsed.devices) {
      check_loopback(d.endpoint, devices_file + ":" + std::to_string(d.line) + ": ");
    }
    if (parsed.devices.empty() && errors.empty()) {
      errors.push_back(devices_file + ": no devices");
    }
    if (!errors.empty()) return Fail(errors);
    for (const DeviceLine& d : parsed.devices) {
      if (views.count(d.recording) != 0) continue;
      auto loaded = MibView::FromFile(d.recording.string());
      if (!loaded.errors.empty()) {
        errors.insert(errors.end(), loaded.errors.begin(), loaded.errors.end());
      }
      warnings.insert(warnings.end(), loaded.warnings.begin(), loaded.warnings.end());
      views[d.recording] = std::move(loaded.view);
    }
    if (!errors.empty()) return Fail(errors);
    recordings = views.size();
    for (const DeviceLine& d : parsed.devices) {
      served.push_back({d.endpoint, std::make_unique<SingleViewSelector>(
                                        d.community, views[d.recording].get())});
    }
  } else {
    std::vector<Endpoint> endpoints;
    for (const std::string& text : endpoint_texts) {
      Endpoint e;
      std::string error;
      if (!ParseEndpoint(text, &e, &error)) {
        errors.push_back("--endpoint: " + error);
        continue;
      }
      check_loopback(e, "--endpoint ");
      for (const Endpoint& other : endpoints) {
        if (other == e) errors.push_back("--endpoint " + text + " is given twice");
      }
      endpoints.push_back(e);
    }
    if (!errors.empty()) return Fail(errors);
    auto loaded = DataDirCatalog::Load(data_dir);
    if (!loaded.errors.empty()) return Fail(loaded.errors);
    warnings = std::move(loaded.warnings);
    catalog = std::move(loaded.catalog);
    recordings = loaded.recordings;
    if (recordings == 0) return Fail({data_dir + ": no .snmprec recordings"});
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      served.push_back({endpoints[i], std::make_unique<DataDirSelector>(
                                          catalog.get(), static_cast<std::uint32_t>(i))});
    }
  }
  PrintWarnings(warnings);

  const std::size_t endpoint_count = served.size();
  std::string error;
  auto server = Server::Create(std::move(served), ResponderOptions{max_varbinds}, &error);
  if (!server) {
    std::cerr << kProgram << ": " << error << "\n";
    return kRuntime;
  }
  const std::string ready =
      "ready " + std::to_string(endpoint_count) + " " + std::to_string(recordings) + "\n";
  if (!ready_file.empty() && !WriteReadyFile(ready_file, ready, &error)) {
    std::cerr << kProgram << ": " << error << "\n";
    return kRuntime;
  }
  std::cout << ready << std::flush;

  const bool ok = server->Run(&error);
  if (stats) PrintStats(server->stats());
  if (!ok) {
    std::cerr << kProgram << ": " << error << "\n";
    return kRuntime;
  }
  return 0;
}

}  // namespace
}  // namespace trinet::lab

int main(int argc, char** argv) { return trinet::lab::Main(argc, argv); }
