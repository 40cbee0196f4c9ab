// A window index takes its extent from a tensor it indexes by itself (the window's weights): one that only offsets
// another index, x(h + u), leaves it unknown.
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <vector>
namespace lf = lossforge;
constexpr lf::tensor<"x", 1> x;
constexpr lf::tensor<"w", 1> w;
constexpr lf::index<"h"> h;
constexpr lf::window_index<"u"> u;
int main() {
  std::vector<double> data{1, 2, 3}, weights{1, 1};
  auto const b = lf::bind(x = lf::host_view(data), w = lf::host_view(weights));
#ifdef LOSSFORGE_SHOULD_FAIL
  return int(lf::reference::evaluate(lf::sum(h, lf::sum(u, x(h + u))), b));
#else
  return int(lf::reference::evaluate(lf::sum(h, lf::sum(u, w(u) * x(h + u))), b));
#endif
}
