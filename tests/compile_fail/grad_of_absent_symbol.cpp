// grad with respect to a symbol the loss does not read is refused.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"q"> q;
#ifdef LOSSFORGE_SHOULD_FAIL
auto d = lf::grad(lf::sum(p * p), q);
#else
auto d = lf::grad(lf::sum(p * p), p);
#endif
int main() {}
