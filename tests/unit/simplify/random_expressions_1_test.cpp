// The simplifier against generated expression trees, part 1 of 2 (scripts/generate_random_expressions.py).
#include <tests/support/random_expression_checks.hpp>

using namespace lossforge::test::random_expressions;

TEST_CASE("random expressions 1: simplify preserves values, grad matches finite differences", "[simplify][random]") {
  int const before = checked;
#define LOSSFORGE_RANDOM_SCALAR(...) check_scalar([] { return __VA_ARGS__; });
#define LOSSFORGE_RANDOM_TENSOR(...) check_tensor([] { return __VA_ARGS__; });
#include <tests/unit/simplify/random_expressions_1.inc>
#undef LOSSFORGE_RANDOM_SCALAR
#undef LOSSFORGE_RANDOM_TENSOR
  CHECK(checked - before > 250);  // most points must be finite, or the test checks little
}
