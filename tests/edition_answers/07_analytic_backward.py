"""Answers for the four-way tests of edition 07 (see __init__.py): exercises 2 and 3, and the
practice problems A-D. The planted mistakes are the slips helpers.tools.ninja declares
(cross_entropy_mistakes, normalization_mistakes), written as a learner would."""

Z = 'z = acts["logits"].detach()\n'
BN = ('g = acts["hpreact"].grad\nxh = acts["bnraw"].detach()\ns = acts["bnvar_inv"].detach()\n'
      'gain = params["bngain"].detach()\n')
# exercise A: the biased statistics, as a learner computes them
BIASED = ("x0 = x.detach()\nm = x0.shape[0]\n"
          "s = (x0.var(0, unbiased=False) + 1e-5) ** -0.5\nxhat = (x0 - x0.mean(0)) * s\n")
# exercise D: LayerNorm's statistics per row
ROWS = ("x0 = x_ln.detach()\nd = x0.shape[1]\n"
        "s = (x0.var(1, keepdim=True, unbiased=False) + 1e-5) ** -0.5\n"
        "xhat = (x0 - x0.mean(1, keepdim=True)) * s\ngd = gamma_ln * dy_ln\n")

ANSWERS = {
    "dlogits": {
        "alternatives": [
            'dlogits = (F.softmax(acts["logits"].detach(), 1) - F.one_hot(Yb, 27)) / n\n',
            Z + "p = (z - z.logsumexp(1, keepdim=True)).exp()\n"
                "dlogits = (p - F.one_hot(Yb, 27).float()) / Yb.shape[0]\n",
        ],
        "mistakes": [
            (Z + "dlogits = (F.softmax(z, 0) - F.one_hot(Yb, 27)) / n\n",
             "dimension 0", ["lacks the one-hot"]),
            (Z + "dlogits = F.softmax(z, 1) / n\n", "lacks the one-hot", ["dimension 0"]),
            (Z + "dlogits = F.softmax(z, 1)\ndlogits[:, Yb] -= 1\ndlogits /= n\n",
             "every entry of the target's column", []),
            (Z + "dlogits = F.softmax(z, 1) - F.one_hot(Yb, 27)\n", "is not divided by n",
             ["Bessel"]),
        ],
    },
    "dhprebn": {
        "alternatives": [
            BN + "dhprebn = gain * s * (g - g.mean(0) - xh * (g * xh).sum(0) / (n - 1))\n",
            BN + "dbnraw = gain * g\n"
                 "dhprebn = s / n * (n * dbnraw - dbnraw.sum(0, keepdim=True)"
                 " - n / (n - 1) * xh * (dbnraw * xh).sum(0, keepdim=True))\n",
        ],
        "mistakes": [
            (BN + "dhprebn = s / n * (n * g - g.sum(0) - n / (n - 1) * xh * (g * xh).sum(0))\n",
             "lacks bngain", ["n/(n-1)"]),
            (BN + "dhprebn = gain * s / n * (n * g - g.sum(0) - xh * (g * xh).sum(0))\n",
             "lacks the factor n/(n-1)", []),
            (BN + "dhprebn = gain * s / n * (n * g - n / (n - 1) * xh * (g * xh).sum(0))\n",
             "the mean term is missing", []),
            (BN + "dhprebn = gain * s / n * (n * g - g.sum(1, keepdim=True)"
                  " - n / (n - 1) * xh * (g * xh).sum(1, keepdim=True))\n",
             "the sums run over dimension 1", []),
            # one term's sign, Bessel's factor on the wrong term, .mean for .sum, bnraw dropped
            (BN + "dhprebn = gain * s / n * (n * g + g.sum(0)"
                  " - n / (n - 1) * xh * (g * xh).sum(0))\n",
             "the mean term (dhpreact.sum(0)) has the wrong sign", ["Bessel"]),
            (BN + "dhprebn = gain * s / n * (n * g - n / (n - 1) * g.sum(0)"
                  " - xh * (g * xh).sum(0))\n",
             "n/(n-1) sits on the mean term", []),
            (BN + "dhprebn = gain * s / n * (n * g - g.mean(0, keepdim=True)"
                  " - n / (n - 1) * xh * (g * xh).sum(0, keepdim=True))\n",
             "a .mean where the .sum belongs", ["Bessel"]),
            (BN + "dhprebn = gain * s / n * (n * g - g.sum(0)"
                  " - n / (n - 1) * (g * xh).sum(0))\n",
             "bnraw is missing in front of the variance term's sum", []),
            # the last sum per row; hprebn where bnraw belongs
            (BN + "dhprebn = gain * s / n * (n * g - g.sum(0)"
                  " - n / (n - 1) * xh * (g * xh).sum(1, keepdim=True))\n",
             "the variance term's sum runs over dimension 1", []),
            ('g = acts["hpreact"].grad\nxh = acts["hprebn"]\n'
             'dhprebn = params["bngain"] * acts["bnvar_inv"] / n * ('
             "n * g - g.sum(0) - n / (n - 1) * xh * (g * xh).sum(0))\n",
             "the variance term takes hprebn, the input, where bnraw belongs", []),
        ],
    },
    "dx": {
        "alternatives": [
            "with torch.no_grad():\n"
            "    mu = x.mean(0, keepdim=True)\n"
            "    var = ((x - mu) ** 2).mean(0, keepdim=True)\n"
            "    xh = (x - mu) / (var + 1e-5).sqrt()\n"
            "    gd = gamma * dy\n"
            "    dx = (gd - gd.mean(0) - xh * (gd * xh).mean(0)) / (var + 1e-5).sqrt()\n",
        ],
        "mistakes": [
            (BIASED + "dx = gamma * s / m * (m * dy - dy.sum(0)"
                      " - m / (m - 1) * xhat * (dy * xhat).sum(0))\n",
             "does not belong here", ["lacks"]),
            ("x0 = x.detach()\nm = x0.shape[0]\ns = (x0.var(0) + 1e-5) ** -0.5\n"
             "xhat = (x0 - x0.mean(0)) * s\n"
             "dx = gamma * s / m * (m * dy - dy.sum(0) - xhat * (dy * xhat).sum(0))\n",
             "torch's .var()", []),
            (BIASED + "dx = gamma * s / m * (m * dy - xhat * (dy * xhat).sum(0))\n",
             "the mean term is missing", []),
            ("x0 = x.detach()\nm = x0.shape[0]\ns = x0.var(0, unbiased=False).rsqrt()\n"
             "xhat = (x0 - x0.mean(0)) * s\n"
             "dx = gamma * s / m * (m * dy - dy.sum(0) - xhat * (dy * xhat).sum(0))\n",
             "s lacks eps", []),
            (BIASED + "dx = s / m * (m * gamma * dy - dy.sum(0) - xhat * (dy * xhat).sum(0))\n",
             "gamma multiplies only the first term", []),
        ],
    },
    "column_sums": {
        "alternatives": [
            'column_sums = torch.sum(dhprebn, dim=0)\n'
            'along_xhat = (dhprebn * acts["bnraw"]).sum(0)\n'
            'scale = dhprebn.abs().sum(0)\n',
        ],
        "mistakes": [
            ('column_sums = dhprebn.sum(1)\nalong_xhat = (dhprebn * acts["bnraw"]).sum(0)\n'
             'scale = dhprebn.abs().sum(0)\n',
             "column_sums has shape (32,)", []),
            ('column_sums = dhprebn.sum(0)\nalong_xhat = dhprebn.sum(0)\n'
             'scale = dhprebn.sum(0)\n',
             "scale sums sizes", []),
        ],
    },
    "dlogits_T": {
        "alternatives": [
            'dlogits_T = (F.softmax(acts["logits"].detach() / T, 1) - F.one_hot(Yb, 27))'
            ' / (n * T)\n',
        ],
        "mistakes": [
            ('dlogits_T = (F.softmax(acts["logits"].detach() / T, 1) - F.one_hot(Yb, 27)) / n\n',
             "constant factor 2.5", ["Bessel"]),
            ('dlogits_T = (F.softmax(acts["logits"].detach() / T, 1) - F.one_hot(Yb, 27))'
             ' * T / n\n', "T²", ["Bessel"]),
            ('dlogits_T = (F.softmax(acts["logits"].detach() / T, 1) - F.one_hot(Yb, 27))'
             ' / n * T\n', "T²", ["Bessel"]),
            ('dlogits_T = F.softmax(acts["logits"].detach() / T, 1) / n'
             ' - F.one_hot(Yb, 27) / (n * T)\n',
             "the softmax term, softmax(logits / T) / (n * T) has an extra factor T = 2.5", []),
        ],
    },
    "dx_ln": {
        "alternatives": [
            "xd = x_ln.detach()\n"
            "mu = xd.mean(1, keepdim=True)\n"
            "var = xd.var(1, keepdim=True, correction=0)\n"
            "xh = (xd - mu) / torch.sqrt(var + 1e-5)\n"
            "gxh = dy_ln * gamma_ln\n"
            "dx_ln = (gxh - gxh.mean(1, keepdim=True)"
            " - xh * (gxh * xh).mean(1, keepdim=True)) / torch.sqrt(var + 1e-5)\n",
        ],
        "mistakes": [
            # exercise 3's habit: the sums down the batch
            (ROWS + "dx_ln = s / d * (d * gd - gd.sum(0, keepdim=True)"
                    " - xhat * (gd * xhat).sum(0, keepdim=True))\n",
             "the sums run over dimension 0", []),
            # the gain in front, as BatchNorm allows
            (ROWS + "dx_ln = gamma_ln * s / d * (d * dy_ln - dy_ln.sum(1, keepdim=True)"
                    " - xhat * (dy_ln * xhat).sum(1, keepdim=True))\n",
             "stands outside the sums", []),
            # Bessel's factor carried over from exercise 3
            (ROWS + "dx_ln = s / d * (d * gd - gd.sum(1, keepdim=True)"
                    " - d / (d - 1) * xhat * (gd * xhat).sum(1, keepdim=True))\n",
             "does not belong here", []),
            # torch's .var() default
            ("x0 = x_ln.detach()\nd = x0.shape[1]\n"
             "s = (x0.var(1, keepdim=True) + 1e-5) ** -0.5\n"
             "xhat = (x0 - x0.mean(1, keepdim=True)) * s\ngd = gamma_ln * dy_ln\n"
             "dx_ln = s / d * (d * gd - gd.sum(1, keepdim=True)"
             " - xhat * (gd * xhat).sum(1, keepdim=True))\n",
             "torch's .var()", []),
            # d from the wrong dimension; the gain left out of one sum
            ("x0 = x_ln.detach()\nd = x0.shape[0]\nmu = x0.mean(1, keepdim=True)\n"
             "s = (((x0 - mu) ** 2).sum(1, keepdim=True) / d + 1e-5) ** -0.5\n"
             "xhat = (x0 - mu) * s\ngd = gamma_ln * dy_ln\n"
             "dx_ln = s / d * (d * gd - gd.sum(1, keepdim=True)"
             " - xhat * (gd * xhat).sum(1, keepdim=True))\n",
             "d is taken from the wrong dimension", []),
            (ROWS + "dx_ln = s / d * (d * gd - gd.sum(1, keepdim=True)"
                    " - xhat * (dy_ln * xhat).sum(1, keepdim=True))\n",
             "the variance term's sum takes dy_ln without gamma_ln", []),
            # exercise A's line, copied
            ("x0 = x_ln.detach()\nm = x0.shape[0]\n"
             "s = (x0.var(0, unbiased=False) + 1e-5) ** -0.5\nxhat = (x0 - x0.mean(0)) * s\n"
             "dx_ln = gamma_ln * s / m * (m * dy_ln - dy_ln.sum(0)"
             " - xhat * (dy_ln * xhat).sum(0))\n",
             "this is BatchNorm's backward", []),
            # the mean of the statistics over the other axis
            ("xd = x_ln.detach()\nd = 16\n"
             "s = (xd.var(1, unbiased=False, keepdim=True) + 1e-5) ** -0.5\n"
             "xhat = (xd - xd.mean(0)) * s\ngh = gamma_ln * dy_ln\n"
             "dx_ln = s / d * (d * gh - gh.sum(1, keepdim=True)"
             " - xhat * (gh * xhat).sum(1, keepdim=True))\n",
             "xhat is centred with the mean over dimension 0", []),
        ],
    },
}
