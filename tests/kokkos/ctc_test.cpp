// CTC against its definition, written here: the probability of every path of a sample's frames (C^T of them,
// enumerated) that collapses to the target; its gradient by central differences of that sum. Then the edge cases:
// targets no path produces (+inf, NaN gradient; zero_infinity gives 0 and 0), empty targets, zero input length,
// frames past the input length holding NaN, a blank-only alphabet, the reductions, and lengths that do not fit; and
// the catalogue's CTC primitive against this kernel, alone and beside another term.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <tests/support/kokkos_events.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
using logits_view = Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace>;
using labels_view = Kokkos::View<std::int64_t**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using lengths_view = Kokkos::View<std::int64_t*, Kokkos::HostSpace>;
using losses_view = Kokkos::View<double*, Kokkos::HostSpace>;
constexpr double inf = std::numeric_limits<double>::infinity();

// -log of the summed probability of the paths of sample n's first `frames` frames that collapse to its target.
double by_enumeration(logits_view const& x, int n, int frames, std::vector<int> const& target, int blank) {
  int const classes = int(x.extent(2));
  double total = 0;
  std::vector<int> path(std::size_t(frames), 0);
  for (;;) {
    std::vector<int> collapsed;
    for (int t = 0; t < frames; ++t) {
      int const c = path[std::size_t(t)];
      if (c != blank && (t == 0 || c != path[std::size_t(t) - 1])) collapsed.push_back(c);
    }
    if (collapsed == target) {
      double p = 1;
      for (int t = 0; t < frames; ++t) {
        double z = 0;
        for (int c = 0; c < classes; ++c) z += std::exp(x(t, n, c));
        p *= std::exp(x(t, n, path[std::size_t(t)])) / z;
      }
      total += p;
    }
    int t = 0;
    while (t < frames && ++path[std::size_t(t)] == classes) path[std::size_t(t++)] = 0;
    if (t == frames) break;
  }
  return -std::log(total);
}

struct batch {
  logits_view x;
  labels_view targets;
  lengths_view input_lengths, target_lengths;
  std::vector<std::vector<int>> labels;
  batch(int frames, int samples, int classes, std::vector<std::vector<int>> const& l, std::vector<int> const& in)
      : x("x", frames, samples, classes),
        targets("t", samples, 4),
        input_lengths("in", samples),
        target_lengths("tl", samples),
        labels(l) {
    for (int t = 0; t < frames; ++t)
      for (int n = 0; n < samples; ++n)
        for (int c = 0; c < classes; ++c) x(t, n, c) = 1.5 * std::sin(1.7 * t + 2.3 * n + 0.9 * c + 0.4);
    for (int n = 0; n < samples; ++n) {
      input_lengths(n) = in[std::size_t(n)], target_lengths(n) = std::int64_t(l[std::size_t(n)].size());
      for (std::size_t s = 0; s < 4; ++s) targets(n, s) = s < l[std::size_t(n)].size() ? l[std::size_t(n)][s] : 99;
    }
  }
  double expected(int n, int blank = 0) const {
    return by_enumeration(x, n, int(input_lengths(n)), labels[std::size_t(n)], blank);
  }
};
}  // namespace

