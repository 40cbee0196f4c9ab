// One tensor accessed with one index in a place and two in another.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x"> x;
constexpr lf::index<"i"> i;
constexpr lf::index<"c"> c;
#ifdef LOSSFORGE_SHOULD_FAIL
auto d = lf::grad(lf::sum(i, x(i)) + lf::sum(i, lf::sum(c, x(i, c))), x);
#else
auto d = lf::grad(lf::sum(i, lf::sum(c, x(i, c))), x);
#endif
int main() {}
