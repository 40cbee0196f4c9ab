// Conformance handlers: ppo_clip, ppo_objective, dpo, dpo_conservative, ipo, dpo_tokens. Per-sequence
// log-probabilities and PPO's per-token tensors are bound flattened; DPO's per-token ones [N, T] with their masks.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"logp_new"> logp_new;
constexpr tensor<"logp_old"> logp_old;
constexpr tensor<"advantages"> advantages;
constexpr scalar<"clip_eps"> clip_eps;
constexpr tensor<"values"> values;
constexpr tensor<"values_old"> values_old;
constexpr tensor<"returns"> returns;
constexpr tensor<"entropy"> entropy;
constexpr tensor<"mask"> mask;
constexpr scalar<"clip"> clip;
constexpr scalar<"value_clip"> value_clip;
constexpr scalar<"vf_coef"> vf_coef;
constexpr scalar<"ent_coef"> ent_coef;
constexpr tensor<"pi_w"> pi_w;
constexpr tensor<"pi_l"> pi_l;
constexpr tensor<"ref_w"> ref_w;
constexpr tensor<"ref_l"> ref_l;
constexpr scalar<"beta"> beta;
constexpr scalar<"label_smoothing"> label_smoothing;
constexpr tensor<"pi_w", 2> token_pi_w;
constexpr tensor<"pi_l", 2> token_pi_l;
constexpr tensor<"ref_w", 2> token_ref_w;
constexpr tensor<"ref_l", 2> token_ref_l;
constexpr tensor<"mask_w", 2> mask_w;
constexpr tensor<"mask_l", 2> mask_l;

template <class R>
constexpr auto ppo_clip = L::ppo_clip(logp_new, logp_old, advantages, clip_eps, R{});
template <bool ClippedValue>
constexpr auto ppo_objective = [] {
  auto const o = L::ppo_options<>{}.clip(clip).vf_coef(vf_coef).ent_coef(ent_coef);
  auto const objective = [](auto const& options) {
    return L::ppo_objective(logp_new, logp_old, advantages, values, values_old, returns, entropy, mask, options);
  };
  if constexpr (ClippedValue)
    return objective(o.value_clip(value_clip));
  else
    return objective(o.unclipped_value());
}();
template <class R>
constexpr auto dpo = L::dpo(pi_w, pi_l, ref_w, ref_l, beta, R{});
template <class R>
constexpr auto dpo_conservative = L::dpo(pi_w, pi_l, ref_w, ref_l, beta,
                                         L::dpo_options<>{}.label_smoothing(label_smoothing), R{});
template <class R>
constexpr auto ipo = L::dpo(pi_w, pi_l, ref_w, ref_l, beta, L::dpo_options<>{}.ipo(), R{});
template <class R>
constexpr auto dpo_tokens = L::dpo(L::sequence_log_prob(token_pi_w, mask_w), L::sequence_log_prob(token_pi_l, mask_l),
                                   L::sequence_log_prob(token_ref_w, mask_w), L::sequence_log_prob(token_ref_l, mask_l),
                                   beta, R{});

// True when a ratio exp(logp_new - logp_old) of the case overflows float (a log-ratio beyond 88): such a case runs in
// double, as the probability cases at 1e-7 of 0 or 1 do.
bool ratio_needs_float64(case_data const& c) {
  auto const& now = c.inputs.at("logp_new").values;
  auto const& old = c.inputs.at("logp_old").values;
  for (std::size_t k = 0; k < now.size() && k < old.size(); ++k)
    if (std::abs(now[k] - old[k]) > 88) return true;
  return false;
}

registration const ppo_case("ppo_clip", [](case_data const& c, precision p) {
  return in_precision(p, ratio_needs_float64(c), [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      static constexpr auto kernel = under_test::compile(ppo_clip<R>, wrt(logp_new));
      auto const now = make_view<T, 1>(c.inputs.at("logp_new"), "logp_new");
      return run(
          kernel,
          bind(logp_new = now, logp_old = make_view<T, 1>(c.inputs.at("logp_old"), "logp_old"),
               advantages = make_view<T, 1>(c.inputs.at("advantages"), "advantages"), clip_eps = number(c, "clip_eps")),
          view_t<T, 1>("loss", now.size()), gradient_for<T, 1>(c, "logp_new"));
    });
  });
});

