// A consumer of lossforge: includes with the one <lossforge/...> spelling, differentiates and evaluates a loss, and
// runs it fused through the serial executor, and through the Kokkos backend where lossforge has Kokkos.
#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <lossforge/backends/reference/eigen.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/backends/serial.hpp>
#include <lossforge/lossforge.hpp>
#if defined(LOSSFORGE_WITH_KOKKOS)
#include <lossforge/backends/kokkos.hpp>
#endif

namespace lf = lossforge;
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;

int main(int argc, char* argv[]) {
  Eigen::ArrayXd pv(3), gv(3);
  pv << 0.5, 1.5, -1.0;
  gv << 1.0, 1.0, 0.0;
  auto const b = lf::bind(p = lf::host_view(pv), g = lf::host_view(gv));
  double const loss = lf::reference::evaluate(lf::mean(lf::square(p - g)), b);
  auto const gradient = lf::reference::evaluate(lf::grad(lf::mean(lf::square(p - g)), p), b);
  static constexpr auto kernel = lf::serial::compile(lf::mean(lf::square(p - g)), lf::wrt(p));
  double fused_gradient[3];
  double const fused = kernel(lf::bind(p = lf::strided_view<double const, 1>(pv.data(), {3}),
                                       g = lf::strided_view<double const, 1>(gv.data(), {3})),
                              lf::strided_view<double, 1>(fused_gradient, {3}));
  bool const ok = std::abs(loss - (0.25 + 0.25 + 1.0) / 3) < 1e-15 && std::abs(gradient.values[2] + 2.0 / 3) < 1e-15 &&
                  std::abs(fused - loss) < 1e-15 && std::abs(fused_gradient[2] + 2.0 / 3) < 1e-15;
  std::printf("mse %.6f, d/dp[2] %.6f, fused %.6f: %s\n", loss, gradient.values[2], fused, ok ? "ok" : "WRONG");
#if defined(LOSSFORGE_WITH_KOKKOS)
  Kokkos::ScopeGuard guard(argc, argv);
  bool kokkos_ok = false;
  {
    static constexpr auto on_kokkos = lf::kokkos::compile(lf::mean(lf::square(p - g)), lf::wrt(p));
    Kokkos::View<double*, Kokkos::HostSpace> pk("p", 3), gk("g", 3), dp("dp", 3);
    for (int k = 0; k < 3; ++k) pk(k) = pv[k], gk(k) = gv[k];
    double const on_device = on_kokkos(lf::bind(p = pk, g = gk), dp);
    kokkos_ok = std::abs(on_device - loss) < 1e-15 && std::abs(dp(2) + 2.0 / 3) < 1e-15;
  }
  std::printf("Kokkos (%s): %s\n", Kokkos::DefaultExecutionSpace::name(), kokkos_ok ? "ok" : "WRONG");
  return ok && kokkos_ok ? 0 : 1;
#else
  (void)argc, (void)argv;
  return ok ? 0 : 1;
#endif
}
