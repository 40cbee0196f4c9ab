"""CTC: torch.nn.functional.ctc_loss on log_softmax(logits, 2), padded targets [N, S], the three reductions, blank
first and last, repeated labels that need blanks between them, empty targets, frames past an input length, and
infeasible targets under zero_infinity."""
import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs


def ctc(blank, reduction, zero_infinity):
    def fn(logits, targets, input_lengths, target_lengths):
        return F.ctc_loss(F.log_softmax(logits, 2), targets, input_lengths, target_lengths, blank=blank,
                          reduction=reduction, zero_infinity=zero_infinity)
    return fn


def case(w, logits, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False,
         note=None):
    w.case("ctc_loss", "torch.nn.functional.ctc_loss",
           {"blank": blank, "reduction": reduction, "zero_infinity": zero_infinity},
           [("logits", logits, True), ("targets", targets, False), ("input_lengths", input_lengths, False),
            ("target_lengths", target_lengths, False)],
           ctc(blank, reduction, zero_infinity), note=note)


def labels(inp, n, s, classes, blank):
    t = inp.randint(1, classes, (n, s))
    return torch.where(t <= blank, t - 1, t) if blank != 0 else t  # labels are the classes other than the blank


def generate(w):
    inp = Inputs(20261205)
    lengths = torch.tensor
    for reduction in ["mean", "sum", "none"]:
        case(w, inp.randn(12, 3, 5, scale=2), labels(inp, 3, 4, 5, 0), lengths([12, 9, 12]), lengths([4, 2, 3]),
             reduction=reduction)
    case(w, inp.randn(10, 2, 6, scale=2), labels(inp, 2, 3, 6, 5), lengths([10, 7]), lengths([3, 3]), blank=5,
         note="blank is the last class")
    case(w, inp.randn(3, 1, 3), lengths([[1, 1]]), lengths([3]), lengths([2]),
         note="a repeated label needs a blank between: T = 3 has exactly one path")
    case(w, inp.randn(8, 2, 4), lengths([[2, 2, 3], [1, 3, 3]]), lengths([8, 8]), lengths([3, 2]), reduction="sum",
         note="repeats and padding")
    case(w, inp.randn(6, 3, 4), labels(inp, 3, 3, 4, 0), lengths([6, 6, 4]), lengths([0, 3, 0]), reduction="none",
         note="empty targets: -sum_t log p_t(blank)")
    padded = inp.randn(9, 2, 5)
    padded[5:, 0] = 1e30
    case(w, padded, labels(inp, 2, 2, 5, 0), lengths([5, 9]), lengths([2, 2]),
         note="frames past input_lengths hold 1e30: ignored, gradient 0")
    for reduction in ["mean", "sum", "none"]:
        case(w, inp.randn(4, 3, 5), lengths([[1, 2, 3, 4, 1], [1, 1, 1, 0, 0], [2, 3, 0, 0, 0]]), lengths([4, 4, 4]),
             lengths([5, 3, 2]), reduction=reduction, zero_infinity=True,
             note="targets longer than their inputs (5 labels, and 3 repeats needing 5 frames, in 4): zero_infinity")
    case(w, inp.randn(1, 2, 3), lengths([[1], [2]]), lengths([1, 1]), lengths([1, 0]), reduction="sum",
         note="one frame")
