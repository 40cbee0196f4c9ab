// A window reads x at its position plus its offset, x(h + u); a difference x(h - u) is other index arithmetic.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 1> x;
constexpr lf::tensor<"w", 1> w;
constexpr lf::index<"h"> h;
constexpr lf::window_index<"u"> u;
#ifdef LOSSFORGE_SHOULD_FAIL
auto e = lf::sum(h, lf::sum(u, w(u) * x(h - u)));
#else
auto e = lf::sum(h, lf::sum(u, w(u) * x(h + u)));
#endif
int main() {}
