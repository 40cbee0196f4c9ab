"""Box regression losses over [N, 4] boxes (x1, y1, x2, y2): IoU (the documented formula on torchvision's intersection
and union), generalized, distance and complete IoU (torchvision.ops' own functions). Needs Debian's python3-torchvision
(0.14, whose formulas the catalogue follows)."""
import torch
from torchvision.ops import complete_box_iou_loss, distance_box_iou_loss, generalized_box_iou_loss
from torchvision.ops._utils import _loss_inter_union

from conformance_cases.writer import Inputs

EPS = 1e-7
IOU = "formula on torchvision.ops._utils._loss_inter_union"
LOSSES = {
    "box_iou_loss": IOU,
    "giou_loss": "torchvision.ops.generalized_box_iou_loss",
    "diou_loss": "torchvision.ops.distance_box_iou_loss",
    "ciou_loss": "torchvision.ops.complete_box_iou_loss (eps in every term)",
}


def box_iou_loss(b, g, reduction, eps):
    inter, union = _loss_inter_union(b, g)
    loss = 1 - inter / (union + eps)
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


def ciou_loss(b, g, reduction, eps):
    """complete_box_iou_loss with eps in every term: torchvision 0.14 passes eps only to its alpha (the DIoU part keeps
    1e-7), which lossforge does not copy. The two agree at the default eps."""
    if eps == EPS:
        return complete_box_iou_loss(b, g, reduction=reduction, eps=eps)
    inter, union = _loss_inter_union(b, g)
    iou = inter / (union + eps)
    w_pred, h_pred = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    w_gt, h_gt = g[:, 2] - g[:, 0], g[:, 3] - g[:, 1]
    v = (4 / (torch.pi ** 2)) * torch.pow(torch.atan(w_gt / h_gt) - torch.atan(w_pred / h_pred), 2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    loss = distance_box_iou_loss(b, g, reduction="none", eps=eps) + alpha * v
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


FUNCTIONS = {
    "box_iou_loss": box_iou_loss,
    "giou_loss": lambda b, g, red, eps: generalized_box_iou_loss(b, g, reduction=red, eps=eps),
    "diou_loss": lambda b, g, red, eps: distance_box_iou_loss(b, g, reduction=red, eps=eps),
    "ciou_loss": ciou_loss,
}


def generate(w):
    inp = Inputs(20261206)

    def boxes(n):
        corner = inp.rand(n, 2, lo=0.0, hi=4.0)
        size = inp.rand(n, 2, lo=0.5, hi=3.0)
        return torch.cat([corner, corner + size], dim=1)

    def case(loss, b, g, red, eps=EPS, **extra):
        w.case(loss, LOSSES[loss], {"eps": eps, "reduction": red}, [("pred", b.clone(), True), ("target", g, False)],
               lambda p, t: FUNCTIONS[loss](p, t, red, eps), **extra)

    for red in ["mean", "sum", "none"]:
        b = boxes(6)
        g = b + inp.randn(6, 4, scale=0.6)  # mostly overlapping, a few apart
        g[:, 2:] = torch.max(g[:, 2:], g[:, :2] + 0.1)
        for loss in LOSSES:
            case(loss, b, g, red)
    b, g = boxes(5), boxes(5)
    for loss in LOSSES:
        case(loss, b, g, "mean", eps=1e-3, note="eps 1e-3")
    # Disjoint, nested, touching and degenerate boxes; the last row is exactly the target (min/max ties).
    b = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0],
                      [0.5, 1.5, 2.5, 3.0]])
    g = torch.tensor([[2.0, 2.0, 3.0, 3.0], [1.0, 1.0, 2.0, 2.0], [1.0, 0.0, 2.0, 1.0], [1.0, 1.0, 1.0, 1.0],
                      [0.5, 1.5, 2.5, 3.0]])
    note = ("disjoint (no gradient through the intersection), nested, touching edges, empty box pair (loss 1), "
            "pred == target (ties of min/max split the gradient)")
    for loss in LOSSES:
        if loss == "ciou_loss":  # an empty box has no aspect ratio (atan(0 / 0) is NaN): CIoU skips that row
            keep = [0, 1, 2, 4]
            case(loss, b[keep], g[keep], "none", flags=["kink"], note=note.replace(", empty box pair (loss 1)", ""))
        else:
            case(loss, b, g, "none", flags=["kink"], note=note)
    # Flat and thin targets (height 0, width 0): the target's aspect ratio is +-inf, its atan +-pi/2, and the
    # prediction's gradient stays finite (the target is a constant).
    b = torch.tensor([[0.2, 0.1, 1.4, 1.2], [0.5, 0.5, 2.0, 1.5]])
    g = torch.tensor([[0.0, 0.5, 1.0, 0.5], [1.0, 0.0, 1.0, 2.0]])
    for loss in LOSSES:
        case(loss, b, g, "none", note="a target of height 0 and one of width 0")
