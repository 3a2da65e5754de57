// /metrics as served: the text format writer against prometheus-cpp's TextSerializer, the
// Exposition cache (one render per snapshot, also under concurrent scrapes), its gzip form
// (one member joined from two deflate streams, checked with zlib and GNU gzip), and the HTTP
// semantics of MetricsServer on a loopback port. The families themselves: metrics_test.cc.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>  // linked through trinet_metrics

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "metrics/metrics.h"
#include "metrics/text_format.h"
#include "test_util.h"

namespace trinet::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ---- fixtures ------------------------------------------------------------------------------

// Label values that need escaping or are unusual: quotes, backslashes, line feeds, UTF-8,
// invalid UTF-8 (made U+FFFD), braces, commas, empty.
const std::string kTricky =
    "q\"uo\\te\nline {a=\"b\",c} 中文 \xff"
    " end";

std::shared_ptr<const Register> MakeRegister(std::size_t devices) {
  auto r = std::make_shared<Register>();
  r->networks = {{"external", "Internet", {"203.0.113.0/24"}},
                 {"internal", "内网", {"10.0.0.0/8"}}};
  r->platforms = {{"city", "市级平台", "city", std::nullopt, std::nullopt},
                  {"wc", "渭城 \"county\"", "county", "city", std::nullopt}};
  r->units = {{"it", "信息中心", "city", Admin{"王芳", "+86 29 3300 0001", "wf@example.org"}},
              {"odd", kTricky, "wc", Admin{kTricky, std::nullopt, kTricky}},
              {"none", "", "wc", std::nullopt}};
  r->rooms = {{"dc1", "中心机房", "it", "city", "central", "active", std::nullopt, std::nullopt},
              {"wc-2f", "2F", std::nullopt, "wc", "department", "consolidating", "2027-06-30",
               std::nullopt},
              {"empty", "", "odd", "wc", "department", "exempt", std::nullopt, "law"}};
  const char* roles[] = {"core", "access", "egress", "ups"};
  for (std::size_t k = 0; k < devices; ++k) {
    Device d;
    d.id = "dev-" + std::to_string(k);
    d.room = k % 3 == 2 ? "wc-2f" : "dc1";
    d.network = k % 4 == 2 ? "external" : "internal";
    d.role = roles[k % 4];
    d.address = "10.0.0." + std::to_string(k + 1);
    d.credentials = "v2";
    r->devices.push_back(std::move(d));
  }
  Egress e;
  e.id = "exit-1";
  e.platform = "city";
  e.network = "external";
  e.device = "dev-2";
  e.interface = "port 1";
  r->egress.push_back(e);
  e.id = "exit-missing";
  e.interface = "nowhere";
  r->egress.push_back(e);
  return r;
}

