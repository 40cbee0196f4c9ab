// The kernels users call, run in Kokkos' default execution space with Views in its memory, against the reference
// evaluator's values on the host (device_reference.cpp). Built by the release's nvcc_wrapper against a Kokkos with
// the CUDA backend, every kernel is a CUDA kernel: the build compiles this file for Kokkos::Cuda (the build machines
// have nvcc but no GPU), ctest runs the same program on the host's default execution space, and
// scripts/device-check.sh builds and runs it on a machine with a GPU. One loss per kind of plan is here, with the
// bandwidth report, CTC's and SSIM's kernels and losses with primitives (perceptual, SSIM + L1); every other catalogue
// loss is in catalogue_device.hpp's families.
//
//   lossforge-device-check [rows] [classes] [elements for the bandwidth report]
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses/perceptual.hpp>
#include <tests/device/device_check.hpp>

namespace lf = lossforge;
using namespace lf::device_check;

int report_bandwidth(long elements);  // kokkos_device_bandwidth.cpp

namespace {
using space = Kokkos::DefaultExecutionSpace;
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, space::memory_space>;
using vector = Kokkos::View<double*, space::memory_space>;
using labels = Kokkos::View<int*, space::memory_space>;
using number = Kokkos::View<double, space::memory_space>;

template <class View, class Value, class... Extents>
View on_device(std::string const& label, std::vector<Value> const& values, Extents... extents) {
  using host = Kokkos::View<typename View::const_data_type, typename View::array_layout, Kokkos::HostSpace,
                            Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  View device(label, std::size_t(extents)...);
  Kokkos::deep_copy(device, host(values.data(), std::size_t(extents)...));
  return device;
}

template <class View>
std::vector<double> on_host(View const& device) {
  auto const mirror = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, device);
  return std::vector<double>(mirror.data(), mirror.data() + mirror.size());
}

// 1e-9 of the largest magnitude of the reference values (one tolerance for a loss and for a gradient whose entries
// are a hundredth of a percent of it): the device sums in another order than the reference evaluator, a few ulps per
// term over a few thousand terms.
int failures = 0;
void expect_close(std::string const& what, std::vector<double> const& got, std::vector<double> const& want) {
  double scale = DBL_MIN;
  for (double w : want) scale = std::max(scale, std::abs(w));
  double worst = got.size() == want.size() ? 0.0 : INFINITY;
  for (std::size_t k = 0; k < got.size() && k < want.size(); ++k) {
    double const error = std::abs(got[k] - want[k]) / scale;
    worst = std::isnan(error) ? INFINITY : std::max(worst, error);
  }
  bool const ok = worst <= 1e-9;
  failures += ok ? 0 : 1;
  std::printf("%-58s %6zu values  max error / max |reference| %.2e  %s\n", what.c_str(), got.size(), worst,
              ok ? "ok" : "FAIL");
}

// Runs the kernel with the device bindings and compares the loss (a number, or the per-element losses written to a
// View) and the gradient wrt p with the reference's, which it returns for the checks of further outputs.
template <class Kernel, class Bindings, class... Extra>
reference_values check(std::string const& name, loss_kind kind, Kernel const& kernel, Bindings const& on,
                       inputs const& in, Extra const&... extra) {
  reference_values const want = reference(kind, in);
  matrix const dp("lossforge::check::dp", std::size_t(in.rows), std::size_t(in.classes));
  if constexpr (Kernel::returns_loss) {
    expect_close(name + ": loss", {kernel(space{}, on, dp, extra...)}, want.loss);
  } else {
    matrix const loss("lossforge::check::loss", std::size_t(in.rows), std::size_t(in.classes));
    kernel(space{}, on, loss, dp, extra...);
    expect_close(name + ": loss", on_host(loss), want.loss);
  }
  expect_close(name + ": gradient wrt p", on_host(dp), want.dp);
  return want;
}

