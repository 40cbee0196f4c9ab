#!/usr/bin/python3
"""PyTorch eager timings beside lossforge_bench_structured: per-class Dice over [8, 4, H, W] (of probabilities and
masks, and of softmax probabilities and class indices), InfoNCE over M anchors and candidates of dimension D, and
CTC (torch.nn.functional.ctc_loss of log_softmax) over T frames, 32 samples, 30 classes, targets of S labels, value
and gradient (backward after zeroing the gradients), in double, median of R runs after a warm-up, one thread; and SSIM
(11 x 11 Gaussian window, sigma 1.5, valid, as pytorch_msssim computes it: two 1-D convolutions per statistic) over
float images [8, 3, H, W] with respect to the first. Needs Debian's python3-torch.

    /usr/bin/python3 scripts/bench_structured_pytorch.py [--quick] [--repetitions R] [--threads N]
"""
import argparse
import statistics
import time

import torch


def per_class_dice(p, g):
    dims = (0, 2, 3)
    return (1 - 2 * (p * g).sum(dims) / (p.sum(dims) + g.sum(dims))).mean()


def dice_per_class(x, t, smooth=1e-5):
    p = torch.softmax(x, 1)
    g = torch.nn.functional.one_hot(t, x.shape[1]).movedim(-1, 1).to(x.dtype)
    dims = (0, 2, 3)
    return 1 - ((2 * (p * g).sum(dims) + smooth) / ((p * p).sum(dims) + g.sum(dims) + smooth)).mean()


def ctc(logits, targets, input_lengths, target_lengths):
    return torch.nn.functional.ctc_loss(torch.log_softmax(logits, 2), targets, input_lengths, target_lengths)


def ssim(x, y, window=11, sigma=1.5, c1=0.01 ** 2, c2=0.03 ** 2):
    k = torch.arange(window, dtype=x.dtype) - (window - 1) / 2
    g = torch.exp(-k * k / (2 * sigma * sigma))
    g = g / g.sum()
    channels = x.shape[1]
    rows = g.reshape(1, 1, 1, window).repeat(channels, 1, 1, 1)
    cols = g.reshape(1, 1, window, 1).repeat(channels, 1, 1, 1)

    def blur(t):
        return torch.nn.functional.conv2d(torch.nn.functional.conv2d(t, rows, groups=channels), cols, groups=channels)
    mu_x, mu_y = blur(x), blur(y)
    s_xx, s_yy, s_xy = blur(x * x) - mu_x ** 2, blur(y * y) - mu_y ** 2, blur(x * y) - mu_x * mu_y
    m = ((2 * mu_x * mu_y + c1) * (2 * s_xy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (s_xx + s_yy + c2))
    return 1 - m.mean()


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
    x = (2 * torch.randn(8, 4, side, side, dtype=torch.float64, generator=generator)).requires_grad_()
    t = torch.randint(0, 4, (8, side, side), generator=generator)
    frames, labels = (50, 12) if args.quick else (200, 50)
    logits = torch.randn(frames, 32, 30, dtype=torch.float64, generator=generator).requires_grad_()
    targets = torch.randint(1, 30, (32, labels), generator=generator)
    input_lengths = torch.tensor([frames - b % 5 for b in range(32)])
    target_lengths = torch.tensor([labels - b % 7 for b in range(32)])
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
    print(f"dice_per_class [8,4,{side},{side}]: "
          f"{median_seconds(step(lambda: dice_per_class(x, t), [x]), args.repetitions):.6f} s")
    print(f"InfoNCE M={m} D={d}: {median_seconds(step(lambda: info_nce(a, q), [a, q]), args.repetitions):.6f} s")
    ctc_step = step(lambda: ctc(logits, targets, input_lengths, target_lengths), [logits])
    print(f"ctc_loss T={frames} N=32 C=30 S={labels}: {median_seconds(ctc_step, args.repetitions):.6f} s")
    side = 128 if args.quick else 512
    img1 = torch.rand(8, 3, side, side, generator=generator).requires_grad_()
    img2 = (img1.detach() + 0.1 * torch.randn(8, 3, side, side, generator=generator)).clamp(0, 1)
    ssim_step = step(lambda: ssim(img1, img2), [img1])
    print(f"ssim_loss [8,3,{side},{side}] f32: {median_seconds(ssim_step, args.repetitions):.6f} s")


if __name__ == "__main__":
    main()
