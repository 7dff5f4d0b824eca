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
            # round 2: a .grad read where .data belongs (0 while the check has not stored it)
            ("dL = 1.0\ndd = f.grad * dL\ndf = d.data * dL\n",
             "a .grad is filled in only by the check", ["its own data"]),
            ("dL = 0.0\ndd = f.data * dL\ndf = d.data * dL\n",
             "dL is 0, but nudging L alone gives 1. Likely mistake: 0 is where every "
             "grad starts", []),
            # L's value for the seed
            ("dL = L.data\ndd = f.data * dL\ndf = d.data * dL\n",
             "dL is -8, but nudging L alone gives 1. Likely mistake: L's value (-8) where its "
             "gradient belongs", []),
            # the other input's gradient where the seed belongs: that is L's value
            ("dL = 1.0\ndd = f.data * dL\ndf = d.data * dd\n",
             "df is -8, but nudging f alone gives 4. Likely mistake: L's value itself (-8)", []),
            ("dL = 1.0\ndd = d.data * dL\ndf = f.data * dL\n",
             "dd is 4, but nudging d alone gives -2. Likely mistake: its own data", []),
            ("dL = 1.0\ndd = f\ndf = d\n", "dd is a Value, not a number", []),
        ],
    },
    "dc": {
        "alternatives": ["dc = d.grad\nde = 1 * d.grad\n"],
        "mistakes": [
            # 1 alone and the seed passed on are the same mistake: the gradient at d left out
            ("dc = 1.0\nde = 1.0\n",
             "dc is 1, but nudging c alone gives -2. Likely mistake: the local derivative "
             "∂d/∂c = 1 alone: multiply it by the gradient that arrived at d, ∂L/∂d = -2",
             ["either"]),
            ("dc = dL\nde = dL\n",
             "dc is 1, but nudging c alone gives -2. Likely mistake: the local derivative "
             "∂d/∂c = 1 alone", ["either"]),
            ("dc = dd / 2\nde = dd / 2\n",
             "Likely mistake: the gradient split between the 2 inputs: a + passes the whole "
             "gradient that arrived at d to each input", []),
            ("dc = dd * e.data\nde = dd * c.data\n", "a + passes the gradient on unchanged",
             []),
            ("dc = -dd\nde = -dd\n", "Likely mistake: the sign", []),
        ],
    },
    "da": {
        "alternatives": ["da = b.data * e.grad\ndb = e.grad * a.data\n"],
        "mistakes": [
            ("da = a.data * de\ndb = b.data * de\n",
             "da is -4, but nudging a alone gives 6. Likely mistake: its own data", []),
            ("da = b.data\ndb = a.data\n",
             "Likely mistake: the local derivative ∂e/∂a = b (-3) alone", []),
            # e's value where its gradient belongs
            ("da = b.data * de\ndb = a.data * e.data\n",
             "db is -12, but nudging b alone gives -4. Likely mistake: the value of e (-6) where "
             "its gradient (-2) belongs", []),
            # multiplied by the gradient of another node
            ("da = df * b.data\ndb = df * a.data\n",
             "da is -12, but nudging a alone gives 6. Likely mistake: the gradient of f "
             "(4) where the one that arrived at e (-2) belongs: f is on another branch",
             ["either"]),
            ("da = de\ndb = de\n", "the gradient passed on unchanged, as a + would", []),
            # round 2: the cell is run again on other numbers, so a coincidence here (-12 is
            # also f's gradient times b; 0 is also an unread .grad) names nothing
            ("da = b.data * dd * f.data\ndb = a.data * de\n",
             "Likely mistake: the factor f (-2) of the step through L multiplied in twice",
             ["another branch", "either"]),
            ("da = b.data * de\ndb = a.data + de\n",
             "Likely mistake: the local derivative ∂e/∂b = a (2) ADDED to the gradient that "
             "arrived at e", ["as if", "either"]),
        ],
    },
    "do": {
        "alternatives": ["do = 1\ndn = 1 - math.tanh(n.data) ** 2\n"],
        "mistakes": [
            ("do = 1.0\ndn = (1 - o.data**2) * o.grad\n",
             "a .grad is filled in only by the check", []),
            ("do = 1.0\ndn = (1 - n.data**2) * do\n",
             "dn is 0.223181, but nudging n alone gives 0.5. Likely mistake: 1 - n²", []),
            # tanh taken again at its own output
            ("do = 1.0\ndn = (1 - math.tanh(o.data) ** 2) * do\n",
             "Likely mistake: 1 - tanh(o)², tanh applied again to its own output", []),
            ("do = 1.0\ndn = (1 - o.data) * do\n", "tanh's slope is 1 - o², the output squared",
             []),
            # the sigmoid's slope used for tanh
            ("do = 1.0\ndn = do * o.data * (1 - o.data)\n",
             "Likely mistake: o·(1 - o), the sigmoid's slope: tanh's is 1 - o²", []),
            # round 2: parentheses moved in tanh's slope
            ("do = 1.0\ndn = (1 - o.data) ** 2 * do\n",
             "Likely mistake: `(1 - o) ** 2` for tanh's slope `1 - o**2`", ["either"]),
        ],
    },
    "ds": {
        "alternatives": ["ds = db = n.grad\ndx1w1 = dx2w2 = ds\n"],
        "mistakes": [
            ("ds = dn\ndb = dn\ndx1w1 = s.grad\ndx2w2 = s.grad\n",
             "dx1w1 is 0, but nudging x1*w1 alone gives 0.5. Likely mistake: 0, as if "
             "the gradient from above were 0", ["either"]),
            # numbers typed in are judged alone: 1 is w2's value too, and more
            ("ds = 1.0\ndb = 1.0\ndx1w1 = 1.0\ndx2w2 = 1.0\n",
             "ds is 1, but nudging x1*w1 + x2*w2 alone gives 0.5 (3 different slips give this "
             "number here: no telling which)", []),
            # thought a + splits the gradient between its inputs (1 - o² = 0.5 applied twice
            # gives the same number here, not on other numbers: the cell is run again)
            ("ds = dn / 2\ndb = dn / 2\ndx1w1 = ds / 2\ndx2w2 = ds / 2\n",
             "ds is 0.25, but nudging x1*w1 + x2*w2 alone gives 0.5. Likely mistake: the "
             "gradient split between the 2 inputs", ["either"]),
            # 0 typed in (x2 = 0 makes x2*w2's value 0): several slips give it, none is named
            ("ds = dn\ndb = dn\ndx1w1 = ds\ndx2w2 = 0.0\n",
             "different slips give this number here: no telling which", ["Likely"]),
        ],
    },
    "dx1": {
        "alternatives": ["dx1, dw1 = w1.data * x1w1.grad, x1.data * x1w1.grad\n"
                         "dx2, dw2 = w2.data * x2w2.grad, x2.data * x2w2.grad\n"],
        "mistakes": [
            ("dx1 = dx1w1 * x1.data\ndw1 = dx1w1 * w1.data\n"
             "dx2 = dx2w2 * x2.data\ndw2 = dx2w2 * w2.data\n",
             "dx1 is 1, but nudging x1 alone gives -1.5. Likely mistake: its own data", []),
            ("dx1 = w1.data\ndw1 = x1.data\ndx2 = w2.data\ndw2 = x2.data\n",
             "Likely mistake: the local derivative ∂(x1*w1)/∂x1 = w1 (-3) alone: multiply "
             "it by the gradient that arrived at x1*w1, ∂o/∂(x1*w1) = 0.5", ["either"]),
            # tanh's step skipped: the seed where the gradient at x1*w1 belongs, the same number
            ("dx1 = do * w1.data\ndw1 = do * x1.data\ndx2 = do * w2.data\ndw2 = do * x2.data\n",
             "Likely mistake: the local derivative ∂(x1*w1)/∂x1 = w1 (-3) alone", ["either"]),
            # tanh's local derivative applied a second time
            ("dx1 = w1.data * dx1w1 * (1 - o.data**2)\ndw1 = x1.data * dx1w1\n"
             "dx2 = w2.data * dx2w2\ndw2 = x2.data * dx2w2\n",
             "Likely mistake: tanh's local derivative 1 - o² (0.5) applied twice: it is already "
             "in the gradient that arrived at x1*w1", []),
            # a negative zero is shown as 0, not -0
            ("dx1 = dx1w1 * w1.data\ndw1 = dx1w1 * x1.data\ndx2 = -(dx2w2 * x2.data)\n"
             "dw2 = dx2w2 * x2.data\n", "dx2 is 0, but nudging x2 alone gives 0.5", ["-0"]),
        ],
    },
    # --- exercises: numbers worked out by hand ------------------------------------------
    "predicted_change_c": {
        "alternatives": ["predicted_change_c = c.grad * 0.1\n"],
        "mistakes": [
            ("predicted_change_c = 0.2\n", "Likely mistake: the sign", []),
            # the new value of L instead of the change
            ("predicted_change_c = L.data + dc * 0.1\n",
             "the new value of L (-8.2), not the change", []),
            # the gradient step along the gradient instead of a step of 0.1 in c
            ("predicted_change_c = dc * (0.1 * dc)\n",
             "c moved along its gradient, by 0.1·∂L/∂c", []),
            # the step applied to another input's gradient: 0.4 = 0.1·(∂L/∂c)² too, both named
            ("predicted_change_c = df * 0.1\n",
             "or 0.1·∂L/∂f, the gradient of f, where c's (∂L/∂c = -2) belongs", []),
            # the step of d alone, without the factor f
            ("predicted_change_c = 1.0 * 0.1\n",
             "the change of d = e + c alone: d reaches L through L = d·f", []),
            # built from .data: restored above the task, so it is right now
        ],
    },
    "dq_dx": {
        "alternatives": ["p, z = -2.0 + 5.0, -4.0\ndq_dx = dq_dy = z\ndq_dz = p\n"],
        "mistakes": [
            # The local derivative of the sum (1) without the gradient from above (z).
            ("dq_dx = 1.0\ndq_dy = 1.0\ndq_dz = 3.0\n",
             "dq_dx is 1; nudging gives -4. Likely mistake: the local derivative ∂p/∂x = 1 "
             "alone: multiply it by the gradient that arrived at p = x + y, ∂q/∂p = -4", []),
            # one input of the sum where the whole sum p belongs
            ("dq_dx, dq_dy, dq_dz = -4.0, -4.0, -2.0\n",
             "Likely mistake: x (-2) where the whole other factor p = x + y (3) belongs", []),
            ("dq_dx = -4.0\ndq_dy = -4.0\ndq_dz = -12.0\n",
             "dq_dz is -12; nudging gives 3. Likely mistake: q's value itself", []),
            # the right numbers in another order
            ("dq_dx, dq_dy, dq_dz = 3.0, -4.0, -4.0\n", "the right numbers in another order",
             []),
            # the gradient of the neighbouring x·y + z (lecture 01's section 5)
            ("dq_dx, dq_dy, dq_dz = 5.0, -2.0, 1.0\n", "the gradient of x·y + z", []),
            # + treated as ·
            ("x, y, z = -2.0, 5.0, -4.0\ndq_dx, dq_dy, dq_dz = y * z, x * z, x * y\n",
             "+ taken as ·: the gradient of x·y·z", []),
            ("dq_dx, dq_dy, dq_dz = -4.0, -4.0, 7.0\n", "dq_dz is 7; nudging gives 3",
             ["Likely mistake"]),
            # round 2: p computed as x - y
            ("dq_dx = -4.0\ndq_dy = -4.0\ndq_dz = -2.0 - 5.0\n",
             "dq_dz is -7; nudging gives 3. Likely mistake: + taken as -: that is "
             "∂((x - y)·z)/∂z", ["either"]),
        ],
    },
    "do_dw1_sigmoid": {
        "alternatives": [
            "s = 1 / (1 + math.exp(-n.data))\ndo_dw1_sigmoid = x1.data * s - x1.data * s**2\n",
        ],
        "mistakes": [
            # tanh's slope 1 - o^2 kept for the sigmoid.
            ("do_dw1_sigmoid = (1 - 0.5) * 2.0\n",
             "do_dw1_sigmoid is 1; nudging w1 gives 0.414214. Likely mistake: either tanh's "
             "slope 1 - o²", []),
            ("do_dw1_sigmoid = (1 - o.data**2) * x1.data\n", "tanh's slope 1 - o²", []),
            # round 2: the sigmoid without its parentheses
            ("sig = 1 / 1 + math.exp(-n.data)\ndo_dw1_sigmoid = sig * (1 - sig) * x1.data\n",
             "Likely mistake: σ(n) computed as `1 / 1 + math.exp(-n)`", ["either"]),
            # w1 where x1 belongs
            ("s = 1 / (1 + math.exp(-n.data))\ndo_dw1_sigmoid = s * (1 - s) * w1.data\n",
             "Likely mistake: its own data: a product gives each input the *other* input's data "
             "(x1)", []),
            # sigma'(n) without the factor x1
            ("s = 1 / (1 + math.exp(-n.data))\ndo_dw1_sigmoid = s * (1 - s)\n",
             "Likely mistake: the gradient passed on unchanged, as a + would: a product "
             "multiplies the gradient that arrived at x1·w1 (0.2071) by the other input's data, "
             "x1 (2)", []),
            # σ' taken at the output o
            ("s = 1 / (1 + math.exp(-o.data))\ndo_dw1_sigmoid = s * (1 - s) * x1.data\n",
             "Likely mistake: σ taken again at its own output o", []),
            # the square of the denominator lost
            ("t = math.exp(-n.data)\ndo_dw1_sigmoid = t / (1 + t) * x1.data\n",
             "Likely mistake: 1 - σ(n) alone, e^-n/(1 + e^-n)", []),
        ],
    },
}