void check_every_kind(int rows, int classes) {
  inputs const in = make_inputs(rows, classes);
  matrix const pv = on_device<matrix>("lossforge::check::p", in.p, rows, classes);
  matrix const gv = on_device<matrix>("lossforge::check::g", in.g, rows, classes);
  vector const wv = on_device<vector>("lossforge::check::cw", in.cw, classes);
  labels const tv = on_device<labels>("lossforge::check::t", in.t, rows);
  labels const tv_ignored = on_device<labels>("lossforge::check::t_ignored", in.t_ignored, rows);

  static constexpr auto combo_kernel = lf::kokkos::compile(combo, lf::wrt(p));
  static constexpr auto smoothed_kernel = lf::kokkos::compile(smoothed, lf::wrt(p));
  static constexpr auto weighted_kernel = lf::kokkos::compile(weighted, lf::wrt(p));
  static constexpr auto dice_kernel = lf::kokkos::compile(per_class_dice, lf::wrt(p));
  static constexpr auto per_element_kernel = lf::kokkos::compile(per_element, lf::wrt(p));
  static constexpr auto charbonnier_kernel = lf::kokkos::compile(charbonnier, lf::wrt(p, eps));

  check("Combo", loss_kind::combo, combo_kernel, lf::bind(p = pv, g = gv), in);
  check("cross entropy, label smoothing 0.1", loss_kind::smoothed, smoothed_kernel, lf::bind(p = pv, t = tv), in);
  check("cross entropy, class weights, ignored rows", loss_kind::weighted, weighted_kernel,
        lf::bind(p = pv, t = tv_ignored, cw = wv), in);
  check("per-class Dice", loss_kind::per_class_dice, dice_kernel, lf::bind(p = pv, g = gv), in);
  check("MSE, reduction none", loss_kind::per_element, per_element_kernel, lf::bind(p = pv, g = gv), in);
  number const deps("lossforge::check::deps");
  reference_values const charbonnier_want = check("Charbonnier", loss_kind::charbonnier, charbonnier_kernel,
                                                  lf::bind(p = pv, g = gv, eps = charbonnier_eps), in, deps);
  expect_close("Charbonnier: gradient wrt eps", on_host(deps), charbonnier_want.deps);
}

// CTC on the device against the same kernel on the host: each sample's recursion runs in one thread on both, in the
// same order, so they agree to the rounding of exp and log.
void check_ctc() {
  int const frames = 60, samples = 33, classes = 12, longest = 14;
  std::vector<double> x(std::size_t(frames * samples * classes));
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = 2 * std::sin(0.37 * double(k) + 0.1);
  auto const batch = static_cast<std::size_t>(samples);
  std::vector<int> targets(batch * std::size_t(longest)), input_lengths(batch), target_lengths(batch);
  for (int n = 0; n < samples; ++n) {
    input_lengths[std::size_t(n)] = frames - n % 7;
    target_lengths[std::size_t(n)] = (3 * n) % (longest + 1);
    for (int s = 0; s < longest; ++s) targets[std::size_t(n * longest + s)] = 1 + (n * 5 + s * 3) % (classes - 1);
  }
  using logits = Kokkos::View<double***, Kokkos::LayoutRight, space::memory_space>;
  using label_rows = Kokkos::View<int**, Kokkos::LayoutRight, space::memory_space>;
  logits const xv = on_device<logits>("lossforge::check::ctc_x", x, frames, samples, classes);
  label_rows const tv = on_device<label_rows>("lossforge::check::ctc_t", targets, samples, longest);
  labels const in = on_device<labels>("lossforge::check::ctc_in", input_lengths, samples);
  labels const tl = on_device<labels>("lossforge::check::ctc_tl", target_lengths, samples);
  logits const grad("lossforge::check::ctc_grad", frames, samples, classes);
  double const loss = lf::kokkos::ctc_loss(space{}, xv, tv, in, tl, grad, lf::losses::mean);
  std::vector<double> const device_grad = on_host(grad);

  auto const host = [](auto const& v) { return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v); };
  Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace> const host_grad("lossforge::check::ctc_host_grad",
                                                                                  frames, samples, classes);
  Kokkos::DefaultHostExecutionSpace const on_host_space;
  double const host_loss =
      lf::kokkos::ctc_loss(on_host_space, host(xv), host(tv), host(in), host(tl), host_grad, lf::losses::mean);
  expect_close("CTC, mean: loss (against the host's kernel)", {loss}, {host_loss});
  expect_close("CTC, mean: gradient wrt logits", device_grad,
               std::vector<double>(host_grad.data(), host_grad.data() + host_grad.size()));
}

