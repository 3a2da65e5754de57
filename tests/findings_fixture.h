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
  findings::MoveFdbFacts(obs);  // as LoadObservations keeps them
  // Capture sightings: `recorded_at` defaults to now, `first_seen`/`last_seen` (times, as
  // everywhere here) to an hour before now; VLANs to untagged; counts to 1.
  auto strings = [](const nlohmann::json& o, const char* key) {
    return o.value(key, std::vector<std::string>{});
  };
  for (const auto& p : j.value("pcap", nlohmann::json::array())) {
    findings::PcapSighting s;
    s.kind = p.at("kind").get<std::string>();
    s.network = p.at("network").get<std::string>();
    s.source = p.value("source", std::string("file:capture.pcap"));
    s.outer_vlan = p.value("outer_vlan", -1);
    s.inner_vlan = p.value("inner_vlan", -1);
    s.suspect_mac = p.at("suspect_mac").get<std::string>();
    s.suspect_address = p.at("suspect_address").get<std::string>();
    s.src_mac = p.value("src_mac", std::string("02:00:00:00:00:01"));
    s.dst_mac = p.value("dst_mac", s.suspect_mac);
    s.src = p.value("src", std::string());
    s.dst = p.value("dst", s.suspect_address);
    s.dns_names = strings(p, "dns_names");
    s.routers = strings(p, "routers");
    s.dns_servers = strings(p, "dns_servers");
    s.first_seen_us = time_or(p, "first_seen", now - 3600) * 1000000;
    s.last_seen_us = time_or(p, "last_seen", now - 3600) * 1000000;
    s.packets = p.value("packets", std::int64_t{1});
    s.bytes = p.value("bytes", std::int64_t{100});
    s.flows = p.value("flows", std::int64_t{1});
    s.recorded_at = time_or(p, "recorded_at", now);
    obs.pcap.push_back(std::move(s));
  }
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
    fx.options.pcap_evidence_seconds =
        o.value("pcap_evidence_seconds", fx.options.pcap_evidence_seconds);
  }
  fx.obs = ObservationsFromJson(j.value("observations", nlohmann::json::object()), fx.now);
  fx.expect = j.at("expect");
  return fx;
}

}  // namespace trinet::testing
