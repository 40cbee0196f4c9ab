#pragma once
// Printing: to_text(e) gives readable infix ("sum(p * g)", "x[i,t[i]]"), to_latex(e) LaTeX. One printer serves
// both; each op's spelling is one entry of op_spelling. Sums print a - b for a + (-1) * b.
#include <charconv>
#include <string>

#include <lossforge/simplify/canonical.hpp>

namespace lossforge {
namespace print {

enum class style { text, latex };

// Binding strength, loosest first; a child weaker than its context is parenthesised.
enum precedence : int { comparison = 0, sum = 1, product = 2, unary = 3, power = 4, atom = 5 };

struct printed {
  std::string s;
  int strength;
};

// How an elementwise function prints: its text name and LaTeX operator.
template <class Op>
struct op_spelling;
#define LOSSFORGE_SPELLING(tag, text_name, latex_name) \
  template <>                                          \
  struct op_spelling<ops::tag> {                       \
    static constexpr char const* text = text_name;     \
    static constexpr char const* latex = latex_name;   \
  };
LOSSFORGE_SPELLING(log, "log", "\\log")
LOSSFORGE_SPELLING(log1p, "log1p", "\\operatorname{log1p}")
LOSSFORGE_SPELLING(exp, "exp", "\\exp")
LOSSFORGE_SPELLING(expm1, "expm1", "\\operatorname{expm1}")
LOSSFORGE_SPELLING(sqrt, "sqrt", "\\sqrt")
LOSSFORGE_SPELLING(tanh, "tanh", "\\tanh")
LOSSFORGE_SPELLING(sigmoid, "sigmoid", "\\sigma")
LOSSFORGE_SPELLING(softplus, "softplus", "\\operatorname{softplus}")
LOSSFORGE_SPELLING(log_sigmoid, "log_sigmoid", "\\log\\sigma")
LOSSFORGE_SPELLING(abs, "abs", "\\operatorname{abs}")
LOSSFORGE_SPELLING(sign, "sign", "\\operatorname{sign}")
LOSSFORGE_SPELLING(relu, "relu", "\\operatorname{relu}")
LOSSFORGE_SPELLING(min, "min", "\\min")
LOSSFORGE_SPELLING(max, "max", "\\max")
LOSSFORGE_SPELLING(clamp, "clamp", "\\operatorname{clamp}")
LOSSFORGE_SPELLING(bce, "bce", "\\operatorname{bce}")
LOSSFORGE_SPELLING(bce_with_logits, "bce_with_logits", "\\operatorname{bce}_{\\text{logits}}")
LOSSFORGE_SPELLING(pow, "pow", "\\operatorname{pow}")
LOSSFORGE_SPELLING(select, "where", "\\operatorname{where}")
LOSSFORGE_SPELLING(less, "<", "<")
LOSSFORGE_SPELLING(less_equal, "<=", "\\le")
LOSSFORGE_SPELLING(greater, ">", ">")
LOSSFORGE_SPELLING(greater_equal, ">=", "\\ge")
LOSSFORGE_SPELLING(equal, "==", "=")
LOSSFORGE_SPELLING(not_equal, "!=", "\\ne")
#undef LOSSFORGE_SPELLING

template <class Op>
inline constexpr bool is_comparison_v =
    std::is_same_v<Op, ops::less> || std::is_same_v<Op, ops::less_equal> || std::is_same_v<Op, ops::greater> ||
    std::is_same_v<Op, ops::greater_equal> || std::is_same_v<Op, ops::equal> || std::is_same_v<Op, ops::not_equal>;

inline std::string number(double v) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, end);
}

template <style S>
std::string group(printed const& p, int context) {
  if (p.strength >= context) return p.s;
  return S == style::latex ? "\\left(" + p.s + "\\right)" : "(" + p.s + ")";
}

