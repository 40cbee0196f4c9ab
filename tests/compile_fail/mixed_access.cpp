// One tensor used both bare (all elements) and with indices.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"p"> p;
constexpr lf::index<"i"> i;
#ifdef LOSSFORGE_SHOULD_FAIL
auto d = lf::grad(lf::sum(p) + lf::sum(i, p(i)), p);
#else
auto d = lf::grad(lf::sum(p) + lf::sum(p * p), p);
#endif
int main() {}
