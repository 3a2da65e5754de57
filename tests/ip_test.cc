#include "register/ip.h"

#include <gtest/gtest.h>

namespace trinet {
namespace {

TEST(Ip, CidrParsesAndNormalises) {
  std::string err;
  auto c = ParseCidr("10.64.0.0/12", &err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->ToString(), "10.64.0.0/12");
  auto v6 = ParseCidr("2001:DB8:0::/32", &err);
  ASSERT_TRUE(v6) << err;
  EXPECT_EQ(v6->ToString(), "2001:db8::/32");
  auto host = ParseCidr("192.0.2.7", &err);
  ASSERT_TRUE(host);
  EXPECT_EQ(host->length, 32);
}

TEST(Ip, CidrRejectsHostBitsAndBadLengths) {
  std::string err;
  EXPECT_FALSE(ParseCidr("10.64.0.1/12", &err));
  EXPECT_NE(err.find("did you mean 10.64.0.0/12"), std::string::npos) << err;
  EXPECT_FALSE(ParseCidr("10.0.0.0/33", &err));
  EXPECT_FALSE(ParseCidr("10.0.0.0/", &err));
  EXPECT_FALSE(ParseCidr("10.0.0/8", &err));
  EXPECT_FALSE(ParseCidr("example.org/8", &err));
}

TEST(Ip, OverlapAndContains) {
  std::string err;
  auto a = *ParseCidr("10.64.0.0/12", &err);
  auto b = *ParseCidr("10.70.0.0/16", &err);
  auto c = *ParseCidr("10.32.0.0/12", &err);
  auto v6 = *ParseCidr("::/0", &err);
  EXPECT_TRUE(a.Overlaps(b));
  EXPECT_TRUE(b.Overlaps(a));
  EXPECT_FALSE(a.Overlaps(c));
  EXPECT_FALSE(a.Overlaps(v6));
  EXPECT_TRUE(a.Contains(*ParseIpAddress("10.79.255.255")));
  EXPECT_FALSE(a.Contains(*ParseIpAddress("10.80.0.0")));
}

TEST(Ip, ManagementAddressForms) {
  std::string err;
  auto v4 = ParseManagementAddress("127.0.10.1:16101", &err);
  ASSERT_TRUE(v4) << err;
  EXPECT_EQ(v4->Key(), "127.0.10.1:16101");
  EXPECT_EQ(ParseManagementAddress("127.0.0.1", &err)->port, 161);
  EXPECT_EQ(ParseManagementAddress("::1", &err)->Key(), "[::1]:161");
  EXPECT_EQ(ParseManagementAddress("[0::1]:1161", &err)->Key(), "[::1]:1161");
  auto host = ParseManagementAddress("Core-1.Example.GOV.cn:161", &err);
  ASSERT_TRUE(host) << err;
  EXPECT_EQ(host->host, "core-1.example.gov.cn");
  EXPECT_FALSE(host->is_literal);
  EXPECT_FALSE(ParseManagementAddress("127.0.0.1:0", &err));
  EXPECT_FALSE(ParseManagementAddress("127.0.0.1:65536", &err));
  EXPECT_FALSE(ParseManagementAddress("300.1.1.1", &err));
  EXPECT_FALSE(ParseManagementAddress("[::1", &err));
  EXPECT_FALSE(ParseManagementAddress("[127.0.0.1]:161", &err));
  EXPECT_FALSE(ParseManagementAddress("bad_host!", &err));
  EXPECT_FALSE(ParseManagementAddress("", &err));
}

TEST(Ip, GloballyRoutable) {
  auto routable = [](const char* text) { return IsGloballyRoutable(*ParseIpAddress(text)); };
  // The Internet, and the documentation ranges that stand for it in labs.
  for (const char* a : {"8.8.8.8", "1.1.1.1", "203.0.113.5", "198.51.100.1", "192.0.2.200",
                        "2001:db8::1", "2400:cb00::1", "100.128.0.1", "172.32.0.1"}) {
    EXPECT_TRUE(routable(a)) << a;
  }
  // Private, shared, loopback, link-local, multicast, reserved, unspecified.
  for (const char* a : {"10.32.0.9",     "172.16.5.5",      "172.31.255.255",  "192.168.1.1",
                        "100.64.0.1",    "100.127.255.255", "127.0.10.1",      "169.254.1.1",
                        "224.0.0.5",     "239.255.255.250", "255.255.255.255", "240.0.0.1",
                        "0.0.0.0",       "198.18.0.1",      "192.0.0.9",       "::",
                        "::1",           "fe80::1",         "fd00::1",         "ff02::1",
                        "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(routable(a)) << a;
  }
}

TEST(Ip, MacForms) {
  EXPECT_EQ(NormaliseMac("00:1B:54:AA:00:01"), "00:1b:54:aa:00:01");
  EXPECT_EQ(NormaliseMac("00-1b-54-aa-00-01"), "00:1b:54:aa:00:01");
  EXPECT_EQ(NormaliseMac("001b.54aa.0001"), "00:1b:54:aa:00:01");
  EXPECT_FALSE(NormaliseMac("00:1b:54:aa:00"));
  EXPECT_FALSE(NormaliseMac("001b:54aa:0001"));
  EXPECT_FALSE(NormaliseMac("00:1b:54:aa:00:0g"));
}

}  // namespace
}  // namespace trinet
