"""helpers.checks.engine: correct answers written in several ways pass; each classic mistake,
planted as a learner would write it, gets its diagnosis, and no diagnosis that does not fit;
other wrong answers get a plain "differs"."""

import random
import textwrap

import pytest

from helpers.checks.engine import (
    OPERATIONS,
    check_backward,
    check_forward,
    check_gates_by_hand,
    check_operation,
    check_softmax_nll,
    check_topological_sort,
)
from helpers.finished import value as finished

LIKELY = "Likely mistake"
EQUALS = "`=` instead of `+=`"

# The lecture's Value (03), without operations: each test attaches what it needs.
LECTURE = """
import math


class Value:
    def __init__(self, data, children=(), op="", label=""):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(children)
        self._op = op
        self.label = label
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"
"""
FINISHED = {"__add__": "add", "__mul__": "mul", "tanh": "tanh", "exp": "exp", "log": "log",
            "__pow__": "power", "relu": "relu", "__radd__": "radd", "__rmul__": "rmul",
            "__neg__": "neg", "__sub__": "sub", "__truediv__": "truediv", "__rsub__": "rsub",
            "__rtruediv__": "rtruediv", "backward": "backward"}


def learner(source):
    """The namespace of a notebook where the finished engine is in place and then the
    learner's ``source`` ran (as in an edition where the earlier TODOs fell back)."""
    namespace = {}
    exec(LECTURE, namespace)
    for attr, name in FINISHED.items():
        setattr(namespace["Value"], attr, getattr(finished, name))
    namespace["topological_order"] = finished.topological_order
    exec(textwrap.dedent(source), namespace)
    return namespace


def passes(capsys, check, *args, **kwargs):
    assert check(*args, **kwargs) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and ": correct (" in out, out
    return out


def refused(check, *args, must=(), must_not=(), **kwargs):
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    message = str(info.value)
    for text in must:
        assert text in message, message
    for text in must_not:
        assert text not in message, message
    return message


def op_check(source, name):
    """The arguments of check_operation for the learner's ``source``."""
    return check_operation, learner(source)["Value"], name


def closure_op(name, attr, forward, children, op, body):
    """Source of an operation in the lecture's closure style."""
    return (f"def {name}(self, *rest):\n"
            f"    other = rest[0] if rest else None  # a plain number becomes a Value\n"
            f"    other = Value(other) if isinstance(other, int | float) else other\n"
            f"    out = Value({forward}, {children}, {op!r})\n\n"
            f"    def _backward():\n"
            + textwrap.indent(textwrap.dedent(body).strip(), " " * 8) + "\n\n"
            f"    out._backward = _backward\n"
            f"    return out\n\n\n"
            f"Value.{attr} = {name}\n")


def add_source(body, forward="self.data + other.data", children="(self, other)", op="+",
               attach="out._backward = _backward"):
    return closure_op("add", "__add__", forward, children, op, body).replace(
        "out._backward = _backward", attach)


def mul_source(body):
    return closure_op("mul", "__mul__", "self.data * other.data", "(self, other)", "*", body)


def tanh_source(body, forward="math.tanh(self.data)"):
    return ("def tanh(self):\n"
            f"    t = {forward}\n"
            "    out = Value(t, (self,), 'tanh')\n\n"
            "    def _backward():\n"
            f"        {body}\n\n"
            "    out._backward = _backward\n"
            "    return out\n\n\n"
            "Value.tanh = tanh\n")


def unary_source(name, forward, body, op=None):
    return closure_op(name, name, forward, "(self,)", op or name, body)


def pow_source(body, op='f"**{k}"'):
    return ("def power(self, k):\n"
            f"    out = Value(self.data**k, (self,), {op})\n\n"
            "    def _backward():\n"
            f"        {body}\n\n"
            "    out._backward = _backward\n"
            "    return out\n\n\n"
            "Value.__pow__ = power\n")


def run(source, name, capsys, **kwargs):
    return passes(capsys, check_operation, learner(source)["Value"], name, **kwargs)


# --- correct answers, however written, pass ------------------------------------------------

CORRECT = {
    "add": [
        add_source("self.grad += 1.0 * out.grad\nother.grad += 1.0 * out.grad"),
        add_source("self.grad = self.grad + out.grad\nother.grad = other.grad + out.grad"),
        add_source("for child in (self, other):\n    child.grad += out.grad"),
        """
        def add(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, [self, other], "+")
            out._backward = lambda: [setattr(v, "grad", v.grad + out.grad) for v in (self, other)]
            return out


        Value.__add__ = add
        """,
    ],
    "mul": [
        mul_source("self.grad += other.data * out.grad\nother.grad += self.data * out.grad"),
        mul_source("self.grad = self.grad + out.grad * other.data\n"
                   "other.grad = other.grad + out.grad * self.data"),
        """
        def mul(self, other):
            x, y = self.data, other.data
            out = Value(x * y, (self, other), "*")

            def _backward():
                for v, local in ((self, y), (other, x)):
                    v.grad += local * out.grad

            out._backward = _backward
            return out


        Value.__mul__ = mul
        """,
    ],
    "tanh": [tanh_source("self.grad += (1 - t**2) * out.grad"),
             tanh_source("self.grad += (1 - t * t) * out.grad"),
             tanh_source("self.grad += (1 - out.data**2) * out.grad"),
             tanh_source("self.grad = self.grad + (1 - math.tanh(self.data) ** 2) * out.grad",
                         forward="(math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)"),
             tanh_source("self.grad += out.grad / math.cosh(self.data) ** 2")],
    "exp": [unary_source("exp", "math.exp(self.data)", "self.grad += out.data * out.grad"),
            unary_source("exp", "math.exp(self.data)",
                         "self.grad += math.exp(self.data) * out.grad"),
            unary_source("exp", "math.e ** self.data",
                         "self.grad = self.grad + out.grad * out.data")],
    "log": [unary_source("log", "math.log(self.data)", "self.grad += (1 / self.data) * out.grad"),
            unary_source("log", "math.log(self.data)", "self.grad += out.grad / self.data"),
            unary_source("log", "math.log(self.data)", "self.grad += self.data**-1 * out.grad")],
    "pow": [pow_source("self.grad += k * self.data ** (k - 1) * out.grad"),
            pow_source("self.grad += k * out.data / self.data * out.grad"),
            pow_source("self.grad = self.grad + out.grad * k * self.data ** (k - 1.0)",
                       op="'**' + str(k)")],
    "relu": [unary_source("relu", "max(0.0, self.data)",
                          "self.grad += (1.0 if self.data > 0 else 0.0) * out.grad"),
             unary_source("relu", "self.data if self.data > 0 else 0",
                          "self.grad += (out.data > 0) * out.grad"),
             unary_source("relu", "max(0.0, self.data)",
                          "if self.data > 0:\n    self.grad += out.grad", op="ReLU")],
    "radd": ["def radd(self, other):\n    return self + other\nValue.__radd__ = radd\n",
             "def radd(self, other):\n    return Value(other) + self\nValue.__radd__ = radd\n",
             "Value.__radd__ = lambda self, other: self.__add__(other)\n"],
    "rmul": ["def rmul(self, other):\n    return self * other\nValue.__rmul__ = rmul\n",
             "def rmul(self, other):\n    return Value(other) * self\nValue.__rmul__ = rmul\n",
             "Value.__rmul__ = Value.__mul__\n"],
    "neg": ["def neg(self):\n    return self * -1\nValue.__neg__ = neg\n",
            "def neg(self):\n    return -1 * self\nValue.__neg__ = neg\n",
            unary_source("neg", "-self.data", "self.grad += -out.grad", op="neg").replace(
                "Value.neg", "Value.__neg__")],
    "sub": ["def sub(self, other):\n    return self + (-other)\nValue.__sub__ = sub\n",
            "def sub(self, other):\n    return self + other * -1\nValue.__sub__ = sub\n",
            "def sub(self, other):\n    return -other + self\nValue.__sub__ = sub\n",
            closure_op("sub", "__sub__", "self.data - (other.data if isinstance(other, Value) "
                       "else other)", "(self, other) if isinstance(other, Value) else (self,)",
                       "-", "self.grad += out.grad\nif isinstance(other, Value):\n"
                       "    other.grad -= out.grad")],
    "truediv": ["def truediv(self, other):\n    return self * other**-1\n"
                "Value.__truediv__ = truediv\n",
                "def truediv(self, other):\n    return self * (1 / other)\n"
                "Value.__truediv__ = truediv\n",
                "def truediv(self, other):\n"
                "    other = other if isinstance(other, Value) else Value(other)\n"
                "    return self * other**-1.0\nValue.__truediv__ = truediv\n"],
    "rsub": ["def rsub(self, other):\n    return Value(other) - self\nValue.__rsub__ = rsub\n",
             "def rsub(self, other):\n    return -self + other\nValue.__rsub__ = rsub\n",
             "def rsub(self, other):\n    return other + (-self)\nValue.__rsub__ = rsub\n"],
    "rtruediv": ["def rtruediv(self, other):\n    return Value(other) / self\n"
                 "Value.__rtruediv__ = rtruediv\n",
                 "def rtruediv(self, other):\n    return other * self**-1\n"
                 "Value.__rtruediv__ = rtruediv\n",
                 "def rtruediv(self, other):\n    return self**-1 * other\n"
                 "Value.__rtruediv__ = rtruediv\n"],
}


