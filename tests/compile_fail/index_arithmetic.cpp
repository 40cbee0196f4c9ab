// An index stands in an access by itself, as a window's position plus its offset, or inside a gather's integer
// tensor: x(i + 1) is rejected.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
using namespace lf::literals;
constexpr lf::tensor<"x", 1> x;
constexpr lf::tensor<"w", 1> w;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
constexpr lf::window_index<"u"> u;
#ifdef LOSSFORGE_SHOULD_FAIL
auto e = lf::sum(i, x(i + 1_c) - x(i));
#else
auto e = lf::sum(i, x(t(i) + 1_c) - x(i)) + lf::sum(i, lf::sum(u, w(u) * x(i + u)));
#endif
int main() {}
