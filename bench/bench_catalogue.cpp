// lossforge benchmark of the second catalogue's families: kl_div (batchmean, [N, C]), triplet_margin_loss
// ([N, D]), DPO from per-token log-probabilities with padding masks ([B, T] each), GIoU over N boxes, and the nine GAN
// losses as one group. Each is timed as lossforge's fused value and gradient against a hand-written loop of the same
// formulas, in the same run, in double (median of the runs after a warm-up). Prints the times, the ratio lossforge /
// hand loop, the largest difference between the two results, and with --pytorch FILE (the output of
// scripts/bench_catalogue_pytorch.py) PyTorch eager's time and the ratio PyTorch / lossforge.
//
//   lossforge_bench_catalogue [--quick] [--repetitions R] [--pytorch FILE]
//
// Sizes: kl_div [4096, 1000], triplet [65536, 128], DPO [4096, 512], GIoU 2^20 boxes, GAN batches of 2^20 logits;
// --quick divides each by 16.
#include "median_seconds.hpp"

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;
using lossforge::bench::median_seconds;

double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
double sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

template <class View>
double largest_difference(View const& x, View const& y) {
  double worst = 0;
  for (std::size_t k = 0; k < x.span(); ++k) worst = std::max(worst, std::abs(x.data()[k] - y.data()[k]));
  return worst;
}

std::map<std::string, double> pytorch_times;  // name -> seconds, from --pytorch

void report(char const* name, std::string const& size, double fused, double by_hand, double loss_difference,
            double gradient_difference) {
  std::printf("%-12s %-16s %12.6f %12.6f %8.2f   %.1e / %.1e", name, size.c_str(), fused, by_hand, fused / by_hand,
              loss_difference, gradient_difference);
  if (auto const found = pytorch_times.find(name); found != pytorch_times.end())
    std::printf("   %12.6f %8.2f", found->second, found->second / fused);
  std::printf("\n");
}

// ---- kl_div, batchmean: sum t (log t - x) / N, 0 where t = 0; d/dx = -t / N --------------------------------------
constexpr lf::tensor<"x", 2> x;
constexpr lf::tensor<"t", 2> t;
constexpr auto kl_kernel = lf::kokkos::compile(L::kl_div(x, t, L::batchmean), lf::wrt(x));

double kl_by_hand(matrix const& xv, matrix const& tv, matrix const& dx) {
  std::size_t const n = xv.extent(0), c = xv.extent(1);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < c; ++k) {
      double const target = tv(i, k);
      if (target != 0) total += target * (std::log(target) - xv(i, k));
      dx(i, k) = -target / double(n);
    }
  return total / double(n);
}

// ---- triplet_margin_loss, mean: max(0, 1 + ||a - p + eps|| - ||a - n + eps||) ------------------------------------
constexpr lf::tensor<"anchor", 2> anchor;
constexpr lf::tensor<"positive", 2> positive;
constexpr lf::tensor<"negative", 2> negative;
constexpr auto triplet_kernel = lf::kokkos::compile(L::triplet_margin_loss(anchor, positive, negative, L::mean),
                                                    lf::wrt(anchor, positive, negative));

double triplet_by_hand(matrix const& a, matrix const& p, matrix const& n, matrix const& da, matrix const& dp,
                       matrix const& dn) {
  constexpr double eps = 1e-6, margin = 1;
  std::size_t const rows = a.extent(0), d = a.extent(1);
  double total = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    double to_p = 0, to_n = 0;
    for (std::size_t k = 0; k < d; ++k) {
      double const u = a(i, k) - p(i, k) + eps, v = a(i, k) - n(i, k) + eps;
      to_p += u * u, to_n += v * v;
    }
    to_p = std::sqrt(to_p), to_n = std::sqrt(to_n);
    double const l = margin + to_p - to_n;
    total += std::max(0.0, l);
    double const active = l >= 0 ? 1.0 / double(rows) : 0.0;  // clamp_min passes the gradient at 0
    for (std::size_t k = 0; k < d; ++k) {
      double const u = (a(i, k) - p(i, k) + eps) / to_p, v = (a(i, k) - n(i, k) + eps) / to_n;
      da(i, k) = active * (u - v), dp(i, k) = -active * u, dn(i, k) = active * v;
    }
  }
  return total / double(rows);
}