@pytest.mark.parametrize(("name", "source"),
                         [(n, s) for n, sources in CORRECT.items() for s in sources])
def test_correct_operations_pass(capsys, name, source):
    line = run(source, name, capsys)
    assert line == (f"{name}: correct (200 random inputs and 50 random graphs, values used "
                    "twice included; vs float64 PyTorch)\n")


def test_every_operation_has_correct_variants():
    assert set(CORRECT) == set(OPERATIONS)
    assert all(len(sources) >= 3 for sources in CORRECT.values())


@pytest.mark.parametrize("name", ["add", "mul", "tanh"])
def test_setting_with_equals_passes_before_the_fix(capsys, name):
    source = {"add": add_source("self.grad = 1.0 * out.grad\nother.grad = 1.0 * out.grad"),
              "mul": mul_source("self.grad = other.data * out.grad\n"
                                "other.grad = self.data * out.grad"),
              "tanh": tanh_source("self.grad = (1 - t**2) * out.grad")}[name]
    line = run(source, name, capsys, reuse=False)
    assert "no value used twice" in line
    refused(*op_check(source, name), must=[EQUALS, "already had grad"],
            must_not=["incoming gradient", "never attached"])


def test_the_lectures_number_wrapping_and_subclass_pass(capsys):
    ns = learner("""
        def as_value(x):
            return x if isinstance(x, Value) else Value(x)


        def accepting_numbers(operation):
            def wrapped(self, other):
                return operation(self, as_value(other))
            return wrapped


        Value.__add__ = accepting_numbers(Value.__add__)
        Value.__mul__ = accepting_numbers(Value.__mul__)


        def mul_fixed(self, other):
            out = Value(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad

            out._backward = _backward
            return out


        class FixedMul(Value):
            __mul__ = mul_fixed
        """)
    for name in ("add", "mul", "radd", "rmul", "sub", "truediv"):
        passes(capsys, check_operation, ns["Value"], name)
    passes(capsys, check_operation, ns["FixedMul"], "mul")


def test_the_lectures_find_the_bug_multiplication_is_diagnosed():
    ns = learner("""
        def mul_with_bug(self, other):
            out = Value(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad += other.data * out.grad
                other.grad += other.data * out.grad

            out._backward = _backward
            return out


        class Buggy(Value):
            __mul__ = mul_with_bug
        """)
    refused(check_operation, ns["Buggy"], "mul",
            must=[LIKELY, "same operand is used twice", "other gets its own data"],
            must_not=["swapped", EQUALS])


# --- classic mistakes: the diagnosis that fits, and only that one ---------------------------

ADD_RIGHT = "self.grad += 1.0 * out.grad\nother.grad += 1.0 * out.grad"
MUL_RIGHT = "self.grad += other.data * out.grad\nother.grad += self.data * out.grad"
NOT_EQUALS = [EQUALS]
WRAP = ("Value.__add__ = (lambda add: lambda self, other: add(self, other if isinstance(other, "
        "Value) else Value(other)))(Value.__add__)\n")  # the lecture's accepting_numbers
