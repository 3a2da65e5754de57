#pragma once
// Fixture files for the findings rules (tests/fixtures/findings/<rule>/<case>.json): a
// register file, observations and the findings expected. docs/findings.md describes the
// format; findings_rules_test.cc runs every file.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "findings/observations.h"
#include "findings/rule_context.h"
#include "register/register_yaml.h"

namespace trinet::testing {

/// A time as an integer (Unix seconds) or "YYYY-MM-DDTHH:MM:SSZ" / "YYYY-MM-DD".
inline std::int64_t FixtureTime(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  const std::string s = v.get<std::string>();
  auto day = findings::DateToUnix(s.substr(0, 10));
  if (!day) throw std::runtime_error("bad time in fixture: " + s);
  std::int64_t t = *day;
  if (s.size() >= 19) {
    t += std::stoi(s.substr(11, 2)) * 3600 + std::stoi(s.substr(14, 2)) * 60 +
         std::stoi(s.substr(17, 2));
  }
  return t;
}

inline findings::Observations ObservationsFromJson(const nlohmann::json& j, std::int64_t now) {
  findings::Observations obs;
  auto time_or = [&](const nlohmann::json& o, const char* key, std::int64_t fallback) {
    return o.contains(key) && !o[key].is_null() ? FixtureTime(o[key]) : fallback;
  };
  auto opt_string = [](const nlohmann::json& o, const char* key) -> std::optional<std::string> {
    if (!o.contains(key) || o[key].is_null()) return std::nullopt;
    return o[key].get<std::string>();
  };
  auto opt_bool = [](const nlohmann::json& o, const char* key) -> std::optional<bool> {
    if (!o.contains(key) || o[key].is_null()) return std::nullopt;
    return o[key].get<bool>();
  };
  if (j.contains("devices")) {
    for (const auto& [id, d] : j["devices"].items()) {
      findings::DeviceState s;
      s.up = d.value("up", true);
      s.reason = d.value("reason", std::string());
      s.first_poll_at = time_or(d, "first_poll_at", now - 30 * 86400);
      s.last_poll_at = time_or(d, "last_poll_at", now);
      if (d.contains("last_up_at")) {
        if (!d["last_up_at"].is_null()) s.last_up_at = FixtureTime(d["last_up_at"]);
      } else if (s.up) {
        s.last_up_at = s.last_poll_at;
      }
      if (d.contains("discovered_at") && !d["discovered_at"].is_null()) {
        s.discovered_at = FixtureTime(d["discovered_at"]);
      }
      s.sys_name = opt_string(d, "sys_name");
      s.sys_location = opt_string(d, "sys_location");
      s.chassis_serial = opt_string(d, "chassis_serial");
      obs.devices[id] = s;
    }
  }
  for (const auto& i : j.value("interfaces", nlohmann::json::array())) {
    findings::InterfaceState s;
    s.device = i.at("device").get<std::string>();
    s.ifindex = i.value("ifindex", 1);
    s.name = i.value("name", std::string());
    s.descr = i.value("descr", s.name);
    s.phys_address = i.value("phys_address", std::string());
    s.admin_up = opt_bool(i, "admin_up");
    s.oper_up = opt_bool(i, "oper_up");
    s.updated_at = time_or(i, "updated_at", now);
    obs.interfaces.push_back(s);
  }
  auto read_facts = [&](const char* section, std::vector<findings::Fact>& into) {
    for (const auto& f : j.value(section, nlohmann::json::array())) {
      findings::Fact fact;
      fact.device = f.at("device").get<std::string>();
      fact.kind = f.at("kind").get<std::string>();
      fact.value = f.at("value");
      fact.key = f.value("key", fact.value.dump());
      fact.first_seen = time_or(f, "first_seen", now);
      fact.last_seen = time_or(f, "last_seen", now);
      into.push_back(std::move(fact));
    }
  };
  read_facts("facts", obs.facts);
  read_facts("past_lldp", obs.past_lldp);
  for (const auto& h : j.value("health", nlohmann::json::array())) {
    obs.health.push_back({h.at("device").get<std::string>(), h.at("key").get<std::string>(),
                          h.at("value").get<double>(), time_or(h, "updated_at", now)});
  }
  return obs;
}

struct RuleFixture {
  std::string rule;
  std::string description;
  Register reg;
  findings::Observations obs;
  std::int64_t now = 0;
  findings::RuleOptions options;
  nlohmann::json expect;  ///< array of {id, severity?, reason?, evidence?, evidence_tables?}
};

inline RuleFixture LoadRuleFixture(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  nlohmann::json j = nlohmann::json::parse(in);
  RuleFixture fx;
  fx.rule = j.at("rule").get<std::string>();
  fx.description = j.value("description", std::string());
  const auto reg_path = file.parent_path() / j.at("register").get<std::string>();
  auto load = LoadRegisterFile(reg_path);
  if (!load.reg) {
    std::string errors;
    for (const auto& e : load.errors) errors += e.ToString() + "\n";
    throw std::runtime_error("fixture register " + reg_path.string() + " invalid:\n" + errors);
  }
  fx.reg = *load.reg;
  fx.now = FixtureTime(j.at("now"));
  if (j.contains("options")) {
    const auto& o = j["options"];
    fx.options.stale_after_seconds = o.value("stale_after_seconds", fx.options.stale_after_seconds);
    fx.options.department_rooms_frozen_since =
        o.value("department_rooms_frozen_since", fx.options.department_rooms_frozen_since);
  }
  fx.obs = ObservationsFromJson(j.value("observations", nlohmann::json::object()), fx.now);
  fx.expect = j.at("expect");
  return fx;
}

}  // namespace trinet::testing
