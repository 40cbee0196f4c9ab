// Evaluating without a binding for every symbol.
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <vector>
namespace lf = lossforge;
constexpr lf::tensor<"p"> p;
constexpr lf::scalar<"w"> w;
int main() {
  std::vector<double> data{1, 2};
#ifdef LOSSFORGE_SHOULD_FAIL
  return int(lf::reference::evaluate(w * lf::sum(p), lf::bind(p = lf::host_view(data))));
#else
  return int(lf::reference::evaluate(w * lf::sum(p), lf::bind(p = lf::host_view(data), w = 2.0)));
#endif
}