MISTAKES = [
    # (source, name, reuse, must contain, must not contain)
    (add_source(ADD_RIGHT.replace("+=", "=")), "add", True, [EQUALS, "self already had grad"],
     ["incoming gradient", "never attached"]),
    (add_source("self.grad += 1.0 * out.grad\nother.grad = 1.0 * out.grad"), "add", True,
     [EQUALS, "other already had grad"], ["self already had"]),
    (add_source("self.grad += 1.0\nother.grad += 1.0"), "add", True,
     ["incoming gradient is missing", "expected"], NOT_EQUALS),
    (add_source("self.grad = 1.0\nother.grad = 1.0"), "add", False,
     ["incoming gradient is missing"], NOT_EQUALS),
    (add_source(ADD_RIGHT, attach="pass"), "add", False, ["never attached", "got 0"],
     NOT_EQUALS + ["incoming"]),
    (add_source(ADD_RIGHT, attach="self._backward = _backward"), "add", False,
     ["replaced the `_backward` of its input", "out._backward = _backward"], NOT_EQUALS),
    (add_source(ADD_RIGHT, attach="out._backward = _backward()"), "add", False,
     ["no parentheses"], NOT_EQUALS),
    (add_source(ADD_RIGHT, children="(self,)"), "add", False, ["_prev", "leaves out other"],
     [LIKELY]),
    (add_source(ADD_RIGHT, children="(self.data, other.data)"), "add", False,
     ["_prev", "not their data"], [LIKELY]),
    (add_source(ADD_RIGHT, op="*"), "add", False, ["out._op is '*'; expected '+'"], [LIKELY]),
    (add_source(ADD_RIGHT, forward="self.data - other.data"), "add", True,
     ["forward value differs", "expected", "the forward pass subtracts"], []),
    (add_source("self.grad += 2.0 * out.grad\nother.grad += 2.0 * out.grad"), "add", True,
     ["gradient of self differs", "float64 PyTorch", "exactly 2 times the right one"],
     [LIKELY]),
    (mul_source("self.grad += self.data * out.grad\nother.grad += other.data * out.grad"),
     "mul", True, ["swapped"], NOT_EQUALS + ["same operand"]),
    (mul_source("self.grad += other.data * out.grad\nother.grad += other.data * out.grad"),
     "mul", True, ["same operand is used twice", "other gets its own data"],
     NOT_EQUALS + ["swapped"]),
    (mul_source("self.grad += self.data * out.grad\nother.grad += self.data * out.grad"),
     "mul", False, ["same operand is used twice", "self gets its own data"], ["swapped"]),
    (mul_source("self.grad += other.data\nother.grad += self.data"), "mul", True,
     ["incoming gradient is missing"], NOT_EQUALS + ["swapped", "same operand"]),
    (mul_source(MUL_RIGHT.replace("other.grad +=", "other.grad =")), "mul", True,
     [EQUALS, "other already had grad"], ["swapped", "incoming"]),
    (mul_source("self.grad += other.data * out.grad\nother.grad += 2 * self.data * out.grad"),
     "mul", True, ["gradient of other differs"], [LIKELY]),
    (tanh_source("self.grad += (1 - self.data**2) * out.grad"), "tanh", True,
     ["computed from the input", "OUTPUT"], NOT_EQUALS + ["incoming"]),
    (tanh_source("self.grad += 1 - t**2"), "tanh", True, ["incoming gradient is missing"],
     NOT_EQUALS + ["from the input"]),
    (tanh_source("self.grad = (1 - t**2) * out.grad"), "tanh", True, [EQUALS],
     ["from the input", "incoming"]),
    # a precedence slip, derived from the local derivative's line
    (tanh_source("self.grad += 1 - t**2 * out.grad"), "tanh", True,
     ["missing parentheses", "`1 - out.data ** 2 * out.grad`", "`(1 - out.data ** 2) * out.grad`"],
     ["incoming"]),
    (tanh_source("self.grad += out.grad * 1 - t**2"), "tanh", True, ["missing parentheses"],
     ["incoming"]),
    (pow_source("self.grad += k * self.data**k - 1 * out.grad"), "pow", True,
     ["missing parentheses", "`k * self.data ** k - 1 * out.grad`"], ["lowers"]),
    (tanh_source("self.grad += (1 - t) ** 2 * out.grad"), "tanh", True,
     ["misplaced parentheses", "`(1 - out.data) ** 2 * out.grad`"], ["either"]),
    (unary_source("exp", "math.exp(self.data)", "self.grad += self.data * out.grad"), "exp",
     True, ["computed from the input", "e**x", "OUTPUT"], NOT_EQUALS),
    (unary_source("exp", "math.exp(self.data)", "self.grad += out.data"), "exp", True,
     ["incoming gradient is missing"], NOT_EQUALS + ["OUTPUT"]),
    (unary_source("exp", "math.exp(self.data)", "self.grad = out.data * out.grad"), "exp", True,
     [EQUALS], ["OUTPUT"]),
    (unary_source("log", "math.log(self.data)", "self.grad += self.data * out.grad"), "log",
     True, ["1 / x, not x"], NOT_EQUALS),
    (unary_source("log", "math.log(self.data)", "self.grad += (1 / self.data)"), "log",
     True, ["incoming gradient is missing"], NOT_EQUALS),
    (unary_source("log", "math.log10(self.data)", "self.grad += out.grad / self.data"), "log",
     True, ["forward value differs", "log10 instead of the natural log"], []),
    # 1 / out.data: the trials keep away from x = 1 (where log(x) = 0 would crash it), so it
    # is named
    (unary_source("log", "math.log(self.data)", "self.grad += (1 / out.data) * out.grad"),
     "log", True, ["evaluated at the OUTPUT", "not at out.data"],
     NOT_EQUALS + ["ZeroDivisionError"]),
    # 1 / out.data cannot be computed where log(x) = 0: that mistake must not fit, nor crash.
    (unary_source("log", "math.log(self.data)", "self.grad += -out.grad / self.data"), "log",
     True, ["opposite sign"], [LIKELY]),
    (pow_source("self.grad += k * self.data**k * out.grad"), "pow", True,
     ["lowers the exponent"], NOT_EQUALS + ["keeps the factor"]),
    (pow_source("self.grad += self.data ** (k - 1) * out.grad"), "pow", True,
     ["keeps the factor k"], NOT_EQUALS + ["lowers"]),
    (pow_source("self.grad += k * self.data ** (k - 1)"), "pow", True,
     ["incoming gradient is missing"], NOT_EQUALS),
    (pow_source("self.grad += k * self.data ** (k - 1) * out.grad", op='"pow"'), "pow", True,
     ["out._op is 'pow'", "**"], [LIKELY]),
    (pow_source("self.grad = k * self.data ** (k - 1) * out.grad"), "pow", True, [EQUALS], []),
    (unary_source("relu", "max(0.0, self.data)", "self.grad += out.data * out.grad"), "relu",
     True, ["not the output's value"], NOT_EQUALS),
    (unary_source("relu", "self.data", "self.grad += (self.data > 0) * out.grad"), "relu",
     True, ["forward value differs"], [LIKELY]),
    (unary_source("relu", "max(0.0, self.data)", "self.grad += (self.data > 0) * out.grad",
                  op="max"), "relu", True, ["out._op is 'max'"], []),
    ("def radd(self, other):\n    return self * other\nValue.__radd__ = radd\n", "radd", True,
     ["forward value differs", "the forward pass multiplies: out.data is self * other"],
     ["either"]),
    ("def neg(self):\n    return self * 1\nValue.__neg__ = neg\n", "neg", True,
     ["forward value differs"], [LIKELY]),
    ("def sub(self, other):\n    return other + (-self)\nValue.__sub__ = sub\n", "sub", True,
     ["forward value differs", "the operands are the other way round"], []),
    ("def truediv(self, other):\n    return other * self**-1\nValue.__truediv__ = truediv\n",
     "truediv", True, ["forward value differs", "the operands are the other way round"], []),
    ("def rsub(self, other):\n    return self - other\nValue.__rsub__ = rsub\n", "rsub", True,
     ["forward value differs", "the operands are the other way round"], []),
    ("def rtruediv(self, other):\n    return self / other\nValue.__rtruediv__ = rtruediv\n",
     "rtruediv", True, ["forward value differs", "the operands are the other way round"], []),
    ("def rmul(self, other):\n    return Value(self.data * other)\nValue.__rmul__ = rmul\n",
     "rmul", True, ["cut off from self", "build rmul from the operations you have"],
     NOT_EQUALS + ["never attached"]),
    # sub made of the learner's add, which still sets with `=`
    (add_source("self.grad = out.grad\nother.grad = out.grad") + WRAP
     + "def sub(self, other):\n    return self + (-other)\nValue.__sub__ = sub\n", "sub", True,
     [EQUALS + " in an operation it is made of"], []),
    # sub with its own _backward, setting with `=`
    (closure_op("sub", "__sub__", "self.data - other.data", "(self, other)", "-",
                "self.grad = out.grad\nother.grad = -out.grad"), "sub", True, [EQUALS],
     ["made of"]),
    # division with its own _backward, the sign of the second derivative wrong
    (closure_op("truediv", "__truediv__", "self.data / other.data", "(self, other)", "/",
                "self.grad += out.grad / other.data\n"
                "other.grad += self.data / other.data**2 * out.grad"), "truediv", True,
     ["gradient of other differs", "opposite sign"], [LIKELY]),
]


