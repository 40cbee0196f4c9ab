#!/usr/bin/python3
"""PyTorch eager reference timings for lossforge_bench: the same losses, sizes and precisions, forward and backward
(loss.backward() after zeroing the gradient), median of R runs after a warm-up, at a fixed thread count.

Needs Debian's python3-torch (run with /usr/bin/python3). Writes pytorch_bench.csv (loss, precision, elements,
seconds), which scripts/plot_bench.gp puts beside lossforge's CSV.

    /usr/bin/python3 scripts/bench_pytorch.py [--quick] [--sizes L,L...] [--threads N] [--csv FILE] [--repetitions R]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

CLASSES = 1000
SMOOTHING = 0.1


def dice(p, g, smooth=0.0):
    return 1 - (2 * (p * g).sum() + smooth) / ((p * p).sum() + (g * g).sum() + smooth)


def sigmoid_focal(x, y, alpha=0.25, gamma=2):
    """torchvision.ops.sigmoid_focal_loss (v0.14) with reduction mean, re-typed (Debian has no torchvision)."""
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    return ((alpha * y + (1 - alpha) * (1 - y)) * ce * ((1 - p_t) ** gamma)).mean()


def make(loss, n, dtype, generator):
    if loss == "cross_entropy_c1000":
        rows = n // CLASSES
        x = (3 * torch.randn(rows, CLASSES, dtype=dtype, generator=generator)).requires_grad_()
        t = torch.randint(0, CLASSES, (rows,), generator=generator)
        return x, lambda: F.cross_entropy(x, t, label_smoothing=SMOOTHING)
    if loss in ("bce_with_logits", "sigmoid_focal"):
        x = (3 * torch.randn(n, dtype=dtype, generator=generator)).requires_grad_()
        y = (torch.arange(n) % 3 == 0).to(dtype)
        if loss == "sigmoid_focal":
            return x, lambda: sigmoid_focal(x, y)
        return x, lambda: F.binary_cross_entropy_with_logits(x, y)
    p = (0.02 + 0.96 * torch.rand(n, dtype=dtype, generator=generator)).requires_grad_()
    g = (torch.rand(n, dtype=dtype, generator=generator) < 0.3).to(dtype)
    return p, {
        "mse": lambda: F.mse_loss(p, g),
        "bce": lambda: F.binary_cross_entropy(p, g),
        "dice": lambda: dice(p, g),
        "combo": lambda: dice(p, g, 1.0) + 0.5 * F.binary_cross_entropy(p, g),
    }[loss]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", help="log2 of the element counts, e.g. 20,24")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--csv", default="pytorch_bench.csv")
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = [16, 20] if args.quick else [16, 18, 20, 22, 24, 26]
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    dtypes = [("float", torch.float32)] + ([] if args.quick else [("double", torch.float64)])
    losses = ["mse", "bce", "bce_with_logits", "sigmoid_focal", "dice", "combo", "cross_entropy_c1000"]
    generator = torch.Generator().manual_seed(42)
    print(f"PyTorch {torch.__version__} eager, {torch.get_num_threads()} thread(s), median of {args.repetitions}")
    with open(args.csv, "w") as out:
        out.write("loss,precision,elements,pytorch_s\n")
        for name, dtype in dtypes:
            for loss in losses:
                for log2_n in sizes:
                    n = 1 << log2_n
                    leaf, f = make(loss, n, dtype, generator)

                    def step():
                        leaf.grad = None
                        f().backward()

                    step()
                    times = []
                    for _ in range(args.repetitions):
                        start = time.perf_counter()
                        step()
                        times.append(time.perf_counter() - start)
                    seconds = statistics.median(times)
                    print(f"{loss:20} {name:6} 2^{log2_n:<3} {seconds * 1e3:10.3f} ms")
                    out.write(f"{loss},{name},{n},{seconds}\n")
                    del leaf, f
    print(f"CSV: {args.csv}")


if __name__ == "__main__":
    main()
