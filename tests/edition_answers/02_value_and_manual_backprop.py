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