// ---- indices ---------------------------------------------------------------------------------------------------
template <class I>
std::string index_name() {
  if constexpr (std::is_same_v<I, flat_index>)
    return "";
  else if constexpr (requires { detail::index_name<I>::value; })
    return std::string(detail::index_name<I>::value.str());
  else if constexpr (detail::is_window_position_v<I>)
    return "(" + index_name<typename I::base>() + " - " + index_name<typename I::offset>() +
           (I::padded ? " + (N_" + index_name<typename I::offset>() + " - 1) / 2)" : ")");
  else if constexpr (detail::is_window_sum_position_v<I>)
    return "(" + index_name<typename I::position>() + " + " + index_name<typename I::offset>() + ")";
  else if constexpr (detail::is_padded_window_v<I>)
    return "zero_padded(" + index_name<typename I::position>() + " + " + index_name<typename I::offset>() + ")";
  else if constexpr (requires { typename I::original; })  // a buffer's index, named as the one it stands for
    return index_name<typename I::original>();
  else if constexpr (requires { I::display_name; })  // an index the planner made (a kernel's row)
    return std::string(I::display_name);
  else
    return [&]<class X, int P, int D, fixed_string N>(std::type_identity<gradient_index<X, P, D, N>>) {
      std::string name = P == flat_position ? "k" : std::string(N.str());
      return name + std::string(std::size_t(D > 1 ? D - 1 : 0), '\'');
    }(std::type_identity<I>{});
}

template <style S, class E>
printed to_printed(E const& e);

template <style S, class... Slots, class Sym>
printed print_access(access<Sym, Slots...> const& a) {
  std::string name(Sym::name.str());
  if constexpr (sizeof...(Slots) == 1 && (detail::is_flat_slot_v<Slots> && ...)) return {name, atom};
  std::string inside;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((inside += (K ? "," : "") +
                [&]<class Slot>(Slot const& s) {
                  if constexpr (Index<Slot>)
                    return index_name<Slot>();
                  else
                    return to_printed<S>(s).s;
                }(get<K>(a.slots))),
     ...);
  }
  (std::index_sequence_for<Slots...>{});
  return {S == style::latex ? name + "_{" + inside + "}" : name + "[" + inside + "]", atom};
}

template <style S, class... Ts>
printed print_sum(detail::tuple<Ts...> const& ts) {
  std::string out;
  bool first = true;
  detail::apply(
      [&](auto const&... t) {
        (
            [&]<class T>(T const& term) {
              auto split = detail::split(term);
              using coefficient = decltype(split.coefficient);
              if constexpr (!std::is_same_v<decltype(split.rest), detail::unit>) {
                double const k = detail::value_of(split.coefficient);
                if (k < 0) {
                  std::string body;
                  if (k == -1)
                    body = group<S>(to_printed<S>(split.rest), product);
                  else if constexpr (Constant<coefficient>)
                    body = to_printed<S>(detail::product_of(detail::multiply_numbers(c<-1>, coefficient{}),
                                                            detail::make_tuple(split.rest)))
                               .s;
                  else
                    body =
                        to_printed<S>(detail::product_of(literal<numbered<0>>{-k}, detail::make_tuple(split.rest))).s;
                  out += (first ? "-" : " - ") + body;
                  first = false;
                  return;
                }
              }
              out += (first ? "" : " + ") + group<S>(to_printed<S>(term), sum);
              first = false;
            }(t),
            ...);
      },
      ts);
  return {out, sum};
}

