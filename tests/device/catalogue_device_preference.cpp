// The catalogue on the device (catalogue_device.hpp): the preference losses (PPO's surrogate and objective, DPO,
// its conservative form, IPO, DPO over per-token log-probabilities).
#include <tests/device/catalogue_device.hpp>

namespace lossforge::catalogue_device {
namespace {
constexpr tensor<"logp_new"> logp_new;
constexpr tensor<"logp_old"> logp_old;
constexpr tensor<"advantages"> advantages;
constexpr tensor<"values"> values;
constexpr tensor<"values_old"> values_old;
constexpr tensor<"returns"> returns;
constexpr tensor<"entropy"> entropy;
constexpr tensor<"mask"> mask_symbol;
constexpr scalar<"clip"> clip;
constexpr tensor<"pi_w"> pi_w;
constexpr tensor<"pi_l"> pi_l;
constexpr tensor<"ref_w"> ref_w;
constexpr tensor<"ref_l"> ref_l;
constexpr scalar<"beta"> beta;
constexpr scalar<"label_smoothing"> smoothing;
constexpr tensor<"pi_w", 2> token_pi_w;
constexpr tensor<"pi_l", 2> token_pi_l;
constexpr tensor<"ref_w", 2> token_ref_w;
constexpr tensor<"ref_l", 2> token_ref_l;
constexpr tensor<"mask_w", 2> mask_w;
constexpr tensor<"mask_l", 2> mask_l;

constexpr auto ppo_clip = L::ppo_clip(logp_new, logp_old, advantages, clip, L::mean);
constexpr auto ppo_objective = L::ppo_objective(logp_new, logp_old, advantages, values, values_old, returns, entropy,
                                                mask_symbol, L::ppo_options<>{}.clip(clip));
constexpr auto dpo = L::dpo(pi_w, pi_l, ref_w, ref_l, beta, L::mean);
constexpr auto dpo_conservative =
    L::dpo(pi_w, pi_l, ref_w, ref_l, beta, L::dpo_options<>{}.label_smoothing(smoothing), L::mean);
constexpr auto ipo = L::dpo(pi_w, pi_l, ref_w, ref_l, beta, L::dpo_options<>{}.ipo(), L::mean);
constexpr auto dpo_tokens =
    L::dpo(L::sequence_log_prob(token_pi_w, mask_w), L::sequence_log_prob(token_pi_l, mask_l),
           L::sequence_log_prob(token_ref_w, mask_w), L::sequence_log_prob(token_ref_l, mask_l), beta, L::mean);

template <class T, class Visit>
void cases(Visit const& visit) {
  auto const new_log_p = uniform<T>("logp_new", -2.0, -0.1, 21, rows);
  auto const old_log_p = uniform<T>("logp_old", -2.0, -0.1, 22, rows);
  auto const advantage = uniform<T>("advantages", -1.0, 1.0, 23, rows);
  auto const value = uniform<T>("values", -1.0, 1.0, 24, rows);
  auto const old_value = uniform<T>("values_old", -1.0, 1.0, 25, rows);
  auto const ret = uniform<T>("returns", -1.0, 1.0, 26, rows);
  auto const entropies = uniform<T>("entropy", 0.1, 2.0, 27, rows);
  auto const valid = mask<T>("mask", 28, rows);
  auto const chosen = uniform<T>("pi_w", -30.0, -5.0, 29, rows);
  auto const rejected = uniform<T>("pi_l", -30.0, -5.0, 30, rows);
  auto const chosen_ref = uniform<T>("ref_w", -30.0, -5.0, 31, rows);
  auto const rejected_ref = uniform<T>("ref_l", -30.0, -5.0, 32, rows);
  auto const tokens_w = uniform<T>("pi_w", -3.0, -0.1, 33, rows, dims);
  auto const tokens_l = uniform<T>("pi_l", -3.0, -0.1, 34, rows, dims);
  auto const tokens_ref_w = uniform<T>("ref_w", -3.0, -0.1, 35, rows, dims);
  auto const tokens_ref_l = uniform<T>("ref_l", -3.0, -0.1, 36, rows, dims);
  auto const padding_w = mask<T>("mask_w", 37, rows, dims);
  auto const padding_l = mask<T>("mask_l", 38, rows, dims);
  run<ppo_clip>(
      visit, "ppo_clip", wrt(logp_new),
      [&](auto on) {
        return bind(logp_new = on(new_log_p), logp_old = on(old_log_p), advantages = on(advantage), clip = 0.2);
      },
      new_log_p);
  run<ppo_objective>(
      visit, "ppo_objective, value clip", wrt(logp_new, values, entropy),
      [&](auto on) {
        return bind(logp_new = on(new_log_p), logp_old = on(old_log_p), advantages = on(advantage), values = on(value),
                    values_old = on(old_value), returns = on(ret), entropy = on(entropies), mask_symbol = on(valid),
                    clip = 0.2);
      },
      new_log_p, value, entropies);
  auto const sequences = [&](auto on, auto const&... more) {
    return bind(pi_w = on(chosen), pi_l = on(rejected), ref_w = on(chosen_ref), ref_l = on(rejected_ref), beta = 0.1,
                more...);
  };
  run<dpo>(visit, "dpo", wrt(pi_w, pi_l), sequences, chosen, rejected);
  run<dpo_conservative>(
      visit, "dpo, label smoothing", wrt(pi_w, pi_l), [&](auto on) { return sequences(on, smoothing = 0.1); }, chosen,
      rejected);
  run<ipo>(visit, "ipo", wrt(pi_w, pi_l), sequences, chosen, rejected);
  run<dpo_tokens>(
      visit, "dpo over tokens", wrt(token_pi_w, token_pi_l),
      [&](auto on) {
        return bind(token_pi_w = on(tokens_w), token_pi_l = on(tokens_l), token_ref_w = on(tokens_ref_w),
                    token_ref_l = on(tokens_ref_l), mask_w = on(padding_w), mask_l = on(padding_l), beta = 0.1);
      },
      tokens_w, tokens_l);
}

family const registered(this_role,
                        [] { in_each_precision([]<class T>(std::type_identity<T>) { cases<T>(visit<T>{}); }); });

}  // namespace

}  // namespace lossforge::catalogue_device
