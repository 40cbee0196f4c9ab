// Printing: readable infix text and LaTeX for expressions and their derivatives. The expected strings are the
// format's specification, each checked by hand against the mathematics it spells.
#include <catch2/catch_test_macros.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/symbols.hpp>

namespace lf = lossforge;
using namespace lf::test::symbols;
using namespace lf::literals;

TEST_CASE("text: tensors, indices, gathers and reductions", "[print]") {
  CHECK(lf::to_text(p * g) == "p * g");
  CHECK(lf::to_text(lf::sum(p * g)) == "sum(p * g)");
  CHECK(lf::to_text(x(i, t(i))) == "x[i,t[i]]");
  CHECK(lf::to_text(cross_entropy) == "mean_i(logsumexp_c(x[i,c]) - x[i,t[i]])");
  CHECK(lf::to_text(lf::where(p > 0.5, lf::c<1, 2> * p, -g)) == "where(p > 0.5, 1/2 * p, -g)");
  CHECK(lf::to_text(w * (p + g)) == "w * (p + g)");
  CHECK(lf::to_text(lf::pow<3>(p - g)) == "(p - g)^3");
}

TEST_CASE("text: simplified sums print subtraction, derivatives print their indices", "[print]") {
  CHECK(lf::to_text(lf::simplify(p - 2_c * g + 3_c * p)) == "-2 * g + 4 * p");
  CHECK(lf::to_text(lf::grad(lf::mean(lf::square(p - g)), p)) == "2 * (p - g) / N");
  // d CE / d x[i,c] = (softmax(x)[i,c] - [t[i] = c]) / N_i
  CHECK(lf::to_text(lf::grad(cross_entropy, x)) == "exp(x[i,c] - logsumexp_c(x[i,c])) / N_i - (t[i] == c) / N_i");
}

TEST_CASE("LaTeX", "[print]") {
  CHECK(lf::to_latex(x(i, c)) == "x_{i,c}");
  CHECK(lf::to_latex(p / g) == "\\frac{p}{g}");
  CHECK(lf::to_latex(lf::sqrt(p)) == "\\sqrt{p}");
  CHECK(lf::to_latex(lf::sigmoid(p)) == "\\sigma\\left(p\\right)");
  CHECK(lf::to_latex(lf::sum(c, x(i, c))) == "\\sum_{c} x_{i,c}");
  CHECK(lf::to_latex(lf::grad(cross_entropy, x)) ==
        "\\frac{\\exp\\left(x_{i,c} - \\operatorname{LSE}_{c} x_{i,c}\\right)}{N_{i}} - \\frac{\\left[t_{i} = "
        "c\\right]}{N_{i}}");
}