// SSIM on the device against the same kernel on the host: each position's sums run in one thread, in the same order,
// on both.
void check_ssim() {
  int const images = 3, channels = 2, height = 37, width = 29;
  std::vector<double> x(std::size_t(images * channels * height * width)), y(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    x[k] = 0.5 + 0.4 * std::sin(0.29 * double(k));
    y[k] = 0.5 + 0.4 * std::sin(0.31 * double(k) + 0.2);
  }
  using planes = Kokkos::View<double****, Kokkos::LayoutRight, space::memory_space>;
  planes const xv = on_device<planes>("lossforge::check::ssim_x", x, images, channels, height, width);
  planes const yv = on_device<planes>("lossforge::check::ssim_y", y, images, channels, height, width);
  planes const grad("lossforge::check::ssim_grad", images, channels, height, width);
  Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace> const host_grad("lossforge::check::ssim_host_grad",
                                                                                   images, channels, height, width);
  auto const host = [](auto const& v) { return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v); };
  Kokkos::DefaultHostExecutionSpace const on_host_space;
  for (auto padding : {lf::kokkos::ssim_padding::valid, lf::kokkos::ssim_padding::zero}) {
    lf::kokkos::ssim_options const options{.padding = padding};
    double const loss = lf::kokkos::ssim_loss(space{}, xv, yv, grad, options);
    double const host_loss = lf::kokkos::ssim_loss(on_host_space, host(xv), host(yv), host_grad, options);
    std::string const name = padding == lf::kokkos::ssim_padding::valid ? "SSIM, valid" : "SSIM, zero padding";
    expect_close(name + ": loss (against the host's kernel)", {loss}, {host_loss});
    expect_close(name + ": gradient wrt x", on_host(grad),
                 std::vector<double>(host_grad.data(), host_grad.data() + host_grad.size()));
  }
}

