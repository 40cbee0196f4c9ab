#pragma once
// The node kinds of an expression tree and the one traversal of them that every type-level pass uses. A pass is a
// visitor with one case per kind; fold_t<Visitor, E> applies it bottom-up, giving each case the node and what its
// children gave. The traversal names every kind, so a visitor without a case for one fails to compile, and so does
// a type that is no kind: a new kind is added here and then in every pass, never skipped by a silent default.
//
//   struct visitor {
//     template <class I> using on_index = ...;                  // an index used as a value or a slot
//     template <class N> using on_number = ...;                 // constant<N, D> or literal<Id>
//     template <class S> using on_scalar = ...;                 // scalar<Name>
//     template <class E, class I> using on_along = ...;         // a leaf that depends on index I alone: extent<I>
//                                                                // and ones<I> (constant along it), lanes a
//                                                                // backend stored along I
//     template <class A> using on_witness = ...;                // witness<A>: 1, with the shape of access A
//     template <class E, class S, class... Slots> using on_access = ...;  // Slots: the slots' results
//     template <class E, class... Args> using on_node = ...;    // Args: the children's results
//     template <class E, class I, class Body> using on_reduce = ...;      // I: the reduced index
//   };
#include <cstdint>

#include <lossforge/dsl/expr.hpp>

namespace lossforge::detail {

template <class Visitor, class E>
struct fold {
  static_assert(Index<E>,
                "lossforge: a type in this expression tree is no node kind that lossforge's traversal knows "
                "(an index, a number, a scalar, an extent or ones, a witness, an access, an op node, a reduction)");
  using type = typename Visitor::template on_index<E>;
};
template <class Visitor, class E>
using fold_t = typename fold<Visitor, E>::type;

template <class Visitor, std::intmax_t N, std::intmax_t D>
struct fold<Visitor, constant<N, D>> {
  using type = typename Visitor::template on_number<constant<N, D>>;
};
template <class Visitor, class Id>
struct fold<Visitor, literal<Id>> {
  using type = typename Visitor::template on_number<literal<Id>>;
};
template <class Visitor, fixed_string Name>
struct fold<Visitor, scalar<Name>> {
  using type = typename Visitor::template on_scalar<scalar<Name>>;
};
template <class Visitor, class I>
struct fold<Visitor, extent<I>> {
  using type = typename Visitor::template on_along<extent<I>, I>;
};
template <class Visitor, class I>
struct fold<Visitor, ones<I>> {
  using type = typename Visitor::template on_along<ones<I>, I>;
};
template <class Visitor, class A>
struct fold<Visitor, witness<A>> {
  using type = typename Visitor::template on_witness<A>;
};
template <class Visitor, class S, class... Sl>
struct fold<Visitor, access<S, Sl...>> {
  using type = typename Visitor::template on_access<access<S, Sl...>, S, fold_t<Visitor, Sl>...>;
};
template <class Visitor, class Op, class... A>
struct fold<Visitor, node<Op, A...>> {
  using type = typename Visitor::template on_node<node<Op, A...>, fold_t<Visitor, A>...>;
};
template <class Visitor, class Op, class I, class B>
struct fold<Visitor, reduce<Op, I, B>> {
  using type = typename Visitor::template on_reduce<reduce<Op, I, B>, I, fold_t<Visitor, B>>;
};

// The kind of E, for passes over values (evaluators, cost models) that branch with if constexpr: their last branch
// static_asserts that it handled every kind.
enum class node_kind { index, number, scalar, along, witness, access, node, reduce };
struct kind_visitor {
  template <node_kind K>
  using is = std::integral_constant<node_kind, K>;
  template <class I>
  using on_index = is<node_kind::index>;
  template <class N>
  using on_number = is<node_kind::number>;
  template <class S>
  using on_scalar = is<node_kind::scalar>;
  template <class E, class I>
  using on_along = is<node_kind::along>;
  template <class A>
  using on_witness = is<node_kind::witness>;
  template <class E, class S, class... Slots>
  using on_access = is<node_kind::access>;
  template <class E, class... Args>
  using on_node = is<node_kind::node>;
  template <class E, class I, class Body>
  using on_reduce = is<node_kind::reduce>;
};
template <class E>
inline constexpr node_kind kind_v = fold_t<kind_visitor, E>::value;
// Whether E has no children that passes descend into (a witness's access is a shape, not a child).
template <class E>
inline constexpr bool is_leaf_v =
    kind_v<E> != node_kind::access && kind_v<E> != node_kind::node && kind_v<E> != node_kind::reduce;

}  // namespace lossforge::detail
