// A reduction over an index that no tensor is indexed by has no extent.
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <vector>
namespace lf = lossforge;
constexpr lf::tensor<"x", 1> x;
constexpr lf::index<"i"> i;
constexpr lf::index<"k"> k;
int main() {
  std::vector<double> data{1, 2};
#ifdef LOSSFORGE_SHOULD_FAIL
  return int(lf::reference::evaluate(lf::sum(i, x(i)) * lf::sum(k, k * k), lf::bind(x = lf::host_view(data))));
#else
  return int(lf::reference::evaluate(lf::sum(i, x(i) * i), lf::bind(x = lf::host_view(data))));
#endif
}
