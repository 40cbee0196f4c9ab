// A type-level pass that forgets a node kind: the traversal names every kind, so a visitor without a case for the
// witness nodes that simplification leaves (sum(i, p(i) - p(i) + x) keeps p's extent in one) does not compile.
#include <lossforge/lossforge.hpp>
#include <type_traits>
namespace lf = lossforge;
constexpr lf::tensor<"p", 1> p;
constexpr lf::scalar<"x"> x;
constexpr lf::index<"i"> i;

struct counts_leaves {
  template <int N>
  using count = std::integral_constant<int, N>;
  template <class I>
  using on_index = count<1>;
  template <class N>
  using on_number = count<1>;
  template <class S>
  using on_scalar = count<1>;
  template <class E, class I>
  using on_along = count<1>;
#ifndef LOSSFORGE_SHOULD_FAIL
  template <class A>
  using on_witness = count<1>;
#endif
  template <class E, class S, class... Slots>
  using on_access = count<(Slots::value + ... + 0)>;
  template <class E, class... Args>
  using on_node = count<(Args::value + ... + 0)>;
  template <class E, class I, class Body>
  using on_reduce = Body;
};

using simplified = std::remove_cvref_t<decltype(lf::simplify(lf::sum(i, p(i) - p(i) + x)))>;
int main() { return lf::detail::fold_t<counts_leaves, simplified>::value > 0 ? 0 : 1; }