// Losses with primitives (the catalogue's perceptual loss: two convolution layers with their own vector-Jacobian
// products around a fused kernel; SSIM's map beside an L1 term) on the device against the same losses on the host:
// each output of a convolution or a window is one thread's sum on both, in the same order.
void check_primitives() {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::tensor<"y", 4> y;
  constexpr lf::tensor<"w1", 4> w1;
  constexpr lf::tensor<"b1", 1> b1;
  constexpr lf::tensor<"w2", 4> w2;
  constexpr lf::tensor<"b2", 1> b2;
  static constexpr auto kernel = lf::kokkos::compile(lf::losses::perceptual_loss(x, y, w1, b1, w2, b2), lf::wrt(x));
  int const images = 2, channels = 3, height = 19, width = 23, c1 = 8, c2 = 6;
  auto const wave = [](std::size_t size, double rate, double scale) {
    std::vector<double> v(size);
    for (std::size_t k = 0; k < size; ++k) v[k] = scale * std::sin(rate * double(k) + 0.3);
    return v;
  };
  std::size_t const pixels = std::size_t(images * channels * height * width);
  using planes = Kokkos::View<double****, Kokkos::LayoutRight, space::memory_space>;
  planes const xv = on_device<planes>("lossforge::check::perceptual_x", wave(pixels, 0.29, 1.0), images, channels,
                                      height, width);
  planes const yv = on_device<planes>("lossforge::check::perceptual_y", wave(pixels, 0.31, 1.0), images, channels,
                                      height, width);
  planes const w1v = on_device<planes>("lossforge::check::w1", wave(std::size_t(c1 * channels * 9), 0.7, 0.4), c1,
                                       channels, 3, 3);
  planes const w2v = on_device<planes>("lossforge::check::w2", wave(std::size_t(c2 * c1 * 9), 0.9, 0.3), c2, c1, 3, 3);
  vector const b1v = on_device<vector>("lossforge::check::b1", wave(std::size_t(c1), 1.1, 0.1), c1);
  vector const b2v = on_device<vector>("lossforge::check::b2", wave(std::size_t(c2), 1.3, 0.1), c2);
  planes const grad("lossforge::check::perceptual_grad", images, channels, height, width);
  double const loss = kernel(space{}, lf::bind(x = xv, y = yv, w1 = w1v, b1 = b1v, w2 = w2v, b2 = b2v), grad);

  auto const host = [](auto const& v) { return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, v); };
  Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace> const host_grad(
      "lossforge::check::perceptual_host_grad", images, channels, height, width);
  double const host_loss =
      kernel(Kokkos::DefaultHostExecutionSpace{},
             lf::bind(x = host(xv), y = host(yv), w1 = host(w1v), b1 = host(b1v), w2 = host(w2v), b2 = host(b2v)),
             host_grad);
  expect_close("perceptual loss (primitives): loss (against the host)", {loss}, {host_loss});
  expect_close("perceptual loss (primitives): gradient wrt x", on_host(grad),
               std::vector<double>(host_grad.data(), host_grad.data() + host_grad.size()));

  // SSIM's map as a primitive beside an L1 term, both images differentiated (its vjp's two paths).
  static constexpr auto mixed =
      lf::kokkos::compile(0.84 * lf::losses::ssim_loss(x, y) + 0.16 * lf::losses::l1(x, y, lf::losses::mean),
                          lf::wrt(x, y));
  planes const grad_y("lossforge::check::ssim_grad_y", images, channels, height, width);
  double const mixed_loss = mixed(space{}, lf::bind(x = xv, y = yv), grad, grad_y);
  Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace> const host_grad_y(
      "lossforge::check::ssim_host_grad_y", images, channels, height, width);
  double const host_mixed = mixed(Kokkos::DefaultHostExecutionSpace{}, lf::bind(x = host(xv), y = host(yv)),
                                  host_grad, host_grad_y);
  expect_close("SSIM + L1 (SSIM's map a primitive): loss (against the host)", {mixed_loss}, {host_mixed});
  expect_close("SSIM + L1: gradient wrt x", on_host(grad),
               std::vector<double>(host_grad.data(), host_grad.data() + host_grad.size()));
  expect_close("SSIM + L1: gradient wrt y", on_host(grad_y),
               std::vector<double>(host_grad_y.data(), host_grad_y.data() + host_grad_y.size()));
}
}  // namespace

int main(int argc, char** argv) {
  Kokkos::initialize(argc, argv);
  {
    int const rows = argc > 1 ? std::atoi(argv[1]) : 1037;
    int const classes = argc > 2 ? std::atoi(argv[2]) : 19;
    long const elements = argc > 3 ? std::atol(argv[3]) : 1L << 26;
    std::printf("lossforge device check: %s, [%d, %d] in double against the reference evaluator\n", space::name(), rows,
                classes);
    check_every_kind(rows, classes);
    check_ctc();
    check_ssim();
    check_primitives();
    std::printf("%s: %d failed\n", failures == 0 ? "all passed" : "FAILED", failures);
    failures += report_bandwidth(elements);
  }
  Kokkos::finalize();
  return failures == 0 ? 0 : 1;
}
