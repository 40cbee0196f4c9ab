// PPO's clipped surrogate, PPO's full objective and DPO: closed forms, the ends of their ranges, and one kernel each.
// Expected values are computed here from the definitions.
#include <Kokkos_Core.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <tests/support/kokkos_events.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"new"> now;
constexpr lf::tensor<"old"> old;
constexpr lf::tensor<"A"> advantage;
constexpr lf::scalar<"eps"> eps;
constexpr lf::tensor<"pw"> pi_w;
constexpr lf::tensor<"pl"> pi_l;
constexpr lf::tensor<"rw"> ref_w;
constexpr lf::tensor<"rl"> ref_l;
constexpr lf::tensor<"V"> value;
constexpr lf::tensor<"V_old"> value_old;
constexpr lf::tensor<"R"> returns;
constexpr lf::tensor<"H"> entropy;
constexpr lf::tensor<"mask"> mask;
template <class T>
using vector = Kokkos::View<T*, Kokkos::HostSpace>;
}  // namespace

TEST_CASE("PPO: the gradient is -r A where the unclipped term is the minimum, 0 where the clip is", "[preference]") {
  static constexpr auto kernel = lf::kokkos::compile(L::ppo_clip(now, old, advantage, eps, L::none), lf::wrt(now));
  vector<double> n("new", 6), o("old", 6), a("A", 6), loss("l", 6), dn("dn", 6);
  // Ratios 1.5 and 0.5 with A of each sign, a ratio inside the range, and log-ratios of +-100.
  double const log_ratio[6] = {std::log(1.5), std::log(1.5), std::log(0.5), std::log(0.5), 0.05, 100};
  double const adv[6] = {2, -2, 2, -2, 1, -1};
  for (int k = 0; k < 6; ++k) o(k) = -3 + k, n(k) = o(k) + log_ratio[k], a(k) = adv[k];
  CHECK(lf::test::kernels_launched([&] { kernel(lf::bind(now = n, old = o, advantage = a, eps = 0.2), loss, dn); }) ==
        1);
  for (int k = 0; k < 6; ++k) {
    double const r = std::exp(n(k) - o(k)), clipped = std::min(std::max(r, 0.8), 1.2);
    bool const unclipped_is_min = r * adv[k] <= clipped * adv[k];
    INFO("row " << k);
    CHECK(std::abs(loss(k) - (-std::min(r * adv[k], clipped * adv[k]))) <= 1e-14 * std::max(1.0, std::abs(loss(k))));
    CHECK(std::abs(dn(k) - (unclipped_is_min ? -r * adv[k] : 0.0)) <= 1e-14 * std::max(1.0, std::abs(dn(k))));
  }
  CHECK(std::isfinite(loss(5)));  // r = e^100 in double
  n(0) = NAN;
  kernel(lf::bind(now = n, old = o, advantage = a, eps = 0.2), loss, dn);
  CHECK(std::isnan(loss(0)));  // a NaN log-probability is not hidden by min or clamp
  CHECK_THROWS_AS(kernel(lf::bind(now = n, old = o, advantage = a, eps = 1.5), loss, dn), std::invalid_argument);
}

TEMPLATE_TEST_CASE("DPO at beta * margin = -100, 0 and 100: 100, ln 2 and e^-100", "[preference]", float, double) {
  static constexpr auto kernel =
      lf::kokkos::compile(L::dpo(pi_w, pi_l, ref_w, ref_l, 0.5, L::none), lf::wrt(pi_w, pi_l));
  vector<TestType> pw("pw", 3), pl("pl", 3), rw("rw", 3), rl("rl", 3), loss("l", 3), dw("dw", 3), dl("dl", 3);
  double const margin[3] = {-200, 0, 200};  // beta = 0.5
  for (int k = 0; k < 3; ++k) pw(k) = TestType(margin[k] - 30), pl(k) = -40, rw(k) = -30, rl(k) = -40;
  CHECK(lf::test::kernels_launched(
            [&] { kernel(lf::bind(pi_w = pw, pi_l = pl, ref_w = rw, ref_l = rl), loss, dw, dl); }) == 1);
  double const tol = std::is_same_v<TestType, float> ? 1e-6 : 1e-15;
  CHECK(std::abs(loss(0) - 100) <= tol * 100);
  CHECK(std::abs(loss(1) - std::log(2.0)) <= tol);
  // e^-100 = 3.7e-44 is subnormal in float, whose spacing there is 1.4e-45.
  double const tiny_tol = std::is_same_v<TestType, float> ? 3e-45 : 1e-15 * std::exp(-100.0);
  CHECK(std::abs(double(loss(2)) - std::exp(-100.0)) <= tiny_tol);
  for (int k = 0; k < 3; ++k) {
    double const s = 1 / (1 + std::exp(0.5 * margin[k]));  // sigmoid(-z)
    CHECK(std::abs(dw(k) + 0.5 * s) <= tol);
    CHECK(std::abs(dl(k) - 0.5 * s) <= tol);
  }
}

