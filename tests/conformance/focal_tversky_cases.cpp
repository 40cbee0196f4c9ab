// Conformance handler for focal_tversky over logits [N, C, H, W] and class indices [N, H, W].
#include <tests/conformance/per_class.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
using namespace per_class;

constexpr auto focal_tversky = L::focal_tversky(logits, labels, alpha, beta, gamma, smooth);

registration const focal_tversky_case("focal_tversky", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return run_case<focal_tversky, T>(c, alpha = number(c, "alpha"), beta = number(c, "beta"),
                                      gamma = number(c, "gamma"), smooth = number(c, "smooth"));
  });
});

}  // namespace
}  // namespace lossforge::conformance
