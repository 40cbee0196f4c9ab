// Conformance handler: ctc_loss (the Kokkos backend's CTC kernel; the serial executor has none).
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {

registration const ctc_case("ctc_loss", [](case_data const& c, precision p) {
#if defined(LOSSFORGE_WITH_KOKKOS)
  if (backend_under_test() == backend_choice::kokkos)
    return in_precision(p, false, [&]<class T>() {
      auto const logits = make_view<T, 3>(c.inputs.at("logits"), "logits");
      auto const targets = make_view<std::int64_t, 2>(c.inputs.at("targets"), "targets");
      auto const input_lengths = make_view<std::int64_t, 1>(c.inputs.at("input_lengths"), "input_lengths");
      auto const target_lengths = make_view<std::int64_t, 1>(c.inputs.at("target_lengths"), "target_lengths");
      auto const grad = gradient_for<T, 3>(c, "logits");
      // PyTorch's defaults where a case leaves a parameter out: blank 0, no zero_infinity.
      kokkos::ctc_options const options{.blank = c.params.value("blank", 0),
                                        .zero_infinity = c.params.value("zero_infinity", false)};
      Kokkos::DefaultHostExecutionSpace const exec;
      computed out;
      std::string const reduction = reduction_of(c);
      if (reduction == "none") {
        view_t<T, 1> const per_sample("per_sample", std::size_t(c.inputs.at("input_lengths").size()));
        kokkos::ctc_loss(exec, logits, targets, input_lengths, target_lengths, grad.second, per_sample, losses::none,
                         options);
        out.loss = flatten(per_sample);
      } else if (reduction == "sum") {
        out.loss = {
            kokkos::ctc_loss(exec, logits, targets, input_lengths, target_lengths, grad.second, losses::sum, options)};
      } else {
        out.loss = {
            kokkos::ctc_loss(exec, logits, targets, input_lengths, target_lengths, grad.second, losses::mean, options)};
      }
      out.grads[grad.first] = flatten(grad.second);
      return out;
    });
#endif
  (void)c, (void)p;
  throw unsupported("ctc_loss runs on the Kokkos backend (a kernel of its own, not a planned expression)");
});

}  // namespace
}  // namespace lossforge::conformance
