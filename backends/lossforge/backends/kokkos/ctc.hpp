#pragma once
// lf::kokkos::ctc_loss: connectionist temporal classification (Graves et al. 2006) as
// torch.nn.functional.ctc_loss computes it, from logits, with the gradient with respect to the logits.
//
//   double loss = lf::kokkos::ctc_loss(exec, logits, targets, input_lengths, target_lengths, grad, lf::losses::mean);
//   lf::kokkos::ctc_loss(exec, logits, targets, input_lengths, target_lengths, grad, per_sample, lf::losses::none,
//                        {.blank = 0, .zero_infinity = true});
//
// logits [T, N, C] (log_probs = log_softmax(logits) over C), targets [N, S] padded (entries past target_lengths[n]
// are ignored), input_lengths [N] and target_lengths [N] integers; grad [T, N, C] receives d(loss)/d(logits) (for
// reduction none, of the sum of the per-sample losses). Per sample, loss_n = -log of the summed probability of every
// path of input_lengths[n] frames that collapses (repeats merged, then blanks removed) to the target: the
// forward-backward recursion in log space, over the 2 S + 1 states of the target with blanks between and around its
// labels, O(T (2 S + 1)) memory per sample. sum adds the loss_n, mean averages loss_n / max(target_lengths[n], 1)
// over the batch. A target that no path of the sample's frames can produce (too long, or with repeats that need
// blanks between them) has loss_n = +inf and a NaN gradient, as PyTorch; with zero_infinity both are 0. Frames past
// input_lengths[n] get gradient 0. An empty target's loss is -sum_t log p_t(blank).
//
// The lengths and targets are read on the host first (copied there when they live on a device): a length outside
// [0, T] or [0, S], a blank outside [0, C) or a target label outside [0, C) or equal to the blank is an error that
// names it. Samples run in parallel, each a sequential recursion in double whatever the Views' precision.
#include <any>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

#include <lossforge/backends/shape.hpp>
#include <lossforge/config.hpp>
#include <lossforge/config/kokkos_compat.hpp>
#include <lossforge/config/math.hpp>
#include <lossforge/losses/ctc.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::kokkos {

struct ctc_options {
  int blank = 0;
  bool zero_infinity = false;
};

namespace detail {

LOSSFORGE_FUNCTION double log_add(double a, double b) {
  constexpr double minus_inf = -std::numeric_limits<double>::infinity();
  if (a == minus_inf) return b;
  if (b == minus_inf) return a;
  return a > b ? a + math::log1p(math::exp(b - a)) : b + math::log1p(math::exp(a - b));
}

// One sample's forward-backward recursion: its loss into loss(n), its gradient into grad (divided by N and its
// target length for mean). alpha and beta [N, T, 2 S + 1], normalizer [N, T] and by_class [N, C] are scratch.
template <class Logits, class Targets, class Lengths, class TargetLengths, class Grad, class Scratch3, class Scratch2,
          class Losses>
struct ctc_sample {
  Logits logits;
  Targets targets;
  Lengths input_lengths;
  TargetLengths target_lengths;
  Grad grad;
  Scratch3 alpha, beta;
  Scratch2 normalizer, by_class;
  Losses loss;
  int blank;
  bool zero_infinity;
  double mean_scale;  // 1 / N for mean (each sample further divided by its target length), 0 otherwise
  static constexpr double minus_inf = -std::numeric_limits<double>::infinity();

  // Extended label s: the blank at even s, target label (s - 1) / 2 at odd s.
  LOSSFORGE_FUNCTION int label(int n, int s) const { return s % 2 == 0 ? blank : int(targets(n, s / 2)); }
  LOSSFORGE_FUNCTION double log_prob(int t, int n, int c) const { return double(logits(t, n, c)) - normalizer(n, t); }
  // Whether a path may skip from state s - 2 (or, backwards, from s + 2) to s: s is a label that differs from the
  // label two states away.
  LOSSFORGE_FUNCTION bool may_skip(int n, int s, int other) const {
    return s % 2 == 1 && label(n, other) != label(n, s);
  }