// ---- DPO from per-token log-probabilities and masks, mean: -log sigmoid(beta ((pi_w - ref_w) - (pi_l - ref_l))) --
constexpr lf::tensor<"policy_w", 2> policy_w;
constexpr lf::tensor<"policy_l", 2> policy_l;
constexpr lf::tensor<"ref_w", 2> ref_w;
constexpr lf::tensor<"ref_l", 2> ref_l;
constexpr lf::tensor<"mask_w", 2> mask_w;
constexpr lf::tensor<"mask_l", 2> mask_l;
constexpr double beta = 0.1;
constexpr auto dpo_kernel = lf::kokkos::compile(
    L::dpo(L::sequence_log_prob(policy_w, mask_w), L::sequence_log_prob(policy_l, mask_l),
           L::sequence_log_prob(ref_w, mask_w), L::sequence_log_prob(ref_l, mask_l), beta, L::mean),
    lf::wrt(policy_w, policy_l));

double dpo_by_hand(matrix const& pw, matrix const& pl, matrix const& rw, matrix const& rl, matrix const& mw,
                   matrix const& ml, matrix const& dpw, matrix const& dpl) {
  std::size_t const b = pw.extent(0), tokens = pw.extent(1);
  double total = 0;
  for (std::size_t i = 0; i < b; ++i) {
    double w = 0, l = 0;  // (pi - ref) summed over the kept tokens
    for (std::size_t k = 0; k < tokens; ++k) {
      if (mw(i, k) != 0) w += pw(i, k) - rw(i, k);
      if (ml(i, k) != 0) l += pl(i, k) - rl(i, k);
    }
    double const z = beta * (w - l), slope = beta * sigmoid(-z) / double(b);
    total += softplus(-z);
    for (std::size_t k = 0; k < tokens; ++k) {
      dpw(i, k) = mw(i, k) != 0 ? -slope : 0.0;
      dpl(i, k) = ml(i, k) != 0 ? slope : 0.0;
    }
  }
  return total / double(b);
}

// ---- GIoU, mean over boxes (x1, y1, x2, y2), torchvision's eps 1e-7 ----------------------------------------------
constexpr lf::tensor<"boxes", 2> boxes;
constexpr lf::tensor<"targets", 2> targets;
constexpr auto giou_kernel = lf::kokkos::compile(L::giou_loss(boxes, targets, L::mean), lf::wrt(boxes));

// The derivative of max(u, v) with respect to u (ties split one half each, as PyTorch's max and min).
double max_slope(double u, double v) { return u > v ? 1.0 : u < v ? 0.0 : 0.5; }

double giou_by_hand(matrix const& b, matrix const& g, matrix const& db) {
  constexpr double eps = 1e-7;
  std::size_t const n = b.extent(0);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double const x1 = b(i, 0), y1 = b(i, 1), x2 = b(i, 2), y2 = b(i, 3);
    double const gx1 = g(i, 0), gy1 = g(i, 1), gx2 = g(i, 2), gy2 = g(i, 3);
    double const iw = std::min(x2, gx2) - std::max(x1, gx1), ih = std::min(y2, gy2) - std::max(y1, gy1);
    bool const overlap = iw > 0 && ih > 0;
    double const inter = overlap ? iw * ih : 0;
    double const uni = (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter;
    double const cw = std::max(x2, gx2) - std::min(x1, gx1), ch = std::max(y2, gy2) - std::min(y1, gy1);
    double const hull = cw * ch;
    total += 1 - inter / (uni + eps) + (hull - uni) / (hull + eps);
    // Partials of inter, the box's area and the hull's area with respect to x1, y1, x2, y2.
    double const d_inter[4] = {overlap ? -ih * max_slope(x1, gx1) : 0, overlap ? -iw * max_slope(y1, gy1) : 0,
                               overlap ? ih * max_slope(-x2, -gx2) : 0, overlap ? iw * max_slope(-y2, -gy2) : 0};
    double const d_area[4] = {-(y2 - y1), -(x2 - x1), y2 - y1, x2 - x1};
    double const d_hull[4] = {-ch * max_slope(-x1, -gx1), -cw * max_slope(-y1, -gy1), ch * max_slope(x2, gx2),
                              cw * max_slope(y2, gy2)};
    for (std::size_t k = 0; k < 4; ++k) {
      double const d_union = d_area[k] - d_inter[k];
      double const d_iou = (d_inter[k] * (uni + eps) - inter * d_union) / ((uni + eps) * (uni + eps));
      double const d_penalty = ((d_hull[k] - d_union) * (hull + eps) - (hull - uni) * d_hull[k]) / ((hull + eps) * (hull + eps));
      db(i, k) = (-d_iou + d_penalty) / double(n);
    }
  }
  return total / double(n);
}

