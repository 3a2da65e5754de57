// The metrics facade: a hand-built register and snapshot rendered as /metrics serves it (an
// Exposition's text, compared at every render with prometheus-cpp's TextSerializer over the
// metric families), checked with promtool and by parsing the text back; the HTTP endpoint on
// a loopback port. The text format, the cache, gzip and HTTP details:
// metrics_exposition_test.cc.
#include "metrics/metrics.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "http_client.h"
#include "test_util.h"

namespace trinet::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---- the fixture ---------------------------------------------------------------------------

std::shared_ptr<const Register> MakeRegister() {
  auto r = std::make_shared<Register>();
  r->networks = {{"external", "Internet-facing", {"203.0.113.0/24"}},
                 {"internal", "Government internal", {"10.0.0.0/8"}}};
  r->platforms = {{"city", "City platform", "city", std::nullopt, std::nullopt}};
  r->units = {{"it-office", "IT office", "city", std::nullopt},
              {"tax", "税务局", "city", Admin{"王芳", "+86 29 3300 0001", std::nullopt}}};
  r->rooms = {
      {"dc1", "Central room", "it-office", "city", "central", "active", std::nullopt, std::nullopt},
      {"tax-2f", "Tax bureau 2F", std::nullopt, "city", "department", "consolidating", "2026-12-31",
       std::nullopt},
  };
  const auto device = [](std::string id, std::string room, std::string network, std::string role) {
    Device d;
    d.id = std::move(id);
    d.room = std::move(room);
    d.network = std::move(network);
    d.role = std::move(role);
    d.address = "10.0.0.1";
    d.credentials = "v2";
    return d;
  };
  r->devices = {
      device("core-1", "dc1", "internal", "core"),  device("fw-ext", "dc1", "external", "egress"),
      device("ups-1", "dc1", "internal", "ups"),    device("acc-9", "dc1", "internal", "access"),
      device("cam-1", "dc1", "internal", "camera"),  // registered, never polled
  };
  const auto egress = [](std::string id, std::string device, std::string interface) {
    Egress e;
    e.id = std::move(id);
    e.platform = "city";
    e.network = "external";
    e.device = std::move(device);
    e.interface = std::move(interface);
    return e;
  };
  r->egress = {
      egress("exit-name", "fw-ext", "ge-0/0/0"),       // by ifName (an ifDescr matches too)
      egress("exit-descr", "fw-ext", "WAN uplink 2"),  // by ifDescr only
      egress("exit-oper-down", "fw-ext", "ge-0/0/2"), egress("exit-missing", "fw-ext", "ge-9/9/9"),
      egress("exit-device-down", "acc-9", "Gi0/1"),
  };
  return r;
}

InterfaceSnapshot Interface(std::int64_t ifindex, std::string name, std::string descr = "") {
  InterfaceSnapshot i;
  i.ifindex = ifindex;
  i.name = std::move(name);
  i.descr = descr.empty() ? i.name : std::move(descr);
  i.admin_up = true;
  i.oper_up = true;
  i.speed_bits = 1e9;
  i.receive_bytes = 1000 * static_cast<std::uint64_t>(ifindex);
  i.transmit_bytes = 2000 * static_cast<std::uint64_t>(ifindex);
  i.receive_errors = 1;
  i.transmit_errors = 2;
  i.receive_discards = 3;
  i.transmit_discards = 4;
  return i;
}

Snapshot MakeSnapshot() {
  Snapshot s;
  s.reg = MakeRegister();
  s.version = "0.1.0";

  DeviceSnapshot core;
  core.id = "core-1";
  core.up = true;
  core.poll_duration_seconds = 0.25;
  core.last_poll_timestamp_seconds = 1700000000;
  core.interfaces.push_back(Interface(1, "Gi0/1"));
  core.interfaces.push_back(Interface(2, "Gi0/1"));  // same ifName, as real gear does
  InterfaceSnapshot shut = Interface(3, "Gi0/3");
  shut.admin_up = false;
  shut.oper_up = false;
  core.interfaces.push_back(shut);
  InterfaceSnapshot sparse;  // only what the agent answered
  sparse.ifindex = 4;
  sparse.name = "Vlan10";
  sparse.oper_up = true;
  sparse.receive_bytes = 77;
  core.interfaces.push_back(sparse);
  s.devices["core-1"] = core;

  DeviceSnapshot fw;
  fw.id = "fw-ext";
  fw.up = true;
  fw.poll_duration_seconds = 0.5;
  fw.last_poll_timestamp_seconds = 1700000001;
  fw.interfaces.push_back(Interface(5, "mgmt0", "ge-0/0/0"));  // ifDescr only, lower ifIndex
  InterfaceSnapshot wan1 = Interface(10, "ge-0/0/0", "WAN uplink 1");
  wan1.speed_bits = 1e10;
  wan1.receive_bytes = 123456789;
  wan1.transmit_bytes = 987654321;
  fw.interfaces.push_back(wan1);
  InterfaceSnapshot wan2 = Interface(11, "ge-0/0/1", "WAN uplink 2");
  wan2.speed_bits = 8e8;
  wan2.receive_bytes = 111;
  wan2.transmit_bytes = 222;
  fw.interfaces.push_back(wan2);
  InterfaceSnapshot wan3 = Interface(12, "ge-0/0/2");
  wan3.oper_up = false;
  fw.interfaces.push_back(wan3);
  s.devices["fw-ext"] = fw;

  DeviceSnapshot ups;
  ups.id = "ups-1";
  ups.up = true;
  ups.poll_duration_seconds = 0.125;
  ups.last_poll_timestamp_seconds = 1700000002;
  UpsSnapshot u;
  u.on_battery = true;
  u.seconds_on_battery = 90;
  u.minutes_remaining = 12.5;
  u.charge_ratio = 0.8;
  u.output_load_ratio = 0.35;
  u.input_voltage = 0;
  ups.ups = u;
  ups.sensors = {{"Inlet", "temperature", 23.5},
                 {"Inlet", "humidity", 0.45},
                 {"Inlet", "temperature", 24},  // a second sensor with the same name
                 {"fan", "rpm", 3000}};         // a kind we do not export
  s.devices["ups-1"] = ups;

  DeviceSnapshot acc;
  acc.id = "acc-9";
  acc.up = false;
  acc.reason = "timeout: no response after 3 retries";
  acc.poll_duration_seconds = 3;
  acc.last_poll_timestamp_seconds = 1700000003;
  acc.interfaces.push_back(Interface(1, "Gi0/1"));  // stale values the poller kept
  s.devices["acc-9"] = acc;

  DeviceSnapshot rogue;  // polled but not in the register
  rogue.id = "rogue";
  rogue.up = true;
  rogue.interfaces.push_back(Interface(1, "eth0"));
  s.devices["rogue"] = rogue;

  s.self.poll_cycle_duration_seconds = 4.5;
  s.self.discovery_cycle_duration_seconds = 30;
  s.self.poll_interval_seconds = 60;
  s.self.snmp_requests = {{"ok", 1000}, {"timeout", 7}, {"auth_failure", 1}};
  s.self.poll_cycles = 42;
  s.self.discovery_cycles = 3;
  return s;
}

FindingSnapshot Finding(std::string id, std::string rule, std::string reason, std::string severity,
                        std::string state, std::string network, std::string platform,
                        std::string room, std::string unit, std::string subject) {
  return {std::move(id),    std::move(rule),    std::move(reason),   std::move(severity),
          std::move(state), std::move(network), std::move(platform), std::move(room),
          std::move(unit),  std::move(subject)};
}

// 渭城 (Weicheng) is a county platform; its room and unit names are Chinese.
const std::string kWeicheng = "\xe6\xb8\xad\xe5\x9f\x8e";                              // 渭城
const std::string kWeichengRoom = kWeicheng + "\xe5\x8c\xba\xe6\x9c\xba\xe6\x88\xbf";  // 渭城区机房
const std::string kWeichengUnit =
    kWeicheng + "\xe5\x8c\xba\xe8\xb4\xa2\xe6\x94\xbf\xe5\xb1\x80";       // 渭城区财政局
const std::string kSwitch3F = "\xe4\xba\xa4\xe6\x8d\xa2\xe6\x9c\xba-3F";  // 交换机-3F

