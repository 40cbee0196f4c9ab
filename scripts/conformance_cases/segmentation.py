"""Overlap losses beyond Dice: Tversky and soft IoU (Jaccard), global sums over every element, and per-class Dice
over softmax probabilities and one-hot targets."""
import torch

from conformance_cases.writer import Inputs


def tversky(alpha, beta, s):
    def fn(p, g):
        tp = (p * g).sum()
        fp = (p * (1 - g)).sum()
        fn_ = ((1 - p) * g).sum()
        return 1 - (tp + s) / (tp + alpha * fp + beta * fn_ + s)
    return fn


def soft_iou(s):
    def fn(p, g):
        inter = (p * g).sum()
        return 1 - (inter + s) / (p.sum() + g.sum() - inter + s)
    return fn


def dice_per_class(s):
    """SPEC: P = softmax over classes, G = onehot(labels); per class, sums over samples and positions."""
    def fn(x, t):
        p = torch.softmax(x, 1)
        g = torch.nn.functional.one_hot(t, x.shape[1]).movedim(-1, 1).to(x.dtype)
        dims = [0] + list(range(2, x.dim()))
        dice = (2 * (p * g).sum(dims) + s) / ((p * p).sum(dims) + (g * g).sum(dims) + s)
        return 1 - dice.mean()
    return fn


def generate(w):
    inp = Inputs(20261207)
    for shape, alpha, beta, s in [((2, 1, 4, 4), 0.3, 0.7, 1.0), ((1, 3, 3, 3), 0.3, 0.7, 0.0),
                                  ((2, 2, 3, 3), 0.5, 0.5, 1.0), ((1, 1, 5, 5), 0.7, 0.3, 0.5)]:
        p, g = inp.rand(*shape), inp.mask(*shape)
        w.case("tversky", "formula", {"alpha": alpha, "beta": beta, "smooth": s},
               [("input", p, True), ("target", g, False)], tversky(alpha, beta, s))
    for shape, s in [((2, 1, 4, 4), 1.0), ((1, 3, 3, 3), 0.0), ((2, 2, 3, 3), 0.5)]:
        p, g = inp.rand(*shape), inp.mask(*shape)
        w.case("soft_iou", "formula", {"smooth": s}, [("input", p, True), ("target", g, False)], soft_iou(s))
    z = torch.zeros(1, 1, 2, 2)
    for loss, fn, extra in [("tversky", tversky(0.3, 0.7, 1.0), {"alpha": 0.3, "beta": 0.7}),
                            ("soft_iou", soft_iou(1.0), {})]:
        w.case(loss, "formula", dict(extra, smooth=1.0), [("input", z, True), ("target", z.clone(), False)], fn,
               note="empty prediction and mask with smooth 1: loss 0")
        w.case(loss, "formula", dict(extra, smooth=1.0),
               [("input", z.clone(), True), ("target", torch.ones(1, 1, 2, 2), False)], fn,
               note="empty prediction, full mask: loss 1 - 1/(4 w + 1)")
    for shape, s in [((2, 3, 4, 4), 1.0), ((1, 4, 3, 5), 0.0), ((2, 2, 3, 3), 0.5), ((3, 5, 2, 2), 1e-5)]:
        x, t = inp.randn(*shape, scale=2), inp.randint(0, shape[1], (shape[0], *shape[2:]))
        w.case("dice_per_class", "formula", {"smooth": s}, [("input", x, True), ("target", t, False)],
               dice_per_class(s))
    x = inp.randn(2, 4, 3, 3, scale=2)
    t = torch.tensor([[[0, 1, 0], [1, 1, 0], [0, 0, 1]], [[1, 0, 0], [0, 1, 1], [1, 0, 0]]])
    for s in [1.0, 0.0]:
        w.case("dice_per_class", "formula", {"smooth": s}, [("input", x, True), ("target", t, False)],
               dice_per_class(s), note="classes 2 and 3 absent from the targets: dice_c = s / (sum P_c^2 + s)")