# Mistakes of an independent learner-tester (issue 15), named by their structure.
NOT_ATTACH = ["never attached", "out._backward = _backward"]
MISTAKES += [
    # a composed operation that returns a fresh Value: the graph is cut, not unattached
    ("def radd(self, other):\n    return Value(other + self.data)\nValue.__radd__ = radd\n",
     "radd", True, ["cut off from self", "build radd from the operations you have"],
     NOT_ATTACH),
    ("def rtruediv(self, other):\n    return Value(other / self.data)\n"
     "Value.__rtruediv__ = rtruediv\n", "rtruediv", True, ["cut off from self"], NOT_ATTACH),
    ("def neg(self):\n    return Value(-self.data, (self,), 'neg')\nValue.__neg__ = neg\n",
     "neg", True, ["build neg from the operations you have", "self * -1"], NOT_ATTACH),
    # a gradient that is a Value
    (mul_source("self.grad = other * Value(out.grad)\nother.grad = self * Value(out.grad)"),
     "mul", False, ["self.grad is a Value", "must be a float", ".data"], []),
    (add_source("self.grad += Value(out.grad)\nother.grad += Value(out.grad)"), "add", False,
     ["self.grad is a Value", "must be a float"], []),
    # a Value in the formula, where the Value has no __radd__ yet (float += Value fails)
    ("del Value.__radd__\n\n\n" + add_source("self.grad += out.grad * Value(1.0)\n"
                                             "other.grad += out.grad * Value(1.0)"),
     "add", False, ["raised TypeError", "a Value in a gradient's formula", "other.data"],
     ["__radd__"]),
    # a reflected operation that calls itself
    ("def radd(self, other):\n    return other + self\nValue.__radd__ = radd\n", "radd", True,
     ["RecursionError", "calls itself", "`self.__radd__(other)`", "`self + other`"], []),
    ("def rmul(self, other):\n    return other * self\nValue.__rmul__ = rmul\n", "rmul", True,
     ["RecursionError", "`self * other`"], []),
    # 1 / other before __rtruediv__ exists, and with an rtruediv made of this truediv
    ("del Value.__rtruediv__\n\n\ndef truediv(self, other):\n    return self * (1 / other)\n"
     "Value.__truediv__ = truediv\n", "truediv", True,
     ["TypeError", "needs Value.__rtruediv__", "other ** -1"], []),
    ("def truediv(self, other):\n    return self * (1 / other)\n\n\n"
     "def rtruediv(self, other):\n    return Value(other) / self\n\n\n"
     "Value.__truediv__ = truediv\nValue.__rtruediv__ = rtruediv\n", "truediv", True,
     ["RecursionError", "other ** -1"], []),
    # a constant factor, a derivative at the output, the wrong factor, sech, another's grad
    (add_source("self.grad += 0.5 * out.grad\nother.grad += 0.5 * out.grad"), "add", True,
     ["splits out.grad in halves", "its WHOLE out.grad"], [EQUALS]),
    (add_source("self.grad += out.grad / 2\nother.grad += out.grad / 2"), "add", False,
     ["splits out.grad in halves"], []),
    (pow_source("self.grad += k * out.data ** (k - 1) * out.grad"), "pow", True,
     ["evaluated at the OUTPUT", "k * x**(k - 1)"], NOT_EQUALS + ["lowers"]),
    (pow_source("self.grad += (k - 1) * self.data ** (k - 1) * out.grad"), "pow", True,
     ["factor is k"], NOT_EQUALS + ["lowers", "OUTPUT"]),
    (tanh_source("self.grad += out.grad / math.cosh(self.data)"), "tanh", True,
     ["not sech(x)", "square it"], NOT_EQUALS + ["OUTPUT"]),
    (tanh_source("self.grad += (1 - math.tanh(out.data) ** 2) * out.grad"), "tanh", True,
     ["evaluated at the OUTPUT"], NOT_EQUALS + ["from the input"]),
    (unary_source("exp", "math.exp(self.data)", "self.grad += math.exp(out.data) * out.grad"),
     "exp", True, ["evaluated at the OUTPUT", "e**x"], NOT_EQUALS),
    (mul_source("self.grad += other.data * out.grad\nother.grad += self.data * self.grad"),
     "mul", True, ["multiplied by self.grad, not by out.grad"], ["swapped", "same operand"]),
    (unary_source("log", "math.log(self.data)",
                  "self.grad += out.grad / (self.data * math.log(10))"), "log", True,
     ["the derivative of log10", "1 / x"], NOT_EQUALS),
    # operands the other way round
    ("def sub(self, other):\n    return -self + other\nValue.__sub__ = sub\n", "sub", True,
     ["the operands are the other way round", "other - self"], []),
    (closure_op("truediv", "__truediv__", "other.data / self.data", "(self, other)", "/",
                "self.grad += out.grad / other.data\n"
                "other.grad -= self.data / other.data**2 * out.grad"), "truediv", True,
     ["the operands are the other way round", "other / self"], []),
    # relu: the step inverted; the slope 1 at exactly x = 0
    (unary_source("relu", "max(0.0, self.data)",
                  "self.grad += (1.0 if self.data < 0 else 0.0) * out.grad"), "relu", True,
     ["step is inverted"], NOT_EQUALS),
    (unary_source("relu", "max(0.0, self.data)",
                  "self.grad += (1.0 if self.data >= 0 else 0.0) * out.grad"), "relu", True,
     ["exactly x = 0", "self.data > 0, not self.data >= 0"], NOT_EQUALS),
]


@pytest.mark.parametrize(("source", "name", "reuse", "must", "must_not"), MISTAKES)
def test_mistakes_are_refused_with_the_diagnosis_that_fits(source, name, reuse, must,
                                                          must_not):
    message = refused(*op_check(source, name), reuse=reuse, must=must, must_not=must_not)
    assert message.startswith(f"{name}")


