// One test per validation class of the register loader (written by a helper).
#include <gtest/gtest.h>

#include "register/register_yaml.h"