TEST_CASE("DPO from per-token log-probabilities: padding is skipped even where its log-probability is -inf",
          "[preference]") {
  constexpr lf::tensor<"pw", 2> pw;
  constexpr lf::tensor<"pl", 2> pl;
  constexpr lf::tensor<"rw", 2> rw;
  constexpr lf::tensor<"rl", 2> rl;
  constexpr lf::tensor<"mw", 2> mw;
  constexpr lf::tensor<"ml", 2> ml;
  static constexpr auto kernel =
      lf::kokkos::compile(L::dpo(L::sequence_log_prob(pw, mw), L::sequence_log_prob(pl, ml),
                                 L::sequence_log_prob(rw, mw), L::sequence_log_prob(rl, ml), 0.5, L::none),
                          lf::wrt(pw, pl));
  using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
  matrix w("pw", 1, 3), l("pl", 1, 3), r1("rw", 1, 3), r2("rl", 1, 3), m1("mw", 1, 3), m2("ml", 1, 3), dw("dw", 1, 3),
      dl("dl", 1, 3);
  vector<double> loss("l", 1);
  // Two kept tokens in each response, then padding whose log-probabilities are -inf.
  for (int t = 0; t < 3; ++t) {
    bool const kept = t < 2;
    w(0, t) = kept ? -1.0 : -INFINITY, l(0, t) = kept ? -2.0 : -INFINITY;
    r1(0, t) = kept ? -1.5 : -INFINITY, r2(0, t) = kept ? -1.5 : -INFINITY;
    m1(0, t) = kept, m2(0, t) = kept;
  }
  kernel(lf::bind(pw = w, pl = l, rw = r1, rl = r2, mw = m1, ml = m2), loss, dw, dl);
  double const z = 0.5 * ((-2.0 - -3.0) - (-4.0 - -3.0));  // beta ((pi_w - ref_w) - (pi_l - ref_l)) = 1
  CHECK(std::abs(loss(0) - std::log1p(std::exp(-z))) < 1e-15);
  double const s = 1 / (1 + std::exp(z));  // sigmoid(-z)
  for (int t = 0; t < 2; ++t) {
    CHECK(std::abs(dw(0, t) + 0.5 * s) < 1e-15);
    CHECK(std::abs(dl(0, t) - 0.5 * s) < 1e-15);
  }
  CHECK(dw(0, 2) == 0);
  CHECK(dl(0, 2) == 0);
}

TEST_CASE(
    "PPO objective: at ratio 1 and values inside the value clip, each term is its unclipped masked mean; "
    "padding (even at -inf) is skipped",
    "[preference]") {
  static constexpr auto kernel =
      lf::kokkos::compile(L::ppo_objective(now, old, advantage, value, value_old, returns, entropy, mask,
                                           L::ppo_options<>{}.vf_coef(0.5).ent_coef(0.01)),
                          lf::wrt(now, value, entropy));
  constexpr int n = 7, kept = 5;
  vector<double> lp("lp", n), lp_old("lp_old", n), a("A", n), v("V", n), v_old("V_old", n), r("R", n), h("H", n),
      m("mask", n), d_lp("d_lp", n), d_v("d_v", n), d_h("d_h", n);
  double surrogate = 0, value_loss = 0, bonus = 0;
  for (int k = 0; k < n; ++k) {
    bool const padding = k >= kept;
    lp(k) = padding ? -INFINITY : -0.3 * (k + 1), lp_old(k) = padding ? 0.0 : lp(k);
    a(k) = 0.5 - 0.25 * k, v_old(k) = 0.1 * k, v(k) = v_old(k) + (k % 2 ? 0.15 : -0.1);  // within the clip 0.2
    r(k) = 1.0 - 0.2 * k, h(k) = 1 + 0.1 * k, m(k) = padding ? 0 : 1;
    if (!padding) surrogate -= a(k), value_loss += (v(k) - r(k)) * (v(k) - r(k)), bonus += h(k);
  }
  double loss = 0;
  // Pass 1 accumulates the masked sums and the kept count; pass 2 writes the gradients, which divide by that count.
  CHECK(lf::test::kernels_launched([&] {
          loss = kernel(lf::bind(now = lp, old = lp_old, advantage = a, value = v, value_old = v_old, returns = r,
                                 entropy = h, mask = m),
                        d_lp, d_v, d_h);
        }) == 2);
  CHECK(std::abs(loss - (surrogate / kept + 0.5 * 0.5 * value_loss / kept - 0.01 * bonus / kept)) < 1e-14);
  for (int k = 0; k < n; ++k) {
    INFO("token " << k);
    bool const padding = k >= kept;
    // Ratio 1 inside the clip: both terms of each max are equal, and their halves add up to the unclipped gradient.
    CHECK(std::abs(d_lp(k) - (padding ? 0.0 : -a(k) / kept)) < 1e-15);
    CHECK(std::abs(d_v(k) - (padding ? 0.0 : 0.5 * (v(k) - r(k)) / kept)) < 1e-15);
    CHECK(std::abs(d_h(k) - (padding ? 0.0 : -0.01 / kept)) < 1e-15);
  }
  // The gradients of the three tensors are written by one kernel; an entropy of another shape is an error.
  vector<double> short_h("H", kept), d_short_h("d_H", kept);
  CHECK_THROWS_AS(kernel(lf::bind(now = lp, old = lp_old, advantage = a, value = v, value_old = v_old, returns = r,
                                  entropy = short_h, mask = m),
                         d_lp, d_v, d_short_h),
                  std::invalid_argument);
  CHECK_THROWS_AS(L::ppo_options<>{}.clip(1.5), std::invalid_argument);
  CHECK_THROWS_AS(L::ppo_options<>{}.value_clip(-0.1), std::invalid_argument);
}
