// lossforge benchmark of losses whose gradients read reductions over other rows: per-class Dice over [N, C, H, W]
// of probabilities and masks, and dice_per_class of logits and class indices (each class's sums), and InfoNCE over M
// anchors and M candidates of dimension D (the similarity matrix and each row's log-sum-exp). Each is timed as
// lossforge's fused value and gradient (with a workspace, as a training loop would call it) against a hand-written
// loop that computes the same intermediates once, in the same run, in double (median of the runs after a warm-up).
// Prints the times, the ratio lossforge / hand loop, and the largest difference between the two results. Then CTC's
// kernel (itself a hand-written loop: no second one to compare with) over T frames, N samples, C classes and
// targets of S labels, and SSIM's (likewise) over float images [8, 3, H, W] with the 11 x 11 window, valid; then
// the same SSIM loss through the catalogue's primitive in a compiled expression, with the kernel as its comparison.
//
//   lossforge_bench_structured [--quick] [--repetitions R] [--only dice|dice_per_class|info_nce|ctc_loss|ssim_loss]
//
// Sizes: Dice [8, 4, 256, 256], InfoNCE M = 4096, D = 256, CTC T = 200, N = 32, C = 30, S = 50, SSIM H = W = 512;
// --quick: [8, 4, 64, 64], M = 1024, D = 64, CTC with T = 50, S = 12, SSIM H = W = 128.
#include "median_seconds.hpp"

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <random>
#include <string>
#include <vector>

namespace lf = lossforge;

namespace {
constexpr lf::tensor<"p", 4> p;
constexpr lf::tensor<"g", 4> g;
constexpr lf::tensor<"a", 2> a;
constexpr lf::tensor<"q", 2> q;
constexpr lf::index<"n"> n;
constexpr lf::index<"c"> c;
constexpr lf::index<"h"> h;
constexpr lf::index<"w"> w;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;
constexpr lf::index<"d"> d;

// sum over the pixels of class c: n, h and w.
template <class E>
constexpr auto over_pixels(E const& e) {
  return lf::sum(n, lf::sum(h, lf::sum(w, e)));
}
constexpr auto per_class_dice = lf::mean(
    c, 1 - 2 * over_pixels(p(n, c, h, w) * g(n, c, h, w)) / (over_pixels(p(n, c, h, w)) + over_pixels(g(n, c, h, w))));
constexpr auto info_nce = lf::mean(i, lf::logsumexp(j, lf::sum(d, a(i, d) * q(j, d))) - lf::sum(d, a(i, d) * q(i, d)));
constexpr auto dice_kernel = lf::kokkos::compile(per_class_dice, lf::wrt(p));
constexpr lf::tensor<"x", 4> x;
constexpr lf::int_tensor<"t", 3> t;
constexpr auto softmax_dice_kernel = lf::kokkos::compile(lf::losses::dice_per_class(x, t, 1e-5), lf::wrt(x));
constexpr auto nce_kernel = lf::kokkos::compile(info_nce, lf::wrt(a, q));
constexpr lf::tensor<"img", 4> img;
constexpr lf::tensor<"ref", 4> ref;
constexpr auto ssim_primitive_kernel = lf::kokkos::compile(lf::losses::ssim_loss(img, ref), lf::wrt(img));

using lossforge::bench::median_seconds;

using tensor4 = Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace>;
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;

// Per-class Dice by hand: the class sums in one sweep, the gradient in a second.
double dice_by_hand(tensor4 const& pv, tensor4 const& gv, tensor4 const& dp) {
  int const N = int(pv.extent(0)), C = int(pv.extent(1)), H = int(pv.extent(2)), W = int(pv.extent(3));
  std::vector<double> tp(static_cast<std::size_t>(C)), den(static_cast<std::size_t>(C));
  for (int b = 0; b < N; ++b)
    for (int k = 0; k < C; ++k)
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          double const u = pv(b, k, y, x), v = gv(b, k, y, x);
          tp[std::size_t(k)] += u * v;
          den[std::size_t(k)] += u + v;
        }
  double loss = 0;
  for (int k = 0; k < C; ++k) loss += (1 - 2 * tp[std::size_t(k)] / den[std::size_t(k)]) / C;
  for (int b = 0; b < N; ++b)
    for (int k = 0; k < C; ++k) {
      double const s = 2 / (C * den[std::size_t(k)]),
                   t = 2 * tp[std::size_t(k)] / (C * den[std::size_t(k)] * den[std::size_t(k)]);
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) dp(b, k, y, x) = t - s * gv(b, k, y, x);
    }
  return loss;
}