// ---- the nine GAN losses, mean, each with its own kernel ----------------------------------------------------------
constexpr lf::tensor<"real"> real;
constexpr lf::tensor<"fake"> fake;
constexpr auto gan_d_bce = lf::kokkos::compile(L::gan_d_bce(real, fake, L::mean), lf::wrt(real, fake));
constexpr auto gan_g_nonsaturating = lf::kokkos::compile(L::gan_g_nonsaturating(fake, L::mean), lf::wrt(fake));
constexpr auto gan_g_minimax = lf::kokkos::compile(L::gan_g_minimax(fake, L::mean), lf::wrt(fake));
constexpr auto wgan_critic = lf::kokkos::compile(L::wgan_critic(real, fake, L::mean), lf::wrt(real, fake));
constexpr auto wgan_generator = lf::kokkos::compile(L::wgan_generator(fake, L::mean), lf::wrt(fake));
constexpr auto lsgan_d = lf::kokkos::compile(L::lsgan_d(real, fake, 0.0, 1.0, L::mean), lf::wrt(real, fake));
constexpr auto lsgan_g = lf::kokkos::compile(L::lsgan_g(fake, 1.0, L::mean), lf::wrt(fake));
constexpr auto hinge_gan_d = lf::kokkos::compile(L::hinge_gan_d(real, fake, L::mean), lf::wrt(real, fake));
constexpr auto hinge_gan_g = lf::kokkos::compile(L::hinge_gan_g(fake, L::mean), lf::wrt(fake));

// The gradients of one group: the discriminator's with respect to real and fake, the generator's to fake.
struct gan_gradients {
  vector real, fake;
  explicit gan_gradients(std::size_t n) : real("d_real", n), fake("d_fake", n) {}
};

// All nine, in order; returns the sum of their values and leaves the last gradients of each kind in out (the
// largest difference is taken over every loss by the caller through check).
template <class Check>
double gan_group(vector const& r, vector const& f, gan_gradients& out, Check const& check) {
  auto const scores = lf::bind(real = r, fake = f);
  double total = 0;
  total += check(0, gan_d_bce(scores, out.real, out.fake));
  total += check(1, gan_g_nonsaturating(scores, out.fake));
  total += check(2, gan_g_minimax(scores, out.fake));
  total += check(3, wgan_critic(scores, out.real, out.fake));
  total += check(4, wgan_generator(scores, out.fake));
  total += check(5, lsgan_d(scores, out.real, out.fake));
  total += check(6, lsgan_g(scores, out.fake));
  total += check(7, hinge_gan_d(scores, out.real, out.fake));
  total += check(8, hinge_gan_g(scores, out.fake));
  return total;
}

// Loss k of the group by hand, its gradients in out (real left alone for a generator's loss).
double gan_by_hand(int k, vector const& r, vector const& f, gan_gradients& out) {
  std::size_t const n = r.extent(0);
  double const scale = 1.0 / double(n);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double const u = r(i), v = f(i);
    switch (k) {
      case 0:
        total += softplus(-u) + softplus(v), out.real(i) = -sigmoid(-u) * scale, out.fake(i) = sigmoid(v) * scale;
        break;
      case 1: total += softplus(-v), out.fake(i) = -sigmoid(-v) * scale; break;
      case 2: total += -softplus(v), out.fake(i) = -sigmoid(v) * scale; break;
      case 3: total += v - u, out.real(i) = -scale, out.fake(i) = scale; break;
      case 4:
      case 8: total += -v, out.fake(i) = -scale; break;
      case 5:
        total += 0.5 * (u - 1) * (u - 1) + 0.5 * v * v, out.real(i) = (u - 1) * scale, out.fake(i) = v * scale;
        break;
      case 6: total += 0.5 * (v - 1) * (v - 1), out.fake(i) = (v - 1) * scale; break;
      default:
        total += std::max(0.0, 1 - u) + std::max(0.0, 1 + v);
        out.real(i) = 1 - u > 0 ? -scale : 0.0, out.fake(i) = 1 + v > 0 ? scale : 0.0;
    }
  }
  return total * scale;
}

