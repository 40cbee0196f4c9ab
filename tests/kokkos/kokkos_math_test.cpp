// With LOSSFORGE_WITH_KOKKOS the op tags call Kokkos math through the compatibility shim; this checks that path
// compiles against the installed Kokkos and agrees with <cmath>, inside a Kokkos kernel on the default space.
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdio>
#include <lossforge/dsl/ops.hpp>
#include <lossforge/losses/box_overlap.hpp>

namespace ops = lossforge::ops;

// CIoU of the unit box against the box (0, 0, x, 1), x < 1, from its definition: same centre height, the centres
// (1 - x) / 2 apart, the enclosing box the unit box (diagonal^2 2).
double ciou_of(double x) {
  double const eps = 1e-7, iou = x / (1 + eps), angle = std::atan(x) - std::atan(1.0);
  double const v = 4 / (M_PI * M_PI) * angle * angle, alpha = v / (1 - iou + v + eps);
  return 1 - iou + (1 - x) * (1 - x) / 4 / (2 + eps) + alpha * v;
}

int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard guard(argc, argv);
  double const x = 0.37;
  double const want[] = {
      std::log(x), std::log1p(x), std::exp(x), std::expm1(x), std::sqrt(x), std::tanh(x), std::abs(-x),
      std::pow(x, 1.5), 1 / (1 + std::exp(-x)), std::log1p(std::exp(x)),
      // CIoU of the unit box against (0, 0, x, 1): v = 4/pi^2 (atan(x) - atan(1))^2, iou x, alpha v / (1 - x + v)
      ciou_of(x),
      // d/dx2 of the IoU loss 1 - inter / (union + eps) of the unit box against (0, 0, x, 1), x < 1: the
      // intersection x does not move with the predicted x2 (the target's x2 is the min), the union 1 grows by 1.
      x / ((1 + 1e-7) * (1 + 1e-7))};
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
        got(10) = ops::box_overlap<ops::box_kind::ciou>::apply(0.0, 0.0, 1.0, 1.0, 0.0, 0.0, x, 1.0, 1e-7);
        got(11) = ops::box_overlap_partial<ops::box_kind::iou, 2>::apply(0.0, 0.0, 1.0, 1.0, 0.0, 0.0, x, 1.0, 1e-7);
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