TEST_CASE("ctc_loss: each sample's loss is the probability of the paths that collapse to its target", "[ctc]") {
  // Repeats that need a blank between them (1, 1), a target as long as its input allows, and padding labels (99)
  // past each target's length.
  batch b(5, 4, 3, {{1, 2}, {1, 1}, {2, 1, 2}, {1}}, {5, 4, 5, 3});
  logits_view grad("grad", 5, 4, 3);
  losses_view per_sample("loss", 4);
  Kokkos::DefaultHostExecutionSpace const exec;
  for (int blank : {0, 2}) {
    batch const& c = b;
    if (blank == 2) {  // the same paths with the blank last: labels 1, 2 become 0, 1
      for (int n = 0; n < 4; ++n)
        for (auto& label : b.labels[std::size_t(n)]) label -= 1;
      for (int n = 0; n < 4; ++n)
        for (int s = 0; s < int(b.target_lengths(n)); ++s) b.targets(n, s) -= 1;
    }
    lf::kokkos::ctc_loss(exec, c.x, c.targets, c.input_lengths, c.target_lengths, grad, per_sample, L::none,
                         {.blank = blank});
    double sum = 0, mean = 0;
    for (int n = 0; n < 4; ++n) {
      CHECK(std::abs(per_sample(n) - c.expected(n, blank)) < 1e-13);
      sum += per_sample(n);
      mean += per_sample(n) / double(std::max<std::int64_t>(c.target_lengths(n), 1)) / 4;
    }
    // The gradient of the sum of the losses by central differences of the enumeration; 0 past the input length.
    for (int t = 0; t < 5; ++t)
      for (int n = 0; n < 4; ++n)
        for (int k = 0; k < 3; ++k) {
          if (t >= c.input_lengths(n)) {
            CHECK(grad(t, n, k) == 0);
            continue;
          }
          double const h = 1e-6, saved = c.x(t, n, k);
          c.x(t, n, k) = saved + h;
          double const up = c.expected(n, blank);
          c.x(t, n, k) = saved - h;
          double const down = c.expected(n, blank);
          c.x(t, n, k) = saved;
          CHECK(std::abs(grad(t, n, k) - (up - down) / (2 * h)) < 1e-8);
        }
    logits_view scaled("scaled", 5, 4, 3);
    CHECK(std::abs(lf::kokkos::ctc_loss(exec, c.x, c.targets, c.input_lengths, c.target_lengths, scaled, L::sum,
                                        {.blank = blank}) -
                   sum) < 1e-13);
    for (std::size_t e = 0; e < grad.size(); ++e) CHECK(scaled.data()[e] == grad.data()[e]);
    CHECK(std::abs(lf::kokkos::ctc_loss(exec, c.x, c.targets, c.input_lengths, c.target_lengths, scaled, L::mean,
                                        {.blank = blank}) -
                   mean) < 1e-13);
    for (int t = 0; t < 5; ++t)  // each sample's gradient divided by its target length and the batch size
      for (int n = 0; n < 4; ++n)
        for (int k = 0; k < 3; ++k)
          CHECK(std::abs(scaled(t, n, k) - grad(t, n, k) / double(c.target_lengths(n)) / 4) < 1e-15);
  }
}

TEST_CASE("ctc_loss: Graves' reference case, blank last, against its published losses and gradients", "[ctc]") {
  // Alex Graves' implementation's two sequences (as TensorFlow's CTC test quotes them): per-frame probabilities over
  // 6 classes, the blank last, given as logits log p; 5 frames each, then 2 frames of NaN past the input length.
  // Losses 3.342114 and 5.422623 for those probabilities as given, whose frames sum to 1 only within 5e-7: the
  // log_softmax of the logits divides each frame by its sum Z_t, and every path takes one class per frame, so the
  // loss is the published one plus sum_t log Z_t. The gradient with respect to the logits is softmax minus the labels'
  // posteriors, published to 6 digits. Both to 1e-6, as there.
  double const probabilities[2][5][6] = {
      {{0.633766, 0.221185, 0.0917319, 0.0129757, 0.0142857, 0.0260553},
       {0.111121, 0.588392, 0.278779, 0.0055756, 0.00569609, 0.010436},
       {0.0357786, 0.633813, 0.321418, 0.00249248, 0.00272882, 0.0037688},
       {0.0663296, 0.643849, 0.280111, 0.00283995, 0.0035545, 0.00331533},
       {0.458235, 0.396634, 0.123377, 0.00648837, 0.00903441, 0.00623107}},
      {{0.30176, 0.28562, 0.0831517, 0.0862751, 0.0816851, 0.161508},
       {0.24082, 0.397533, 0.0557226, 0.0546814, 0.0557528, 0.19549},
       {0.230246, 0.450868, 0.0389607, 0.038309, 0.0391602, 0.202456},
       {0.280884, 0.429522, 0.0326593, 0.0339046, 0.0326856, 0.190345},
       {0.423286, 0.315517, 0.0338439, 0.0393744, 0.0339315, 0.154046}}};
  double const gradients[2][5][6] = {
      {{-0.366234, 0.221185, 0.0917319, 0.0129757, 0.0142857, 0.0260553},
       {0.111121, -0.411608, 0.278779, 0.0055756, 0.00569609, 0.010436},
       {0.0357786, 0.633813, -0.678582, 0.00249248, 0.00272882, 0.0037688},
       {0.0663296, -0.356151, 0.280111, 0.00283995, 0.0035545, 0.00331533},
       {-0.541765, 0.396634, 0.123377, 0.00648837, 0.00903441, 0.00623107}},
      {{-0.69824, 0.28562, 0.0831517, 0.0862751, 0.0816851, 0.161508},
       {0.24082, -0.602467, 0.0557226, 0.0546814, 0.0557528, 0.19549},
       {0.230246, 0.450868, 0.0389607, 0.038309, 0.0391602, -0.797544},
       {0.280884, -0.570478, 0.0326593, 0.0339046, 0.0326856, 0.190345},
       {-0.576714, 0.315517, 0.0338439, 0.0393744, 0.0339315, 0.154046}}};
  std::vector<std::vector<std::int64_t>> const labels = {{0, 1, 2, 1, 0}, {0, 1, 1, 0}};
  logits_view x("x", 7, 2, 6), grad("grad", 7, 2, 6);
  labels_view targets("t", 2, 5);
  lengths_view input_lengths("in", 2), target_lengths("tl", 2);
  losses_view per_sample("loss", 2);
  for (int n = 0; n < 2; ++n) {
    for (int t = 0; t < 7; ++t)
      for (int c = 0; c < 6; ++c)
        x(t, n, c) = t < 5 ? std::log(probabilities[n][t][c]) : std::numeric_limits<double>::quiet_NaN();
    input_lengths(n) = 5, target_lengths(n) = std::int64_t(labels[std::size_t(n)].size());
    for (std::size_t s = 0; s < 5; ++s)
      targets(n, s) = s < labels[std::size_t(n)].size() ? labels[std::size_t(n)][s] : 0;
  }
  lf::kokkos::ctc_loss(Kokkos::DefaultHostExecutionSpace{}, x, targets, input_lengths, target_lengths, grad,
                       per_sample, L::none, {.blank = 5});
  double const published[2] = {3.342114, 5.422623};
  for (int n = 0; n < 2; ++n) {
    double normalization = 0;
    for (int t = 0; t < 5; ++t) {
      double z = 0;
      for (int c = 0; c < 6; ++c) z += probabilities[n][t][c];
      normalization += std::log(z);
    }
    CHECK(std::abs(per_sample(n) - (published[n] + normalization)) < 1e-6);
  }
  for (int n = 0; n < 2; ++n)
    for (int t = 0; t < 7; ++t)
      for (int c = 0; c < 6; ++c) CHECK(std::abs(grad(t, n, c) - (t < 5 ? gradients[n][t][c] : 0.0)) < 1e-6);
}

