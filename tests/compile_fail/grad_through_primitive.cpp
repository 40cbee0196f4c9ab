// grad with respect to an argument of a primitive is refused: its derivative is the primitive's vector-Jacobian
// product, which only a compiled kernel runs. grad with respect to the primitive's result is a tensor like any other.
#include <lossforge/lossforge.hpp>
namespace lf = lossforge;
struct scan_impl {
  static constexpr lf::fixed_string name = "scan";
  static constexpr int rank = 1;
};
constexpr lf::primitive<scan_impl> scan;
constexpr lf::tensor<"x", 1> x;
#ifdef LOSSFORGE_SHOULD_FAIL
auto d = lf::grad(lf::sum(scan(x) * x), x);
#else
auto d = lf::grad(lf::sum(scan(x) * x), scan(x));
#endif
int main() {}