// `devices` devices of `ports` ports. With `awkward_values`, values whose text differs in
// prometheus-cpp (durations like 0.087, which it writes as 0.08699999999999999, counters
// above 10^16); else values both write alike.
std::shared_ptr<const Snapshot> MakeSnapshot(std::size_t devices, std::size_t ports,
                                             bool awkward_values) {
  auto s = std::make_shared<Snapshot>();
  s->reg = MakeRegister(devices);
  s->version = "0.1.0 \"test\"";
  for (std::size_t k = 0; k < devices; ++k) {
    DeviceSnapshot d;
    d.id = "dev-" + std::to_string(k);
    d.up = k % 5 != 4;
    d.reason = k % 10 == 4 ? kTricky : "";
    d.poll_duration_seconds = awkward_values ? 0.087 + 0.001 * static_cast<double>(k) : 0.25;
    d.last_poll_timestamp_seconds = 1798761600 + static_cast<double>(k);
    for (std::size_t p = 1; p <= ports && d.up; ++p) {
      InterfaceSnapshot i;
      i.ifindex = static_cast<std::int64_t>(p);
      i.name = p == 3 ? kTricky : p == 4 ? "" : "port " + std::to_string(p);
      if (p == 5) i.name = "port 1";  // a repeated name gets #ifIndex
      i.descr = i.name;
      i.admin_up = p % 7 != 0;
      if (p % 6 != 0) i.oper_up = p % 2 == 0;
      i.speed_bits = p % 2 ? 1e9 : 1e10;
      const std::uint64_t big = awkward_values ? 18446744073709551000ULL : 1000000007ULL;
      i.receive_bytes = big - p;
      i.transmit_bytes = 123456789ULL * p;
      i.receive_errors = p;
      if (p % 3 != 0) i.transmit_errors = 0;
      i.receive_discards = 7;
      i.transmit_discards = p * p;
      d.interfaces.push_back(std::move(i));
    }
    if (k % 4 == 3) {
      UpsSnapshot u;
      u.on_battery = k % 8 == 3;
      u.minutes_remaining = 12.5;
      u.charge_ratio = awkward_values ? 0.1 + 0.2 : 0.5;
      u.input_voltage = 230;
      d.ups = u;
      d.sensors = {{"inlet", "temperature", 23.5},
                   {kTricky, "humidity", 0.45},
                   {"inlet", "temperature", -4}};
    }
    s->devices[d.id] = std::move(d);
  }
  s->self.poll_cycle_duration_seconds = awkward_values ? 12.345678901234567 : 4.5;
  s->self.poll_interval_seconds = 60;
  s->self.snmp_requests = {{"ok", 1000}, {"timeout", 7}};
  s->self.snmp_anomalies = {{"too_big", 1}, {kTricky, 2}};
  s->self.poll_cycles = 42;
  return s;
}

std::shared_ptr<const FindingsSnapshot> MakeFindings() {
  auto f = std::make_shared<FindingsSnapshot>();
  f->evaluated_at_seconds = 1798761660;
  f->evaluation_duration_seconds = 0.5;
  f->findings = {
      {"rogue-exit:device:dev-1", "rogue-exit", "route", "critical", "open", "internal", "city",
       "dc1", "it", "dev-1"},
      {"odd:" + kTricky, "unregistered-device", "lldp", "minor", "open", "internal", "wc", "", "",
       kTricky},
      {"gone", "orphan-room", "overdue", "major", "resolved", "internal", "wc", "wc-2f", "", "x"},
  };
  f->rooms = {{{"city", "central", "active"}, 1}, {{"wc", "department", "consolidating"}, 1}};
  f->rooms_overdue = {{"city", 0}, {"wc", 1}};
  f->units_without_admin = {{"city", 0}, {"wc", 1}};
  return f;
}