TEST_CASE("ctc_loss: targets no path produces are +inf (NaN gradient), 0 and 0 with zero_infinity", "[ctc]") {
  // Sample 0: "1 1" in 2 frames needs 3; sample 1: 3 labels in 2 frames; sample 2 is feasible.
  batch b(3, 3, 3, {{1, 1}, {1, 2, 1}, {2}}, {2, 2, 3});
  logits_view grad("grad", 3, 3, 3);
  losses_view per_sample("loss", 3);
  Kokkos::DefaultHostExecutionSpace const exec;
  lf::kokkos::ctc_loss(exec, b.x, b.targets, b.input_lengths, b.target_lengths, grad, per_sample, L::none);
  CHECK(per_sample(0) == inf);
  CHECK(per_sample(1) == inf);
  CHECK(std::abs(per_sample(2) - b.expected(2)) < 1e-13);
  for (int t = 0; t < 2; ++t) CHECK(std::isnan(grad(t, 0, 0)));
  for (int t = 0; t < 3; ++t)
    for (int k = 0; k < 3; ++k) CHECK(std::isfinite(grad(t, 2, k)));

  double const loss = lf::kokkos::ctc_loss(exec, b.x, b.targets, b.input_lengths, b.target_lengths, grad, L::mean,
                                           {.zero_infinity = true});
  CHECK(std::abs(loss - b.expected(2) / 3) < 1e-13);  // the infeasible samples count in the batch size
  for (int t = 0; t < 3; ++t)
    for (int k = 0; k < 3; ++k) {
      CHECK(grad(t, 0, k) == 0);
      CHECK(grad(t, 1, k) == 0);
      CHECK(std::isfinite(grad(t, 2, k)));
    }
}

