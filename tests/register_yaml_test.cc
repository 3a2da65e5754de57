#include "register/register_yaml.h"

#include <gtest/gtest.h>

namespace trinet {
namespace {

TEST(RegisterYaml, ExampleApplies) {
  auto load = LoadRegisterFile(TRINET_FIXTURES "/register/inventory.yaml");
  for (const auto& e : load.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(load.reg);
  EXPECT_EQ(load.reg->devices.size(), 5u);
}

}  // namespace
}  // namespace trinet