std::shared_ptr<const CaptureSnapshot> MakeCapture(std::uint64_t packets) {
  auto c = std::make_shared<CaptureSnapshot>();
  CaptureSourceSnapshot src;
  src.source = "eth1";
  src.up = true;
  src.packets = packets;
  src.decode_errors = {{"truncated_ipv4", 3}, {"", 1}};
  c->sources.push_back(src);
  return c;
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

double ParseDouble(const std::string& s) {
  if (s == "Nan" || s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  return std::strtod(s.c_str(), nullptr);
}

// ---- the text format ---------------------------------------------------------------------

std::string Value(double v) {
  std::string out;
  text::AppendValue(out, v);
  return out;
}

// prometheus-cpp's rendering of one gauge value, for comparison.
std::string PrometheusCppValue(double v) {
  prometheus::MetricFamily f;
  f.name = "x";
  f.type = prometheus::MetricType::Gauge;
  f.metric.emplace_back().gauge.value = v;
  const std::string text = Serialize({f});
  const auto at = text.rfind("\nx ");
  return text.substr(at + 3, text.size() - at - 4);
}

TEST(MetricsText, ValuesAreWrittenAsPrometheusCppDoesWhereItIsExact) {
  for (const double v : {0.0,
                         1.0,
                         -1.0,
                         0.5,
                         0.25,
                         0.1,
                         23.5,
                         0.45,
                         750.0,
                         125000000.0,
                         1250000000.0,
                         1700000000.0,
                         1700000000.25,
                         1e15,
                         9007199254740992.0,
                         1e-7,
                         0.000123,
                         1e20,
                         1e300,
                         2.5e-300,
                         std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity()}) {
    EXPECT_EQ(Value(v), PrometheusCppValue(v)) << v;
  }
}

TEST(MetricsText, ValuesAreExactWherePrometheusCppRounds) {
  // Integral values as integers, without exponent; everything else the shortest text that
  // parses back to the same double.
  EXPECT_EQ(Value(1e16), "10000000000000000");
  EXPECT_EQ(PrometheusCppValue(1e16), "1e+16");
  EXPECT_EQ(Value(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(PrometheusCppValue(0.1 + 0.2), "0.3");  // a different double
  EXPECT_EQ(Value(0.087), "0.087");
  EXPECT_EQ(PrometheusCppValue(0.087), "0.08699999999999999");
  EXPECT_EQ(Value(-0.0), "0");
  EXPECT_EQ(Value(0.0001), "1e-04");
  EXPECT_EQ(Value(5e-324), "5e-324");
  EXPECT_EQ(PrometheusCppValue(5e-324), "4.940656458412465e-324");
  EXPECT_EQ(Value(std::nan("")), "NaN");  // the format's spelling; prometheus-cpp: Nan
  for (const double v : {0.1 + 0.2, 0.087, 1.0 / 3, 2.0 / 3, 1e-300, 123456.789, 9.2e18,
                         1.8446744073709552e19, 5e-324, 0.0001, -1234.5678}) {
    double back = 0;
    const std::string s = Value(v);
    const auto r = std::from_chars(s.data(), s.data() + s.size(), back);
    EXPECT_EQ(r.ptr, s.data() + s.size()) << s;
    EXPECT_EQ(back, v) << s;
  }
  std::string counter;
  text::AppendValue(counter, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(counter, "18446744073709551615");  // prometheus-cpp: 1.844674407370955e+19
}

TEST(MetricsText, LabelValuesAndHelpAreEscaped) {
  std::string label;
  text::AppendLabelValue(label, "a\\b\"c\nd 中文 {x=\"y\"},\t");
  EXPECT_EQ(label, "a\\\\b\\\"c\\nd 中文 {x=\\\"y\\\"},\t");
  std::string empty;
  text::AppendLabelValue(empty, "");
  EXPECT_EQ(empty, "");
  std::string help;
  text::AppendHelp(help, "a\\b\"c\nd");
  EXPECT_EQ(help, "a\\\\b\"c\\nd");  // quotes stay in HELP
}

// ---- the text against prometheus-cpp's serializer -----------------------------------------

TEST(MetricsText, RenderTextIsPrometheusCppsTextByteForByte) {
  const auto s = MakeSnapshot(12, 8, /*awkward_values=*/false);
  const auto f = MakeFindings();
  const auto c = MakeCapture(99);
  SnapshotHolder holder;
  for (const MetricsOptions& options :
       {MetricsOptions{},
        MetricsOptions{{"core", "egress"}, true, 3, {"oper_up", "errors_total"}}}) {
    const SnapshotCollectable collectable(holder, options);
    const std::string text = collectable.RenderText(*s, *f, *c);
    ASSERT_THAT(text, HasSubstr("\\\"uo\\\\te\\nline {a=\\\"b\\\",c} 中文 \xEF\xBF\xBD end"));
    EXPECT_EQ(text, Serialize(collectable.Render(*s, *f, *c)));
    // The two halves the cache keeps apart make the same text.
    std::string halves;
    collectable.AppendCycleText(halves, *s, *f);
    collectable.AppendTailText(halves, *s, *c);
    EXPECT_EQ(halves, text);
    // Empty snapshots too (no register, no findings, no capture).
    EXPECT_EQ(collectable.RenderText(Snapshot{}), Serialize(collectable.Render(Snapshot{})));
  }
}

TEST(MetricsText, WithValuesPrometheusCppRoundsOnlyTheValuesDiffer) {
  const auto s = MakeSnapshot(40, 48, /*awkward_values=*/true);
  const auto f = MakeFindings();
  SnapshotHolder holder;
  const SnapshotCollectable collectable(holder);
  const std::vector<std::string> ours = Lines(collectable.RenderText(*s, *f));
  const std::vector<std::string> theirs = Lines(Serialize(collectable.Render(*s, *f)));
  ASSERT_EQ(ours.size(), theirs.size());
  ASSERT_GT(ours.size(), 32u * 48 * 8);  // 32 devices up
  std::size_t differ = 0;
  for (std::size_t k = 0; k < ours.size(); ++k) {
    if (ours[k] == theirs[k]) continue;
    ++differ;
    // Everything up to the value is the same; the values are the same number, to the 16
    // digits prometheus-cpp keeps.
    const auto a = ours[k].rfind(' '), b = theirs[k].rfind(' ');
    ASSERT_EQ(ours[k].substr(0, a), theirs[k].substr(0, b)) << ours[k];
    const double x = ParseDouble(ours[k].substr(a + 1)), y = ParseDouble(theirs[k].substr(b + 1));
    EXPECT_NEAR(x, y, std::fabs(y) * 1e-15) << ours[k] << " vs " << theirs[k];
  }
  EXPECT_GT(differ, 0u);  // the fixture does have such values
}

// ---- the cache -------------------------------------------------------------------------------

std::string Gunzip(std::string_view z) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  zs.avail_in = static_cast<uInt>(z.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[65536];
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && zs.avail_in == 0;  // one member, nothing after
  inflateEnd(&zs);
  if (!whole)
    throw std::runtime_error("gzip stream bad or with trailing bytes: " + std::to_string(rc));
  return out;
}

TEST(MetricsExposition, RendersOncePerSnapshotPair) {
  SnapshotHolder holder;
  const Exposition exposition(holder);
  holder.Publish(MakeSnapshot(10, 8, false));
  holder.PublishFindings(MakeFindings());
  const std::string first = exposition.Get(false).Join();
  EXPECT_EQ(first, exposition.collectable().RenderText(*holder.Get(), *holder.GetFindings()));
  for (int k = 0; k < 5; ++k) EXPECT_EQ(exposition.Get(false).Join(), first);
  EXPECT_EQ(exposition.renders(), 1u);

  holder.Publish(std::make_shared<const Snapshot>(*holder.Get()));  // a new cycle, same values
  EXPECT_EQ(exposition.Get(false).Join(), first);
  EXPECT_EQ(exposition.renders(), 2u);
  holder.PublishFindings(std::make_shared<const FindingsSnapshot>());
  EXPECT_THAT(exposition.Get(false).Join(), Not(HasSubstr("trinet_finding_open")));
  EXPECT_EQ(exposition.renders(), 3u);
}

TEST(MetricsExposition, CaptureChangesAreServedWithoutRenderingAgain) {
  SnapshotHolder holder;
  const Exposition exposition(holder);
  holder.Publish(MakeSnapshot(4, 4, false));
  holder.PublishCapture(MakeCapture(1));
  EXPECT_THAT(exposition.Get(false).Join(),
              HasSubstr("trinet_capture_packets_total{source=\"eth1\"} 1\n"));
  holder.PublishCapture(MakeCapture(2));
  const std::string text = exposition.Get(false).Join();
  EXPECT_THAT(text, HasSubstr("trinet_capture_packets_total{source=\"eth1\"} 2\n"));
  EXPECT_EQ(text, exposition.collectable().RenderText(*holder.Get(), {}, *holder.GetCapture()));
  EXPECT_EQ(Gunzip(exposition.Get(true).Join()), text);
  EXPECT_EQ(exposition.renders(), 1u);
}

TEST(MetricsExposition, GzipIsTheTextCompressedOnce) {
  SnapshotHolder holder;
  const Exposition exposition(holder);
  holder.Publish(MakeSnapshot(20, 48, true));
  holder.PublishFindings(MakeFindings());
  holder.PublishCapture(MakeCapture(5));
  const Exposition::Body plain = exposition.Get(false);
  EXPECT_FALSE(plain.gzip());
  const Exposition::Body gzip = exposition.Get(true);
  EXPECT_TRUE(gzip.gzip());
  const std::string z = gzip.Join();
  ASSERT_GT(z.size(), 18u);
  EXPECT_EQ(z.substr(0, 3), "\x1f\x8b\x08");
  EXPECT_LT(z.size() * 5, plain.size());
  EXPECT_EQ(Gunzip(z), plain.Join());
  EXPECT_EQ(gzip.size(), z.size());
  // GNU gzip agrees (its own CRC and length checks).
  testing::TempDir dir;
  testing::WriteFile(dir / "m.gz", z);
  const auto r = testing::RunCommand("gzip -t " + testing::Quote(dir / "m.gz") + " && gzip -dc " +
                                     testing::Quote(dir / "m.gz"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, plain.Join());

  for (std::uint64_t k = 0; k < 3; ++k) {  // the tail changes, the cached part does not
    holder.PublishCapture(MakeCapture(100 + k));
    EXPECT_EQ(Gunzip(exposition.Get(true).Join()), exposition.Get(false).Join());
  }
  EXPECT_EQ(exposition.compressions(), 1u);
  EXPECT_EQ(exposition.renders(), 1u);
}

TEST(MetricsExposition, EmptyHolderGzipsToo) {
  SnapshotHolder holder;
  holder.Publish(nullptr);
  holder.PublishFindings(nullptr);
  const Exposition exposition(holder);
  const std::string text = exposition.Get(false).Join();
  EXPECT_THAT(text, HasSubstr("trinet_build_info{version=\"unknown\"} 1"));
  EXPECT_EQ(Gunzip(exposition.Get(true).Join()), text);
}

TEST(MetricsExposition, ConcurrentScrapesRenderAndCompressOnce) {
  SnapshotHolder holder;
  const Exposition exposition(holder);
  holder.Publish(MakeSnapshot(200, 48, false));
  const std::string expected = exposition.collectable().RenderText(*holder.Get());
  std::vector<std::string> got(8);
  {
    std::vector<std::jthread> threads;
    for (std::size_t k = 0; k < got.size(); ++k) {
      threads.emplace_back([&, k] {
        const Exposition::Body body = exposition.Get(k % 2 == 1);
        got[k] = body.gzip() ? Gunzip(body.Join()) : body.Join();
      });
    }
  }
  for (const auto& text : got) EXPECT_EQ(text, expected);
  EXPECT_EQ(exposition.renders(), 1u);
  EXPECT_EQ(exposition.compressions(), 1u);
}

TEST(MetricsExposition, AcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("GZip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip, br, zstd"));  // curl --compressed
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.5, identity"));
  EXPECT_TRUE(AcceptsGzip(" gzip ; q=1.0 "));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("br, *;q=0.1"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0, *"));  // refused by name, whatever * says
  EXPECT_FALSE(AcceptsGzip("gzipped"));
}

// ---- HTTP ------------------------------------------------------------------------------------

struct Response {
  std::string status_line;
  std::string headers;  // lower-cased names, "name: value\n" each
  std::string body;
  std::string Header(const std::string& name) const {
    const std::string key = "\n" + name + ": ";
    const auto at = ("\n" + headers).find(key);
    if (at == std::string::npos) return "";
    const auto start = at + key.size() - 1;
    return headers.substr(start, headers.find('\n', start) - start);
  }
};

/// One HTTP/1.1 request to 127.0.0.1:`port` (the server closes the connection after it).
Response Http(int port, const std::string& method, const std::string& path,
              const std::string& extra_headers = "") {
  const std::string raw = testing::HttpExchange(
      port, method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                extra_headers + "\r\n");
  Response r;
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) throw std::runtime_error("no header end: " + raw);
  std::istringstream head(raw.substr(0, end));
  std::getline(head, r.status_line);
  for (std::string line; std::getline(head, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    r.headers += name + ": " + line.substr(line.find_first_not_of(' ', colon + 1)) + "\n";
  }
  r.body = raw.substr(end + 4);
  return r;
}

TEST(MetricsHttp, ServesTextAndGzipWithTheHeadersPrometheusNeeds) {
  SnapshotHolder holder;
  holder.Publish(MakeSnapshot(20, 48, false));
  holder.PublishFindings(MakeFindings());
  MetricsServer server("127.0.0.1:0", holder);
  const std::string expected =
      server.exposition().collectable().RenderText(*holder.Get(), *holder.GetFindings());

  const Response plain = Http(server.port(), "GET", "/metrics");
  EXPECT_THAT(plain.status_line, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(plain.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(plain.Header("content-length"), std::to_string(expected.size()));
  EXPECT_EQ(plain.Header("content-encoding"), "");
  EXPECT_EQ(plain.Header("vary"), "Accept-Encoding");
  EXPECT_EQ(plain.body, expected);

  // What Prometheus sends.
  const Response gzip = Http(server.port(), "GET", "/metrics",
                             "Accept: application/openmetrics-text;version=1.0.0;q=0.5,"
                             "text/plain;version=0.0.4;q=0.4,*/*;q=0.1\r\n"
                             "Accept-Encoding: gzip\r\n");
  EXPECT_THAT(gzip.status_line, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(gzip.Header("content-encoding"), "gzip");
  EXPECT_EQ(gzip.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(gzip.Header("content-length"), std::to_string(gzip.body.size()));
  EXPECT_EQ(Gunzip(gzip.body), expected);
  EXPECT_EQ(Http(server.port(), "GET", "/metrics", "Accept-Encoding: gzip;q=0\r\n").body, expected);

  const Response head = Http(server.port(), "HEAD", "/metrics");
  EXPECT_THAT(head.status_line, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(head.Header("content-length"), std::to_string(expected.size()));
  EXPECT_EQ(head.body, "");

  EXPECT_EQ(Http(server.port(), "GET", "/metrics?name[]=trinet_device_up").body, expected);
  EXPECT_EQ(server.exposition().renders(), 1u);
  EXPECT_EQ(server.exposition().compressions(), 1u);

  EXPECT_THAT(Http(server.port(), "POST", "/metrics").status_line, StartsWith("HTTP/1.1 405"));
  EXPECT_EQ(Http(server.port(), "POST", "/metrics").Header("allow"), "GET, HEAD");
  EXPECT_THAT(Http(server.port(), "GET", "/metrics/x").status_line, StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Http(server.port(), "GET", "/metricsx").status_line, StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Http(server.port(), "GET", "/").status_line, StartsWith("HTTP/1.1 404"));
}

TEST(MetricsHttp, ConcurrentScrapesOverHttpRenderOnce) {
  SnapshotHolder holder;
  holder.Publish(MakeSnapshot(100, 48, false));
  MetricsServer server("127.0.0.1:0", holder, {}, 4);
  const std::string expected = server.exposition().collectable().RenderText(*holder.Get());
  std::vector<std::string> got(6);
  {
    std::vector<std::jthread> threads;
    for (std::size_t k = 0; k < got.size(); ++k) {
      threads.emplace_back([&, k] {
        const Response r =
            Http(server.port(), "GET", "/metrics", k % 2 ? "Accept-Encoding: gzip\r\n" : "");
        got[k] = r.Header("content-encoding") == "gzip" ? Gunzip(r.body) : r.body;
      });
    }
  }
  for (const auto& body : got) EXPECT_EQ(body, expected);
  EXPECT_EQ(server.exposition().renders(), 1u);
  EXPECT_EQ(server.exposition().compressions(), 1u);
}

}  // namespace
}  // namespace trinet::metrics