TEST_CASE("ctc_loss: empty targets, zero input length, NaN past the input, a blank-only alphabet", "[ctc]") {
  Kokkos::DefaultHostExecutionSpace const exec;
  // Sample 0: empty target, -sum_t log p_t(blank); 1: no frames and an empty target, 0; 2: no frames, one label,
  // +inf; 3: NaN in the frames past its input length.
  batch b(4, 4, 3, {{}, {}, {1}, {2, 1}}, {4, 0, 0, 2});
  for (int t = 2; t < 4; ++t)
    for (int k = 0; k < 3; ++k) b.x(t, 3, k) = std::numeric_limits<double>::quiet_NaN();
  logits_view grad("grad", 4, 4, 3);
  losses_view per_sample("loss", 4);
  lf::kokkos::ctc_loss(exec, b.x, b.targets, b.input_lengths, b.target_lengths, grad, per_sample, L::none);
  double blanks = 0;
  for (int t = 0; t < 4; ++t) {
    double z = 0;
    for (int k = 0; k < 3; ++k) z += std::exp(b.x(t, 0, k));
    blanks -= b.x(t, 0, 0) - std::log(z);
  }
  CHECK(std::abs(per_sample(0) - blanks) < 1e-13);
  CHECK(per_sample(1) == 0);
  CHECK(per_sample(2) == inf);
  CHECK(std::abs(per_sample(3) - b.expected(3)) < 1e-13);
  for (int t = 0; t < 4; ++t)
    for (int k = 0; k < 3; ++k) {
      CHECK(grad(t, 1, k) == 0);
      CHECK(grad(t, 2, k) == 0);
      CHECK((t < 2 ? std::isfinite(grad(t, 3, k)) : grad(t, 3, k) == 0));
    }

  batch only_blank(3, 1, 1, {{}}, {3});
  logits_view g1("grad", 3, 1, 1);
  CHECK(lf::kokkos::ctc_loss(exec, only_blank.x, only_blank.targets, only_blank.input_lengths,
                             only_blank.target_lengths, g1, L::sum) == 0);
  for (int t = 0; t < 3; ++t) CHECK(g1(t, 0, 0) == 0);
}

TEST_CASE("ctc_loss: lengths, labels and shapes that do not fit are errors naming them", "[ctc]") {
  using Catch::Matchers::ContainsSubstring;
  Kokkos::DefaultHostExecutionSpace const exec;
  batch b(4, 2, 3, {{1, 2}, {2}}, {4, 3});
  logits_view grad("grad", 4, 2, 3);
  auto const call = [&](lf::kokkos::ctc_options o = {}) {
    return lf::kokkos::ctc_loss(exec, b.x, b.targets, b.input_lengths, b.target_lengths, grad, L::mean, o);
  };
  CHECK(std::isfinite(call()));
  b.input_lengths(1) = 5;
  CHECK_THROWS_WITH(call(), ContainsSubstring("input_lengths[1] = 5 is outside [0, T = 4]"));
  b.input_lengths(1) = -1;
  CHECK_THROWS_WITH(call(), ContainsSubstring("input_lengths[1] = -1"));
  b.input_lengths(1) = 3;
  b.target_lengths(0) = 5;
  CHECK_THROWS_WITH(call(), ContainsSubstring("target_lengths[0] = 5 is outside [0, S = 4]"));
  b.target_lengths(0) = 2;
  b.targets(0, 1) = 3;
  CHECK_THROWS_WITH(call(), ContainsSubstring("targets[0, 1] = 3 is not a label"));
  b.targets(0, 1) = 0;
  CHECK_THROWS_WITH(call(), ContainsSubstring("targets[0, 1] = 0 is not a label"));
  b.targets(0, 1) = 2;
  CHECK_THROWS_WITH(call({.blank = 3}), ContainsSubstring("blank 3 is outside the 3 classes"));
  logits_view wrong("grad", 4, 2, 2);
  CHECK_THROWS_WITH(lf::kokkos::ctc_loss(exec, b.x, b.targets, b.input_lengths, b.target_lengths, wrong, L::sum),
                    ContainsSubstring("'grad' has shape [4,2,2]"));
  lengths_view short_lengths("in", 1);
  CHECK_THROWS_WITH(lf::kokkos::ctc_loss(exec, b.x, b.targets, short_lengths, b.target_lengths, grad, L::sum),
                    ContainsSubstring("'input_lengths' has shape [1]"));
}