  LOSSFORGE_FUNCTION void operator()(std::int64_t sample) const {
    int const n = int(sample), frames = int(input_lengths(n)), length = int(target_lengths(n)), states = 2 * length + 1;
    int const classes = int(logits.extent(2)), all_frames = int(logits.extent(0));
    for (int t = 0; t < frames; ++t) {
      double top = minus_inf, sum = 0;
      for (int c = 0; c < classes; ++c) top = double(logits(t, n, c)) > top ? double(logits(t, n, c)) : top;
      for (int c = 0; c < classes; ++c) sum += math::exp(double(logits(t, n, c)) - top);
      normalizer(n, t) = top + math::log(sum);
    }
    double nll = 0;
    if (frames == 0) {
      nll = length == 0 ? 0.0 : std::numeric_limits<double>::infinity();
    } else {
      for (int s = 0; s < states; ++s) alpha(n, 0, s) = s < 2 ? log_prob(0, n, label(n, s)) : minus_inf;
      for (int t = 1; t < frames; ++t)
        for (int s = 0; s < states; ++s) {
          double a = alpha(n, t - 1, s);
          if (s >= 1) a = log_add(a, alpha(n, t - 1, s - 1));
          if (s >= 2 && may_skip(n, s, s - 2)) a = log_add(a, alpha(n, t - 1, s - 2));
          alpha(n, t, s) = a == minus_inf ? a : a + log_prob(t, n, label(n, s));
        }
      int const last = frames - 1;
      for (int s = 0; s < states; ++s) beta(n, last, s) = s >= states - 2 ? log_prob(last, n, label(n, s)) : minus_inf;
      for (int t = last - 1; t >= 0; --t)
        for (int s = 0; s < states; ++s) {
          double b = beta(n, t + 1, s);
          if (s + 1 < states) b = log_add(b, beta(n, t + 1, s + 1));
          if (s + 2 < states && may_skip(n, s, s + 2)) b = log_add(b, beta(n, t + 1, s + 2));
          beta(n, t, s) = b == minus_inf ? b : b + log_prob(t, n, label(n, s));
        }
      double total = alpha(n, last, states - 1);
      if (states > 1) total = log_add(total, alpha(n, last, states - 2));
      nll = -total;
    }
    bool const dropped = zero_infinity && nll == std::numeric_limits<double>::infinity();
    loss(n) = dropped ? 0.0 : nll;
    double const scale = mean_scale != 0 ? mean_scale / double(length > 1 ? length : 1) : 1.0;
    for (int t = 0; t < all_frames; ++t) {
      if (t >= frames || dropped) {
        for (int c = 0; c < classes; ++c) grad(t, n, c) = 0;
        continue;
      }
      // d loss_n / d logit(t, c) = softmax(t, c) - exp(log sum over the states s labelled c of
      // alpha(t, s) beta(t, s) / p_t(c), + nll): alpha and beta both hold frame t's probability.
      for (int c = 0; c < classes; ++c) by_class(n, c) = minus_inf;
      for (int s = 0; s < states; ++s)
        by_class(n, label(n, s)) = log_add(by_class(n, label(n, s)), alpha(n, t, s) + beta(n, t, s));
      for (int c = 0; c < classes; ++c) {
        double const lp = log_prob(t, n, c);
        grad(t, n, c) = typename Grad::value_type(scale * (math::exp(lp) - math::exp(by_class(n, c) - lp + nll)));
      }
    }
  }
};

template <class View>
void require_rank(View const&, int rank, char const* name, char const* shape) {
  if (int(View::rank) != rank)
    throw std::invalid_argument(std::string("lossforge::ctc_loss: '") + name + "' must have rank " +
                                std::to_string(rank) + ", " + shape);
}

template <class Exec, class Logits, class Targets, class InputLengths, class TargetLengths, class Grad, class Losses>
void run_ctc(Exec const& exec, Logits const& logits, Targets const& targets, InputLengths const& input_lengths,
             TargetLengths const& target_lengths, Grad const& grad, Losses const& losses, ctc_options const& o,
             double mean_scale) {
  require_rank(logits, 3, "logits", "[T, N, C]");
  require_rank(targets, 2, "targets", "[N, S] (padded)");
  require_rank(input_lengths, 1, "input_lengths", "[N]");
  require_rank(target_lengths, 1, "target_lengths", "[N]");
  require_rank(grad, 3, "grad", "[T, N, C] like the logits");
  auto const T = std::int64_t(logits.extent(0)), N = std::int64_t(logits.extent(1)), C = std::int64_t(logits.extent(2));
  auto const S = std::int64_t(targets.extent(1));
  auto shape = [](auto const& v) { return shape_string(shape_of(v)); };
  auto mismatch = [&](char const* name, auto const& v, std::string const& want) {
    throw std::invalid_argument(std::string("lossforge::ctc_loss: '") + name + "' has shape " + shape(v) +
                                " but the logits " + shape(logits) + " need " + want);
  };
  if (std::int64_t(targets.extent(0)) != N) mismatch("targets", targets, "[" + std::to_string(N) + ", S]");
  if (std::int64_t(input_lengths.extent(0)) != N)
    mismatch("input_lengths", input_lengths, "[" + std::to_string(N) + "]");
  if (std::int64_t(target_lengths.extent(0)) != N)
    mismatch("target_lengths", target_lengths, "[" + std::to_string(N) + "]");
  if (grad.extent(0) != logits.extent(0) || grad.extent(1) != logits.extent(1) || grad.extent(2) != logits.extent(2))
    mismatch("grad", grad, shape(logits));
  if (std::int64_t(losses.extent(0)) != N) mismatch("per_sample", losses, "[" + std::to_string(N) + "]");
  if (o.blank < 0 || o.blank >= C)
    throw std::invalid_argument("lossforge::ctc_loss: blank " + std::to_string(o.blank) + " is outside the " +
                                std::to_string(C) + " classes of the logits " + shape(logits));
  auto const in = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, input_lengths);
  auto const tl = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, target_lengths);
  auto const tg = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, targets);
  for (std::int64_t n = 0; n < N; ++n) {
    std::string at = "[";  // appended, not "[" + ...: GCC 12 reports a false -Wrestrict on that at -O3
    at += std::to_string(n) + "] = ";
    if (in(n) < 0 || std::int64_t(in(n)) > T)
      throw std::invalid_argument("lossforge::ctc_loss: input_lengths" + at + std::to_string(in(n)) +
                                  " is outside [0, T = " + std::to_string(T) + "] of the logits " + shape(logits));
    if (tl(n) < 0 || std::int64_t(tl(n)) > S)
      throw std::invalid_argument("lossforge::ctc_loss: target_lengths" + at + std::to_string(tl(n)) +
                                  " is outside [0, S = " + std::to_string(S) + "] of the targets " + shape(targets));
    for (std::int64_t s = 0; s < std::int64_t(tl(n)); ++s)
      if (tg(n, s) < 0 || std::int64_t(tg(n, s)) >= C || std::int64_t(tg(n, s)) == o.blank)
        throw std::invalid_argument("lossforge::ctc_loss: targets[" + std::to_string(n) + ", " + std::to_string(s) +
                                    "] = " + std::to_string(tg(n, s)) + " is not a label: labels are the classes [0, " +
                                    std::to_string(C) + ") other than the blank " + std::to_string(o.blank));
  }
  using memory_space = typename Exec::memory_space;
  Kokkos::View<double***, Kokkos::LayoutRight, memory_space> alpha(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ctc::alpha"), N, T, 2 * S + 1),
      beta(Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ctc::beta"), N, T, 2 * S + 1);
  Kokkos::View<double**, Kokkos::LayoutRight, memory_space> normalizer(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ctc::normalizer"), N, T),
      by_class(Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ctc::by_class"), N, C);
  using functor =
      ctc_sample<Logits, Targets, InputLengths, TargetLengths, Grad, decltype(alpha), decltype(normalizer), Losses>;
  Kokkos::parallel_for("lossforge::ctc_loss", Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>(exec, 0, N),
                       functor{logits, targets, input_lengths, target_lengths, grad, alpha, beta, normalizer, by_class,
                               losses, o.blank, o.zero_infinity, mean_scale});
  exec.fence();  // the scratch Views are freed on return
}
}  // namespace detail

// The per-sample losses into per_sample [N] (reduction none), the gradient of their sum into grad.
template <class Exec, class Logits, class Targets, class InputLengths, class TargetLengths, class Grad, class PerSample>
requires Kokkos::is_execution_space<Exec>::value void ctc_loss(Exec const& exec, Logits const& logits,
                                                               Targets const& targets,
                                                               InputLengths const& input_lengths,
                                                               TargetLengths const& target_lengths, Grad const& grad,
                                                               PerSample const& per_sample, losses::none_t,
                                                               ctc_options const& options = {}) {
  detail::require_rank(per_sample, 1, "per_sample", "[N]");
  detail::run_ctc(exec, logits, targets, input_lengths, target_lengths, grad, per_sample, options, 0.0);
}

// The summed or averaged loss (returned), its gradient into grad.
template <class Exec, class Logits, class Targets, class InputLengths, class TargetLengths, class Grad, class R>
requires(Kokkos::is_execution_space<Exec>::value &&
         (std::is_same_v<R, losses::mean_t> ||
          std::is_same_v<R, losses::sum_t>)) double ctc_loss(Exec const& exec, Logits const& logits,
                                                             Targets const& targets, InputLengths const& input_lengths,
                                                             TargetLengths const& target_lengths, Grad const& grad, R,
                                                             ctc_options const& options = {}) {
  using memory_space = typename Exec::memory_space;
  auto const N = std::int64_t(logits.extent(1));
  Kokkos::View<double*, memory_space> per_sample("lossforge::ctc::per_sample", N);
  constexpr bool mean = std::is_same_v<R, losses::mean_t>;
  detail::run_ctc(exec, logits, targets, input_lengths, target_lengths, grad, per_sample, options,
                  mean ? 1.0 / double(N) : 0.0);
  auto const lengths = target_lengths;
  double total = 0;
  Kokkos::parallel_reduce(
      "lossforge::ctc_loss::reduce", Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>(exec, 0, N),
      KOKKOS_LAMBDA(std::int64_t n, double& sum) {
        sum += mean ? per_sample(n) / double(lengths(n) > 1 ? lengths(n) : 1) : per_sample(n);
      },
      total);
  return mean ? total / double(N) : total;
}

}  // namespace lossforge::kokkos

namespace lossforge::kokkos::detail {
// The kernel's per-sample gradients [T, N, C] for the CTC primitive, in the logits' precision, uninitialized.
template <class Exec, class Logits>
auto ctc_gradient_scratch(Logits const& logits) {
  return Kokkos::View<typename Logits::non_const_value_type***, Kokkos::LayoutRight, typename Exec::memory_space>(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ctc_nll::gradient"), logits.extent(0),
      logits.extent(1), logits.extent(2));
}
}  // namespace lossforge::kokkos::detail

namespace lossforge::losses {

// The CTC primitive's forward: each sample's loss, and its gradient, kept for the vjp.
template <int Blank, bool ZeroInfinity>
template <class Exec, class Logits, class Targets, class InputLengths, class TargetLengths, class Result>
void ctc_nll_impl<Blank, ZeroInfinity>::forward(Exec const& exec, Logits const& logits, Targets const& targets,
                                                InputLengths const& input_lengths, TargetLengths const& target_lengths,
                                                Result const& result) {
  auto const each = kokkos::detail::ctc_gradient_scratch<Exec>(logits);
  kokkos::ctc_loss(exec, logits, targets, input_lengths, target_lengths, each, result, none,
                   {.blank = Blank, .zero_infinity = ZeroInfinity});
  sample_gradients = each;
}

// Its vjp: the forward's gradient of each sample's loss, scaled by the sample's upstream gradient, added into the
// logits'.
template <int Blank, bool ZeroInfinity>
template <class Exec, class Upstream, class Logits, class Targets, class InputLengths, class TargetLengths,
          class... Grads>
void ctc_nll_impl<Blank, ZeroInfinity>::vjp(Exec const& exec, Upstream const& upstream, Logits const& logits,
                                            Targets const&, InputLengths const&, TargetLengths const&,
                                            Grads const&... grads) {
  auto const& grad = std::get<0>(std::tie(grads...));  // the others are the integer tensors'
  if (grad.data() == nullptr) return;
  auto const each = std::any_cast<decltype(kokkos::detail::ctc_gradient_scratch<Exec>(logits))>(sample_gradients);
  std::size_t const samples = logits.extent(1), classes = logits.extent(2);
  Kokkos::parallel_for(
      "lossforge::ctc_nll::vjp", Kokkos::RangePolicy<Exec>(exec, 0, logits.extent(0) * samples),
      KOKKOS_LAMBDA(std::size_t row) {
        std::size_t const t = row / samples, n = row % samples;
        for (std::size_t c = 0; c < classes; ++c) grad(t, n, c) += upstream(n) * each(t, n, c);
      });
}

}  // namespace lossforge::losses
