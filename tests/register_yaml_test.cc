#include "register/register_yaml.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "register_store.h"
#include "test_util.h"

namespace trinet {
namespace {

TEST(RegisterYaml, ExampleApplies) {
  auto load = LoadRegisterFile(TRINET_FIXTURES "/register/inventory.yaml");
  for (const auto& e : load.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(load.reg);
  EXPECT_EQ(load.reg->devices.size(), 5u);
}

// The project's example register lives in shared/ beside the checkout; the fixture is a copy
// of it. When shared/ is there, the copy must still match it, so the example keeps applying.
TEST(RegisterYaml, FixtureMatchesTheSharedExample) {
  const std::filesystem::path shared = TRINET_SOURCE_DIR "/../shared/examples/inventory.yaml";
  if (!std::filesystem::exists(shared)) GTEST_SKIP() << "no shared/ beside this checkout";
  EXPECT_EQ(testing::ReadFile(shared),
            testing::ReadFile(TRINET_FIXTURES "/register/inventory.yaml"));
  EXPECT_TRUE(LoadRegisterFile(shared).errors.empty());
}

TEST(RegisterYaml, ExportedYamlParsesToTheSameRegister) {
  auto load = LoadRegisterFile(TRINET_FIXTURES "/register/inventory.yaml");
  ASSERT_TRUE(load.reg);
  auto again = ParseRegister(EmitRegisterYaml(*load.reg), "export.yaml", ".");
  for (const auto& e : again.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(again.reg);
  // Secrets come back as <redacted>; everything else is identical.
  Register expected = *load.reg;
  for (auto& c : expected.credentials) {
    if (c.community) c.community = kRedacted;
    if (c.auth) c.auth->passphrase = kRedacted;
    if (c.priv) c.priv->passphrase = kRedacted;
  }
  EXPECT_EQ(*again.reg, expected);
}

}  // namespace
}  // namespace trinet
