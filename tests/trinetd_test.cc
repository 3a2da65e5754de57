// trinetd end to end: the example register applied with trinetctl, snmpsimd answering on the
// register's loopback addresses with real and project recordings, and the daemon polling
// them (--once, and as a service with /metrics, signals and kill -9).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <thread>

#include "snmpsim_agent.h"
#include "sqlite.h"
#include "test_util.h"

namespace trinet {
namespace {

using testing::Quote;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;
using namespace std::chrono_literals;

const std::string kExample = TRINET_FIXTURES "/register/inventory.yaml";
const std::string kSnmprec = TRINET_FIXTURES "/snmprec/";

std::string Zcat(const std::string& file) { return RunCommand("zcat " + file).output; }

// snmpsimd (v3 architecture) registers community "public" from public.snmprec and answers it
// in the context md5("public"); it then looks for a data file under that context named after
// the transport the request came in on (1.3.6.1.6.1.1.n is its n-th endpoint). So
// "<md5(public)>/1.3.6.1.6.1.1.n.snmprec" is what device n answers to community "public".
// An SNMPv3 request with the empty context looks up "1.3.6.1.6.1.1.n.snmprec" directly.
std::string PerEndpoint(int n) {
  return "4c9184f37cff01bcdc32dc486ec36961/1.3.6.1.6.1.1." + std::to_string(n);
}

// The register's five devices, in snmpsimd transport order 0..4; city-int-core is SNMPv3
// (empty context), the others v2c community "public".
std::unique_ptr<testing::SnmpsimAgent> StartLab() {
  testing::SnmpsimOptions o;
  o.fixed_endpoints = {"127.0.10.1:16101", "127.0.10.2:16101", "127.0.20.5:16101",
                       "127.0.20.1:16101", "127.0.20.11:16101"};
  o.records = {
      {"public", "1.3.6.1.2.1.1.5.0|4|no-per-device-data\n"},
      {PerEndpoint(0), Zcat("/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz")},
      {PerEndpoint(1), ReadFile(kSnmprec + "edge-router.snmprec")},
      {PerEndpoint(2), ReadFile(kSnmprec + "ups-on-battery.snmprec")},
      {"1.3.6.1.6.1.1.3",
       Zcat("/usr/share/doc/snmpsim/examples/data/recorded/linux-full-walk.snmprec.gz")},
      {PerEndpoint(4), ReadFile(kSnmprec + "access-switch.snmprec")},
  };
  o.users = {{"simulator", "SHA", "auctoritas", "AES", "privatus"}};
  return std::make_unique<testing::SnmpsimAgent>(o);
}

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// GET /metrics on 127.0.0.1:port; the body, or "" when nothing listens yet.
std::string FetchMetrics(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[65536];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

std::string Sql(const std::filesystem::path& db, const std::string& query) {
  auto d = sql::Database::Open(db);
  sql::Statement s(d, query);
  std::string out;
  while (s.Step()) out += (out.empty() ? "" : "\n") + s.Text(0);
  return out;
}

class Trinetd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lab_ = StartLab().release(); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }

  void SetUp() override {
    auto apply = RunCommand(std::string(TRINETCTL) + " --db " + Quote(db()) + " inventory apply " +
                            Quote(kExample));
    ASSERT_EQ(apply.exit_code, 0) << apply.output;
  }

  std::filesystem::path db() const { return dir_ / "trinet.db"; }