FindingsSnapshot MakeFindings() {
  FindingsSnapshot f;
  f.evaluated_at_seconds = 1764417600;  // 2025-11-29T12:00:00Z
  f.findings = {
      Finding("rogue-exit:device:acc-9", "rogue-exit", "route", "critical", "open", "internal",
              "city", "dc1", "it-office", "acc-9"),
      Finding("network-bridge:link:core-1~fw-ext", "network-bridge", "lldp-neighbour", "critical",
              "open", "external", "city", "dc1", "it-office", "core-1~fw-ext"),
      Finding("orphan-room:overdue:room:tax-2f", "orphan-room", "overdue", "major", "open",
              "internal", "city", "tax-2f", "", "tax-2f"),
      Finding("orphan-room:ownerless:room:tax-2f", "orphan-room", "ownerless", "major", "waived",
              "internal", "city", "tax-2f", "", "tax-2f"),
      Finding("device-unreachable:device:cam-1", "device-unreachable", "no-answer", "major",
              "resolved", "internal", "city", "dc1", "it-office", "cam-1"),
      Finding("device-unreachable:device:acc-9", "device-unreachable", "no-answer", "major", "open",
              "internal", "city", "dc1", "it-office", "acc-9"),
      Finding("unregistered-device:neighbour:core-1/" + kSwitch3F, "unregistered-device", "lldp",
              "minor", "open", "internal", "city", "dc1", "it-office", "core-1/" + kSwitch3F),
      Finding("rogue-exit:device:core-1", "rogue-exit", "address", "critical", "open", "internal",
              "city", "dc1", "it-office", "core-1"),
      Finding("rogue-exit:device:wc-sw1", "rogue-exit", "route", "critical", "acknowledged",
              "internal", kWeicheng, kWeichengRoom, kWeichengUnit, "wc-sw1"),
      Finding("frozen-expansion:device:wc-sw2", "frozen-expansion", "installed-after-freeze",
              "major", "open", "internal", kWeicheng, kWeichengRoom, kWeichengUnit, "wc-sw2"),
  };
  f.rooms = {{{"city", "central", "active"}, 1},
             {{"city", "department", "consolidating"}, 1},
             {{kWeicheng, "central", "active"}, 1},
             {{kWeicheng, "department", "consolidated"}, 3},
             {{kWeicheng, "department", "exempt"}, 1}};
  f.rooms_overdue = {{"city", 1}, {kWeicheng, 0}};
  f.units_without_admin = {{"city", 0}, {kWeicheng, 2}};
  return f;
}

// ---- the text, parsed back -----------------------------------------------------------------

using LabelSet = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  LabelSet labels;
  double value = 0;
};

struct Parsed {
  std::vector<Sample> samples;
  std::map<std::string, std::string> help;  // by family name
  std::map<std::string, std::string> type;

  std::vector<Sample> Of(const std::string& name) const {
    std::vector<Sample> out;
    for (const auto& s : samples) {
      if (s.name == name) out.push_back(s);
    }
    return out;
  }
  std::vector<LabelSet> LabelsOf(const std::string& name) const {
    std::vector<LabelSet> out;
    for (const auto& s : Of(name)) out.push_back(s.labels);
    return out;
  }
  bool Has(const std::string& name, const LabelSet& labels) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return true;
    }
    return false;
  }
  /// The value of the one series `name{labels}`; throws when there is none.
  double Value(const std::string& name, const LabelSet& labels = {}) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    std::string l;
    for (const auto& [k, v] : labels) l += k + "=" + v + ",";
    throw std::runtime_error("no series " + name + "{" + l + "}");
  }
  std::set<std::string> Names() const {
    std::set<std::string> out;
    for (const auto& s : samples) out.insert(s.name);
    return out;
  }
};

// name{label="value",...} value — the subset of the text format prometheus-cpp writes.
Parsed Parse(const std::string& text) {
  Parsed e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      const auto sp = rest.find(' ');
      (line[2] == 'H' ? e.help : e.type)[rest.substr(0, sp)] = rest.substr(sp + 1);
      continue;
    }
    if (line[0] == '#') continue;
    Sample s;
    std::size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        const auto eq = line.find('=', i);
        const std::string key = line.substr(i, eq - i);
        i = eq + 2;  // past ="
        std::string value;
        while (line[i] != '"') {
          if (line[i] == '\\') {
            ++i;
            value += line[i] == 'n' ? '\n' : line[i];
          } else {
            value += line[i];
          }
          ++i;
        }
        ++i;  // past the closing quote
        if (line[i] == ',') ++i;
        if (!s.labels.emplace(key, value).second) ADD_FAILURE() << "label twice: " << line;
      }
      ++i;  // past }
    }
    s.value = std::strtod(line.c_str() + i + 1, nullptr);
    e.samples.push_back(std::move(s));
  }
  return e;
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

// What /metrics serves for `holder` (an Exposition's text), checked byte for byte against
// prometheus-cpp's TextSerializer over the metric families of the same snapshots: every value
// in this file's fixtures is one both write alike, so every test pins the two paths together.
std::string Text(const SnapshotHolder& holder, const MetricsOptions& options = {}) {
  const Exposition exposition(holder, options);
  std::string text = exposition.Get(false).Join();
  EXPECT_EQ(text, Serialize(SnapshotCollectable(holder, options).Collect()));
  return text;
}

std::string Render(const Snapshot& s, MetricsOptions options = {}) {
  SnapshotHolder holder;
  holder.Publish(std::make_shared<const Snapshot>(s));
  return Text(holder, options);
}

std::string Render(const Snapshot& s, const FindingsSnapshot& f) {
  SnapshotHolder holder;
  holder.Publish(std::make_shared<const Snapshot>(s));
  holder.PublishFindings(std::make_shared<const FindingsSnapshot>(f));
  return Text(holder);
}

/// Every series (name and label set) that appears more than once.
std::vector<std::string> DuplicateSeries(const Parsed& e) {
  std::map<std::pair<std::string, LabelSet>, int> count;
  std::vector<std::string> out;
  for (const auto& s : e.samples) {
    if (++count[{s.name, s.labels}] == 2) {
      std::string l;
      for (const auto& [k, v] : s.labels) l += k + "=" + v + ",";
      out.push_back(s.name + "{" + l + "}");
    }
  }
  return out;
}

testing::CommandResult Promtool(const std::string& text) {
  testing::TempDir dir;
  testing::WriteFile(dir / "metrics.txt", text);
  return testing::RunCommand("promtool check metrics < " + testing::Quote(dir / "metrics.txt"));
}

// The labels of one series of each kind.
LabelSet Dev(const std::string& device) { return {{"device", device}}; }
LabelSet If(const std::string& device, const std::string& ifname, const std::string& network) {
  return {{"device", device},
          {"ifname", ifname},
          {"network", network},
          {"platform", "city"},
          {"room", "dc1"}};
}
LabelSet With(LabelSet l, const std::string& key, const std::string& value) {
  l[key] = value;
  return l;
}
LabelSet Exit(const std::string& egress) {
  return {{"egress", egress}, {"network", "external"}, {"platform", "city"}};
}
const LabelSet kDc1 = {{"room", "dc1"},
                       {"platform", "city"},
                       {"unit", "it-office"},
                       {"kind", "central"},
                       {"status", "active"}};
const LabelSet kTax = {{"room", "tax-2f"},
                       {"platform", "city"},
                       {"unit", ""},
                       {"kind", "department"},
                       {"status", "consolidating"}};
const LabelSet kUps = {{"device", "ups-1"}, {"room", "dc1"}, {"platform", "city"}};

// ---- the tests ---------------------------------------------------------------------------

