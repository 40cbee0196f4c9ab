// grad with respect to an integer tensor (class indices) is refused.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
constexpr auto loss = lf::sum(i, x(i, t(i)));
#ifdef LOSSFORGE_SHOULD_FAIL
auto d = lf::grad(loss, t);
#else
auto d = lf::grad(loss, x);
#endif
int main() {}
