#!/usr/bin/python3
"""PyTorch eager timings beside lossforge_bench_catalogue: kl_div (batchmean) over [4096, 1000], triplet_margin_loss
over [65536, 128], DPO from per-token log-probabilities and masks over [4096, 512], torchvision's
generalized_box_iou_loss over 2^20 boxes and the nine GAN losses over batches of 2^20 logits; value and gradient
(backward after zeroing the gradients) in double, median of R runs after a warm-up, one thread. Writes
"name,seconds" lines, which lossforge_bench_catalogue --pytorch FILE prints beside its own times. Needs Debian's
python3-torch and python3-torchvision.

    /usr/bin/python3 scripts/bench_catalogue_pytorch.py [--quick] [--repetitions R] [--threads N] [--csv FILE]
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torchvision.ops import generalized_box_iou_loss


def median_seconds(run, repetitions):
    run()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def step(loss, inputs):
    def run():
        for x in inputs:
            x.grad = None
        loss().backward()
    return run


def dpo(pw, pl, rw, rl, mw, ml, beta=0.1):
    w = ((pw - rw) * mw).sum(1)
    l = ((pl - rl) * ml).sum(1)
    return -F.logsigmoid(beta * (w - l)).mean()


def gan_group(r, f):
    losses = [
        F.softplus(-r).mean() + F.softplus(f).mean(),                 # gan_d_bce
        F.softplus(-f).mean(),                                        # gan_g_nonsaturating
        -F.softplus(f).mean(),                                        # gan_g_minimax
        f.mean() - r.mean(),                                          # wgan_critic
        -f.mean(),                                                    # wgan_generator
        0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(),          # lsgan_d
        0.5 * ((f - 1) ** 2).mean(),                                  # lsgan_g
        F.relu(1 - r).mean() + F.relu(1 + f).mean(),                  # hinge_gan_d
        -f.mean(),                                                    # hinge_gan_g
    ]
    for loss in losses:  # one backward per loss, as one kernel per loss
        r.grad = None
        f.grad = None
        loss.backward()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--csv", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_default_dtype(torch.float64)
    g = torch.Generator().manual_seed(11)
    shrink = 16 if args.quick else 1
    times = {}

    n, c = 4096 // shrink, 1000
    x = torch.log_softmax(torch.randn(n, c, generator=g), 1).requires_grad_()
    t = torch.softmax(torch.randn(n, c, generator=g), 1)
    times["kl_div"] = median_seconds(step(lambda: F.kl_div(x, t, reduction="batchmean"), [x]), args.repetitions)

    n, d = 65536 // shrink, 128
    a = torch.randn(n, d, generator=g).requires_grad_()
    p = (a.detach() + 0.1 * torch.randn(n, d, generator=g)).requires_grad_()
    ng = (0.1 * torch.randn(n, d, generator=g)).requires_grad_()
    times["triplet"] = median_seconds(step(lambda: F.triplet_margin_loss(a, p, ng), [a, p, ng]), args.repetitions)

    b, tokens = 4096 // shrink, 512
    pw = (-5 * torch.rand(b, tokens, generator=g)).requires_grad_()
    pl = (-5 * torch.rand(b, tokens, generator=g)).requires_grad_()
    rw, rl = pw.detach() + 0.05 * torch.randn(b, tokens, generator=g), pl.detach() + 0.05 * torch.randn(b, tokens, generator=g)
    positions = torch.arange(tokens)
    mw = (positions < torch.randint(1, tokens, (b, 1), generator=g)).double()
    ml = (positions < torch.randint(1, tokens, (b, 1), generator=g)).double()
    times["DPO"] = median_seconds(step(lambda: dpo(pw, pl, rw, rl, mw, ml), [pw, pl]), args.repetitions)

    n = (1 << 20) // shrink
    corner = 100 * torch.rand(n, 2, generator=g)
    target = torch.cat([corner, corner + 1 + 20 * torch.rand(n, 2, generator=g)], 1)
    boxes = target + 5 * torch.randn(n, 4, generator=g)
    boxes[:, 2:] = torch.maximum(boxes[:, 2:], boxes[:, :2] + 0.5)
    boxes.requires_grad_()
    times["GIoU"] = median_seconds(step(lambda: generalized_box_iou_loss(boxes, target, reduction="mean"), [boxes]),
                                   args.repetitions)

    r = (2 + 2 * torch.randn(n, generator=g)).requires_grad_()
    f = (-1 + 2 * torch.randn(n, generator=g)).requires_grad_()
    times["GAN x9"] = median_seconds(lambda: gan_group(r, f), args.repetitions)

    out = open(args.csv, "w") if args.csv else sys.stdout
    for name, seconds in times.items():
        print(f"{name},{seconds:.6f}", file=out)


if __name__ == "__main__":
    main()