using labels3 = Kokkos::View<int***, Kokkos::LayoutRight, Kokkos::HostSpace>;

// dice_per_class by hand: the softmax and the class sums (intersection I, squares Q, counts G) in one sweep, the
// gradient in a second: dL/dP_c = -(2 G_c D_c - 2 (2 I_c + s) P_c) / (C D_c^2) with D_c = Q_c + G_c + s, then
// through the softmax, dL/dx_k = P_k (dL/dP_k - sum_c P_c dL/dP_c).
double softmax_dice_by_hand(tensor4 const& xv, labels3 const& tv, tensor4 const& dx, double smooth) {
  int const N = int(xv.extent(0)), C = int(xv.extent(1)), H = int(xv.extent(2)), W = int(xv.extent(3));
  auto const classes = std::size_t(C);
  std::vector<double> inter(classes), squares(classes), counts(classes), prob(classes), upstream(classes);
  auto softmax = [&](int b, int y, int z) {
    double top = -INFINITY, total = 0;
    for (int k = 0; k < C; ++k) top = std::max(top, xv(b, k, y, z));
    for (int k = 0; k < C; ++k) total += prob[std::size_t(k)] = std::exp(xv(b, k, y, z) - top);
    for (auto& v : prob) v /= total;
  };
  for (int b = 0; b < N; ++b)
    for (int y = 0; y < H; ++y)
      for (int z = 0; z < W; ++z) {
        softmax(b, y, z);
        auto const target = std::size_t(tv(b, y, z));
        inter[target] += prob[target], counts[target] += 1;
        for (std::size_t k = 0; k < classes; ++k) squares[k] += prob[k] * prob[k];
      }
  double loss = 1;
  for (std::size_t k = 0; k < classes; ++k)
    loss -= (2 * inter[k] + smooth) / (squares[k] + counts[k] + smooth) / C;
  for (int b = 0; b < N; ++b)
    for (int y = 0; y < H; ++y)
      for (int z = 0; z < W; ++z) {
        softmax(b, y, z);
        auto const target = std::size_t(tv(b, y, z));
        double through = 0;
        for (std::size_t k = 0; k < classes; ++k) {
          double const d = squares[k] + counts[k] + smooth;
          upstream[k] = -(2 * (k == target) * d - 2 * (2 * inter[k] + smooth) * prob[k]) / (C * d * d);
          through += prob[k] * upstream[k];
        }
        for (int k = 0; k < C; ++k)
          dx(b, k, y, z) = prob[std::size_t(k)] * (upstream[std::size_t(k)] - through);
      }
  return loss;
}

// InfoNCE by hand: the similarity matrix, each row's log-sum-exp, the softmax minus the identity (P), then
// da = P q / M and dq = P^T a / M.
double nce_by_hand(matrix const& av, matrix const& qv, matrix const& da, matrix const& dq) {
  int const M = int(av.extent(0)), D = int(av.extent(1));
  std::vector<double> s(std::size_t(M) * std::size_t(M));
  double loss = 0;
  for (int x = 0; x < M; ++x) {
    double* row = s.data() + std::size_t(x) * std::size_t(M);
    double top = -INFINITY;
    for (int y = 0; y < M; ++y) {
      double total = 0;
      for (int e = 0; e < D; ++e) total += av(x, e) * qv(y, e);
      row[y] = total;
      top = std::max(top, total);
    }
    double sum = 0;
    for (int y = 0; y < M; ++y) sum += std::exp(row[y] - top);
    double const lse = top + std::log(sum);
    loss += (lse - row[x]) / M;
    for (int y = 0; y < M; ++y) row[y] = (std::exp(row[y] - lse) - (x == y)) / M;
  }
  for (int x = 0; x < M; ++x)
    for (int e = 0; e < D; ++e) da(x, e) = dq(x, e) = 0;
  for (int x = 0; x < M; ++x) {
    double const* row = s.data() + std::size_t(x) * std::size_t(M);
    for (int y = 0; y < M; ++y)
      for (int e = 0; e < D; ++e) {
        da(x, e) += row[y] * qv(y, e);
        dq(y, e) += row[y] * av(x, e);
      }
  }
  return loss;
}