TEST_CASE("ctc_loss as a primitive: the kernel's losses and gradients, inside a loss with other terms", "[ctc]") {
  constexpr lf::tensor<"x", 3> x;
  constexpr lf::int_tensor<"t", 2> t;
  constexpr lf::int_tensor<"in", 1> in;
  constexpr lf::int_tensor<"tl", 1> tl;
  constexpr lf::tensor<"w", 1> w;
  // An impossible target (1, 1 in 2 frames) in the zero_infinity batch.
  batch b(5, 4, 3, {{1, 2}, {1, 1}, {2, 1, 2}, {}}, {5, 2, 5, 3});
  auto const bound = [&] { return lf::bind(x = b.x, t = b.targets, in = b.input_lengths, tl = b.target_lengths); };
  logits_view const want("want", 5, 4, 3), got("got", 5, 4, 3);
  auto const same = [&](logits_view const& a, logits_view const& c) {
    for (std::size_t e = 0; e < a.size(); ++e) CHECK(std::abs(a.data()[e] - c.data()[e]) < 1e-15);
  };
  SECTION("mean, with zero_infinity") {
    static constexpr auto kernel = lf::kokkos::compile(L::ctc_loss<0, true>(x, t, in, tl, L::mean), lf::wrt(x));
    double const expected = lf::kokkos::ctc_loss(Kokkos::DefaultHostExecutionSpace{}, b.x, b.targets, b.input_lengths,
                                                 b.target_lengths, want, L::mean, {.zero_infinity = true});
    CHECK(std::abs(kernel(bound(), got) - expected) < 1e-15);
    same(got, want);
  }
  SECTION("sum, and the blank last") {
    batch c(5, 3, 3, {{1, 0}, {0}, {1, 1}}, {5, 4, 5});
    static constexpr auto kernel = lf::kokkos::compile(L::ctc_loss<2>(x, t, in, tl, L::sum), lf::wrt(x));
    logits_view const g("g", 5, 3, 3), h("h", 5, 3, 3);
    double const expected = lf::kokkos::ctc_loss(Kokkos::DefaultHostExecutionSpace{}, c.x, c.targets, c.input_lengths,
                                                 c.target_lengths, h, L::sum, {.blank = 2});
    CHECK(std::abs(kernel(lf::bind(x = c.x, t = c.targets, in = c.input_lengths, tl = c.target_lengths), g) -
                   expected) < 1e-15);
    same(g, h);
  }
  SECTION("none: the per-sample losses, the gradient of their sum") {
    static constexpr auto kernel = lf::kokkos::compile(L::ctc_loss<0, true>(x, t, in, tl, L::none), lf::wrt(x));
    losses_view const per_sample("per_sample", 4), expected("expected", 4);
    lf::kokkos::ctc_loss(Kokkos::DefaultHostExecutionSpace{}, b.x, b.targets, b.input_lengths, b.target_lengths, want,
                         expected, L::none, {.zero_infinity = true});
    kernel(bound(), per_sample, got);
    Kokkos::fence();
    for (int n = 0; n < 4; ++n) CHECK(std::abs(per_sample(n) - expected(n)) < 1e-15);
    same(got, want);
  }
  SECTION("CTC + 0.1 |w|^2 in one call: each term's gradient, as the two kernels give them") {
    static constexpr auto kernel =
        lf::kokkos::compile(L::ctc_loss<0, true>(x, t, in, tl, L::mean) + L::l2_reg(w, 0.1), lf::wrt(x, w));
    losses_view const wv("w", 3), dw("dw", 3);
    wv(0) = 0.5, wv(1) = -1.5, wv(2) = 2;
    double const ctc = lf::kokkos::ctc_loss(Kokkos::DefaultHostExecutionSpace{}, b.x, b.targets, b.input_lengths,
                                            b.target_lengths, want, L::mean, {.zero_infinity = true});
    double const loss =
        kernel(lf::bind(x = b.x, t = b.targets, in = b.input_lengths, tl = b.target_lengths, w = wv), got, dw);
    CHECK(std::abs(loss - (ctc + 0.1 * (0.25 + 2.25 + 4))) < 1e-14);
    same(got, want);
    for (int k = 0; k < 3; ++k) CHECK(dw(k) == 0.2 * wv(k));
    CHECK_THAT(kernel.describe(), Catch::Matchers::ContainsSubstring("dloss/dx += ctc_nll's vjp"));
  }
  SECTION("the recursion runs once a call: the forward keeps each sample's gradient for the vjp") {
    static constexpr auto kernel = lf::kokkos::compile(L::ctc_loss<0, true>(x, t, in, tl, L::mean), lf::wrt(x));
    // dloss/dnll's zero fill, the recursion, dx's zero fill, the fused pass, the vjp's scaling.
    CHECK(lf::test::kernels_launched([&] { kernel(bound(), got); }) == 5);
  }
}