template <style S, class Op, class... A>
printed print_node(node<Op, A...> const& n) {
  auto child = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) { return to_printed<S>(get<K>(n.args)); };
  constexpr bool latex = S == style::latex;
  if constexpr (std::is_same_v<Op, ops::add> || std::is_same_v<Op, ops::sub>) {
    if constexpr (std::is_same_v<Op, ops::add>)
      return print_sum<S>(detail::terms(n));
    else
      return {child(std::integral_constant<std::size_t, 0>{}).s + " - " +
                  group<S>(child(std::integral_constant<std::size_t, 1>{}), product),
              sum};
  } else if constexpr (std::is_same_v<Op, ops::mul>) {
    auto l = child(std::integral_constant<std::size_t, 0>{});
    auto r = child(std::integral_constant<std::size_t, 1>{});
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(arg<0>(n))>, constant<-1>>)
      return {"-" + group<S>(r, power), unary};
    else
      return {group<S>(l, product) + (latex ? " \\cdot " : " * ") + group<S>(r, product), product};
  } else if constexpr (std::is_same_v<Op, ops::div>) {
    auto l = child(std::integral_constant<std::size_t, 0>{});
    auto r = child(std::integral_constant<std::size_t, 1>{});
    if constexpr (latex)
      return {"\\frac{" + l.s + "}{" + r.s + "}", atom};
    else
      return {group<S>(l, product) + " / " + group<S>(r, unary), product};
  } else if constexpr (std::is_same_v<Op, ops::neg>) {
    return {"-" + group<S>(child(std::integral_constant<std::size_t, 0>{}), power), unary};
  } else if constexpr (std::is_same_v<Op, ops::square>) {
    return {group<S>(child(std::integral_constant<std::size_t, 0>{}), atom) + (latex ? "^{2}" : "^2"), power};
  } else if constexpr (requires { Op::exponent; }) {
    return {group<S>(child(std::integral_constant<std::size_t, 0>{}), atom) + (latex ? "^{" : "^") +
                std::to_string(Op::exponent) + (latex ? "}" : ""),
            power};
  } else if constexpr (is_comparison_v<Op>) {
    std::string s = group<S>(child(std::integral_constant<std::size_t, 0>{}), sum) + " " +
                    (latex ? op_spelling<Op>::latex : op_spelling<Op>::text) + " " +
                    group<S>(child(std::integral_constant<std::size_t, 1>{}), sum);
    // LaTeX shows a comparison used as a number as an Iverson bracket.
    if constexpr (latex)
      return {"\\left[" + s + "\\right]", atom};
    else
      return {s, comparison};
  } else if constexpr (ops::is_in_range_v<Op>) {  // a parameter prints as what it is bound to
    return child(std::integral_constant<std::size_t, 0>{});
  } else if constexpr (std::is_same_v<Op, ops::sqrt> && latex) {
    return {"\\sqrt{" + child(std::integral_constant<std::size_t, 0>{}).s + "}", atom};
  } else {
    std::string args;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((args += (K ? ", " : "") + child(std::integral_constant<std::size_t, K>{}).s), ...);
    }
    (std::index_sequence_for<A...>{});
    return latex ? printed{std::string(op_spelling<Op>::latex) + "\\left(" + args + "\\right)", atom}
                 : printed{std::string(op_spelling<Op>::text) + "(" + args + ")", atom};
  }
}

template <style S, class E>
printed to_printed(E const& e) {
  constexpr bool latex = S == style::latex;
  if constexpr (Constant<E>) {
    return [&]<std::intmax_t N, std::intmax_t D>(constant<N, D>) -> printed {
      if constexpr (D == 1)
        return {std::to_string(N), N < 0 ? unary : atom};
      else if constexpr (latex)
        return {(N < 0 ? "-" : "") + std::string("\\frac{") + std::to_string(N < 0 ? -N : N) + "}{" +
                    std::to_string(D) + "}",
                N < 0 ? unary : atom};
      else
        return {std::to_string(N) + "/" + std::to_string(D), product};
    }(e);
  } else if constexpr (detail::is_literal_v<E>) {
    return {number(e.value), e.value < 0 ? unary : atom};
  } else if constexpr (Index<E>) {
    std::string name = index_name<E>();
    return {name.empty() ? (latex ? "k" : "_") : name, atom};
  } else if constexpr (detail::is_extent_v<E>) {
    return [&]<class I>(extent<I>) -> printed {
      if constexpr (detail::is_flat_slot_v<I>) return {"N", atom};
      std::string name = index_name<I>();
      return {latex ? "N_{" + name + "}" : "N_" + name, atom};
    }(e);
  } else if constexpr (detail::is_ones_v<E> || detail::is_witness_v<E>) {
    return {latex ? "\\mathbb{1}" : "1", atom};
  } else if constexpr (detail::is_access_v<E>) {
    return print_access<S>(e);
  } else if constexpr (detail::is_node_v<E>) {
    return print_node<S>(e);
  } else if constexpr (detail::is_reduce_v<E>) {
    return [&]<class Op, class I, class B>(reduce<Op, I, B> const& r) -> printed {
      std::string i = index_name<I>();
      auto body = to_printed<S>(r.body);
      if constexpr (latex) {
        std::string head = std::string(Op::latex) + (i.empty() ? "" : "_{" + i + "}");
        return {head + " " + group<S>(body, product + 1), product};
      } else {
        return {std::string(Op::text) + (i.empty() ? "" : "_" + i) + "(" + body.s + ")", atom};
      }
    }(e);
  } else {
    return {std::string(E::name.str()), atom};  // scalar symbol
  }
}

}  // namespace print

// Readable infix text of any expression, its derivatives included.
template <Operand E>
std::string to_text(E const& e) {
  return print::to_printed<print::style::text>(as_expression(e)).s;
}
// LaTeX of any expression.
template <Operand E>
std::string to_latex(E const& e) {
  return print::to_printed<print::style::latex>(as_expression(e)).s;
}

}  // namespace lossforge