  pid_t Start(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {TRINETD, "--db", db().string(), "--timeout", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::snmpsim_detail::Spawn(args, dir_ / "trinetd.out", nullptr);
  }

  static testing::SnmpsimAgent* lab_;
  TempDir dir_;
};

testing::SnmpsimAgent* Trinetd::lab_ = nullptr;

TEST_F(Trinetd, OnceReportsEveryDeviceUpAndStoresWhatItSaw) {
  auto r = RunCommand(std::string(TRINETD) + " --db " + Quote(db()) + " --once --timeout 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("discovery: 5 devices, 5 up, 0 down"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("poll: 5 devices, 5 up, 0 down"), std::string::npos) << r.output;
  // The benchmarks (tools/bench/poll, scale) read these figures.
  EXPECT_THAT(r.output, ::testing::ContainsRegex("poll: .*; cpu [0-9.e-]+ s \\(polling"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("peak resident memory [0-9]+ MiB"));

  EXPECT_EQ(Sql(db(), "SELECT count(*) FROM device_status WHERE up = 1"), "5");
  // The Cisco 3750: its interfaces, names and chassis serial.
  EXPECT_EQ(Sql(db(), "SELECT chassis_serial FROM device_status WHERE device = 'city-ext-core'"),
            "CAT0952N20R");
  EXPECT_EQ(Sql(db(), "SELECT sys_name FROM device_status WHERE device = 'city-ext-core'"),
            "Profiler3750");
  EXPECT_GT(std::stoi(Sql(db(),
                          "SELECT count(*) FROM interface_status "
                          "WHERE device = 'city-ext-core'")),
            50);
  EXPECT_EQ(Sql(db(),
                "SELECT name FROM interface_status WHERE device = 'city-ext-core' "
                "AND ifindex = 1"),
            "Vl1");
  // The Linux host behind SNMPv3 authPriv: its routes.
  EXPECT_GT(std::stoi(Sql(db(),
                          "SELECT count(*) FROM facts WHERE device = 'city-int-core' "
                          "AND kind = 'route'")),
            0);
  // The edge router's default route to an ISP and its public address.
  EXPECT_NE(Sql(db(), "SELECT key FROM facts WHERE device = 'city-ext-fw' AND kind = 'route'")
                .find("0.0.0.0/0 via 198.51.100.1"),
            std::string::npos);
  // The access switch's LLDP neighbours and the UPS on battery.
  EXPECT_EQ(Sql(db(), "SELECT count(*) FROM facts WHERE device = 'czj-int-sw1' AND kind = 'lldp'"),
            "3");
  EXPECT_EQ(Sql(db(),
                "SELECT value FROM health WHERE device = 'city-dc-ups1' "
                "AND key = 'ups.on_battery'"),
            "1.0");
  EXPECT_EQ(Sql(db(), "PRAGMA integrity_check"), "ok");
}

TEST_F(Trinetd, BlackHoledDeviceIsDownWithItsReasonAndBacksOff) {
  testing::BlackHole hole;
  const std::string yaml = testing::Replace(ReadFile(kExample), "address: 127.0.20.11:16101",
                                            "address: 127.0.0.1:" + std::to_string(hole.port()));
  WriteFile(dir_ / "reg.yaml", yaml);
  ASSERT_EQ(RunCommand(std::string(TRINETCTL) + " --db " + Quote(db()) + " inventory apply " +
                       Quote(dir_ / "reg.yaml"))
                .exit_code,
            0);
  const auto started = std::chrono::steady_clock::now();
  auto r = RunCommand(std::string(TRINETD) + " --db " + Quote(db()) +
                      " --once --timeout 0.5 --retries 1");
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("discovery: 5 devices, 4 up, 1 down"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("poll: 5 devices, 4 up, 1 down (1 backing off)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("down: czj-int-sw1: timeout: no response from 127.0.0.1:"),
            std::string::npos)
      << r.output;
  // One round of timeouts (0.5 s x 2 tries), not one per table: the dead device costs little.
  EXPECT_LT(took, 8s);
  EXPECT_EQ(Sql(db(), "SELECT up FROM device_status WHERE device = 'czj-int-sw1'"), "0");
}

TEST_F(Trinetd, ServesValidMetricsReloadsOnHupAndStopsOnTerm) {
  const int port = FreeTcpPort();
  const auto conf = dir_ / "trinetd.conf";
  WriteFile(conf, "poll-interval = 1\ndiscovery-interval = 60\n");
  pid_t pid = Start({"--config", conf.string(), "--listen", "127.0.0.1:" + std::to_string(port)});
  std::string metrics;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = FetchMetrics(port);
    if (metrics.find("trinet_poll_cycles_total 1") != std::string::npos ||
        metrics.find("trinet_poll_cycles_total 2") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_NE(metrics.find("trinet_device_up{"), std::string::npos)
      << metrics << ReadFile(dir_ / "trinetd.out");

  WriteFile(dir_ / "metrics.txt", metrics);
  auto check = RunCommand("promtool check metrics < " + Quote(dir_ / "metrics.txt"));
  EXPECT_EQ(check.exit_code, 0) << check.output;

  for (
      const char* expected :
      {R"(trinet_device_up{device="city-ext-core",network="external",platform="city",room="city-dc",role="core"} 1)",
       R"(trinet_device_up{device="city-int-core",network="internal",platform="city",room="city-dc",role="core"} 1)",
       R"(trinet_interface_oper_up{device="city-ext-core",ifname="Vl1",network="external",platform="city",room="city-dc"} 1)",
       R"(trinet_ups_on_battery{device="city-dc-ups1",room="city-dc",platform="city"} 1)",
       R"(trinet_room_devices{room="city-dc",platform="city",unit="xxb",kind="central",status="active"} 4)",
       R"(trinet_build_info{version=")", "trinet_egress_up{egress=\"city-exit\"",
       "trinet_interface_receive_bytes_total{device=\"city-ext-core\"",
       "trinet_snmp_requests_total{result=\"ok\"}", "trinet_poll_cycle_duration_seconds ",
       "trinet_snmp_anomalies_total{kind=\"malformed_value\"}",
       // Findings, evaluated by the daemon itself after its cycles: the finance bureau's
       // room is past its 2014 deadline while its switch still answers.
       R"(trinet_finding_open{id="orphan-room:overdue:room:czj-room",rule="orphan-room",reason="overdue",severity="major",network="",platform="city",room="czj-room",unit="czj",subject="czj-room"} 1)",
       R"(trinet_rooms_overdue{platform="city"} 1)",
       R"(trinet_unit_admin_missing{platform="sanyuan"} 1)", "trinet_findings{rule=\"orphan-room\"",
       "trinet_findings_last_evaluation_timestamp_seconds "}) {
    const std::string family(expected, std::string_view(expected).find_first_of("{ "));
    std::string seen;
    std::istringstream lines(metrics);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(family, 0) == 0) seen += line + "\n";
    }
    EXPECT_NE(metrics.find(expected), std::string::npos) << expected << "\nseen:\n" << seen;
  }

  // An invalid config file on SIGHUP keeps the daemon running with the old settings.
  WriteFile(conf, "poll-interval = 0\n");
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), 0) << "trinetd died on a bad reload";
  EXPECT_NE(ReadFile(dir_ / "trinetd.out").find("reload: settings not changed"), std::string::npos);
  WriteFile(conf, "poll-interval = 2\ndiscovery-interval = 60\n");
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(ReadFile(dir_ / "trinetd.out").find("reload: settings applied"), std::string::npos);

  kill(pid, SIGTERM);
  int status = -1;
  const auto stop_deadline = std::chrono::steady_clock::now() + 15s;
  while (waitpid(pid, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() < stop_deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(WIFEXITED(status)) << ReadFile(dir_ / "trinetd.out");
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(Sql(db(), "PRAGMA integrity_check"), "ok");
}

TEST_F(Trinetd, KillNineDuringCyclesNeverCorruptsTheStore) {
  // Discovery of the five devices takes a second or two and writes in batches; killing at
  // spread-out moments hits reads, writes and idle time.
  for (int round = 0; round < 6; ++round) {
    pid_t pid = Start({"--listen", "127.0.0.1:" + std::to_string(FreeTcpPort()), "--poll-interval",
                       "1", "--discovery-interval", "10"});
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + 350 * round));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    ASSERT_EQ(Sql(db(), "PRAGMA integrity_check"), "ok") << "after kill " << round;
  }
  auto r = RunCommand(std::string(TRINETD) + " --db " + Quote(db()) + " --once --timeout 1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("poll: 5 devices, 5 up"), std::string::npos) << r.output;
}

// An agent that answers at most 5 values per response (snmpsimd --max-varbinds) truncates
// every GETBULK of twelve columns; the walks must still read every row, only in more requests.
TEST_F(Trinetd, TruncatingAgentStillYieldsEveryInterface) {
  testing::SnmpsimOptions o;
  o.files = {"/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz"};
  o.max_varbinds = 5;
  testing::SnmpsimAgent agent(o);
  const std::string yaml =
      "version: 1\n"
      "networks: [{id: internal, name: 内网, prefixes: [10.32.0.0/12]}]\n"
      "platforms: [{id: city, name: 市级平台, level: city}]\n"
      "units: []\n"
      "rooms: [{id: dc, name: 中心机房, platform: city, kind: central, status: active}]\n"
      "credentials: [{id: c, version: 2c, community: cisco_16_switch}]\n"
      "devices: [{id: sw, room: dc, network: internal, role: access, address: '" +
      agent.endpoint() + "', credentials: c}]\n";
  WriteFile(dir_ / "small.yaml", yaml);
  const auto small = dir_ / "small.db";
  auto apply = RunCommand(std::string(TRINETCTL) + " --db " + Quote(small) + " inventory apply " +
                          Quote(dir_ / "small.yaml"));
  ASSERT_EQ(apply.exit_code, 0) << apply.output;
  auto r = RunCommand(std::string(TRINETD) + " --db " + Quote(small) + " --once --timeout 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("discovery: 1 devices, 1 up, 0 down"), std::string::npos) << r.output;
  EXPECT_EQ(Sql(small, "SELECT count(*) FROM interface_status"), "59");
  EXPECT_EQ(Sql(small, "SELECT end FROM walks WHERE walk = 'ifTable'"), "complete");
  EXPECT_EQ(Sql(small, "SELECT chassis_serial FROM device_status"), "CAT0952N20R");
}

TEST_F(Trinetd, CheckConfigAndUsageErrors) {
  auto ok = RunCommand(std::string(TRINETD) + " --db " + Quote(db()) + " --check-config");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("register: 5 devices, 5 on the networks this instance polls"),
            std::string::npos)
      << ok.output;
  auto internal = RunCommand(std::string(TRINETD) + " --db " + Quote(db()) +
                             " --check-config --networks internal");
  EXPECT_NE(internal.output.find("3 on the networks"), std::string::npos) << internal.output;
  EXPECT_EQ(RunCommand(std::string(TRINETD) + " --networks internet").exit_code, 2);
  auto empty = RunCommand(std::string(TRINETD) + " --db " + Quote(dir_ / "empty.db") + " --once");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.output.find("no device to poll"), std::string::npos) << empty.output;
}

}  // namespace
}  // namespace trinet
