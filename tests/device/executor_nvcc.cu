// The planner and the executor through nvcc's front end: each kind of plan (rows in vector blocks, rows along a class
// axis, chunks with a prelude, intermediates) compiled by nvcc and run on the host through the serial executor,
// against sums written here. nvcc parses templates more strictly than g++ in places (no pack expanded inside a
// nested lambda, no captured constexpr local as a constant, no lambda in a requires-expression); this keeps the code
// that the device kernels share within what it accepts.
#include <cmath>
#include <cstdio>
#include <lossforge/backends/serial.hpp>
#include <lossforge/losses.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"p", 2> p;
constexpr lf::tensor<"g", 2> g;
constexpr lf::tensor<"cw", 1> cw;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
constexpr lf::index<"c"> c;

constexpr int rows = 3, classes = 4;
double const pv[rows * classes] = {0.1, 0.7, 0.15, 0.05, 0.3, 0.3, 0.2, 0.2, 0.6, 0.1, 0.1, 0.2};
double const gv[rows * classes] = {0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
double const wv[classes] = {1.0, 2.0, 0.5, 1.5};
int const tv[rows] = {1, 0, 0};

lf::strided_view<double const, 2> matrix(double const* data) { return {data, {rows, classes}}; }

bool close(double got, double want) { return std::abs(got - want) <= 1e-12 * std::max(1.0, std::abs(want)); }
}  // namespace

int main() {
  double grad[rows * classes];
  lf::strided_view<double, 2> const dp(grad, {rows, classes});
  int failed = 0;
  auto const check = [&](char const* name, double got, double want) {
    if (!close(got, want)) std::printf("%s: %.17g, expected %.17g\n", name, got, want), ++failed;
  };

  static constexpr auto mse = lf::serial::compile(L::mse(p, g, L::mean), lf::wrt(p));
  double squares = 0;
  for (int k = 0; k < rows * classes; ++k) squares += (pv[k] - gv[k]) * (pv[k] - gv[k]);
  check("mse", mse(lf::bind(p = matrix(pv), g = matrix(gv)), dp), squares / (rows * classes));
  check("mse gradient", grad[1], 2 * (pv[1] - gv[1]) / (rows * classes));

  // Cross entropy with class weights (the weighted mean's denominator is a prelude) and label smoothing.
  static constexpr auto ce = lf::serial::compile(
      L::cross_entropy(p, t, L::cross_entropy_options<>{}.weight(cw).label_smoothing(0.1), L::mean), lf::wrt(p));
  double numerator = 0, denominator = 0;
  for (int r = 0; r < rows; ++r) {
    double m = pv[r * classes], s = 0, smooth = 0;
    for (int k = 0; k < classes; ++k) m = std::max(m, pv[r * classes + k]);
    for (int k = 0; k < classes; ++k) s += std::exp(pv[r * classes + k] - m);
    double const lse = m + std::log(s);
    for (int k = 0; k < classes; ++k) smooth += wv[k] * (lse - pv[r * classes + k]);
    numerator += 0.9 * wv[tv[r]] * (lse - pv[r * classes + tv[r]]) + 0.1 / classes * smooth;
    denominator += wv[tv[r]];
  }
  check("cross entropy", ce(lf::bind(p = matrix(pv), t = lf::strided_view<int const, 1>(tv, {rows}),
                                     cw = lf::strided_view<double const, 1>(wv, {classes})),
                            dp),
        numerator / denominator);

  // Per-class Dice: the class sums are intermediates.
  static constexpr auto dice = lf::serial::compile(
      lf::mean(c, 1 - 2 * lf::sum(i, p(i, c) * g(i, c)) / (lf::sum(i, p(i, c)) + lf::sum(i, g(i, c)))), lf::wrt(p));
  double dice_loss = 0;
  for (int k = 0; k < classes; ++k) {
    double tp = 0, sp = 0, sg = 0;
    for (int r = 0; r < rows; ++r) tp += pv[r * classes + k] * gv[r * classes + k], sp += pv[r * classes + k],
                                    sg += gv[r * classes + k];
    dice_loss += (1 - 2 * tp / (sp + sg)) / classes;
  }
  check("per-class dice", dice(lf::bind(p = matrix(pv), g = matrix(gv)), dp), dice_loss);

  std::printf("%s\n", failed == 0 ? "nvcc-compiled plans: all values agree" : "nvcc-compiled plans: FAILED");
  return failed == 0 ? 0 : 1;
}
