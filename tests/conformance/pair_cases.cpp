// Conformance handlers: contrastive_seed, contrastive_hadsell, cosine_embedding_loss (embedding pairs [N, D], both
// differentiated), margin_ranking_loss and hinge_embedding_loss (scores, bound flattened). Margins and eps are bound
// as runtime scalars.
#include <tests/conformance/embeddings.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"x1", 2> x1;
constexpr tensor<"x2", 2> x2;
constexpr int_tensor<"label", 1> label;
constexpr tensor<"target", 1> sign;  // +-1 per pair
constexpr tensor<"x1"> score1;
constexpr tensor<"x2"> score2;
constexpr scalar<"margin"> margin;
constexpr scalar<"eps"> eps;

template <class R>
constexpr auto seed = L::contrastive_seed(x1, x2, label, margin, eps, R{});
template <class R>
constexpr auto hadsell = L::contrastive_hadsell(x1, x2, label, margin, eps, R{});
template <class R>
constexpr auto cosine = L::cosine_embedding_loss(x1, x2, sign, margin, R{});
template <class R>
constexpr auto ranking = L::margin_ranking_loss(score1, score2, target, margin, R{});
template <class R>
constexpr auto hinge = L::hinge_embedding_loss(input, target, margin, R{});

using pair_inputs = std::tuple<decltype(x1), decltype(x2)>;

// Both contrastive forms, mean or sum over the pairs (the case format defines no per-pair form).
template <class Run>
computed for_pair_reduction(case_data const& c, Run const& run) {
  double const e = number(c, "eps");
  if (!(e >= 0)) throw unsupported("eps " + std::to_string(e) + ": lossforge requires eps >= 0");
  return for_reduction<L::mean_t, L::sum_t>(c, run);
}
registration const seed_case("contrastive_seed", [](case_data const& c, precision p) {
  return for_pair_reduction(c, [&]<class R>(R) {
    return rows_case<seed<R>>(c, p, pair_inputs{}, std::tuple{label},
                              std::make_tuple(margin = number(c, "margin"), eps = number(c, "eps")));
  });
});
registration const hadsell_case("contrastive_hadsell", [](case_data const& c, precision p) {
  return for_pair_reduction(c, [&]<class R>(R) {
    return rows_case<hadsell<R>>(c, p, pair_inputs{}, std::tuple{label},
                                 std::make_tuple(margin = number(c, "margin"), eps = number(c, "eps")));
  });
});
registration const cosine_case("cosine_embedding_loss", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) {
    return rows_case<cosine<R>>(c, p, pair_inputs{}, std::tuple{sign}, std::make_tuple(margin = number(c, "margin")));
  });
});
registration const ranking_case("margin_ranking_loss", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) {
    return rows_case<ranking<R>>(c, p, std::tuple{score1, score2}, std::tuple{target},
                                 std::make_tuple(margin = number(c, "margin")));
  });
});
registration const hinge_case("hinge_embedding_loss", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) {
    return rows_case<hinge<R>>(c, p, std::tuple{input}, std::tuple{target},
                               std::make_tuple(margin = number(c, "margin")));
  });
});
}  // namespace
}  // namespace lossforge::conformance
