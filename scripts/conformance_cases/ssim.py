"""SSIM: 1 - mean SSIM map, the formula of the README, computed with torch.nn.functional.conv2d (one 2-D K x K window
g g^T per channel, groups = C) and autograd: the usual 11 x 11 window with sigma 1.5, K1 0.01, K2 0.03 and valid
windows, several channels, a smaller window, other constants and data_range 255, zero padding (F.conv2d's
padding=K // 2) including images smaller than the window, an image exactly the window's size, constant images, and
equal images."""
import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs


def ssim(window_size, sigma, k1, k2, data_range, padding):
    def fn(x, y):
        k = torch.arange(window_size, dtype=torch.float64) - (window_size - 1) / 2
        g = torch.exp(-k * k / (2 * sigma * sigma))
        g = g / g.sum()
        channels = x.shape[1]
        w = (g[:, None] * g[None, :]).expand(channels, 1, window_size, window_size)
        pad = window_size // 2 if padding == "zero" else 0

        def conv(t):
            return F.conv2d(t, w, padding=pad, groups=channels)
        mu_x, mu_y = conv(x), conv(y)
        s_xx = conv(x * x) - mu_x ** 2
        s_yy = conv(y * y) - mu_y ** 2
        s_xy = conv(x * y) - mu_x * mu_y
        c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
        m = ((2 * mu_x * mu_y + c1) * (2 * s_xy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (s_xx + s_yy + c2))
        return 1 - m.mean()
    return fn


def case(w, x, y, window_size=11, sigma=1.5, k1=0.01, k2=0.03, data_range=1.0, padding="valid", note=None):
    w.case("ssim_loss", "formula",
           {"window_size": window_size, "sigma": sigma, "K1": k1, "K2": k2, "data_range": data_range,
            "padding": padding},
           [("img1", x, True), ("img2", y, False)], ssim(window_size, sigma, k1, k2, data_range, padding), note=note)


def generate(w):
    inp = Inputs(20261206)
    x = inp.rand(2, 1, 24, 24)
    case(w, x, (x + inp.randn(2, 1, 24, 24, scale=0.1)).clamp(0, 1), note="the usual window on a noisy copy")
    case(w, inp.rand(2, 3, 20, 17), inp.rand(2, 3, 20, 17), note="three channels, independent images")
    case(w, inp.rand(1, 2, 12, 15), inp.rand(1, 2, 12, 15), window_size=7, sigma=1.0, note="a 7 x 7 window")
    case(w, inp.rand(1, 1, 16, 16, hi=255.0), inp.rand(1, 1, 16, 16, hi=255.0), k1=0.02, k2=0.05, data_range=255.0,
         note="pixels in [0, 255], other constants")
    case(w, inp.rand(2, 2, 14, 13), inp.rand(2, 2, 14, 13), padding="zero", note="zero padding: H x W positions")
    case(w, inp.rand(1, 1, 6, 5), inp.rand(1, 1, 6, 5), padding="zero",
         note="images smaller than the window, zero padding")
    case(w, inp.rand(1, 1, 11, 11), inp.rand(1, 1, 11, 11), note="an image exactly the window's size: one position")
    case(w, torch.full((1, 1, 13, 13), 0.25, dtype=torch.float64), torch.full((1, 1, 13, 13), 0.75,
                                                                             dtype=torch.float64),
         note="constant images: every variance 0")
    same = inp.rand(1, 2, 15, 15)
    case(w, same, same.clone(), note="equal images: loss 0, gradient 0")