// value_clip null: the value loss is not clipped.
registration const ppo_objective_case("ppo_objective", [](case_data const& c, precision p) {
  bool const clipped = !c.params.contains("value_clip") || !c.params.at("value_clip").is_null();
  return in_precision(p, ratio_needs_float64(c), [&]<class T>() {
    auto const go = [&]<bool Clipped, class... Scalars>(std::bool_constant<Clipped>, Scalars const&... scalars) {
      static constexpr auto kernel = under_test::compile(ppo_objective<Clipped>, wrt(logp_new, values, entropy));
      auto const input = [&](char const* name) { return make_view<T, 1>(c.inputs.at(name), name); };
      return run(kernel,
                 bind(logp_new = input("logp_new"), logp_old = input("logp_old"), advantages = input("advantages"),
                      values = input("values"), values_old = input("values_old"), returns = input("returns"),
                      entropy = input("entropy"), mask = input("mask"), clip = number(c, "clip"),
                      vf_coef = number(c, "vf_coef"), ent_coef = number(c, "ent_coef"), scalars...),
                 view_t<T, 1>("loss", 0), gradient_for<T, 1>(c, "logp_new"), gradient_for<T, 1>(c, "values"),
                 gradient_for<T, 1>(c, "entropy"));
    };
    if (clipped) return go(std::true_type{}, value_clip = number(c, "value_clip"));
    return go(std::false_type{});
  });
});

// A DPO loss of per-sequence log-probabilities [N], both policy inputs differentiated.
template <auto const& Loss, class... Scalars>
computed sequence_case(case_data const& c, precision p, Scalars const&... scalars) {
  return in_precision(p, false, [&]<class T>() {
    static constexpr auto kernel = under_test::compile(Loss, wrt(pi_w, pi_l));
    auto const w = make_view<T, 1>(c.inputs.at("pi_w"), "pi_w");
    return run(kernel,
               bind(pi_w = w, pi_l = make_view<T, 1>(c.inputs.at("pi_l"), "pi_l"),
                    ref_w = make_view<T, 1>(c.inputs.at("ref_w"), "ref_w"),
                    ref_l = make_view<T, 1>(c.inputs.at("ref_l"), "ref_l"), beta = number(c, "beta"), scalars...),
               view_t<T, 1>("loss", w.size()), gradient_for<T, 1>(c, "pi_w"), gradient_for<T, 1>(c, "pi_l"));
  });
}
registration const dpo_case("dpo", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) { return sequence_case<dpo<R>>(c, p); });
});
registration const dpo_conservative_case("dpo_conservative", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) {
    return sequence_case<dpo_conservative<R>>(c, p, label_smoothing = number(c, "label_smoothing"));
  });
});
registration const ipo_case("ipo", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) { return sequence_case<ipo<R>>(c, p); });
});

// Per-token log-probabilities [N, T] and masks; one loss per sequence pair with reduction none.
registration const dpo_tokens_case("dpo_tokens", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      static constexpr auto kernel = under_test::compile(dpo_tokens<R>, wrt(token_pi_w, token_pi_l));
      auto const w = make_view<T, 2>(c.inputs.at("pi_w"), "pi_w");
      return run(kernel,
                 bind(token_pi_w = w, token_pi_l = make_view<T, 2>(c.inputs.at("pi_l"), "pi_l"),
                      token_ref_w = make_view<T, 2>(c.inputs.at("ref_w"), "ref_w"),
                      token_ref_l = make_view<T, 2>(c.inputs.at("ref_l"), "ref_l"),
                      mask_w = make_view<T, 2>(c.inputs.at("mask_w"), "mask_w"),
                      mask_l = make_view<T, 2>(c.inputs.at("mask_l"), "mask_l"), beta = number(c, "beta")),
                 view_t<T, 1>("loss", w.extent(0)), gradient_for<T, 2>(c, "pi_w"), gradient_for<T, 2>(c, "pi_l"));
    });
  });
});
}  // namespace
}  // namespace lossforge::conformance
