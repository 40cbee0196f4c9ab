// Conformance handler for generalized_dice over logits [N, C, H, W] and class indices [N, H, W].
#include <tests/conformance/per_class.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
using namespace per_class;

constexpr auto generalized_dice = L::generalized_dice(logits, labels, smooth_numerator, smooth_denominator);

registration const generalized_dice_case("generalized_dice", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return run_case<generalized_dice, T>(c, smooth_numerator = number(c, "smooth_nr"),
                                         smooth_denominator = number(c, "smooth_dr"));
  });
});

}  // namespace
}  // namespace lossforge::conformance