void read_pytorch_times(char const* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "lossforge_bench_catalogue: cannot read %s\n", path);
    std::exit(2);
  }
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    double seconds = 0;
    if (std::getline(fields, name, ',') && fields >> seconds) pytorch_times[name] = seconds;
  }
}
}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  bool quick = false;
  int repetitions = 3;
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--quick") == 0) quick = true;
    if (std::strcmp(argv[k], "--repetitions") == 0 && k + 1 < argc) repetitions = std::atoi(argv[++k]);
    if (std::strcmp(argv[k], "--pytorch") == 0 && k + 1 < argc) read_pytorch_times(argv[++k]);
  }
  int const shrink = quick ? 16 : 1;
  std::mt19937 random(11);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> unit(0, 1);
  std::printf("%-12s %-16s %12s %12s %8s   %-17s%s\n", "loss", "size", "lossforge s", "hand loop s", "ratio",
              "max |difference|", pytorch_times.empty() ? "" : "   PyTorch s    PyTorch / lossforge");

  {
    std::size_t const n = 4096 / std::size_t(shrink), c = 1000;
    matrix xv("x", n, c), tv("t", n, c), dx("dx", n, c), dx_hand("dx_hand", n, c);
    for (std::size_t i = 0; i < n; ++i) {  // log-probabilities of one softmax, probabilities of another
      double sx = 0, st = 0;
      for (std::size_t k = 0; k < c; ++k) xv(i, k) = normal(random), tv(i, k) = std::exp(normal(random));
      for (std::size_t k = 0; k < c; ++k) sx += std::exp(xv(i, k)), st += tv(i, k);
      for (std::size_t k = 0; k < c; ++k) xv(i, k) -= std::log(sx), tv(i, k) /= st;
    }
    double fused_loss = 0, hand_loss = 0;
    double const fused = median_seconds([&] { fused_loss = kl_kernel(lf::bind(x = xv, t = tv), dx); }, repetitions);
    double const by_hand = median_seconds([&] { hand_loss = kl_by_hand(xv, tv, dx_hand); }, repetitions);
    report("kl_div", "[" + std::to_string(n) + "," + std::to_string(c) + "]", fused, by_hand,
           std::abs(fused_loss - hand_loss), largest_difference(dx, dx_hand));
  }
  {
    std::size_t const n = 65536 / std::size_t(shrink), d = 128;
    matrix a("a", n, d), p("p", n, d), ng("n", n, d), da("da", n, d), dp("dp", n, d), dn("dn", n, d),
        da_hand("da_hand", n, d), dp_hand("dp_hand", n, d), dn_hand("dn_hand", n, d);
    for (std::size_t k = 0; k < a.span(); ++k)
      a.data()[k] = normal(random), p.data()[k] = a.data()[k] + 0.1 * normal(random),
      ng.data()[k] = 0.1 * normal(random);
    double fused_loss = 0, hand_loss = 0;
    double const fused = median_seconds(
        [&] { fused_loss = triplet_kernel(lf::bind(anchor = a, positive = p, negative = ng), da, dp, dn); },
        repetitions);
    double const by_hand =
        median_seconds([&] { hand_loss = triplet_by_hand(a, p, ng, da_hand, dp_hand, dn_hand); }, repetitions);
    report("triplet", "[" + std::to_string(n) + "," + std::to_string(d) + "]", fused, by_hand,
           std::abs(fused_loss - hand_loss),
           std::max({largest_difference(da, da_hand), largest_difference(dp, dp_hand), largest_difference(dn, dn_hand)}));
  }
  {
    std::size_t const b = 4096 / std::size_t(shrink), tokens = 512;
    matrix pw("pw", b, tokens), pl("pl", b, tokens), rw("rw", b, tokens), rl("rl", b, tokens), mw("mw", b, tokens),
        ml("ml", b, tokens), dpw("dpw", b, tokens), dpl("dpl", b, tokens), dpw_hand("dpw_hand", b, tokens),
        dpl_hand("dpl_hand", b, tokens);
    for (std::size_t i = 0; i < b; ++i) {
      // Responses of random lengths, padded to T; token log-probabilities in (-5, 0).
      std::size_t const kept_w = 1 + std::size_t(unit(random) * (tokens - 1)),
                        kept_l = 1 + std::size_t(unit(random) * (tokens - 1));
      for (std::size_t k = 0; k < tokens; ++k) {
        pw(i, k) = -5 * unit(random), pl(i, k) = -5 * unit(random);
        rw(i, k) = pw(i, k) + 0.05 * normal(random), rl(i, k) = pl(i, k) + 0.05 * normal(random);
        mw(i, k) = k < kept_w, ml(i, k) = k < kept_l;
      }
    }
    auto const inputs =
        lf::bind(policy_w = pw, policy_l = pl, ref_w = rw, ref_l = rl, mask_w = mw, mask_l = ml);
    double fused_loss = 0, hand_loss = 0;
    double const fused = median_seconds([&] { fused_loss = dpo_kernel(inputs, dpw, dpl); }, repetitions);
    double const by_hand =
        median_seconds([&] { hand_loss = dpo_by_hand(pw, pl, rw, rl, mw, ml, dpw_hand, dpl_hand); }, repetitions);
    report("DPO", "[" + std::to_string(b) + "," + std::to_string(tokens) + "]", fused, by_hand,
           std::abs(fused_loss - hand_loss), std::max(largest_difference(dpw, dpw_hand), largest_difference(dpl, dpl_hand)));
  }
  {
    std::size_t const n = (std::size_t(1) << 20) / std::size_t(shrink);
    matrix bv("b", n, 4), gv("g", n, 4), db("db", n, 4), db_hand("db_hand", n, 4);
    for (std::size_t i = 0; i < n; ++i) {  // boxes near their targets: most overlap, some do not
      double const x = 100 * unit(random), y = 100 * unit(random), w = 1 + 20 * unit(random), h = 1 + 20 * unit(random);
      gv(i, 0) = x, gv(i, 1) = y, gv(i, 2) = x + w, gv(i, 3) = y + h;
      for (std::size_t k = 0; k < 4; ++k) bv(i, k) = gv(i, k) + 5 * normal(random);
      bv(i, 2) = std::max(bv(i, 2), bv(i, 0) + 0.5), bv(i, 3) = std::max(bv(i, 3), bv(i, 1) + 0.5);
    }
    double fused_loss = 0, hand_loss = 0;
    double const fused =
        median_seconds([&] { fused_loss = giou_kernel(lf::bind(boxes = bv, targets = gv), db); }, repetitions);
    double const by_hand = median_seconds([&] { hand_loss = giou_by_hand(bv, gv, db_hand); }, repetitions);
    report("GIoU", std::to_string(n) + " boxes", fused, by_hand, std::abs(fused_loss - hand_loss),
           largest_difference(db, db_hand));
  }
  {
    std::size_t const n = (std::size_t(1) << 20) / std::size_t(shrink);
    vector r("real", n), f("fake", n);
    for (std::size_t i = 0; i < n; ++i) r(i) = 2 + 2 * normal(random), f(i) = -1 + 2 * normal(random);
    gan_gradients fused_out(n), hand_out(n);
    double fused_loss = 0, hand_loss = 0;
    double const fused = median_seconds(
        [&] { fused_loss = gan_group(r, f, fused_out, [](int, double value) { return value; }); }, repetitions);
    double const by_hand = median_seconds(
        [&] {
          hand_loss = 0;
          for (int k = 0; k < 9; ++k) hand_loss += gan_by_hand(k, r, f, hand_out);
        },
        repetitions);
    // Each loss's gradients against the loop's, one loss at a time.
    double worst = 0;
    gan_group(r, f, fused_out, [&](int k, double value) {
      gan_by_hand(k, r, f, hand_out);
      worst = std::max(worst, largest_difference(fused_out.fake, hand_out.fake));
      if (k == 0 || k == 3 || k == 5 || k == 7) worst = std::max(worst, largest_difference(fused_out.real, hand_out.real));
      return value;
    });
    report("GAN x9", "2 x " + std::to_string(n), fused, by_hand, std::abs(fused_loss - hand_loss), worst);
  }
  return 0;
}