TEST(Metrics, PromtoolCheckMetricsIsClean) {
  const std::string text = Render(MakeSnapshot());
  ASSERT_THAT(text, HasSubstr("trinet_device_up{"));
  const auto r = Promtool(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n---\n" << text;
  EXPECT_EQ(r.output, "") << text;
}

TEST(Metrics, PromtoolCheckMetricsIsCleanWithFindings) {
  const std::string text = Render(MakeSnapshot(), MakeFindings());
  ASSERT_THAT(text, HasSubstr("trinet_finding_open{"));
  ASSERT_THAT(text, HasSubstr(kWeichengRoom));  // UTF-8 as it is, not escaped
  const auto r = Promtool(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n---\n" << text;
  EXPECT_EQ(r.output, "") << text;
}

TEST(Metrics, PromtoolIsCleanForAnEmptyHolderAndForHostileLabels) {
  SnapshotHolder empty;
  const std::string text = Text(empty);
  auto r = Promtool(text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");

  Snapshot s = MakeSnapshot();
  auto& core = s.devices["core-1"];
  core.interfaces.push_back(Interface(20, "bad\xff\xfe utf8 \"quoted\" back\\slash\nnewline"));
  core.interfaces.push_back(Interface(21, "\xc0\xaf overlong"));
  s.devices["acc-9"].reason = "auth failed: \xe4\xb8\xad\xe6\x96\x87 \xe4\xb8";  // cut in a char
  const std::string hostile = Render(s);
  r = Promtool(hostile);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n---\n" << hostile;
  EXPECT_EQ(r.output, "");
  const Parsed e = Parse(hostile);
  EXPECT_TRUE(e.Has("trinet_interface_oper_up",
                    If("core-1", "bad\xEF\xBF\xBD\xEF\xBF\xBD utf8 \"quoted\" back\\slash\nnewline",
                       "internal")));
  EXPECT_TRUE(e.Has("trinet_interface_oper_up",
                    If("core-1", "\xEF\xBF\xBD\xEF\xBF\xBD overlong", "internal")));
  EXPECT_TRUE(
      e.Has("trinet_device_down_info",
            {{"device", "acc-9"},
             {"reason", "auth failed: \xe4\xb8\xad\xe6\x96\x87 \xEF\xBF\xBD\xEF\xBF\xBD"}}));
}

TEST(Metrics, UnitInfoNamesTheAdministratorForAlerts) {
  const std::string text = Render(MakeSnapshot());
  EXPECT_NE(text.find(R"(trinet_unit_info{unit="tax",platform="city",name="税务局",admin="王芳",)"
                      R"(phone="+86 29 3300 0001",email=""} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(trinet_unit_info{unit="it-office",platform="city",name="IT office",)"
                      R"(admin="",phone="",email=""} 1)"),
            std::string::npos)
      << text;
}

TEST(Metrics, ExactlyTheContractFamiliesWithHelpAndType) {
  const Parsed e = Parse(Render(MakeSnapshot()));
  const std::map<std::string, std::string> expected = {
      {"trinet_device_up", "gauge"},
      {"trinet_device_down_info", "gauge"},
      {"trinet_device_poll_duration_seconds", "gauge"},
      {"trinet_device_last_poll_timestamp_seconds", "gauge"},
      {"trinet_interface_oper_up", "gauge"},
      {"trinet_interface_admin_up", "gauge"},
      {"trinet_interface_speed_bytes", "gauge"},
      {"trinet_interface_receive_bytes_total", "counter"},
      {"trinet_interface_transmit_bytes_total", "counter"},
      {"trinet_interface_errors_total", "counter"},
      {"trinet_interface_discards_total", "counter"},
      {"trinet_egress_up", "gauge"},
      {"trinet_egress_receive_bytes_total", "counter"},
      {"trinet_egress_transmit_bytes_total", "counter"},
      {"trinet_egress_speed_bytes", "gauge"},
      {"trinet_egress_info", "gauge"},
      {"trinet_room_devices", "gauge"},
      {"trinet_room_devices_up", "gauge"},
      {"trinet_unit_info", "gauge"},
      {"trinet_ups_on_battery", "gauge"},
      {"trinet_ups_battery_seconds_remaining", "gauge"},
      {"trinet_ups_battery_charge_ratio", "gauge"},
      {"trinet_ups_output_load_ratio", "gauge"},
      {"trinet_ups_seconds_on_battery", "gauge"},
      {"trinet_ups_input_voltage_volts", "gauge"},
      {"trinet_sensor_temperature_celsius", "gauge"},
      {"trinet_sensor_humidity_ratio", "gauge"},
      {"trinet_poll_cycle_duration_seconds", "gauge"},
      {"trinet_discovery_cycle_duration_seconds", "gauge"},
      {"trinet_poll_interval_seconds", "gauge"},
      {"trinet_snmp_requests_total", "counter"},
      {"trinet_poll_cycles_total", "counter"},
      {"trinet_discovery_cycles_total", "counter"},
      {"trinet_build_info", "gauge"},
  };
  EXPECT_EQ(e.type, expected);
  std::set<std::string> names;
  for (const auto& [name, type] : expected) {
    names.insert(name);
    EXPECT_GT(e.help.count(name) ? e.help.at(name).size() : 0, 20u) << name;
  }
  EXPECT_EQ(e.Names(), names);  // every family has series, and no others exist

  // With findings, the findings families come on top, and only they.
  const Parsed with = Parse(Render(MakeSnapshot(), MakeFindings()));
  std::map<std::string, std::string> expected_with = expected;
  const std::map<std::string, std::string> findings = {
      {"trinet_findings", "gauge"},
      {"trinet_finding_open", "gauge"},
      {"trinet_rooms", "gauge"},
      {"trinet_rooms_overdue", "gauge"},
      {"trinet_unit_admin_missing", "gauge"},
      {"trinet_findings_last_evaluation_timestamp_seconds", "gauge"},
      {"trinet_findings_evaluation_duration_seconds", "gauge"},
  };
  for (const auto& [name, type] : findings) {
    expected_with.emplace(name, type);
    names.insert(name);
    EXPECT_GT(with.help.count(name) ? with.help.at(name).size() : 0, 20u) << name;
  }
  EXPECT_EQ(with.type, expected_with);
  EXPECT_EQ(with.Names(), names);
  EXPECT_THAT(with.help.at("trinet_findings"), HasSubstr("docs/findings.md"));
  EXPECT_THAT(with.help.at("trinet_finding_open"), HasSubstr("docs/findings.md"));
  EXPECT_THAT(with.help.at("trinet_rooms"), HasSubstr("M2 art. 4, 15"));
  EXPECT_THAT(with.help.at("trinet_rooms_overdue"), HasSubstr("M2 art. 4, 15"));
  EXPECT_THAT(with.help.at("trinet_unit_admin_missing"), HasSubstr("M2 art. 10"));
}

TEST(Metrics, DeviceFamiliesCoverRegisteredPolledDevicesOnly) {
  const Parsed e = Parse(Render(MakeSnapshot()));
  const auto up = [](std::string device, std::string network, std::string role) {
    return LabelSet{{"device", device},
                    {"network", network},
                    {"platform", "city"},
                    {"room", "dc1"},
                    {"role", role}};
  };
  EXPECT_THAT(e.LabelsOf("trinet_device_up"),
              ElementsAre(up("acc-9", "internal", "access"), up("core-1", "internal", "core"),
                          up("fw-ext", "external", "egress"), up("ups-1", "internal", "ups")));
  EXPECT_EQ(e.Value("trinet_device_up", up("core-1", "internal", "core")), 1);
  EXPECT_EQ(e.Value("trinet_device_up", up("acc-9", "internal", "access")), 0);
  EXPECT_THAT(e.LabelsOf("trinet_device_down_info"),
              ElementsAre(LabelSet{{"device", "acc-9"},
                                   {"reason", "timeout: no response after 3 retries"}}));
  EXPECT_EQ(e.Value("trinet_device_down_info", e.LabelsOf("trinet_device_down_info")[0]), 1);
  EXPECT_EQ(e.Value("trinet_device_poll_duration_seconds", Dev("core-1")), 0.25);
  EXPECT_EQ(e.Value("trinet_device_poll_duration_seconds", Dev("acc-9")), 3);
  EXPECT_EQ(e.Value("trinet_device_last_poll_timestamp_seconds", Dev("ups-1")), 1700000002);
  EXPECT_EQ(e.Of("trinet_device_poll_duration_seconds").size(), 4u);
  EXPECT_EQ(e.Of("trinet_device_last_poll_timestamp_seconds").size(), 4u);
  for (const auto& s : e.samples) {  // neither the unregistered nor the unpolled device
    EXPECT_NE(s.labels.count("device") ? s.labels.at("device") : "", "rogue") << s.name;
    EXPECT_NE(s.labels.count("device") ? s.labels.at("device") : "", "cam-1") << s.name;
  }
}

TEST(Metrics, DownDeviceWithoutReasonSaysUnknown) {
  Snapshot s = MakeSnapshot();
  s.devices["acc-9"].reason.clear();
  const Parsed e = Parse(Render(s));
  EXPECT_TRUE(e.Has("trinet_device_down_info", {{"device", "acc-9"}, {"reason", "unknown"}}));
}

TEST(Metrics, InterfaceFamilies) {
  const Parsed e = Parse(Render(MakeSnapshot()));
  const LabelSet gi1 = If("core-1", "Gi0/1", "internal");
  const LabelSet gi1dup = If("core-1", "Gi0/1#2", "internal");
  EXPECT_EQ(e.Value("trinet_interface_oper_up", gi1), 1);
  EXPECT_EQ(e.Value("trinet_interface_admin_up", gi1), 1);
  EXPECT_EQ(e.Value("trinet_interface_speed_bytes", gi1), 125000000);  // 1 Gbit/s
  EXPECT_EQ(e.Value("trinet_interface_receive_bytes_total", gi1), 1000);
  EXPECT_EQ(e.Value("trinet_interface_transmit_bytes_total", gi1), 2000);
  EXPECT_EQ(e.Value("trinet_interface_receive_bytes_total", gi1dup), 2000);
  EXPECT_EQ(e.Value("trinet_interface_transmit_bytes_total", gi1dup), 4000);
  EXPECT_EQ(e.Value("trinet_interface_errors_total", With(gi1, "direction", "receive")), 1);
  EXPECT_EQ(e.Value("trinet_interface_errors_total", With(gi1, "direction", "transmit")), 2);
  EXPECT_EQ(e.Value("trinet_interface_discards_total", With(gi1, "direction", "receive")), 3);
  EXPECT_EQ(e.Value("trinet_interface_discards_total", With(gi1, "direction", "transmit")), 4);

  const LabelSet shut = If("core-1", "Gi0/3", "internal");
  EXPECT_EQ(e.Value("trinet_interface_admin_up", shut), 0);
  EXPECT_EQ(e.Value("trinet_interface_oper_up", shut), 0);

  // Values the snapshot lacks are left out, not written as 0.
  const LabelSet vlan = If("core-1", "Vlan10", "internal");
  EXPECT_EQ(e.Value("trinet_interface_oper_up", vlan), 1);
  EXPECT_EQ(e.Value("trinet_interface_receive_bytes_total", vlan), 77);
  for (const char* name : {"trinet_interface_admin_up", "trinet_interface_speed_bytes",
                           "trinet_interface_transmit_bytes_total"}) {
    EXPECT_FALSE(e.Has(name, vlan)) << name;
  }
  EXPECT_FALSE(e.Has("trinet_interface_errors_total", With(vlan, "direction", "receive")));
  EXPECT_FALSE(e.Has("trinet_interface_discards_total", With(vlan, "direction", "transmit")));

  // A down device's interfaces are rendered as the snapshot has them.
  EXPECT_EQ(e.Value("trinet_interface_oper_up", If("acc-9", "Gi0/1", "internal")), 1);
  // Every interface series: core-1 4, fw-ext 4, acc-9 1; the rogue device's none.
  EXPECT_EQ(e.Of("trinet_interface_oper_up").size(), 9u);
  EXPECT_EQ(e.Of("trinet_interface_errors_total").size(), 2u * 8);
  EXPECT_FALSE(e.Has("trinet_interface_oper_up", If("rogue", "eth0", "internal")));
}

TEST(Metrics, DuplicateInterfaceNamesGetUniqueLabels) {
  Snapshot s = MakeSnapshot();
  auto& ifs = s.devices["core-1"].interfaces;
  // Listed before ifIndex 1: the lowest ifIndex still keeps the plain name.
  ifs.insert(ifs.begin(), Interface(7, "Gi0/1"));
  ifs.push_back(Interface(8, "Gi0/1#2"));  // a real name equal to a suffixed one
  ifs.push_back(Interface(9, "Gi0/1#2"));
  ifs.push_back(Interface(2, "Gi0/1"));  // the same ifIndex and name twice (broken agent)
  const Parsed e = Parse(Render(s));
  EXPECT_THAT(DuplicateSeries(e), IsEmpty());
  std::set<std::string> core;
  for (const auto& l : e.LabelsOf("trinet_interface_oper_up")) {
    if (l.at("device") == "core-1") core.insert(l.at("ifname"));
  }
  EXPECT_EQ(core, (std::set<std::string>{"Gi0/1", "Gi0/1#7", "Gi0/1#2#2", "Gi0/1#2", "Gi0/1#2#9",
                                         "Gi0/1#2#2#2", "Gi0/3", "Vlan10"}));
  EXPECT_EQ(e.Value("trinet_interface_receive_bytes_total", If("core-1", "Gi0/1", "internal")),
            1000);
  EXPECT_EQ(e.Value("trinet_interface_receive_bytes_total", If("core-1", "Gi0/1#7", "internal")),
            7000);
  // The real "Gi0/1#2" keeps its name; the renamed ifIndex 2 steps aside.
  EXPECT_EQ(e.Value("trinet_interface_receive_bytes_total", If("core-1", "Gi0/1#2", "internal")),
            8000);
  EXPECT_EQ(Promtool(Render(s)).exit_code, 0);
}

TEST(Metrics, NoDuplicateSeriesAnywhere) {
  const Parsed e = Parse(Render(MakeSnapshot()));
  EXPECT_THAT(DuplicateSeries(e), IsEmpty());
}

TEST(Metrics, EgressMatchesByIfNameThenIfDescr) {
  const Parsed e = Parse(Render(MakeSnapshot()));
  EXPECT_THAT(e.LabelsOf("trinet_egress_up"),
              ElementsAre(Exit("exit-name"), Exit("exit-descr"), Exit("exit-oper-down"),
                          Exit("exit-missing"), Exit("exit-device-down")));
  // ifName ge-0/0/0 (ifIndex 10) wins over ifDescr ge-0/0/0 (ifIndex 5, listed first).
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-name")), 1);
  EXPECT_EQ(e.Value("trinet_egress_receive_bytes_total", Exit("exit-name")), 123456789);
  EXPECT_EQ(e.Value("trinet_egress_transmit_bytes_total", Exit("exit-name")), 987654321);
  EXPECT_EQ(e.Value("trinet_egress_speed_bytes", Exit("exit-name")), 1.25e9);
  // No ifName "WAN uplink 2": the ifDescr of ge-0/0/1.
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-descr")), 1);
  EXPECT_EQ(e.Value("trinet_egress_receive_bytes_total", Exit("exit-descr")), 111);
  EXPECT_EQ(e.Value("trinet_egress_transmit_bytes_total", Exit("exit-descr")), 222);
  EXPECT_EQ(e.Value("trinet_egress_speed_bytes", Exit("exit-descr")), 1e8);
  // Interface found but not oper up.
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-oper-down")), 0);
  EXPECT_TRUE(e.Has("trinet_egress_receive_bytes_total", Exit("exit-oper-down")));
  // Interface missing: up 0 and no traffic series.
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-missing")), 0);
  EXPECT_FALSE(e.Has("trinet_egress_receive_bytes_total", Exit("exit-missing")));
  EXPECT_FALSE(e.Has("trinet_egress_speed_bytes", Exit("exit-missing")));
  // Interface up but the device did not answer.
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-device-down")), 0);

  // trinet_egress_info names the device and the interface's ifname label, for joins with
  // the trinet_interface_* families; empty while the interface is not found.
  auto info = [](const std::string& egress, const std::string& device, const std::string& ifname) {
    return With(With(Exit(egress), "device", device), "ifname", ifname);
  };
  EXPECT_EQ(e.Value("trinet_egress_info", info("exit-name", "fw-ext", "ge-0/0/0")), 1);
  EXPECT_EQ(e.Value("trinet_egress_info", info("exit-descr", "fw-ext", "ge-0/0/1")), 1);
  EXPECT_EQ(e.Value("trinet_egress_info", info("exit-missing", "fw-ext", "")), 1);
  EXPECT_EQ(e.Value("trinet_egress_info", info("exit-device-down", "acc-9", "Gi0/1")), 1);
  EXPECT_TRUE(e.Has("trinet_interface_errors_total",
                    With(If("fw-ext", "ge-0/0/0", "external"), "direction", "receive")));
}

TEST(Metrics, EgressOfAnUnpolledDeviceIsDown) {
  Snapshot s = MakeSnapshot();
  s.devices.erase("fw-ext");
  const Parsed e = Parse(Render(s));
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-name")), 0);
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-descr")), 0);
  EXPECT_FALSE(e.Has("trinet_egress_receive_bytes_total", Exit("exit-name")));
  EXPECT_EQ(e.Of("trinet_egress_up").size(), 5u);
}

// An instance that polls only the internal network says nothing of the external network's
// exits (another instance polls them) and counts only internal devices in its rooms.
TEST(Metrics, OtherNetworksExitsAndDevicesAreLeftToTheirInstance) {
  Snapshot s = MakeSnapshot();
  s.networks = {"internal"};
  const Parsed e = Parse(Render(s));
  EXPECT_TRUE(e.Of("trinet_egress_up").empty());
  EXPECT_LT(e.Value("trinet_room_devices", kDc1), 5);
  EXPECT_EQ(Promtool(Render(s)).exit_code, 0);
}

TEST(Metrics, RoomCountsEveryRoomOfTheRegister) {
  const Parsed e = Parse(Render(MakeSnapshot()));
  EXPECT_THAT(e.LabelsOf("trinet_room_devices"), ElementsAre(kDc1, kTax));
  EXPECT_THAT(e.LabelsOf("trinet_room_devices_up"), ElementsAre(kDc1, kTax));
  EXPECT_EQ(e.Value("trinet_room_devices", kDc1), 5);     // cam-1 counts though never polled
  EXPECT_EQ(e.Value("trinet_room_devices_up", kDc1), 3);  // core-1, fw-ext, ups-1
  EXPECT_EQ(e.Value("trinet_room_devices", kTax), 0);
  EXPECT_EQ(e.Value("trinet_room_devices_up", kTax), 0);
}

TEST(Metrics, UpsAndSensors) {
  const Parsed e = Parse(Render(MakeSnapshot()));
  EXPECT_EQ(e.Value("trinet_ups_on_battery", kUps), 1);
  EXPECT_EQ(e.Value("trinet_ups_battery_seconds_remaining", kUps), 750);  // 12.5 minutes
  EXPECT_EQ(e.Value("trinet_ups_battery_charge_ratio", kUps), 0.8);
  EXPECT_EQ(e.Value("trinet_ups_output_load_ratio", kUps), 0.35);
  EXPECT_EQ(e.Value("trinet_ups_seconds_on_battery", kUps), 90);
  EXPECT_EQ(e.Value("trinet_ups_input_voltage_volts", kUps), 0);
  EXPECT_EQ(e.Of("trinet_ups_on_battery").size(), 1u);

  const auto sensor = [](std::string name) {
    return LabelSet{{"device", "ups-1"}, {"room", "dc1"}, {"sensor", name}};
  };
  EXPECT_THAT(e.LabelsOf("trinet_sensor_temperature_celsius"),
              ElementsAre(sensor("Inlet"), sensor("Inlet#2")));
  EXPECT_EQ(e.Value("trinet_sensor_temperature_celsius", sensor("Inlet")), 23.5);
  EXPECT_EQ(e.Value("trinet_sensor_temperature_celsius", sensor("Inlet#2")), 24);
  EXPECT_THAT(e.LabelsOf("trinet_sensor_humidity_ratio"), ElementsAre(sensor("Inlet")));
  EXPECT_EQ(e.Value("trinet_sensor_humidity_ratio", sensor("Inlet")), 0.45);
}

TEST(Metrics, UpsValuesTheAgentLacksAreLeftOut) {
  Snapshot s = MakeSnapshot();
  s.devices["ups-1"].ups = UpsSnapshot{};
  s.devices["ups-1"].ups->on_battery = false;
  const Parsed e = Parse(Render(s));
  EXPECT_EQ(e.Value("trinet_ups_on_battery", kUps), 0);
  EXPECT_FALSE(e.Has("trinet_ups_battery_seconds_remaining", kUps));
  EXPECT_FALSE(e.Has("trinet_ups_input_voltage_volts", kUps));
  EXPECT_EQ(Promtool(Render(s)).output, "");  // families without series are not written
}

TEST(Metrics, SelfFamilies) {
  const Parsed e = Parse(Render(MakeSnapshot()));
  EXPECT_EQ(e.Value("trinet_poll_cycle_duration_seconds"), 4.5);
  EXPECT_EQ(e.Value("trinet_discovery_cycle_duration_seconds"), 30);
  EXPECT_EQ(e.Value("trinet_poll_interval_seconds"), 60);
  EXPECT_THAT(e.LabelsOf("trinet_snmp_requests_total"),
              ElementsAre(LabelSet{{"result", "auth_failure"}}, LabelSet{{"result", "ok"}},
                          LabelSet{{"result", "timeout"}}));
  EXPECT_EQ(e.Value("trinet_snmp_requests_total", {{"result", "ok"}}), 1000);
  EXPECT_EQ(e.Value("trinet_snmp_requests_total", {{"result", "timeout"}}), 7);
  EXPECT_EQ(e.Value("trinet_poll_cycles_total"), 42);
  EXPECT_EQ(e.Value("trinet_discovery_cycles_total"), 3);
  EXPECT_THAT(e.LabelsOf("trinet_build_info"), ElementsAre(LabelSet{{"version", "0.1.0"}}));
  EXPECT_EQ(e.Value("trinet_build_info", {{"version", "0.1.0"}}), 1);
}

TEST(Metrics, EmptyHolderGivesOnlySelfFamilies) {
  SnapshotHolder holder;
  const Parsed e = Parse(Text(holder));
  EXPECT_EQ(e.Names(),
            (std::set<std::string>{"trinet_poll_cycle_duration_seconds",
                                   "trinet_discovery_cycle_duration_seconds",
                                   "trinet_poll_interval_seconds", "trinet_poll_cycles_total",
                                   "trinet_discovery_cycles_total", "trinet_build_info"}));
  EXPECT_EQ(e.Value("trinet_build_info", {{"version", "unknown"}}), 1);
  holder.Publish(nullptr);
  EXPECT_EQ(Parse(Text(holder)).Names(), e.Names());
}

TEST(Metrics, VanishedDevicesAndInterfacesVanishFromTheOutput) {
  SnapshotHolder holder;
  const Exposition exposition(holder);  // one cache across the two scrapes
  Snapshot s = MakeSnapshot();
  holder.Publish(std::make_shared<const Snapshot>(s));
  Parsed e = Parse(exposition.Get(false).Join());
  ASSERT_TRUE(e.Has("trinet_device_poll_duration_seconds", Dev("ups-1")));
  ASSERT_TRUE(e.Has("trinet_interface_oper_up", If("core-1", "Vlan10", "internal")));

  s.devices.erase("ups-1");
  s.devices["core-1"].interfaces.pop_back();  // Vlan10
  holder.Publish(std::make_shared<const Snapshot>(s));
  e = Parse(exposition.Get(false).Join());
  EXPECT_EQ(exposition.renders(), 2u);
  for (const auto& sample : e.samples) {
    EXPECT_FALSE(sample.labels.count("device") && sample.labels.at("device") == "ups-1")
        << sample.name;
    EXPECT_FALSE(sample.labels.count("ifname") && sample.labels.at("ifname") == "Vlan10")
        << sample.name;
  }
  EXPECT_FALSE(e.Names().contains("trinet_ups_on_battery"));
  EXPECT_FALSE(e.Names().contains("trinet_sensor_temperature_celsius"));
  EXPECT_EQ(e.Value("trinet_room_devices", kDc1), 5);  // still registered
  EXPECT_EQ(e.Value("trinet_room_devices_up", kDc1), 2);
  EXPECT_TRUE(e.Has("trinet_interface_oper_up", If("core-1", "Gi0/1", "internal")));
}

std::set<std::string> InterfaceDevices(const Parsed& e) {
  std::set<std::string> out;
  for (const auto& s : e.samples) {
    if (s.name.rfind("trinet_interface_", 0) == 0) out.insert(s.labels.at("device"));
  }
  return out;
}

TEST(Metrics, CardinalityOptions) {
  const Snapshot s = MakeSnapshot();
  MetricsOptions roles;
  roles.interface_roles = {"egress", "access"};
  Parsed e = Parse(Render(s, roles));
  EXPECT_EQ(InterfaceDevices(e), (std::set<std::string>{"acc-9", "fw-ext"}));
  // Other families are not affected.
  EXPECT_EQ(e.Of("trinet_device_up").size(), 4u);
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-name")), 1);

  MetricsOptions admin;
  admin.drop_admin_down_interfaces = true;
  e = Parse(Render(s, admin));
  EXPECT_FALSE(e.Has("trinet_interface_oper_up", If("core-1", "Gi0/3", "internal")));
  EXPECT_TRUE(e.Has("trinet_interface_oper_up", If("core-1", "Vlan10", "internal")));  // unknown
  EXPECT_EQ(e.Of("trinet_interface_oper_up").size(), 8u);

  MetricsOptions cap;
  cap.max_interfaces_per_device = 2;
  e = Parse(Render(s, cap));
  std::map<std::string, std::set<std::string>> kept;
  for (const auto& l : e.LabelsOf("trinet_interface_oper_up"))
    kept[l.at("device")].insert(l.at("ifname"));
  EXPECT_EQ(kept["core-1"], (std::set<std::string>{"Gi0/1", "Gi0/1#2"}));
  EXPECT_EQ(kept["fw-ext"], (std::set<std::string>{"mgmt0", "ge-0/0/0"}));
  EXPECT_EQ(kept["acc-9"], (std::set<std::string>{"Gi0/1"}));
  // The cap counts after the admin filter; labels do not depend on what is dropped.
  cap.drop_admin_down_interfaces = true;
  cap.max_interfaces_per_device = 3;
  e = Parse(Render(s, cap));
  kept.clear();
  for (const auto& l : e.LabelsOf("trinet_interface_oper_up"))
    kept[l.at("device")].insert(l.at("ifname"));
  EXPECT_EQ(kept["core-1"], (std::set<std::string>{"Gi0/1", "Gi0/1#2", "Vlan10"}));
  // Egress families do not depend on the interface options.
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-descr")), 1);

  MetricsOptions none;
  none.max_interfaces_per_device = 0;
  e = Parse(Render(s, none));
  EXPECT_THAT(InterfaceDevices(e), IsEmpty());
  EXPECT_EQ(e.Value("trinet_egress_receive_bytes_total", Exit("exit-name")), 123456789);
  EXPECT_EQ(Promtool(Text(SnapshotHolder{}, none)).exit_code, 0);
}

TEST(Metrics, InterfaceFamiliesOption) {
  const auto interface_families = [](const Parsed& e) {
    std::set<std::string> out;
    for (const auto& name : e.Names()) {
      if (name.rfind("trinet_interface_", 0) == 0) out.insert(name);
    }
    return out;
  };
  const Parsed all = Parse(Render(MakeSnapshot()));
  MetricsOptions traffic;
  traffic.interface_families = {"oper_up", "receive_bytes_total", "transmit_bytes_total"};
  const Parsed e = Parse(Render(MakeSnapshot(), traffic));
  EXPECT_EQ(
      interface_families(e),
      (std::set<std::string>{"trinet_interface_oper_up", "trinet_interface_receive_bytes_total",
                             "trinet_interface_transmit_bytes_total"}));
  // The same interfaces as without the option; the other families are not affected.
  EXPECT_EQ(e.LabelsOf("trinet_interface_oper_up"), all.LabelsOf("trinet_interface_oper_up"));
  EXPECT_EQ(e.samples.size(), all.samples.size() - all.Of("trinet_interface_admin_up").size() -
                                  all.Of("trinet_interface_speed_bytes").size() -
                                  all.Of("trinet_interface_errors_total").size() -
                                  all.Of("trinet_interface_discards_total").size());
  EXPECT_EQ(e.Value("trinet_egress_speed_bytes", Exit("exit-name")), 1.25e9);

  // Each name is one family.
  for (const std::string_view name : MetricsOptions::kInterfaceFamilies) {
    MetricsOptions one;
    one.interface_families = {std::string(name)};
    EXPECT_EQ(interface_families(Parse(Render(MakeSnapshot(), one))),
              std::set<std::string>{"trinet_interface_" + std::string(name)});
  }

  // A misspelt family is refused, naming the valid ones, rather than silently exporting none.
  EXPECT_EQ(MetricsOptions{}.Check(), std::nullopt);
  EXPECT_EQ(traffic.Check(), std::nullopt);
  MetricsOptions typo;
  typo.interface_families = {"oper_up", "errors"};
  EXPECT_THAT(typo.Check().value_or(""), HasSubstr("\"errors\""));
  EXPECT_THAT(typo.Check().value_or(""), HasSubstr("errors_total"));
  SnapshotHolder holder;
  EXPECT_THROW(SnapshotCollectable(holder, typo), std::invalid_argument);
  EXPECT_THROW(MetricsServer("127.0.0.1:0", holder, typo), std::invalid_argument);
}

// ---- findings ------------------------------------------------------------------------------

LabelSet Count(const std::string& rule, const std::string& severity, const std::string& network,
               const std::string& platform, const std::string& state) {
  return {{"rule", rule},
          {"severity", severity},
          {"network", network},
          {"platform", platform},
          {"state", state}};
}

LabelSet Open(const FindingSnapshot& f) {
  return {{"id", f.id},           {"rule", f.rule},
          {"reason", f.reason},   {"severity", f.severity},
          {"network", f.network}, {"platform", f.platform},
          {"room", f.room},       {"unit", f.unit},
          {"subject", f.subject}};
}

TEST(Metrics, FindingsAreCountedByRuleSeverityNetworkPlatformAndState) {
  const Parsed e = Parse(Render(MakeSnapshot(), MakeFindings()));
  // Only label sets that have findings, resolved ones included, sorted.
  EXPECT_THAT(e.LabelsOf("trinet_findings"),
              ElementsAre(Count("device-unreachable", "major", "internal", "city", "open"),
                          Count("device-unreachable", "major", "internal", "city", "resolved"),
                          Count("frozen-expansion", "major", "internal", kWeicheng, "open"),
                          Count("network-bridge", "critical", "external", "city", "open"),
                          Count("orphan-room", "major", "internal", "city", "open"),
                          Count("orphan-room", "major", "internal", "city", "waived"),
                          Count("rogue-exit", "critical", "internal", "city", "open"),
                          Count("rogue-exit", "critical", "internal", kWeicheng, "acknowledged"),
                          Count("unregistered-device", "minor", "internal", "city", "open")));
  EXPECT_EQ(e.Value("trinet_findings", Count("rogue-exit", "critical", "internal", "city", "open")),
            2);
  for (const auto& s : e.Of("trinet_findings")) {
    if (s.labels.at("rule") != "rogue-exit" || s.labels.at("platform") != "city") {
      EXPECT_EQ(s.value, 1) << s.labels.at("rule");
    }
  }
  double total = 0;
  for (const auto& s : e.Of("trinet_findings")) total += s.value;
  EXPECT_EQ(total, 10);  // every finding, whatever its state
}

TEST(Metrics, EveryOpenFindingHasItsOwnSeriesWithItsLabels) {
  const FindingsSnapshot f = MakeFindings();
  const Parsed e = Parse(Render(MakeSnapshot(), f));
  // In the snapshot's order; acknowledged, waived and resolved findings are not there.
  EXPECT_THAT(e.LabelsOf("trinet_finding_open"),
              ElementsAre(Open(f.findings[0]), Open(f.findings[1]), Open(f.findings[2]),
                          Open(f.findings[5]), Open(f.findings[6]), Open(f.findings[7]),
                          Open(f.findings[9])));
  for (const auto& s : e.Of("trinet_finding_open")) EXPECT_EQ(s.value, 1) << s.labels.at("id");
  // Chinese labels come through as they are.
  EXPECT_EQ(
      e.Value("trinet_finding_open",
              {{"id", "frozen-expansion:device:wc-sw2"},
               {"rule", "frozen-expansion"},
               {"reason", "installed-after-freeze"},
               {"severity", "major"},
               {"network", "internal"},
               {"platform", "\xe6\xb8\xad\xe5\x9f\x8e"},
               {"room", "\xe6\xb8\xad\xe5\x9f\x8e\xe5\x8c\xba\xe6\x9c\xba\xe6\x88\xbf"},
               {"unit", "\xe6\xb8\xad\xe5\x9f\x8e\xe5\x8c\xba\xe8\xb4\xa2\xe6\x94\xbf\xe5\xb1\x80"},
               {"subject", "wc-sw2"}}),
      1);
  EXPECT_TRUE(
      e.Has("trinet_finding_open", {{"id", "unregistered-device:neighbour:core-1/" + kSwitch3F},
                                    {"rule", "unregistered-device"},
                                    {"reason", "lldp"},
                                    {"severity", "minor"},
                                    {"network", "internal"},
                                    {"platform", "city"},
                                    {"room", "dc1"},
                                    {"unit", "it-office"},
                                    {"subject", "core-1/" + kSwitch3F}}));
  // An empty label (the overdue room has no unit) stays empty.
  EXPECT_EQ(e.Value("trinet_finding_open", Open(f.findings[2])), 1);
  EXPECT_EQ(Open(f.findings[2]).at("unit"), "");
}

TEST(Metrics, RoomsOverdueRoomsAndUnitsWithoutAdmin) {
  const Parsed e = Parse(Render(MakeSnapshot(), MakeFindings()));
  const auto room = [](const std::string& platform, const std::string& kind,
                       const std::string& status) {
    return LabelSet{{"platform", platform}, {"kind", kind}, {"status", status}};
  };
  EXPECT_THAT(e.LabelsOf("trinet_rooms"), ElementsAre(room("city", "central", "active"),
                                                      room("city", "department", "consolidating"),
                                                      room(kWeicheng, "central", "active"),
                                                      room(kWeicheng, "department", "consolidated"),
                                                      room(kWeicheng, "department", "exempt")));
  EXPECT_EQ(e.Value("trinet_rooms", room("city", "central", "active")), 1);
  EXPECT_EQ(e.Value("trinet_rooms", room("city", "department", "consolidating")), 1);
  EXPECT_EQ(e.Value("trinet_rooms", room(kWeicheng, "central", "active")), 1);
  EXPECT_EQ(e.Value("trinet_rooms", room(kWeicheng, "department", "consolidated")), 3);
  EXPECT_EQ(e.Value("trinet_rooms", room(kWeicheng, "department", "exempt")), 1);

  // Every platform of the snapshot, 0 included.
  EXPECT_THAT(e.LabelsOf("trinet_rooms_overdue"),
              ElementsAre(LabelSet{{"platform", "city"}}, LabelSet{{"platform", kWeicheng}}));
  EXPECT_EQ(e.Value("trinet_rooms_overdue", {{"platform", "city"}}), 1);
  EXPECT_EQ(e.Value("trinet_rooms_overdue", {{"platform", kWeicheng}}), 0);
  EXPECT_THAT(e.LabelsOf("trinet_unit_admin_missing"),
              ElementsAre(LabelSet{{"platform", "city"}}, LabelSet{{"platform", kWeicheng}}));
  EXPECT_EQ(e.Value("trinet_unit_admin_missing", {{"platform", "city"}}), 0);
  EXPECT_EQ(e.Value("trinet_unit_admin_missing", {{"platform", kWeicheng}}), 2);

  EXPECT_EQ(e.Value("trinet_findings_last_evaluation_timestamp_seconds"), 1764417600);
  EXPECT_THAT(e.LabelsOf("trinet_findings_last_evaluation_timestamp_seconds"),
              ElementsAre(LabelSet{}));
}

TEST(Metrics, NoFindingsFamiliesBeforeTheFirstEvaluation) {
  const Parsed e = Parse(Render(MakeSnapshot(), FindingsSnapshot{}));
  for (const char* name :
       {"trinet_findings", "trinet_finding_open", "trinet_rooms", "trinet_rooms_overdue",
        "trinet_unit_admin_missing", "trinet_findings_last_evaluation_timestamp_seconds",
        "trinet_findings_evaluation_duration_seconds"}) {
    EXPECT_FALSE(e.Names().contains(name)) << name;
    EXPECT_FALSE(e.type.contains(name)) << name;
  }
  // An evaluation that found nothing still says when it ran, and counts rooms.
  FindingsSnapshot clean = MakeFindings();
  clean.findings.clear();
  const Parsed c = Parse(Render(MakeSnapshot(), clean));
  EXPECT_FALSE(c.Names().contains("trinet_findings"));
  EXPECT_FALSE(c.Names().contains("trinet_finding_open"));
  EXPECT_EQ(c.Value("trinet_findings_last_evaluation_timestamp_seconds"), 1764417600);
  EXPECT_EQ(c.Of("trinet_rooms").size(), 5u);
  // Findings but no timestamp (0): the findings, without the timestamp.
  FindingsSnapshot untimed = MakeFindings();
  untimed.evaluated_at_seconds = 0;
  const Parsed u = Parse(Render(MakeSnapshot(), untimed));
  EXPECT_FALSE(u.Names().contains("trinet_findings_last_evaluation_timestamp_seconds"));
  EXPECT_EQ(u.Of("trinet_finding_open").size(), 7u);
  EXPECT_EQ(Promtool(Render(MakeSnapshot(), untimed)).output, "");
}

TEST(Metrics, OnlyOpenFindingsAreOpenAndAllOthersAreCounted) {
  FindingsSnapshot f;
  f.evaluated_at_seconds = 1;
  for (const char* state : {"open", "acknowledged", "waived", "resolved", "Open", ""}) {
    f.findings.push_back(Finding(std::string("egress-down:egress:") + state, "egress-down",
                                 "oper-down", "critical", state, "external", "city", "dc1",
                                 "it-office", "exit-name"));
  }
  const Parsed e = Parse(Render(MakeSnapshot(), f));
  EXPECT_THAT(e.LabelsOf("trinet_finding_open"), ElementsAre(Open(f.findings[0])));
  std::set<std::string> states;
  for (const auto& s : e.Of("trinet_findings")) {
    states.insert(s.labels.at("state"));
    EXPECT_EQ(s.value, 1);
  }
  EXPECT_EQ(states,
            (std::set<std::string>{"", "Open", "acknowledged", "open", "resolved", "waived"}));
}

TEST(Metrics, FindingsAreNotFilteredByTheInstancesNetworks) {
  Snapshot s = MakeSnapshot();
  s.networks = {"internal"};
  const FindingsSnapshot f = MakeFindings();
  const Parsed e = Parse(Render(s, f));
  EXPECT_TRUE(e.Has("trinet_finding_open", Open(f.findings[1])));  // on the external network
  EXPECT_EQ(
      e.Value("trinet_findings", Count("network-bridge", "critical", "external", "city", "open")),
      1);
  EXPECT_TRUE(e.Of("trinet_egress_up").empty());  // while the exits still are filtered
}

TEST(Metrics, FindingsWithoutADeviceSnapshotAreExported) {
  SnapshotHolder holder;
  holder.PublishFindings(std::make_shared<const FindingsSnapshot>(MakeFindings()));
  const Parsed e = Parse(Text(holder));
  EXPECT_EQ(e.Of("trinet_finding_open").size(), 7u);
  EXPECT_FALSE(e.Names().contains("trinet_device_up"));
  holder.PublishFindings(nullptr);  // treated as no evaluation yet
  EXPECT_FALSE(Parse(Text(holder)).Names().contains("trinet_findings"));
}

TEST(Metrics, FindingsComeFromTheLatestPublishedEvaluation) {
  SnapshotHolder holder;
  const Exposition exposition(holder);  // one cache across the two scrapes
  holder.Publish(std::make_shared<const Snapshot>(MakeSnapshot()));
  FindingsSnapshot f = MakeFindings();
  holder.PublishFindings(std::make_shared<const FindingsSnapshot>(f));
  Parsed e = Parse(exposition.Get(false).Join());
  ASSERT_TRUE(e.Has("trinet_finding_open", Open(f.findings[0])));

  // rogue-exit on acc-9 is resolved, the frozen-expansion finding gone from the store.
  f.findings[0].state = "resolved";
  f.findings.pop_back();
  f.evaluated_at_seconds += 60;
  f.rooms_overdue["city"] = 0;
  holder.PublishFindings(std::make_shared<const FindingsSnapshot>(f));
  e = Parse(exposition.Get(false).Join());
  EXPECT_EQ(exposition.renders(), 2u);
  EXPECT_FALSE(e.Has("trinet_finding_open", Open(f.findings[0])));
  EXPECT_EQ(e.Of("trinet_finding_open").size(), 5u);
  EXPECT_EQ(e.Value("trinet_findings", Count("rogue-exit", "critical", "internal", "city", "open")),
            1);
  EXPECT_EQ(
      e.Value("trinet_findings", Count("rogue-exit", "critical", "internal", "city", "resolved")),
      1);
  EXPECT_FALSE(
      e.Has("trinet_findings", Count("frozen-expansion", "major", "internal", kWeicheng, "open")));
  EXPECT_EQ(e.Value("trinet_findings_last_evaluation_timestamp_seconds"), 1764417660);
  EXPECT_EQ(e.Value("trinet_rooms_overdue", {{"platform", "city"}}), 0);
}

TEST(Metrics, HostileFindingLabelsKeepTheScrapeValid) {
  FindingsSnapshot f = MakeFindings();
  const std::string hostile = "bad\xff utf8 \"quoted\" back\\slash\nnewline {a=\"b\"}";
  f.findings.push_back(Finding("unregistered-device:neighbour:core-1/" + hostile,
                               "unregistered-device", "lldp", "minor", "open", "internal", "city",
                               "dc1", "it-office", "core-1/" + hostile));
  f.findings.push_back(f.findings.back());  // the same id twice: one series
  f.findings.back().reason = "other";
  f.rooms[{"bad\xc0\xaf", "department", "active"}] = 1;
  const std::string text = Render(MakeSnapshot(), f);
  const auto r = Promtool(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n---\n" << text;
  EXPECT_EQ(r.output, "") << text;
  const Parsed e = Parse(text);
  EXPECT_THAT(DuplicateSeries(e), IsEmpty());
  const std::string fixed = "bad\xEF\xBF\xBD utf8 \"quoted\" back\\slash\nnewline {a=\"b\"}";
  LabelSet labels = Open(f.findings[f.findings.size() - 2]);
  labels["id"] = "unregistered-device:neighbour:core-1/" + fixed;
  labels["subject"] = "core-1/" + fixed;
  EXPECT_EQ(e.Value("trinet_finding_open", labels), 1);
  EXPECT_EQ(e.Of("trinet_finding_open").size(), 8u);
  EXPECT_EQ(
      e.Value("trinet_findings", Count("unregistered-device", "minor", "internal", "city", "open")),
      3);  // counts are of findings, not of series
  EXPECT_TRUE(e.Has(
      "trinet_rooms",
      {{"platform", "bad\xEF\xBF\xBD\xEF\xBF\xBD"}, {"kind", "department"}, {"status", "active"}}));
}

// ---- live capture ----------------------------------------------------------------------------

CaptureSnapshot MakeCapture() {
  CaptureSnapshot c;
  CaptureSourceSnapshot mirror;
  mirror.source = "eth1";
  mirror.network = "internal";
  mirror.up = true;
  mirror.packets = 123456;
  mirror.bytes = 98765432;
  mirror.kernel_drops = 17;
  mirror.interface_drops = 2;
  mirror.flows_evicted = 5;
  mirror.flows = 4096;
  mirror.decode_errors = {{"truncated_ipv4", 3}, {"bad_dns_name", 0}, {"truncated_dhcp", 1}};
  c.sources.push_back(mirror);
  CaptureSourceSnapshot gone;
  gone.source = "eth2";
  gone.network = "internal";
  gone.up = false;
  gone.decode_errors = {{"truncated_ipv4", 0}, {"bad_dns_name", 0}, {"truncated_dhcp", 0}};
  c.sources.push_back(gone);
  return c;
}

std::string RenderCapture(const CaptureSnapshot& c, const Snapshot& s = MakeSnapshot()) {
  SnapshotHolder holder;
  holder.Publish(std::make_shared<const Snapshot>(s));
  holder.PublishCapture(std::make_shared<const CaptureSnapshot>(c));
  return Text(holder);
}

TEST(Metrics, CaptureFamiliesPerSource) {
  const std::string text = RenderCapture(MakeCapture());
  const auto r = Promtool(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n---\n" << text;
  EXPECT_EQ(r.output, "") << text;
  const Parsed e = Parse(text);
  const std::map<std::string, std::string> expected = {
      {"trinet_capture_up", "gauge"},
      {"trinet_capture_packets_total", "counter"},
      {"trinet_capture_bytes_total", "counter"},
      {"trinet_capture_dropped_total", "counter"},
      {"trinet_capture_flows", "gauge"},
      {"trinet_capture_flows_evicted_total", "counter"},
      {"trinet_capture_decode_errors_total", "counter"},
  };
  for (const auto& [name, type] : expected) {
    EXPECT_EQ(e.type.count(name) ? e.type.at(name) : "", type) << name;
    EXPECT_GT(e.help.count(name) ? e.help.at(name).size() : 0, 20u) << name;
  }
  const LabelSet eth1{{"source", "eth1"}}, eth2{{"source", "eth2"}};
  EXPECT_EQ(e.Value("trinet_capture_up", eth1), 1);
  EXPECT_EQ(e.Value("trinet_capture_up", eth2), 0);
  EXPECT_EQ(e.Value("trinet_capture_packets_total", eth1), 123456);
  EXPECT_EQ(e.Value("trinet_capture_bytes_total", eth1), 98765432);
  EXPECT_EQ(e.Value("trinet_capture_dropped_total", With(eth1, "where", "kernel")), 17);
  EXPECT_EQ(e.Value("trinet_capture_dropped_total", With(eth1, "where", "interface")), 2);
  EXPECT_EQ(e.Value("trinet_capture_dropped_total", With(eth2, "where", "kernel")), 0);
  EXPECT_EQ(e.Value("trinet_capture_flows", eth1), 4096);
  EXPECT_EQ(e.Value("trinet_capture_flows_evicted_total", eth1), 5);
  EXPECT_EQ(e.Value("trinet_capture_decode_errors_total", With(eth1, "kind", "truncated_ipv4")), 3);
  // Every kind has a series, 0 included, so that rate() sees the first error.
  EXPECT_EQ(e.Value("trinet_capture_decode_errors_total", With(eth1, "kind", "bad_dns_name")), 0);
  EXPECT_EQ(e.Of("trinet_capture_decode_errors_total").size(), 6u);
  EXPECT_THAT(DuplicateSeries(e), IsEmpty());
}

TEST(Metrics, NoCaptureFamiliesWithoutCaptureSources) {
  const Parsed without = Parse(Render(MakeSnapshot()));
  for (const auto& name : without.Names())
    EXPECT_EQ(name.rfind("trinet_capture_", 0), std::string::npos) << name;
  // Published but empty (no source): still nothing, and the rest is unchanged.
  const Parsed empty = Parse(RenderCapture(CaptureSnapshot{}));
  EXPECT_EQ(empty.Names(), without.Names());
  // Capture families alone, before the first poll cycle, are a valid scrape.
  SnapshotHolder holder;
  holder.PublishCapture(std::make_shared<const CaptureSnapshot>(MakeCapture()));
  const std::string text = Text(holder);
  EXPECT_EQ(Promtool(text).output, "") << text;
  EXPECT_EQ(Parse(text).Value("trinet_capture_up", {{"source", "eth1"}}), 1);
}

// ---- the endpoint --------------------------------------------------------------------------

/// GET `path` from 127.0.0.1:`port` over HTTP/1.0; the whole response, headers included.
std::string HttpGet(int port, const std::string& path) {
  return testing::HttpExchange(port, "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
}

TEST(Metrics, ServerServesTheSnapshotOnLoopback) {
  SnapshotHolder holder;
  MetricsServer server("127.0.0.1:0", holder);  // port 0: a free port
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(server.bind_address(), "127.0.0.1:0");

  std::string response = HttpGet(server.port(), "/metrics");
  EXPECT_THAT(response, HasSubstr(" 200 "));
  EXPECT_THAT(response, HasSubstr("trinet_build_info{version=\"unknown\"} 1"));
  EXPECT_THAT(response, ::testing::Not(HasSubstr("trinet_device_up")));

  holder.Publish(std::make_shared<const Snapshot>(MakeSnapshot()));  // seen at the next scrape
  response = HttpGet(server.port(), "/metrics");
  const auto body_at = response.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos) << response;
  const std::string body = response.substr(body_at + 4);
  const Parsed e = Parse(body);
  EXPECT_EQ(e.Value("trinet_room_devices_up", kDc1), 3);
  EXPECT_EQ(e.Value("trinet_egress_up", Exit("exit-name")), 1);
  const auto r = Promtool(body);
  EXPECT_EQ(r.exit_code, 0) << r.output;

  holder.PublishFindings(std::make_shared<const FindingsSnapshot>(MakeFindings()));
  response = HttpGet(server.port(), "/metrics");
  const std::string with_findings = response.substr(response.find("\r\n\r\n") + 4);
  EXPECT_EQ(Parse(with_findings).Of("trinet_finding_open").size(), 7u);
  EXPECT_THAT(with_findings, HasSubstr(kWeichengUnit));
  EXPECT_EQ(Promtool(with_findings).exit_code, 0);

  EXPECT_THAT(HttpGet(server.port(), "/other"), HasSubstr(" 404 "));
}

TEST(Metrics, ServerThatCannotListenThrowsNamingTheAddress) {
  SnapshotHolder holder;
  MetricsServer first("127.0.0.1:0", holder);
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  try {
    MetricsServer second(taken, holder);
    FAIL() << "listened twice on " << taken;
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"" + taken + "\""));
    EXPECT_THAT(e.what(), HasSubstr("cannot bind"));  // civetweb's own reason
  }
  EXPECT_THROW(MetricsServer("not an address", holder), std::runtime_error);
  EXPECT_THROW(MetricsServer("192.0.2.1:0", holder), std::runtime_error);  // not ours to bind
  // The first server still serves.
  EXPECT_THAT(HttpGet(first.port(), "/metrics"), HasSubstr("trinet_build_info"));
}

}  // namespace
}  // namespace trinet::metrics