# --- stubs, exceptions, bad calls -----------------------------------------------------------


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_stub_says_not_implemented_yet(capsys, name):
    attr = OPERATIONS[name].attr
    Value = learner(f"def {name}(self, *args):\n    raise NotImplementedError\n\n\n"
                    f"Value.{attr} = {name}\n")["Value"]
    assert check_operation(Value, name) is None
    assert capsys.readouterr().out == f"not implemented yet: {name}\n"


def test_a_stub_underneath_is_named(capsys):
    Value = learner("def neg(self):\n    raise NotImplementedError\nValue.__neg__ = neg\n"
                    "def sub(self, other):\n    return self + (-other)\n"
                    "Value.__sub__ = sub\n")["Value"]
    assert check_operation(Value, "sub") is None
    assert capsys.readouterr().out == ("not implemented yet: sub (it uses `neg`, which is not "
                                       "written yet)\n")


def test_an_exception_in_the_learners_code_names_the_operation():
    source = unary_source("log", "math.log(self)", "self.grad += out.grad / self.data")
    refused(*op_check(source, "log"), must=["log on out = log(self) with self = ",
                                             "raised TypeError"])
    source = unary_source("exp", "math.exp(self.data)", "self.grad += out.grd * out.data")
    refused(*op_check(source, "exp"), must=["exp's _backward on out = exp(self)",
                                             "raised AttributeError"])


def test_a_missing_attribute_and_an_unknown_name():
    Value = learner("")["Value"]
    del Value.exp
    refused(check_operation, Value, "exp", must=["has no `exp`", "Value.exp = exp"])
    with pytest.raises(ValueError, match="unknown operation 'sqrt'"):
        check_operation(Value, "sqrt")
    with pytest.raises(ValueError, match="use 'add' or 'mul'"):
        check_forward(Value, "tanh")


def test_the_printed_line_is_stable_and_the_global_random_state_untouched(capsys):
    Value = learner("")["Value"]
    random.seed(1234)
    state = random.getstate()
    lines = []
    for _ in range(2):
        check_operation(Value, "tanh")
        lines.append(capsys.readouterr().out)
    assert lines[0] == lines[1] and random.getstate() == state


def test_inputs_without_a_backward_function_are_fine(capsys):
    Value = learner(CORRECT["tanh"][0])["Value"]
    init = Value.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._backward = None  # only outputs get one

    Value.__init__ = __init__
    passes(capsys, check_operation, Value, "tanh")


def test_the_learners_own_random_draws_do_not_matter(capsys):
    source = tanh_source("self.grad += (1 - t**2) * out.grad").replace(
        "    t = math.tanh", "    random.random()\n    t = math.tanh")
    passes(capsys, check_operation, learner("import random\n" + source)["Value"], "tanh")


# --- lecture 02: the forward pass ----------------------------------------------------------

VALUE_02 = """
class Value:
    def __init__(self, data, children=(), op="", label=""):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(children)
        self._op = op
        self.label = label

    def __add__(self, other):
        return Value(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return Value(self.data * other.data, (self, other), "*")
"""


def value_02(old="", new=""):
    namespace = {}
    exec(VALUE_02.replace(old, new), namespace)
    return namespace["Value"]


@pytest.mark.parametrize(("old", "new"), [
    ("", ""),
    ("self._prev = tuple(children)", "self._prev = set(children)"),
    ("return Value(self.data * other.data", "product = self.data * other.data\n"
                                            "        return Value(product"),
])
def test_forward_passes_written_differently(capsys, old, new):
    for name in ("add", "mul"):
        line = passes(capsys, check_forward, value_02(old, new), name)
        assert line == (f"{name}: correct (forward pass: data, _prev, _op on 200 random "
                        "inputs and 50 random expressions)\n")


@pytest.mark.parametrize(("old", "new", "name", "must", "must_not"), [
    ("self.data + other.data", "self.data * other.data", "add", ["multiplies"], []),
    ("self.data * other.data", "self.data + other.data", "mul", ["adds"], []),
    ("self.data * other.data", "self.data * other.data + 1", "mul", ["forward value differs"],
     [LIKELY]),
    ('(self, other), "+"', '(self, other), "*"', "add", ["out._op is '*'"], [LIKELY]),
    ('(self, other), "+"', '(self.data, other.data), "+"', "add", ["not their data"], []),
    ('(self, other), "+"', '(), "+"', "add", ["out._prev is ()"], []),
    ('(self, other), "*"', '(self,), "*"', "mul", ["leaves out other"], []),
    # the lecture states the order of the children, (self, other)
    ('(self, other), "+"', '(other, self), "+"', "add", ["out._prev is (other, self)",
                                                         "(self, other)"], [LIKELY]),
    ('(self, other), "*"', '(other, self), "*"', "mul", ["out._prev is (other, self)"], []),
    ('return Value(self.data + other.data, (self, other), "+")',
     "return self.data + other.data", "add", ["returned a float"], []),
    ('return Value(self.data + other.data, (self, other), "+")',
     "self.data += other.data\n        return self", "add", ["changed its input's data"], []),
])
def test_forward_mistakes(old, new, name, must, must_not):
    refused(check_forward, value_02(old, new), name, must=must, must_not=must_not)


def test_forward_stub(capsys):
    Value = value_02('def __mul__(self, other):\n        return Value(self.data * other.data, '
                     '(self, other), "*")', "def __mul__(self, other):\n"
                     "        raise NotImplementedError")
    assert check_forward(Value, "mul") is None
    assert capsys.readouterr().out == "not implemented yet: mul\n"


# --- the topological sort --------------------------------------------------------------------

DFS = """
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)
    return order
"""
SORTS = [
    DFS,
    # iterative depth-first search
    """
    def topological_order(root):
        order, placed, stack = [], set(), [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in placed:
                continue
            if expanded:
                placed.add(node)
                order.append(node)
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev if child not in placed)
        return order
    """,
    # Kahn: place a value once all of its inputs are placed
    """
    def topological_order(root):
        nodes, todo = {}, [root]
        while todo:
            node = todo.pop()
            if id(node) not in nodes:
                nodes[id(node)] = node
                todo.extend(node._prev)
        waiting = {i: len({id(c) for c in n._prev}) for i, n in nodes.items()}
        users = {i: [] for i in nodes}
        for i, n in nodes.items():
            for c in {id(c) for c in n._prev}:
                users[c].append(i)
        ready = [i for i, count in waiting.items() if count == 0]
        order = []
        while ready:
            i = ready.pop(0)
            order.append(nodes[i])
            for u in users[i]:
                waiting[u] -= 1
                if waiting[u] == 0:
                    ready.append(u)
        return order
    """,
    # a list as the record of visited values, and a tuple as the result
    DFS.replace("visited = [], set()", "visited = [], []").replace(
        "visited.add(node)", "visited.append(node)").replace("return order", "return tuple(order)"),
]


