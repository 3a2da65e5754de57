#include "text.h"

#include <gtest/gtest.h>

namespace trinet::text {
namespace {

TEST(Text, DisplayWidthCountsCjkAsTwo) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("政务外网"), 8);
  EXPECT_EQ(DisplayWidth("市中心机房UPS-1"), 15);
  EXPECT_EQ(DisplayWidth("（全角）"), 8);
  EXPECT_EQ(DisplayWidth("e\xCC\x81"), 1);  // e + combining acute
  EXPECT_EQ(DisplayWidth("\xE6\x94"), 2);   // truncated sequence: one column per byte
}

TEST(Text, AlignPadsByDisplayWidth) {
  std::string out = Align({{"内网", "x"}, {"abcdef", "y"}});
  EXPECT_EQ(out, "内网    x\nabcdef  y\n");
}

TEST(Text, CsvQuotesAndStartsWithBom) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  std::string csv = Csv({"id", "name"}, {{"a", "市财政局"}});
  EXPECT_EQ(csv, "\xEF\xBB\xBFid,name\r\na,市财政局\r\n");
}

}  // namespace
}  // namespace trinet::text
