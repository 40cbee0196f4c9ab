// Conformance handlers: triplet_margin_loss, triplet_cosine (embeddings [N, D], all three differentiated). Margin and
// eps are bound as runtime scalars; triplet's p and swap are compile-time options, so each combination the cases use
// is a kernel of its own: p 2 with every reduction, swap with mean and sum, p 1 with mean. Other combinations are
// reported unsupported.
#include <tests/conformance/embeddings.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"anchor", 2> anchor;
constexpr tensor<"positive", 2> positive;
constexpr tensor<"negative", 2> negative;
constexpr scalar<"margin"> margin;
constexpr scalar<"eps"> eps;

constexpr auto margin_and_eps = L::triplet_options<>{}.margin(margin).eps(eps);
template <class R>
constexpr auto triplet = L::triplet_margin_loss(anchor, positive, negative, margin_and_eps, R{});
template <class R>
constexpr auto triplet_swap = L::triplet_margin_loss(anchor, positive, negative, margin_and_eps.swap(), R{});
template <class R>
constexpr auto triplet_l1 = L::triplet_margin_loss(anchor, positive, negative, margin_and_eps.p<1>(), R{});
template <class R>
constexpr auto triplet_cosine = L::triplet_cosine(anchor, positive, negative, margin, R{});

using triplet_inputs = std::tuple<decltype(anchor), decltype(positive), decltype(negative)>;

registration const triplet_case("triplet_margin_loss", [](case_data const& c, precision p) {
  double const norm = number(c, "p");
  bool const swap = c.params.value("swap", false);
  double const e = number(c, "eps");
  if (!(e >= 0)) throw unsupported("eps " + std::to_string(e) + ": lossforge requires eps >= 0");
  auto const scalars = std::make_tuple(margin = number(c, "margin"), eps = e);
  if (norm == 2 && !swap)
    return for_elementwise_reduction(
        c, [&]<class R>(R) { return rows_case<triplet<R>>(c, p, triplet_inputs{}, std::tuple<>{}, scalars); });
  if (norm == 2)
    return for_reduction<L::mean_t, L::sum_t>(
        c, [&]<class R>(R) { return rows_case<triplet_swap<R>>(c, p, triplet_inputs{}, std::tuple<>{}, scalars); });
  if (norm == 1 && !swap)
    return for_reduction<L::mean_t>(
        c, [&]<class R>(R) { return rows_case<triplet_l1<R>>(c, p, triplet_inputs{}, std::tuple<>{}, scalars); });
  throw unsupported("triplet_margin_loss with p " + std::to_string(norm) + (swap ? " and swap" : "") +
                    " (compiled here: p 2, p 2 with swap and mean or sum, p 1 with mean)");
});
registration const triplet_cosine_case("triplet_cosine", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) {
    return rows_case<triplet_cosine<R>>(c, p, triplet_inputs{}, std::tuple<>{},
                                        std::make_tuple(margin = number(c, "margin")));
  });
});
}  // namespace
}  // namespace lossforge::conformance
