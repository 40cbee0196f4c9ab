"""Overlap losses beyond Dice: Tversky and soft IoU (Jaccard), global sums over every element, and the per-class
losses over softmax probabilities and one-hot targets: per-class Dice, generalized Dice, per-class and focal
Tversky (MONAI's GeneralizedDiceLoss and TverskyLoss with batch=True, re-typed)."""
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
    """P = softmax over classes, G = onehot(labels); per class, sums over samples and positions."""
    def fn(x, t):
        p = torch.softmax(x, 1)
        g = torch.nn.functional.one_hot(t, x.shape[1]).movedim(-1, 1).to(x.dtype)
        dims = [0] + list(range(2, x.dim()))
        dice = (2 * (p * g).sum(dims) + s) / ((p * p).sum(dims) + (g * g).sum(dims) + s)
        return 1 - dice.mean()
    return fn


def class_sums(x, t):
    """Per class, sums over samples and positions of P G, P, G, P (1 - G), (1 - P) G."""
    p = torch.softmax(x, 1)
    g = torch.nn.functional.one_hot(t, x.shape[1]).movedim(-1, 1).to(x.dtype)
    dims = [0] + list(range(2, x.dim()))
    return [(a * b).sum(dims) for a, b in [(p, g), (p, 1), (g, 1), (p, 1 - g), (1 - p, g)]]


def generalized_dice(sn, sd):
    """MONAI GeneralizedDiceLoss(softmax=True, to_onehot_y=True, w_type="square", batch=True)."""
    def fn(x, t):
        inter, pred_o, ground_o, _, _ = class_sums(x, t)
        w = 1.0 / (ground_o * ground_o)
        infs = torch.isinf(w)
        w = torch.where(infs, torch.zeros_like(w), w)
        w = w + infs * torch.max(w)
        return 1 - (2 * (inter * w).sum() + sn) / (((pred_o + ground_o) * w).sum() + sd)
    return fn


def focal_tversky(alpha, beta, gamma, s):
    """MONAI TverskyLoss(softmax=True, to_onehot_y=True, batch=True) per class, raised to gamma, mean over classes."""
    def fn(x, t):
        tp, _, _, fp, fn_ = class_sums(x, t)
        return ((1 - (tp + s) / (tp + alpha * fp + beta * fn_ + s)) ** gamma).mean()
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
    for shape, sn, sd in [((2, 3, 4, 4), 1e-5, 1e-5), ((1, 4, 3, 5), 0.0, 0.0), ((3, 2, 2, 3), 1.0, 0.5),
                          ((4, 5, 2, 1), 1e-5, 1e-5)]:
        x, t = inp.randn(*shape, scale=2), inp.randint(0, shape[1], (shape[0], *shape[2:]))
        w.case("generalized_dice", "formula", {"smooth_nr": sn, "smooth_dr": sd},
               [("input", x, True), ("target", t, False)], generalized_dice(sn, sd))
    x = inp.randn(2, 4, 3, 3, scale=2)
    no_class_2 = torch.tensor([[[0, 1, 0], [1, 1, 0], [0, 0, 1]], [[1, 0, 3], [0, 1, 1], [1, 0, 0]]])
    w.case("generalized_dice", "formula", {"smooth_nr": 1e-5, "smooth_dr": 1e-5},
           [("input", x, True), ("target", no_class_2, False)], generalized_dice(1e-5, 1e-5),
           note="class 2 absent: it weighs as the heaviest present class (class 3, one position)")
    for shape, a, b, gamma, s in [((2, 3, 4, 4), 0.3, 0.7, 1.0, 1.0), ((1, 4, 3, 5), 0.5, 0.5, 1.0, 0.0),
                                  ((2, 3, 4, 4), 0.3, 0.7, 0.75, 1e-5), ((3, 2, 2, 3), 0.7, 0.3, 2.0, 1.0),
                                  ((4, 5, 2, 1), 0.3, 0.7, 1.0 / 1.5, 0.5)]:
        x, t = inp.randn(*shape, scale=2), inp.randint(0, shape[1], (shape[0], *shape[2:]))
        loss = "tversky_per_class" if gamma == 1.0 else "focal_tversky"
        params = {"alpha": a, "beta": b, "smooth": s}
        if loss == "focal_tversky":
            params["gamma"] = gamma
        w.case(loss, "formula", params, [("input", x, True), ("target", t, False)], focal_tversky(a, b, gamma, s))
    x = inp.randn(2, 4, 3, 3, scale=2)
    for loss, gamma in [("tversky_per_class", 1.0), ("focal_tversky", 0.75)]:
        params = {"alpha": 0.3, "beta": 0.7, "smooth": 1e-5}
        if loss == "focal_tversky":
            params["gamma"] = gamma
        w.case(loss, "formula", params, [("input", x, True), ("target", no_class_2, False)],
               focal_tversky(0.3, 0.7, gamma, 1e-5), note="class 2 absent: TI_2 = s / (alpha sum P_2 + s)")