template <class View>
double largest_difference(View const& x, View const& y) {
  double worst = 0;
  for (std::size_t k = 0; k < x.span(); ++k) worst = std::max(worst, std::abs(x.data()[k] - y.data()[k]));
  return worst;
}

void report(char const* name, std::string const& size, double fused, double by_hand, double loss_difference,
            double gradient_difference) {
  std::printf("%-16s %-18s %12.6f %12.6f %8.2f   %.1e / %.1e\n", name, size.c_str(), fused, by_hand, fused / by_hand,
              loss_difference, gradient_difference);
}
}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  bool quick = false;
  int repetitions = 3;
  std::string only;
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--quick") == 0) quick = true;
    if (std::strcmp(argv[k], "--repetitions") == 0 && k + 1 < argc) repetitions = std::atoi(argv[++k]);
    if (std::strcmp(argv[k], "--only") == 0 && k + 1 < argc) only = argv[++k];
  }
  auto const wanted = [&](char const* name) { return only.empty() || only == name; };
  std::mt19937 random(7);
  std::uniform_real_distribution<double> unit(0.02, 0.98);
  std::normal_distribution<double> normal(0, 0.1);
  std::printf("%-16s %-18s %12s %12s %8s   %s\n", "loss", "size", "lossforge s", "hand loop s", "ratio",
              "max |difference| loss / gradient");

  if (wanted("dice")) {
    int const N = 8, C = 4, H = quick ? 64 : 256, W = H;
    tensor4 pv("p", N, C, H, W), gv("g", N, C, H, W), dp("dp", N, C, H, W), dp_hand("dp_hand", N, C, H, W);
    for (std::size_t k = 0; k < pv.span(); ++k) pv.data()[k] = unit(random), gv.data()[k] = unit(random) < 0.3;
    lf::kokkos::workspace<> ws;
    double fused_loss = 0, hand_loss = 0;
    double const fused =
        median_seconds([&] { fused_loss = dice_kernel(lf::bind(p = pv, g = gv), ws, dp); }, repetitions);
    double const by_hand = median_seconds([&] { hand_loss = dice_by_hand(pv, gv, dp_hand); }, repetitions);
    report("per-class Dice", "[8,4," + std::to_string(H) + "," + std::to_string(W) + "]", fused, by_hand,
           std::abs(fused_loss - hand_loss), largest_difference(dp, dp_hand));
  }
  if (wanted("dice_per_class")) {
    int const N = 8, C = 4, H = quick ? 64 : 256, W = H;
    tensor4 xv("x", N, C, H, W), dx("dx", N, C, H, W), dx_hand("dx_hand", N, C, H, W);
    labels3 tv("t", N, H, W);
    for (std::size_t k = 0; k < xv.span(); ++k) xv.data()[k] = 20 * normal(random);
    for (std::size_t k = 0; k < tv.span(); ++k) tv.data()[k] = int(4 * unit(random));
    lf::kokkos::workspace<> ws;
    double fused_loss = 0, hand_loss = 0;
    double const fused =
        median_seconds([&] { fused_loss = softmax_dice_kernel(lf::bind(x = xv, t = tv), ws, dx); }, repetitions);
    double const by_hand = median_seconds([&] { hand_loss = softmax_dice_by_hand(xv, tv, dx_hand, 1e-5); },
                                          repetitions);
    report("dice_per_class", "[8,4," + std::to_string(H) + "," + std::to_string(W) + "]", fused, by_hand,
           std::abs(fused_loss - hand_loss), largest_difference(dx, dx_hand));
  }
  if (wanted("info_nce")) {
    int const M = quick ? 1024 : 4096, D = quick ? 64 : 256;
    matrix av("a", M, D), qv("q", M, D), da("da", M, D), dq("dq", M, D), da_hand("da_hand", M, D),
        dq_hand("dq_hand", M, D);
    for (std::size_t k = 0; k < av.span(); ++k) av.data()[k] = normal(random), qv.data()[k] = normal(random);
    lf::kokkos::workspace<> ws;
    double fused_loss = 0, hand_loss = 0;
    double const fused =
        median_seconds([&] { fused_loss = nce_kernel(lf::bind(a = av, q = qv), ws, da, dq); }, repetitions);
    double const by_hand = median_seconds([&] { hand_loss = nce_by_hand(av, qv, da_hand, dq_hand); }, repetitions);
    report("InfoNCE", "M=" + std::to_string(M) + " D=" + std::to_string(D), fused, by_hand,
           std::abs(fused_loss - hand_loss),
           std::max(largest_difference(da, da_hand), largest_difference(dq, dq_hand)));
  }
  if (wanted("ctc_loss")) {
    int const T = quick ? 50 : 200, N = 32, C = 30, S = quick ? 12 : 50;
    Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace> logits("logits", T, N, C), grad("grad", T, N, C);
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight, Kokkos::HostSpace> targets("targets", N, S);
    Kokkos::View<std::int64_t*, Kokkos::HostSpace> input_lengths("input_lengths", N), target_lengths("lengths", N);
    for (std::size_t k = 0; k < logits.span(); ++k) logits.data()[k] = 10 * normal(random);
    for (std::size_t k = 0; k < targets.span(); ++k) targets.data()[k] = 1 + std::int64_t(29 * unit(random));
    for (int b = 0; b < N; ++b) input_lengths(b) = T - b % 5, target_lengths(b) = S - b % 7;
    double loss = 0;
    double const fused = median_seconds(
        [&] {
          loss = lf::kokkos::ctc_loss(Kokkos::DefaultHostExecutionSpace{}, logits, targets, input_lengths,
                                      target_lengths, grad, lf::losses::mean);
        },
        repetitions);
    std::printf("%-16s %-18s %12.6f %12s %8s   loss %.6f\n", "ctc_loss",
                ("T=" + std::to_string(T) + " N=32 C=30 S=" + std::to_string(S)).c_str(), fused, "-", "-", loss);
  }
  if (wanted("ssim_loss")) {
    int const side = quick ? 128 : 512;
    Kokkos::View<float****, Kokkos::LayoutRight, Kokkos::HostSpace> x("x", 8, 3, side, side), y("y", 8, 3, side, side),
        grad("grad", 8, 3, side, side);
    for (std::size_t k = 0; k < x.span(); ++k) {
      x.data()[k] = float(unit(random));
      y.data()[k] = std::clamp(x.data()[k] + float(normal(random)), 0.0f, 1.0f);  // noise of deviation 0.1
    }
    double loss = 0;
    double const fused = median_seconds(
        [&] { loss = lf::kokkos::ssim_loss(Kokkos::DefaultHostExecutionSpace{}, x, y, grad); }, repetitions);
    std::string const shape = "[8,3," + std::to_string(side) + "," + std::to_string(side) + "] f32";
    std::printf("%-16s %-18s %12.6f %12s %8s   loss %.6f\n", "ssim_loss", shape.c_str(), fused, "-", "-", loss);
    // The same loss as the catalogue's primitive in a compiled expression, against the kernel alone.
    double primitive_loss = 0;
    double const primitive = median_seconds(
        [&] { primitive_loss = ssim_primitive_kernel(lf::bind(img = x, ref = y), grad); }, repetitions);
    std::printf("%-16s %-18s %12.6f %12.6f %8.2f   loss %.6f\n", "ssim (primitive)", shape.c_str(), primitive, fused,
                primitive / fused, primitive_loss);
  }
  return 0;
}
