#!/usr/bin/python3
"""PyTorch eager timings beside lossforge_bench_structured: per-class Dice over [8, 4, H, W] and InfoNCE over M
anchors and candidates of dimension D, value and gradient (backward after zeroing the gradients), in double, median
of R runs after a warm-up, one thread. Needs Debian's python3-torch.

    /usr/bin/python3 scripts/bench_structured_pytorch.py [--quick] [--repetitions R] [--threads N]
"""
import argparse
import statistics
import time

import torch


def per_class_dice(p, g):
    dims = (0, 2, 3)
    return (1 - 2 * (p * g).sum(dims) / (p.sum(dims) + g.sum(dims))).mean()


def info_nce(a, q):
    s = a @ q.T
    return (torch.logsumexp(s, dim=1) - s.diagonal()).mean()


def median_seconds(run, repetitions):
    run()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(7)
    side = 64 if args.quick else 256
    p = (0.02 + 0.96 * torch.rand(8, 4, side, side, dtype=torch.float64, generator=generator)).requires_grad_()
    g = (torch.rand(8, 4, side, side, dtype=torch.float64, generator=generator) < 0.3).double()
    m, d = (1024, 64) if args.quick else (4096, 256)
    a = (0.1 * torch.randn(m, d, dtype=torch.float64, generator=generator)).requires_grad_()
    q = (0.1 * torch.randn(m, d, dtype=torch.float64, generator=generator)).requires_grad_()

    def step(loss, inputs):
        def run():
            for x in inputs:
                x.grad = None
            loss().backward()
        return run

    print(f"per-class Dice [8,4,{side},{side}]: "
          f"{median_seconds(step(lambda: per_class_dice(p, g), [p]), args.repetitions):.6f} s")
    print(f"InfoNCE M={m} D={d}: {median_seconds(step(lambda: info_nce(a, q), [a, q]), args.repetitions):.6f} s")


if __name__ == "__main__":
    main()
