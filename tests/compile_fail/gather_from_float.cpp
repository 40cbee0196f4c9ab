// A gather slot must be an integer expression, not a float tensor's element.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 2> x;
constexpr lf::tensor<"y", 1> y;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
#ifdef LOSSFORGE_SHOULD_FAIL
auto e = x(i, y(i));
#else
auto e = x(i, t(i));
#endif
int main() {}