@pytest.mark.parametrize("source", SORTS)
def test_valid_sorts_pass(capsys, source):
    line = passes(capsys, check_topological_sort, learner(source)["topological_order"])
    assert line == ("topological_order: correct (a valid order on 50 random graphs, values "
                    "shared between nodes included)\n")


@pytest.mark.parametrize(("old", "new", "must", "must_not"), [
    ("        if node not in visited:\n            visited.add(node)\n",
     "        if True:\n", ["more than once", "`visited` set"], []),
    ("    return order", "    return order + [root]", ["more than once"], ["visited"]),
    ("            for child in node._prev:\n                visit(child)\n"
     "            order.append(node)",
     "            order.append(node)\n            for child in node._prev:\n"
     "                visit(child)", ["comes before its input", "AFTER visiting"], []),
    # a correct post-order reversed once too often is not told to append after visiting
    ("    return order", "    return order[::-1]", ["reversed", "return it as built"],
     ["AFTER visiting"]),
    ("    visit(root)\n", "    for child in root._prev:\n        visit(child)\n",
     ["leaves out the root itself"], [LIKELY]),
    ("                visit(child)", "                if child._prev:\n"
                                    "                    visit(child)", ["leaves out v"], []),
    ("    return order", "    pass", ["returned None"], []),
    ("    return order", "    return set(order)", ["returned a set", "has no order"], []),
    ("            order.append(node)", "            order.append(node)\n"
                                       "            node.grad = 0.5", ["changed the data"], []),
])
def test_sort_mistakes(old, new, must, must_not):
    source = DFS.replace(old, new)
    assert source != DFS
    refused(check_topological_sort, learner(source)["topological_order"], must=must,
            must_not=must_not)


def test_sort_stub(capsys):
    fn = learner("def topological_order(root):\n    raise NotImplementedError\n")
    assert check_topological_sort(fn["topological_order"]) is None
    assert capsys.readouterr().out == "not implemented yet: topological_order\n"


# --- backward() ------------------------------------------------------------------------------

BACKWARD = """
def backward(self):
    self.grad = 1.0
    for node in reversed(topological_order(self)):
        node._backward()


Value.backward = backward
"""
BACKWARDS = [
    BACKWARD,
    BACKWARD.replace("reversed(topological_order(self))", "topological_order(self)[::-1]"),
    BACKWARD.replace("    self.grad = 1.0\n    for node in reversed(topological_order(self)):\n"
                     "        node._backward()",
                     "    order = topological_order(self)\n    self.grad = 1\n"
                     "    for i in range(len(order) - 1, -1, -1):\n"
                     "        if order[i]._prev:\n            order[i]._backward()"),
    BACKWARD.replace("topological_order(self)", "own_order(self)") + DFS.replace(
        "topological_order", "own_order"),
]


@pytest.mark.parametrize("source", BACKWARDS)
def test_correct_backward_passes(capsys, source):
    line = passes(capsys, check_backward, learner(source)["Value"])
    assert line == ("backward: correct (50 random graphs, values used twice included, and a "
                    "second backward() without a reset; vs float64 PyTorch)\n")


def test_backward_does_not_depend_on_the_learners_operations(capsys):
    ns = learner(add_source("self.grad = out.grad\nother.grad = out.grad") + BACKWARD)
    passes(capsys, check_backward, ns["Value"])


BFS = """
def backward(self):
    self.grad = 1.0
    queue, seen = [self], set()
    while queue:
        node = queue.pop(0)
        if node not in seen:
            seen.add(node)
            node._backward()
            queue.extend(node._prev)


Value.backward = backward
"""


@pytest.mark.parametrize(("source", "must", "must_not"), [
    (BACKWARD.replace("reversed(topological_order(self))", "topological_order(self)"),
     ["inputs first", "reversed"], ["seeded"]),
    (BACKWARD.replace("    self.grad = 1.0\n", ""), ["not seeded with 1", "grad = 0.0"],
     ["inputs first"]),
    (BACKWARD.replace("    self.grad = 1.0\n", "").replace(
        "        node._backward()", "        node._backward()\n    self.grad = 1.0"),
     ["not seeded with 1"], ["inputs first"]),
    (BACKWARD.replace("self.grad = 1.0", "self.grad = 2.0"), ["grad = 2.0"], []),
    (BFS, ["before all the nodes that use it"], ["seeded", "inputs first"]),
    (BACKWARD.replace("node._backward()", "pass"), ["no node's `_backward` was called"], []),
    (BACKWARD.replace("topological_order(self)", "own_order(self)") + DFS.replace(
        "topological_order", "own_order").replace(
        "        if node not in visited:\n            visited.add(node)\n", "        if True:\n"),
     ["called more than once"], ["seeded"]),
    (BACKWARD.replace("        node._backward()", "        if node is not self:\n"
                                                   "            node._backward()"),
     ["never called"], ["seeded"]),
    # seeds with += : right on a fresh graph, wrong on a second backward() without a reset
    # (lecture 03, section 4), so refused with the reason
    (BACKWARD.replace("self.grad = 1.0", "self.grad += 1.0"),
     ["the root already had grad = 1", "the seed is added", "self.grad = 1.0"],
     ["inputs first", "sets the gradients to zero"]),
    (BACKWARD.replace("self.grad = 1.0", "self.grad = self.grad + 1"),
     ["the seed is added"], ["inputs first"]),
    # resets the gradients itself (the caller's job): refused on a graph whose leaves hold
    # gradients already, whether it zeroes every node or only the inputs
    (BACKWARD.replace("    self.grad = 1.0\n",
                      "    for node in topological_order(self):\n        node.grad = 0.0\n"
                      "    self.grad = 1.0\n"),
     ["sets the gradients to zero first", "a.grad = 0.25"], ["seeded", "inputs first"]),
    (BACKWARD.replace("    self.grad = 1.0\n",
                      "    for node in topological_order(self):\n"
                      "        if not node._prev:\n            node.grad = 0\n"
                      "    self.grad = 1.0\n"),
     ["sets the gradients to zero first"], ["seeded"]),
    # wrong on a small graph, raising on the bigger graphs tried to say why: the order is
    # named from the graphs where it ran, not "raised" on a graph the learner never saw
    (BACKWARD.replace("reversed(topological_order(self))", "topological_order(self)").replace(
        "    self.grad = 1.0\n", "    self.grad = 1.0\n    if len(topological_order(self)) > 9:\n"
                               "        raise ValueError('too many nodes')\n"),
     ["gradient of a differs", "inputs first"], ["raised", "too many nodes"]),
    # a seed that is a Value makes every gradient a Value: refused by name, not a TypeError
    (BACKWARD.replace("self.grad = 1.0", "self.grad = Value(1.0)"),
     ["grad is a Value", "not a number", "seed the root with the number 1.0"], []),
])
def test_backward_mistakes(source, must, must_not):
    refused(check_backward, learner(source)["Value"], must=must, must_not=must_not)


