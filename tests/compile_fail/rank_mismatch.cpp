// A tensor declared with rank 2 accessed with one index.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 2> x;
constexpr lf::index<"i"> i;
constexpr lf::index<"c"> c;
#ifdef LOSSFORGE_SHOULD_FAIL
auto e = x(i);
#else
auto e = x(i, c);
#endif
int main() {}
