"""Perceptual loss of a two-layer convolutional extractor (lossforge's catalogue extra): layer 1 is
relu(conv2d(x, w1, b1, padding=1)), layer 2 relu(conv2d(layer 1, w2, b2, padding=1)), and the loss
mse(layer1(x), layer1(y)) + mse(layer2(x), layer2(y)), computed with torch.nn.functional.conv2d and autograd; the
weights are fixed, the gradients are those of x and y. Cases: one channel, three channels with wider layers, a
non-square image, a 1 x 1 image (every window padded), equal images (loss 0, gradients 0), and weights that leave
some activations at zero (gradients blocked by the ReLU)."""
import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs


def perceptual(x, y, w1, b1, w2, b2):
    def layers(t):
        a1 = F.relu(F.conv2d(t, w1, b1, padding=1))
        return a1, F.relu(F.conv2d(a1, w2, b2, padding=1))
    (x1, x2), (y1, y2) = layers(x), layers(y)
    return F.mse_loss(x1, y1) + F.mse_loss(x2, y2)


def case(w, x, y, c1, c2, inp, bias=0.1, note=None):
    channels = x.shape[1]
    w1 = inp.randn(c1, channels, 3, 3, scale=0.5)
    w2 = inp.randn(c2, c1, 3, 3, scale=0.5)
    b1 = inp.randn(c1, scale=bias)
    b2 = inp.randn(c2, scale=bias)
    w.case("perceptual_loss", "formula", {},
           [("input", x, True), ("target", y, True), ("w1", w1, False), ("b1", b1, False), ("w2", w2, False),
            ("b2", b2, False)], perceptual, note=note)


def generate(w):
    inp = Inputs(20261207)
    case(w, inp.rand(2, 1, 8, 8), inp.rand(2, 1, 8, 8), 4, 3, inp, note="one channel, 4 then 3 features")
    case(w, inp.rand(1, 3, 7, 9), inp.rand(1, 3, 7, 9), 6, 5, inp, note="three channels, a non-square image")
    case(w, inp.rand(3, 2, 1, 1), inp.rand(3, 2, 1, 1), 3, 2, inp, note="1 x 1 images: every window padded")
    same = inp.rand(1, 2, 6, 6)
    case(w, same, same.clone(), 3, 3, inp, note="equal images: loss 0, gradients 0")
    case(w, inp.rand(2, 2, 5, 6), inp.rand(2, 2, 5, 6), 4, 4, inp, bias=1.0,
         note="biases of order 1: many activations at 0, gradients blocked by the ReLU")
