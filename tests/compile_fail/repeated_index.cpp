// An index repeated inside one access (a diagonal) is refused with a pointer to where().
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 2> x;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;
#ifdef LOSSFORGE_SHOULD_FAIL
auto d = lf::grad(lf::sum(i, x(i, i)), x);
#else
auto d = lf::grad(lf::sum(i, lf::sum(j, lf::where(i == j, x(i, j), 0))), x);
#endif
int main() {}
