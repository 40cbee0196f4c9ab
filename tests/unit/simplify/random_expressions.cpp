// The simplifier against generated expression trees (scripts/generate_random_expressions.py). Built twice, with
// LOSSFORGE_RANDOM_PART 0 and 1, so the two halves of the list compile in parallel.
#include <tests/support/random_expression_checks.hpp>

#define LOSSFORGE_STRINGIZE(x) #x
#define LOSSFORGE_EXPANDED_STRING(x) LOSSFORGE_STRINGIZE(x)
// The include path must stay one run of tokens for the preprocessor.
// clang-format off
#define LOSSFORGE_RANDOM_FILE(part) LOSSFORGE_STRINGIZE(tests/unit/simplify/random_expressions_##part.inc)
// clang-format on
#define LOSSFORGE_RANDOM_INCLUDE(part) LOSSFORGE_RANDOM_FILE(part)

using namespace lossforge::test::random_expressions;

TEST_CASE("random expressions " LOSSFORGE_EXPANDED_STRING(LOSSFORGE_RANDOM_PART) ": simplify preserves values, grad matches "
          "finite differences", "[simplify][random]") {
  int const before = checked;
#define LOSSFORGE_RANDOM_SCALAR(...) check_scalar([] { return __VA_ARGS__; });
#define LOSSFORGE_RANDOM_TENSOR(...) check_tensor([] { return __VA_ARGS__; });
#include LOSSFORGE_RANDOM_INCLUDE(LOSSFORGE_RANDOM_PART)
  CHECK(checked - before > 250);  // most points must be finite, or the test checks little
}