def test_backward_stub_and_missing(capsys):
    ns = learner("def backward(self):\n    raise NotImplementedError\n"
                 "Value.backward = backward\n")
    assert check_backward(ns["Value"]) is None
    assert capsys.readouterr().out == "not implemented yet: backward\n"
    del ns["Value"].backward
    refused(check_backward, ns["Value"], must=["Value.backward = backward"])


def test_finished_pieces_pass_every_check(capsys):
    for name in OPERATIONS:
        for reuse in (True, False):
            passes(capsys, check_operation, finished.Value, name, reuse=reuse)
    passes(capsys, check_forward, finished.Value, "add")
    passes(capsys, check_topological_sort, finished.topological_order)
    passes(capsys, check_backward, finished.Value)


# --- softmax and nll -------------------------------------------------------------------------

SOFTMAX = """
def softmax(logits):
    counts = [z.exp() for z in logits]
    total = sum(counts)
    return [count / total for count in counts]


def nll(probs, target):
    return -probs[target].log()
"""


@pytest.mark.parametrize(("old", "new"), [
    ("", ""),
    ("    counts = [z.exp() for z in logits]", "    top = max(z.data for z in logits)\n"
                                               "    counts = [(z - top).exp() for z in logits]"),
    ("    total = sum(counts)\n    return [count / total for count in counts]",
     "    total = counts[0]\n    for c in counts[1:]:\n        total = total + c\n"
     "    return [c * total**-1 for c in counts]"),
    ("    return -probs[target].log()", "    return probs[target].log() * -1"),
])
def test_softmax_and_nll_written_differently_pass(capsys, old, new):
    ns = learner(SOFTMAX.replace(old, new))
    line = passes(capsys, check_softmax_nll, ns["softmax"], ns["nll"], ns["Value"])
    assert line.startswith("softmax and nll: correct (50 random sets of logits")


@pytest.mark.parametrize(("old", "new", "must", "must_not"), [
    ("    return [count / total for count in counts]", "    return counts",
     ["probabilities differ", "not divided by their sum"], []),
    ("    return [count / total for count in counts]", "    return [c / 2 for c in counts]",
     ["probabilities differ"], [LIKELY]),
    ("    return -probs[target].log()", "    return probs[target].log()", ["MINUS the log"], []),
    ("    return -probs[target].log()", "    return -probs[target - 1].log()",
     ["the loss is", "-log(probs[target])", "probs[target - 1]"], []),
    ("    return [count / total for count in counts]",
     "    return [Value(c.data / total.data) for c in counts]", ["no gradient reached"], []),
    ("    return -probs[target].log()", "    return -math.log(probs[target].data)",
     ["returned a float"], []),
    # the denominator a plain float: only the target's logit is in the loss's graph
    ("    total = sum(counts)", "    total = sum(math.exp(z.data) for z in logits)",
     ["not connected to the logits", "the sum (the denominator) is a plain float",
      "make the total a Value"], ["exp, log"]),
    ("    return [count / total for count in counts]",
     "    return [c.data / total.data for c in counts]", ["keep each probability a Value"], []),
])
def test_softmax_and_nll_mistakes(old, new, must, must_not):
    ns = learner(SOFTMAX.replace(old, new))
    refused(check_softmax_nll, ns["softmax"], ns["nll"], ns["Value"], must=must,
            must_not=must_not)


def test_softmax_gradients_through_a_wrong_operation_are_refused():
    ns = learner(SOFTMAX + unary_source("log", "math.log(self.data)",
                                        "self.grad += self.data * out.grad"))
    refused(check_softmax_nll, ns["softmax"], ns["nll"], ns["Value"],
            must=["logits' gradients differ", "float64 PyTorch"])


@pytest.mark.parametrize("which", ["softmax", "nll"])
def test_softmax_or_nll_stub(capsys, which):
    ns = learner(SOFTMAX.replace(f"def {which}(", f"def {which}(*args):\n    raise "
                                 f"NotImplementedError\n\n\ndef unused_{which}("))
    assert check_softmax_nll(ns["softmax"], ns["nll"], ns["Value"]) is None
    assert capsys.readouterr().out == f"not implemented yet: {which}\n"


# --- the gate patterns by hand ----------------------------------------------------------------


@pytest.mark.parametrize("answer", [(3, 8, 0), (3.0, 8.0, 0.0), (3.0, 8.0, -0.0)])
def test_gates_by_hand_right_answers_pass(capsys, answer):
    assert check_gates_by_hand(*answer) is None
    assert capsys.readouterr().out == ("gates by hand: correct (dx, dy and dz agree with "
                                       "PyTorch's backward pass of f = (x + y) * max(y, z))\n")


@pytest.mark.parametrize(("answer", "must", "must_not"), [
    ((3, 5, 0), ["dy = 5 is not", "dx and dz are right", "only the path through max"],
     ["max routes", "mul swaps"]),
    ((3, 3, 0), ["only the path through x + y"], ["max routes", "mul swaps"]),
    ((3, 3, 5), ["dy = 3 and dz = 5 are not", "the input that WON"], ["fork", "mul"]),
    ((3, 8, 5), ["dz = 5 is not", "to ONE input"], ["fork", "mul"]),
    ((5, 8, 0), ["dx = 5 is not", "mul swaps"], ["fork", "max routes"]),
    ((1.5, 6.5, 0), ["does not split it into halves"], ["fork", "mul swaps"]),
    ((1, 6, 0), ["the + node passes on the gradient it RECEIVED"], ["fork", "halves"]),
    ((3, 4, 0), ["max passes on the gradient it RECEIVED"], ["fork", "the + node"]),
    ((3, 5, 5), ["to ONE input", "only the path through max"], ["mul swaps"]),
    ((3, -8, 0), ["dy = -8 is not", "Work back from f one gate at a time"], [LIKELY]),
    (("3", 8, 0), ["dx should be a number", "a str"], [LIKELY]),
    ((3, True, 0), ["dy should be a number"], [LIKELY]),
])
def test_gates_by_hand_mistakes_name_the_gate(answer, must, must_not):
    refused(check_gates_by_hand, *answer, must=must, must_not=must_not)


def test_gates_by_hand_unanswered(capsys):
    assert check_gates_by_hand(None, 8, None) is None
    assert capsys.readouterr().out == "not implemented yet: dx, dz\n"


# --- failure classes of the held-out answers (issue 15), derived from the answer's structure ---


