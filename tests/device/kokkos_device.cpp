// The kernels users call, compiled for Kokkos' default execution space with Views in its memory: built by the
// release's nvcc_wrapper against a Kokkos with the CUDA backend, every kernel is a CUDA kernel (compile-only in
// ctest: the build machines have nvcc but no GPU). Each kind of plan has a loss here: rows in blocks (Combo), rows
// along a class axis (label-smoothed cross entropy; with class weights, a prelude), intermediates (per-class Dice), a
// per-element loss, and a scalar symbol's gradient (the examples' Charbonnier loss). Each kernel costs about half a
// CPU-minute of nvcc, so the rest of the catalogue is left to machines with more cores.
#include <Kokkos_Core.hpp>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"p", 2> p;
constexpr lf::tensor<"g", 2> g;
constexpr lf::tensor<"cw", 1> cw;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::scalar<"eps"> eps;
constexpr lf::index<"i"> i;
constexpr lf::index<"c"> c;

using space = Kokkos::DefaultExecutionSpace;
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, space::memory_space>;
using vector = Kokkos::View<double*, space::memory_space>;
using labels = Kokkos::View<int*, space::memory_space>;
using number = Kokkos::View<double, space::memory_space>;

constexpr auto per_class_dice =
    lf::mean(c, 1 - 2 * lf::sum(i, p(i, c) * g(i, c)) / (lf::sum(i, p(i, c)) + lf::sum(i, g(i, c))));
constexpr auto charbonnier = lf::mean(lf::sqrt(lf::square(p - g) + lf::square(eps)));
}  // namespace

double run_every_kind(int n, int classes) {
  space const exec;
  matrix const pv("p", n, classes), gv("g", n, classes), dp("dp", n, classes);
  matrix const per_element("loss", n, classes);
  vector const wv("cw", classes);
  labels const tv("t", n);
  number const deps("deps");

  static constexpr auto combo = lf::kokkos::compile(L::combo(p, g, 1.0, 0.5), lf::wrt(p));
  static constexpr auto smoothed = lf::kokkos::compile(
      L::cross_entropy(p, t, L::cross_entropy_options<>{}.label_smoothing(0.1), L::mean), lf::wrt(p));
  static constexpr auto weighted = lf::kokkos::compile(
      L::cross_entropy(p, t, L::cross_entropy_options<>{}.weight(cw).ignore_index(-100), L::mean), lf::wrt(p));
  static constexpr auto dice = lf::kokkos::compile(per_class_dice, lf::wrt(p));
  static constexpr auto charbonnier_kernel = lf::kokkos::compile(charbonnier, lf::wrt(p, eps));
  static constexpr auto elementwise = lf::kokkos::compile(L::mse(p, g, L::none), lf::wrt(p));

  double total = combo(exec, lf::bind(p = pv, g = gv), dp);
  total += smoothed(exec, lf::bind(p = pv, t = tv), dp) + weighted(exec, lf::bind(p = pv, t = tv, cw = wv), dp);
  total += dice(exec, lf::bind(p = pv, g = gv), dp);
  total += charbonnier_kernel(exec, lf::bind(p = pv, g = gv, eps = 1e-3), dp, deps);
  elementwise(exec, lf::bind(p = pv, g = gv), per_element, dp);
  return total;
}
