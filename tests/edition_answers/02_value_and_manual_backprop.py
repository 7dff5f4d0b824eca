"""Answers for the four-way tests of exercises/02_value_and_manual_backprop.ipynb.

For each TODO cell: alternative correct answers, written differently from the lecture's, and
planted mistakes with the text the check must print (and texts it must not).
"""


def _add(body, name="add", dunder="__add__"):
    return f"def {name}(self, other):\n{body}\n\nValue.{dunder} = {name}\n"


def _mul(body):
    return _add(body, "mul", "__mul__")


ANSWERS = {
    # --- section 2: the forward pass of + and * ------------------------------------------
    "add": {
        "alternatives": [
            _add("    out = type(self)(other.data + self.data, children=[self, other], op='+')\n"
                 "    return out\n"),
            _add("    total = self.data\n    total += other.data\n"
                 "    return Value(total, (self, other), '+', label='')\n"),
        ],
        "mistakes": [
            (_add("    return Value(self.data * other.data, (self, other), '+')\n"),
             "Likely mistake: the forward pass multiplies", []),
            (_add("    return Value(self.data - other.data, (self, other), '+')\n"),
             "the forward value differs", ["Likely mistake"]),
            (_add("    return Value(self.data + other.data, (self.data, other.data), '+')\n"),
             "not their data", ["Likely mistake"]),
            (_add("    return self.data + other.data\n"), "return out, the new Value", []),
            (_add("    out = Value(self.data + other.data, (self, other), '+')\n"),
             "add returned None", []),
            (_add("    return Value(self.data + other.data, (self, other), 'add')\n"),
             "expected '+'", []),
            (_add("    return Value(self.data + other.data, op='+')\n"),
             "give the new Value its inputs as children", []),
            (_add("    self.data += other.data\n    return self\n"),
             "leave the inputs alone and return a new Value", []),
            (_add("    return Value(self.data + other.data, (self,), '+')\n"),
             "leaves out other", []),
        ],
    },
    "mul": {
        "alternatives": [
            _mul("    return type(self)(other.data * self.data, [self, other], '*')\n"),
            _mul("    product = Value(0.0)\n    product.data = self.data * other.data\n"
                 "    product._prev = (self, other)\n    product._op = '*'\n"
                 "    return product\n"),
        ],
        "mistakes": [
            (_mul("    return Value(self.data + other.data, (self, other), '*')\n"),
             "Likely mistake: the forward pass adds", []),
            (_mul("    return Value(self.data * self.data, (self, other), '*')\n"),
             "the forward value differs", ["Likely mistake"]),
            (_mul("    return Value(self.data * other.data, (self, other), 'mul')\n"),
             "expected '*'", []),
            (_mul("    return Value(self.data * other.data)\n"),
             "give the new Value its inputs as children", []),
        ],
    },
    # --- sections 3 and 5: the backward pass by hand, one step per TODO -------------------
    # Each check first stores the answers in the graph (`d.grad = dd`), so a later step may
    # read an earlier gradient either by its name or by its `.grad`. A mistake that reads a
    # `.grad` of its own step comes first: until a check has stored it, that `.grad` is 0.
    "dL": {
        "alternatives": ["dL = 1\ndd = f.data\ndf = 4.0\n"],
        "mistakes": [
            ("dL = 1.0\ndd = f.data * L.grad\ndf = d.data * L.grad\n",
             "a .grad is filled in only by the check", ["its own data"]),
            ("dL = 0.0\ndd = f.data * dL\ndf = d.data * dL\n",
             "dL is 0, but nudging L alone gives 1.0000. Likely mistake: 0 is where every "
             "grad starts", []),
            ("dL = 1.0\ndd = d.data * dL\ndf = f.data * dL\n",
             "dd is 4, but nudging d alone gives -2.0000. Likely mistake: its own data", []),
            ("dL = 1.0\ndd = f\ndf = d\n", "dd is a Value, not a number", []),
        ],
    },
    "dc": {
        "alternatives": ["dc = d.grad\nde = 1 * d.grad\n"],
        "mistakes": [
            ("dc = 1.0\nde = 1.0\n",
             "dc is 1, but nudging c alone gives -2.0000. Likely mistake: the local "
             "derivative 1 alone", []),
            ("dc = dd * e.data\nde = dd * c.data\n", "a + passes the gradient on unchanged",
             []),
            ("dc = -dd\nde = -dd\n", "Likely mistake: the sign", []),
        ],
    },
    "da": {
        "alternatives": ["da = b.data * e.grad\ndb = e.grad * a.data\n"],
        "mistakes": [
            ("da = a.data * de\ndb = b.data * de\n",
             "da is -4, but nudging a alone gives 6.0000. Likely mistake: its own data", []),
            ("da = b.data\ndb = a.data\n", "Likely mistake: the local derivative alone", []),
            ("da = de\ndb = de\n", "the gradient passed on unchanged, as a + would", []),
        ],
    },
    "do": {
        "alternatives": ["do = 1\ndn = 1 - math.tanh(n.data) ** 2\n"],
        "mistakes": [
            ("do = 1.0\ndn = (1 - o.data**2) * o.grad\n",
             "a .grad is filled in only by the check", []),
            ("do = 1.0\ndn = (1 - n.data**2) * do\n",
             "dn is 0.223181, but nudging n alone gives 0.5000. Likely mistake: 1 - n²", []),
            ("do = 1.0\ndn = (1 - o.data) * do\n", "tanh's slope is 1 - o², the output squared",
             []),
        ],
    },
    "ds": {
        "alternatives": ["ds = db = n.grad\ndx1w1 = dx2w2 = ds\n"],
        "mistakes": [
            ("ds = dn\ndb = dn\ndx1w1 = s.grad\ndx2w2 = s.grad\n",
             "dx1w1 is 0, but nudging x1*w1 alone gives 0.5000. Likely mistake: 0, as if the "
             "gradient from above were 0", ["as a product would"]),
            ("ds = 1.0\ndb = 1.0\ndx1w1 = 1.0\ndx2w2 = 1.0\n",
             "Likely mistake: the local derivative 1 alone: multiply it by the gradient that "
             "arrived at n (0.5)", []),
        ],
    },
    "dx1": {
        "alternatives": ["dx1, dw1 = w1.data * x1w1.grad, x1.data * x1w1.grad\n"
                         "dx2, dw2 = w2.data * x2w2.grad, x2.data * x2w2.grad\n"],
        "mistakes": [
            ("dx1 = dx1w1 * x1.data\ndw1 = dx1w1 * w1.data\n"
             "dx2 = dx2w2 * x2.data\ndw2 = dx2w2 * w2.data\n",
             "dx1 is 1, but nudging x1 alone gives -1.5000. Likely mistake: its own data", []),
            ("dx1 = w1.data\ndw1 = x1.data\ndx2 = w2.data\ndw2 = x2.data\n",
             "Likely mistake: the local derivative alone: multiply it by the gradient that "
             "arrived at x1*w1 (0.5)", []),
        ],
    },
    # --- exercises: numbers worked out by hand ------------------------------------------
    "predicted_change_c": {
        "alternatives": ["predicted_change_c = -0.2\n"],
        "mistakes": [
            ("predicted_change_c = 0.2\n", "L changes by -0.2000", []),
        ],
    },
    "dq_dx": {
        "alternatives": ["p, z = -2.0 + 5.0, -4.0\ndq_dx = dq_dy = z\ndq_dz = p\n"],
        "mistakes": [
            # The local derivative of the sum (1) without the gradient from above (z).
            ("dq_dx = 1.0\ndq_dy = 1.0\ndq_dz = 3.0\n", "dq_dx is 1.0; nudging gives -4.0000",
             []),
            ("dq_dx = -4.0\ndq_dy = -4.0\ndq_dz = -12.0\n", "dq_dz is -12.0; nudging gives",
             []),
        ],
    },
    "do_dw1_sigmoid": {
        "alternatives": [
            "s = 1 / (1 + math.exp(-n.data))\ndo_dw1_sigmoid = x1.data * s - x1.data * s**2\n",
        ],
        "mistakes": [
            # tanh's slope 1 - o^2 kept for the sigmoid.
            ("do_dw1_sigmoid = (1 - 0.5) * 2.0\n", "do_dw1_sigmoid is 1.0", []),
        ],
    },
}
