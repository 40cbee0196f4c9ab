// Conformance handlers: kl_div, reverse_kl, js_divergence, perplexity, softmax_focal_loss. A scalar focal alpha is
// bound as a per-class alpha of that value (the same numbers), so one compiled loss serves both forms.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"input", 2> input2;
constexpr tensor<"logits", 2> logits;
constexpr tensor<"target", 2> target2;
constexpr int_tensor<"target", 1> labels;
constexpr tensor<"alpha", 1> alpha;

template <bool LogTarget, class R>
constexpr auto kl_div = L::kl_div(input2, target2, L::kl_div_options<LogTarget>{}, R{});
template <class R>
constexpr auto reverse_kl = L::reverse_kl(logits, target2, R{});
template <class R>
constexpr auto js_divergence = L::js_divergence(logits, target2, R{});
constexpr auto perplexity = L::perplexity(logits, labels);
template <int Gamma, class R>
constexpr auto softmax_focal =
    L::softmax_focal_loss(input2, labels, L::softmax_focal_options<>{}.alpha(alpha).gamma<Gamma>(), R{});

// A loss of a differentiated [N, C] input (named as the case names it) and a [N, C] target; reduction none keeps
// the input's shape.
template <auto const& Loss, class T, class X>
computed distribution_case(case_data const& c, X const& x_symbol, std::string const& x_name) {
  static constexpr auto kernel = under_test::compile(Loss, wrt(X{}));
  auto const x = make_view<T, 2>(c.inputs.at(x_name), x_name);
  auto const y = make_view<T, 2>(c.inputs.at("target"), "target");
  return run(kernel, bind(x_symbol = x, target2 = y), view_t<T, 2>("loss", x.extent(0), x.extent(1)),
             gradient_for<T, 2>(c, x_name));
}

registration const kl_div_case("kl_div", [](case_data const& c, precision p) {
  if (!c.params.contains("log_target") || !c.params.at("log_target").is_boolean())
    throw unsupported("parameter 'log_target' missing or not a bool");
  bool const log_target = c.params.at("log_target").get<bool>();
  return in_precision(p, false, [&]<class T>() {
    return for_reduction<L::none_t, L::mean_t, L::sum_t, L::batchmean_t>(c, [&]<class R>(R) {
      if (log_target) return distribution_case<kl_div<true, R>, T>(c, input2, "input");
      return distribution_case<kl_div<false, R>, T>(c, input2, "input");
    });
  });
});
registration const reverse_kl_case("reverse_kl", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_reduction<L::batchmean_t, L::sum_t>(
        c, [&]<class R>(R) { return distribution_case<reverse_kl<R>, T>(c, logits, "logits"); });
  });
});
registration const js_divergence_case("js_divergence", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_reduction<L::batchmean_t, L::sum_t>(
        c, [&]<class R>(R) { return distribution_case<js_divergence<R>, T>(c, logits, "logits"); });
  });
});

registration const perplexity_case("perplexity", [](case_data const& c, precision p) {
  if (reduction_of(c) != "mean") throw unsupported("perplexity with reduction " + reduction_of(c));
  return in_precision(p, false, [&]<class T>() {
    static constexpr auto kernel = under_test::compile(perplexity, wrt(logits));
    auto const x = make_view<T, 2>(c.inputs.at("logits"), "logits");
    auto const t = make_view<std::int64_t, 1>(c.inputs.at("target"), "target");
    return run(kernel, bind(logits = x, labels = t), x, gradient_for<T, 2>(c, "logits"));
  });
});

// The focal alpha per class: the case's vector, its scalar repeated, or ones where it has none (null).
template <class T>
view_t<T, 1> focal_alpha(case_data const& c, std::size_t classes) {
  if (has_tensor_param(c, "alpha")) return make_view<T, 1>(tensor_param(c, "alpha"), "alpha");
  view_t<T, 1> per_class("alpha", classes);
  bool const no_alpha = c.params.contains("alpha") && c.params.at("alpha").is_null();
  fill(per_class, T(no_alpha ? 1 : number(c, "alpha")));
  return per_class;
}
template <auto const& Loss, class T>
computed focal_case(case_data const& c) {
  static constexpr auto kernel = under_test::compile(Loss, wrt(input2));
  auto const x = make_view<T, 2>(c.inputs.at("input"), "input");
  auto const t = make_view<std::int64_t, 1>(c.inputs.at("target"), "target");
  return run(kernel, bind(input2 = x, labels = t, alpha = focal_alpha<T>(c, x.extent(1))),
             view_t<T, 1>("loss", x.extent(0)), gradient_for<T, 2>(c, "input"));
}
registration const softmax_focal_case("softmax_focal_loss", [](case_data const& c, precision p) {
  double const gamma = number(c, "gamma");
  std::string const r = reduction_of(c);
  return in_precision(p, false, [&]<class T>() {
    if (gamma == 2)
      return for_elementwise_reduction(c, [&]<class R>(R) { return focal_case<softmax_focal<2, R>, T>(c); });
    if (r == "mean" && gamma == 0) return focal_case<softmax_focal<0, L::mean_t>, T>(c);
    if (r == "mean" && gamma == 1) return focal_case<softmax_focal<1, L::mean_t>, T>(c);
    if (r == "mean" && gamma == 3) return focal_case<softmax_focal<3, L::mean_t>, T>(c);
    throw unsupported("softmax_focal_loss with gamma " + std::to_string(gamma) + " and reduction " + r);
  });
});
}  // namespace
}  // namespace lossforge::conformance
