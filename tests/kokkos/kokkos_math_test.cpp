// With LOSSFORGE_WITH_KOKKOS the op tags call Kokkos math through the compatibility shim; this checks that path
// compiles against the installed Kokkos and agrees with <cmath>, inside a Kokkos kernel on the default space.
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdio>
#include <lossforge/dsl/ops.hpp>

namespace ops = lossforge::ops;

int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard guard(argc, argv);
  double const x = 0.37;
  double const want[] = {
      std::log(x),  std::log1p(x), std::exp(x),      std::expm1(x),          std::sqrt(x),
      std::tanh(x), std::abs(-x),  std::pow(x, 1.5), 1 / (1 + std::exp(-x)), std::log1p(std::exp(x))};
  constexpr int n = sizeof want / sizeof want[0];
  Kokkos::View<double[n]> got("lossforge::test::kokkos_math");
  Kokkos::parallel_for(
      "lossforge::test::kokkos_math", 1, KOKKOS_LAMBDA(int) {
        got(0) = ops::log::apply(x);
        got(1) = ops::log1p::apply(x);
        got(2) = ops::exp::apply(x);
        got(3) = ops::expm1::apply(x);
        got(4) = ops::sqrt::apply(x);
        got(5) = ops::tanh::apply(x);
        got(6) = ops::abs::apply(-x);
        got(7) = ops::pow::apply(x, 1.5);
        got(8) = ops::sigmoid::apply(x);
        got(9) = ops::softplus::apply(x);
      });
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), got);
  int failures = 0;
  for (int k = 0; k < n; ++k)
    if (std::abs(host(k) - want[k]) > 1e-15 * std::max(1.0, std::abs(want[k]))) {
      std::printf("op %d: %.17g, expected %.17g\n", k, host(k), want[k]);
      ++failures;
    }
  std::printf("kokkos math: %d of %d ops differ\n", failures, n);
  return failures == 0 ? 0 : 1;
}
