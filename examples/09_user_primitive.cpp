// lossforge example 9: a primitive of the user's own, with its vector-Jacobian product, inside a DSL loss.
//
// The squared earth mover's distance between histograms p and g over C ordered bins (Hou et al. 2016) compares their
// cumulative sums: mean over rows and bins of (cumsum(p) - cumsum(g))^2. A running sum is no elementwise op or
// reduction, so it is a primitive: a forward (each row's prefix sums) and a vector-Jacobian product (each row's
// suffix sums of the upstream gradient), about 20 lines. The loss is then written, differentiated and printed like
// any other; the call runs the forward, the fused kernel and the vjp. The example checks the loss against the
// definition and the gradient against central differences.
#include <Kokkos_Core.hpp>
#include <array>
#include <cmath>
#include <cstdio>
#include <lossforge/backends/kokkos.hpp>

namespace lf = lossforge;

struct cumsum_impl {
  static constexpr lf::fixed_string name = "cumsum";
  static constexpr int rank = 2;
  template <class X>
  std::array<std::size_t, 2> extents(X const& x) const {
    return {x.extent(0), x.extent(1)};
  }
  template <class Exec, class X, class Result>
  void forward(Exec const& exec, X const& x, Result const& result) const {
    Kokkos::parallel_for(
        Kokkos::RangePolicy<Exec>(exec, 0, x.extent(0)), KOKKOS_LAMBDA(std::size_t r) {
          double running = 0;
          for (std::size_t c = 0; c < x.extent(1); ++c) result(r, c) = running += x(r, c);
        });
  }
  template <class Exec, class Upstream, class X, class DX>
  void vjp(Exec const& exec, Upstream const& upstream, X const& x, DX const& dx) const {
    if (dx.data() == nullptr) return;  // the gradient with respect to x was not asked for
    Kokkos::parallel_for(
        Kokkos::RangePolicy<Exec>(exec, 0, x.extent(0)), KOKKOS_LAMBDA(std::size_t r) {
          double running = 0;
          for (std::size_t c = x.extent(1); c-- > 0;) dx(r, c) += running += upstream(r, c);
        });
  }
};
constexpr lf::primitive<cumsum_impl> cumsum;

constexpr lf::tensor<"p", 2> p;  // predicted histograms [N, C]
constexpr lf::tensor<"g", 2> g;  // target histograms
constexpr auto emd2 = lf::mean(lf::square(cumsum(p) - cumsum(g)));
constexpr auto kernel = lf::kokkos::compile(emd2, lf::wrt(p));

using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  std::size_t const rows = 3, bins = 5;
  matrix pv("p", rows, bins), gv("g", rows, bins), dp("dloss/dp", rows, bins);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < bins; ++c) {
      pv(r, c) = 0.1 + 0.05 * double((r + 2 * c) % 5);
      gv(r, c) = 0.2 + 0.04 * double((3 * r + c) % 4);
    }
  auto const loss = [&] { return kernel(lf::bind(p = pv, g = gv), dp); };
  double const value = loss();
  std::printf("loss: %s\ngradient: %s\nplan:\n%s", lf::to_text(emd2).c_str(),
              lf::to_text(lf::grad(emd2, cumsum(p))).c_str(), kernel.describe().c_str());

  double expected = 0;  // the definition
  for (std::size_t r = 0; r < rows; ++r) {
    double difference = 0;
    for (std::size_t c = 0; c < bins; ++c) expected += std::pow(difference += pv(r, c) - gv(r, c), 2);
  }
  expected /= double(rows * bins);
  matrix const gradient("copy", rows, bins);
  Kokkos::deep_copy(gradient, dp);
  double largest = 0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < bins; ++c) {
      double const keep = pv(r, c), h = 1e-6;
      pv(r, c) = keep + h;
      double const up = loss();
      pv(r, c) = keep - h;
      double const down = loss();
      pv(r, c) = keep;
      largest = std::max(largest, std::abs(gradient(r, c) - (up - down) / (2 * h)));
    }
  std::printf("loss %.12f, by the definition %.12f; gradient against central differences: %.2e\n", value, expected,
              largest);
  return std::abs(value - expected) < 1e-14 && largest < 1e-9 ? 0 : 1;
}