@pytest.mark.parametrize(("source", "name", "must", "must_not"), [
    # a label without the exponent
    (pow_source("self.grad += k * self.data ** (k - 1) * out.grad", op='"**"'), "pow",
     ["out._op is '**'", "the exponent included"], [LIKELY]),
    # the gradient added twice: += and the explicit sum
    (mul_source("self.grad += self.grad + other.data * out.grad\n"
                "other.grad += self.data * out.grad"), "mul",
     ["self already had grad", "self's gradient is added twice"], [EQUALS]),
    # a clamp on the incoming gradient shows only with negative upstream gradients
    (unary_source("relu", "max(0.0, self.data)",
                  "self.grad += (self.data > 0) * max(out.grad, 0.0)"), "relu",
     ["the incoming gradient is clamped"], ["unchanged"]),
    (unary_source("relu", "max(0.0, self.data)", "self.grad += out.grad"), "relu",
     ["where the input is negative too"], ["clamped"]),
    # a reflected operation computing another operation
    ("def rmul(self, other):\n    return self + other\nValue.__rmul__ = rmul\n", "rmul",
     ["the forward pass adds: out.data is self + other"], []),
    # a composed operation returning a detached Value: cut off, not "attach _backward"
    ("def neg(self):\n    return Value(-self.data)\nValue.__neg__ = neg\n", "neg",
     ["cut off from self", "self * -1"], NOT_ATTACH),
])
def test_structural_diagnoses(source, name, must, must_not):
    refused(*op_check(source, name), must=must, must_not=must_not)


def test_a_reversed_breadth_first_order_is_named():
    source = """
    def topological_order(root):
        seen, order, queue = set(), [], [root]
        while queue:
            node = queue.pop(0)
            if node in seen:
                continue
            seen.add(node)
            order.append(node)
            queue.extend(node._prev)
        return order[::-1]
    """
    refused(check_topological_sort, learner(source)["topological_order"],
            must=["breadth-first"], must_not=["AFTER visiting", "return it as built"])


def test_a_softmax_that_returns_a_generator_is_refused():
    ns = learner(SOFTMAX.replace("    return [count / total for count in counts]",
                                 "    return (count / total for count in counts)"))
    refused(check_softmax_nll, ns["softmax"], ns["nll"], ns["Value"],
            must=["returned a generator", "return a list"])


def test_a_max_gate_that_splits_its_gradient_is_named():
    refused(check_gates_by_hand, 3.0, 5.5, 2.5, must=["max does not split its gradient"],
            must_not=["fork"])


def test_equals_inside_a_branch_is_named():
    source = unary_source("relu", "max(0.0, self.data)",
                          "if self.data > 0:\n    self.grad = out.grad")
    refused(*op_check(source, "relu"), must=[EQUALS], must_not=["clamped", "unchanged"])


@pytest.mark.parametrize(("source", "name", "must", "must_not"), [
    # a node's value in place of its gradient
    (mul_source("self.grad += other.data * out.data\nother.grad += self.data * out.data"), "mul",
     ["multiplied by out.data, the output's VALUE"], ["swapped", "incoming"]),
    (tanh_source("self.grad += (1 - t**2) * out.data"), "tanh",
     ["multiplied by out.data, the output's VALUE"], ["parentheses"]),
    # the operation's own value as its local derivative
    (tanh_source("self.grad += t * out.grad"), "tanh", ["not tanh's own value"], []),
    # one operand left out of the backward step
    (add_source("self.grad += out.grad"), "add", ["never changes other.grad"], ["self.grad"]),
])
def test_more_structural_diagnoses(source, name, must, must_not):
    refused(*op_check(source, name), must=must, must_not=must_not)


@pytest.mark.parametrize(("new", "must"), [
    ("    return -probs[target]", "the log is missing"),
    ("    return -sum(p.log() for p in probs)", "adds up -log over every class"),
])
def test_nll_mistakes_named(new, must):
    ns = learner(SOFTMAX.replace("    return -probs[target].log()", new))
    refused(check_softmax_nll, ns["softmax"], ns["nll"], ns["Value"], must=[must])


@pytest.mark.parametrize(("source", "name", "must", "must_not"), [
    # a power dropped from the local derivative (derived from LOCAL)
    (tanh_source("self.grad += (1 - t) * out.grad"), "tanh",
     ["a power is missing", "`out.data ** 2`"], ["parentheses"]),
    (closure_op("truediv", "__truediv__", "self.data / other.data", "(self, other)", "/",
                "self.grad += out.grad / other.data\n"
                "other.grad += -self.data / other.data * out.grad"), "truediv",
     ["a power is missing", "`other.data ** 2`"], []),
    # + for * in the chain rule; out.grad twice
    (unary_source("exp", "math.exp(self.data)", "self.grad += out.data + out.grad"), "exp",
     ["ADDED to out.grad"], ["incoming"]),
    (tanh_source("self.grad += (1 - t**2) * out.grad * out.grad"), "tanh",
     ["multiplied by out.grad twice"], []),
    # relu's step on the wrong number
    (unary_source("relu", "max(0.0, self.data)", "self.grad += (out.grad > 0) * out.grad"),
     "relu", ["step looks at out.grad"], ["clamped"]),
    # other.grad read before it is updated (0 on fresh inputs): told apart with priors
    (mul_source("self.grad += other.data * other.grad\nother.grad += self.data * out.grad"),
     "mul", ["self's local derivative is multiplied by other.grad"], ["never changes"]),
    # a product for the power
    (pow_source("self.grad += k * self.data ** (k - 1) * out.grad").replace(
        "self.data**k, (self,)", "self.data * k, (self,)"), "pow",
     ["a product for the power"], []),
])
def test_diagnoses_derived_from_the_local_derivative(source, name, must, must_not):
    refused(*op_check(source, name), must=must, must_not=must_not)


# Round 2 (issue 15): classes that were only located, now named from structure.
@pytest.mark.parametrize(("source", "name", "must", "must_not"), [
    # parentheses moved, not only dropped: every bracketing of the line
    (unary_source("log", "math.log(self.data)", "self.grad += 1 / (self.data * out.grad)"),
     "log", ["misplaced parentheses", "`1 / (self.data * out.grad)`"], ["either"]),
    # the operand's own gradient where out.grad belongs
    (unary_source("exp", "math.exp(self.data)", "self.grad += out.data * self.grad"), "exp",
     ["multiplied by self.grad, its own gradient"], ["never changes", "either"]),
    # a forward pass with min for max
    (unary_source("relu", "min(0.0, self.data)", "self.grad += (self.data > 0) * out.grad"),
     "relu", ["min where max belongs"], []),
    # a number read as a Value in a composed operation: what the error means
    ("def sub(self, other):\n    return self + (-other.data)\nValue.__sub__ = sub\n", "sub",
     ["a number has no .data", "self + (-other)"], []),
])
def test_located_classes_now_named(source, name, must, must_not):
    refused(*op_check(source, name), must=must, must_not=must_not)


def test_a_sort_without_recursion_is_named():
    source = ("def topological_order(root):\n    order = []\n    for child in root._prev:\n"
              "        if child not in order:\n            order.append(child)\n"
              "    order.append(root)\n    return order\n")
    refused(check_topological_sort, learner(source)["topological_order"],
            must=["leaves out", "only the root and its own inputs"])


def test_a_backward_that_never_calls_the_nodes_is_not_told_it_goes_inputs_first():
    source = BACKWARD.replace("node._backward()", "node._backward")
    refused(check_backward, learner(source)["Value"],
            must=["no node's `_backward` was called"], must_not=["inputs first", "either"])
