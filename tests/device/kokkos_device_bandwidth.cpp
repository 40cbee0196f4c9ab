// Memory bandwidth of fused losses in Kokkos' default execution space, in float, against a copy of the same Views
// measured in the same run: MSE and Dice over [n / 1024, 1024], cross entropy over [n / 32768, 32768], each with its
// gradient. The minimum traffic of a loss is reading each input once and writing the gradient once; a plan with a
// global (Dice's sums) reads its inputs twice, so its ceiling is 3/5 of that at the copy's bandwidth.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <bench/median_seconds.hpp>
#include <lossforge/backends/kokkos.hpp>
#include <tests/device/device_check.hpp>

namespace lf = lossforge;
namespace L = lf::losses;
using lf::device_check::g;
using lf::device_check::p;
using lf::device_check::t;

namespace {
using space = Kokkos::DefaultExecutionSpace;
using matrix = Kokkos::View<float**, Kokkos::LayoutRight, space::memory_space>;
using labels = Kokkos::View<int*, space::memory_space>;

// Median seconds of 15 calls of run() after a warm-up, each waiting for the device to finish.
template <class Run>
double device_seconds(Run const& run) {
  return lf::bench::median_seconds(
      [&] {
        run();
        Kokkos::fence();
      },
      15);
}

// Values in (0.1, 0.9), filled in place.
matrix filled(std::string const& label, long rows, long cols, long seed) {
  matrix m(label, std::size_t(rows), std::size_t(cols));
  Kokkos::parallel_for(
      "lossforge::bandwidth::fill", Kokkos::RangePolicy<space>(0, rows), KOKKOS_LAMBDA(long r) {
        for (long k = 0; k < cols; ++k) m(r, k) = 0.1f + 0.8f * float((131 * r + 17 * k + seed) % 1000) / 1000.f;
      });
  return m;
}

void line(char const* what, double seconds, double bytes, double copy_bandwidth, double loss) {
  double const bandwidth = bytes / seconds * 1e-9;
  std::printf("%-40s %9.3f ms  %8.1f GB/s  %5.1f%% of copy  (loss %.6g)\n", what, seconds * 1e3, bandwidth,
              100 * bandwidth / copy_bandwidth, loss);
}
}  // namespace

// Prints the report; returns the number of losses whose value is not finite.
int report_bandwidth(long elements) {
  long const width = 1024, classes = 32768;
  long const rows = std::max(1L, elements / width), ce_rows = std::max(1L, elements / classes);
  double const n = double(rows * width), bytes = sizeof(float);
  std::printf("\nbandwidth, float, %ld elements (median of 15 calls after a warm-up)\n", rows * width);

  matrix const pv = filled("lossforge::bandwidth::p", rows, width, 0);
  matrix const gv = filled("lossforge::bandwidth::g", rows, width, 500);
  matrix const copy("lossforge::bandwidth::copy", std::size_t(rows), std::size_t(width));
  matrix const dp("lossforge::bandwidth::dp", std::size_t(rows), std::size_t(width));
  double const copy_seconds = device_seconds([&] { Kokkos::deep_copy(copy, pv); });
  double const copy_bandwidth = 2 * n * bytes / copy_seconds * 1e-9;
  std::printf("%-40s %9.3f ms  %8.1f GB/s\n", "device copy (read + write)", copy_seconds * 1e3, copy_bandwidth);

  static constexpr auto mse = lf::kokkos::compile(L::mse(p, g, L::mean), lf::wrt(p));
  static constexpr auto dice = lf::kokkos::compile(L::dice(p, g), lf::wrt(p));
  static constexpr auto cross_entropy = lf::kokkos::compile(L::cross_entropy(p, t, L::mean), lf::wrt(p));
  double mse_loss = 0, dice_loss = 0, ce_loss = 0;
  double const mse_seconds = device_seconds([&] { mse_loss = mse(space{}, lf::bind(p = pv, g = gv), dp); });
  line("MSE mean + gradient", mse_seconds, 3 * n * bytes, copy_bandwidth, mse_loss);
  double const dice_seconds = device_seconds([&] { dice_loss = dice(space{}, lf::bind(p = pv, g = gv), dp); });
  line("Dice + gradient", dice_seconds, 3 * n * bytes, copy_bandwidth, dice_loss);

  matrix const logits = filled("lossforge::bandwidth::logits", ce_rows, classes, 7);
  matrix const dlogits("lossforge::bandwidth::dlogits", std::size_t(ce_rows), std::size_t(classes));
  labels const tv("lossforge::bandwidth::t", std::size_t(ce_rows));
  Kokkos::parallel_for(
      "lossforge::bandwidth::labels", Kokkos::RangePolicy<space>(0, ce_rows),
      KOKKOS_LAMBDA(long r) { tv(r) = int((r * 7919) % classes); });
  double const ce_seconds =
      device_seconds([&] { ce_loss = cross_entropy(space{}, lf::bind(p = logits, t = tv), dlogits); });
  char what[64];
  std::snprintf(what, sizeof what, "cross entropy [%ld, %ld] + gradient", ce_rows, classes);
  line(what, ce_seconds, 2 * double(ce_rows * classes) * bytes, copy_bandwidth, ce_loss);
  return int(!std::isfinite(mse_loss)) + int(!std::isfinite(dice_loss)) + int(!std::isfinite(ce_loss));
}
