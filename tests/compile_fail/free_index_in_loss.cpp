// A loss with an index left free (here i) is not a single number.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 2> x;
constexpr lf::index<"i"> i;
constexpr lf::index<"c"> c;
#ifdef LOSSFORGE_SHOULD_FAIL
auto d = lf::grad(lf::logsumexp(c, x(i, c)), x);
#else
auto d = lf::grad(lf::mean(i, lf::logsumexp(c, x(i, c))), x);
#endif
int main() {}
