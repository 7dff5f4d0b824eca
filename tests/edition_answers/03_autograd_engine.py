"""Answers for the four-way tests of exercises/03_autograd_engine.ipynb.

For each TODO cell: alternative correct answers, written differently from the lecture's, and
planted classic mistakes with the text the check must print (and texts it must not).
"""

# --- section 1: add, mul, tanh (checked on graphs where no value is used twice) -----------

ADD_PLUS_EQUALS = '''\
def add(self, other):
    out = type(self)(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad += out.grad
        other.grad += out.grad

    out._backward = _backward
    return out


Value.__add__ = add
'''

ADD_FORGETS_OUT_GRAD = '''\
def add(self, other):
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad = 1.0
        other.grad = 1.0

    out._backward = _backward
    return out


Value.__add__ = add
'''

ADD_NOT_ATTACHED = '''\
def add(self, other):
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad = 1.0 * out.grad
        other.grad = 1.0 * out.grad

    return out


Value.__add__ = add
'''

MUL_ALTERNATIVE = '''\
def mul(self, other):
    a, b = self, other
    out = Value(a.data * b.data, children=(a, b), op="*")

    def _backward():
        a.grad = out.grad * b.data
        b.grad = out.grad * a.data

    out._backward = _backward
    return out


Value.__mul__ = mul
'''

MUL_SWAPPED = '''\
def mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad = self.data * out.grad
        other.grad = other.data * out.grad

    out._backward = _backward
    return out


Value.__mul__ = mul
'''

MUL_SAME_OPERAND = '''\
def mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad = other.data * out.grad
        other.grad = other.data * out.grad

    out._backward = _backward
    return out


Value.__mul__ = mul
'''

TANH_ALTERNATIVE = '''\
def tanh(self):
    out = Value((math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1), (self,), "tanh")

    def _backward():
        self.grad = (1 - out.data * out.data) * out.grad

    out._backward = _backward
    return out


Value.tanh = tanh
'''

TANH_OF_INPUT = '''\
def tanh(self):
    out = Value(math.tanh(self.data), (self,), "tanh")

    def _backward():
        self.grad = (1 - self.data**2) * out.grad

    out._backward = _backward
    return out


Value.tanh = tanh
'''

# --- section 2: topological_order, backward --------------------------------------------

TOPO_KAHN = '''\
def topological_order(root):
    """Kahn's algorithm: repeatedly place a value whose inputs are all placed."""
    nodes, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node._prev)
    waiting = {key: len({id(c) for c in node._prev}) for key, node in nodes.items()}
    users = {key: [] for key in nodes}
    for key, node in nodes.items():
        for child_key in {id(c) for c in node._prev}:
            users[child_key].append(node)
    ready = [node for key, node in nodes.items() if waiting[key] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for user in users[id(node)]:
            waiting[id(user)] -= 1
            if waiting[id(user)] == 0:
                ready.append(user)
    return order
'''

TOPO_ITERATIVE = '''\
def topological_order(root):
    order, done, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_placed = stack.pop()
        if node in done:
            continue
        if inputs_placed:
            done.add(node)
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if child not in done)
    return order
'''

TOPO_REVERSED = '''\
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)
    return order[::-1]
'''

TOPO_PREORDER = '''\
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            order.append(node)
            for child in node._prev:
                visit(child)

    visit(root)
    return order
'''

TOPO_NO_VISITED = '''\
def topological_order(root):
    order = []

    def visit(node):
        for child in node._prev:
            visit(child)
        order.append(node)

    visit(root)
    return order
'''

BACKWARD_ALTERNATIVE = '''\
def backward(self):
    nodes = topological_order(self)
    nodes.reverse()
    self.grad = 1
    for node in nodes:
        node._backward()


Value.backward = backward
'''

BACKWARD_NO_SEED = '''\
def backward(self):
    for node in reversed(topological_order(self)):
        node._backward()


Value.backward = backward
'''

BACKWARD_WRONG_ORDER = '''\
def backward(self):
    self.grad = 1.0
    for node in topological_order(self):
        node._backward()


Value.backward = backward
'''

BACKWARD_SEED_ADDED = BACKWARD_ALTERNATIVE.replace("self.grad = 1", "self.grad += 1")
assert BACKWARD_SEED_ADDED != BACKWARD_ALTERNATIVE

# --- section 3: the gate patterns by hand, f = (x + y) * max(y, z) at x = 2, y = 3, z = 1 ----

GATES_ALTERNATIVE = '''\
dx = 3
dy = 3 + 5  # through x + y, and through max(y, z)
dz = 0
'''

GATES_ONE_PATH = '''\
dx = 3.0
dy = 3.0
dz = 0.0
'''

GATES_MAX_TO_LOSER = '''\
dx = 3.0
dy = 3.0
dz = 5.0
'''

GATES_MUL_NOT_SWAPPED = '''\
dx = 5.0
dy = 8.0
dz = 0.0
'''

GATES_ADD_HALVES = '''\
dx = 1.5
dy = 6.5
dz = 0.0
'''

# --- section 4: the += fix -------------------------------------------------------------

FIX_ALTERNATIVE = '''\
def add(self, other):
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad = self.grad + out.grad
        other.grad = other.grad + out.grad

    out._backward = _backward
    return out


def mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad = self.grad + other.data * out.grad
        other.grad = other.grad + self.data * out.grad

    out._backward = _backward
    return out


def tanh(self):
    out = Value(math.tanh(self.data), (self,), "tanh")

    def _backward():
        self.grad += (1 - out.data**2) * out.grad

    out._backward = _backward
    return out


Value.__add__ = add
Value.__mul__ = mul
Value.tanh = tanh
'''

FIX_KEEPS_EQUALS_IN_ADD = FIX_ALTERNATIVE.replace(
    "self.grad = self.grad + out.grad\n        other.grad = other.grad + out.grad",
    "self.grad = out.grad\n        other.grad = out.grad")
assert FIX_KEEPS_EQUALS_IN_ADD != FIX_ALTERNATIVE

FIX_KEEPS_EQUALS_IN_MUL = FIX_ALTERNATIVE.replace(
    "self.grad = self.grad + other.data * out.grad\n"
    "        other.grad = other.grad + self.data * out.grad",
    "self.grad = other.data * out.grad\n        other.grad = self.data * out.grad")
assert FIX_KEEPS_EQUALS_IN_MUL != FIX_ALTERNATIVE

# --- section 5: more operations ----------------------------------------------------------

RADD_ALTERNATIVE = '''\
def radd(self, other):
    return as_value(other) + self


def rmul(self, other):
    return self.__mul__(other)


Value.__radd__ = radd
Value.__rmul__ = rmul
'''

RMUL_ADDS = '''\
def radd(self, other):
    return self + other


def rmul(self, other):
    return self + other


Value.__radd__ = radd
Value.__rmul__ = rmul
'''

EXP_ALTERNATIVE = '''\
def exp(self):
    out = Value(math.e**self.data, (self,), "exp")

    def _backward():
        self.grad += math.exp(self.data) * out.grad

    out._backward = _backward
    return out


Value.exp = exp
'''

EXP_OVERWRITES = '''\
def exp(self):
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad = out.data * out.grad

    out._backward = _backward
    return out


Value.exp = exp
'''

EXP_FORGETS_OUT_GRAD = '''\
def exp(self):
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.data

    out._backward = _backward
    return out


Value.exp = exp
'''

POWER_ALTERNATIVE = '''\
def power(self, k):
    out = Value(self.data**k, (self,), f"**{k}")

    def _backward():
        local = k * self.data ** (k - 1)
        self.grad += local * out.grad

    out._backward = _backward
    return out


Value.__pow__ = power
'''

POWER_WRONG_EXPONENT = '''\
def power(self, k):
    out = Value(self.data**k, (self,), f"**{k}")

    def _backward():
        self.grad += k * self.data**k * out.grad

    out._backward = _backward
    return out


Value.__pow__ = power
'''

DIV_ALTERNATIVE = '''\
def truediv(self, other):
    other = as_value(other)
    out = Value(self.data / other.data, (self, other), "/")

    def _backward():
        self.grad += out.grad / other.data
        other.grad += -self.data / other.data**2 * out.grad

    out._backward = _backward
    return out


def neg(self):
    return -1 * self


def sub(self, other):
    return self + other * -1


Value.__truediv__ = truediv
Value.__neg__ = neg
Value.__sub__ = sub
'''

SUB_ADDS = '''\
def truediv(self, other):
    return self * other**-1


def neg(self):
    return self * -1


def sub(self, other):
    return self + other


Value.__truediv__ = truediv
Value.__neg__ = neg
Value.__sub__ = sub
'''

# --- section 7: log, softmax -------------------------------------------------------------

LOG_ALTERNATIVE = '''\
def log(self):
    out = Value(math.log(self.data), (self,), "log")

    def _backward():
        self.grad += out.grad / self.data

    out._backward = _backward
    return out


Value.log = log
'''

LOG_FORGETS_OUT_GRAD = '''\
def log(self):
    out = Value(math.log(self.data), (self,), "log")

    def _backward():
        self.grad += 1 / self.data

    out._backward = _backward
    return out


Value.log = log
'''

LOG_OF_OUTPUT = LOG_ALTERNATIVE.replace("out.grad / self.data", "out.grad / out.data")
assert LOG_OF_OUTPUT != LOG_ALTERNATIVE

LOG_WRONG_SIGN = LOG_ALTERNATIVE.replace("out.grad / self.data", "-out.grad / self.data")
assert LOG_WRONG_SIGN != LOG_ALTERNATIVE

SOFTMAX_ALTERNATIVE = '''\
def softmax(logits):
    biggest = max(z.data for z in logits)  # a constant: softmax does not change
    counts = [(z - biggest).exp() for z in logits]
    total = counts[0]
    for count in counts[1:]:
        total = total + count
    return [count * total**-1 for count in counts]


def nll(probs, target):
    return probs[target].log() * -1
'''

SOFTMAX_WRONG_SIGN = '''\
def softmax(logits):
    counts = [z.exp() for z in logits]
    total = sum(counts)
    return [count / total for count in counts]


def nll(probs, target):
    return probs[target].log()
'''

SOFTMAX_DETACHED = '''\
def softmax(logits):
    counts = [Value(math.exp(z.data)) for z in logits]
    total = sum(counts)
    return [count / total for count in counts]


def nll(probs, target):
    return -probs[target].log()
'''

SOFTMAX_NOT_NORMALIZED = '''\
def softmax(logits):
    return [z.exp() for z in logits]


def nll(probs, target):
    return -probs[target].log()
'''

# --- exercises ----------------------------------------------------------------------------

RELU_ALTERNATIVE = '''\
def relu(self):
    out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

    def _backward():
        self.grad += (out.data > 0) * out.grad

    out._backward = _backward
    return out


Value.relu = relu
'''

RELU_OVERWRITES = '''\
def relu(self):
    out = Value(max(0.0, self.data), (self,), "relu")

    def _backward():
        self.grad = (1.0 if self.data > 0 else 0.0) * out.grad

    out._backward = _backward
    return out


Value.relu = relu
'''

RSUB_ALTERNATIVE = '''\
def rsub(self, other):
    return -self + other


def rtruediv(self, other):
    return self**-1 * other


Value.__rsub__ = rsub
Value.__rtruediv__ = rtruediv
'''

RSUB_WRONG_WAY_ROUND = '''\
def rsub(self, other):
    return self - other


def rtruediv(self, other):
    return as_value(other) / self


Value.__rsub__ = rsub
Value.__rtruediv__ = rtruediv
'''

MUL_FIXED_ALTERNATIVE = '''\
def mul_fixed(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        x, y = self.data, other.data
        self.grad += y * out.grad
        other.grad += x * out.grad

    out._backward = _backward
    return out
'''

MUL_FIXED_STILL_WRONG = '''\
def mul_fixed(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += self.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out
'''

# --- an independent learner-tester's mistakes (issue 15), named by their structure ----------

ADD_HALVES = ADD_PLUS_EQUALS.replace("+= out.grad", "+= out.grad / 2")
assert ADD_HALVES != ADD_PLUS_EQUALS

MUL_GRAD_A_VALUE = MUL_ALTERNATIVE.replace("a.grad = out.grad * b.data",
                                           "a.grad = b * Value(out.grad)").replace(
    "b.grad = out.grad * a.data", "b.grad = a * Value(out.grad)")
assert MUL_GRAD_A_VALUE.count("Value(out.grad)") == 2

TANH_SECH = TANH_ALTERNATIVE.replace("(1 - out.data * out.data) * out.grad",
                                     "out.grad / math.cosh(self.data)")
assert TANH_SECH != TANH_ALTERNATIVE

TANH_AT_OUTPUT = TANH_ALTERNATIVE.replace("(1 - out.data * out.data) * out.grad",
                                          "(1 - math.tanh(out.data) ** 2) * out.grad")
assert TANH_AT_OUTPUT != TANH_ALTERNATIVE

RADD_FRESH_VALUE = RADD_ALTERNATIVE.replace("return as_value(other) + self",
                                            "return Value(other + self.data)")
assert RADD_FRESH_VALUE != RADD_ALTERNATIVE

RADD_CALLS_ITSELF = RADD_ALTERNATIVE.replace("return as_value(other) + self",
                                             "return other + self")
assert RADD_CALLS_ITSELF != RADD_ALTERNATIVE

POWER_AT_OUTPUT = POWER_ALTERNATIVE.replace("k * self.data ** (k - 1)", "k * out.data ** (k - 1)")
assert POWER_AT_OUTPUT != POWER_ALTERNATIVE

POWER_FACTOR_K_MINUS_1 = POWER_ALTERNATIVE.replace("k * self.data ** (k - 1)",
                                                   "(k - 1) * self.data ** (k - 1)")
assert POWER_FACTOR_K_MINUS_1 != POWER_ALTERNATIVE

# the classes of an independent tester's answers (issue 15): a precedence slip, a label
# without the exponent, a gradient added twice, a breadth-first order, a max gate that splits,
# a softmax that returns a generator, nll off by one
TANH_PARENTHESES = TANH_ALTERNATIVE.replace("(1 - out.data * out.data) * out.grad",
                                            "1 - out.data * out.data * out.grad")
POWER_PARENTHESES = POWER_ALTERNATIVE.replace(
    "        local = k * self.data ** (k - 1)\n        self.grad += local * out.grad",
    "        self.grad += k * self.data**k - 1 * out.grad")
POWER_LABEL = POWER_ALTERNATIVE.replace('f"**{k}"', '"**"')
FIX_ADDS_TWICE = FIX_ALTERNATIVE.replace("self.grad = self.grad + other.data * out.grad",
                                         "self.grad += self.grad + other.data * out.grad")
TOPO_BREADTH_FIRST = """\
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
GATES_MAX_SPLITS = "dx = 3.0\ndy = 3.0 + 2.5\ndz = 2.5\n"
SOFTMAX_GENERATOR = SOFTMAX_WRONG_SIGN.replace(
    "return [count / total for count in counts]", "return (count / total for count in counts)"
).replace("return probs[target].log()", "return -probs[target].log()")
NLL_NEIGHBOUR = SOFTMAX_WRONG_SIGN.replace("return probs[target].log()",
                                           "return -probs[target - 1].log()")
for _mistake, _right in [(TANH_PARENTHESES, TANH_ALTERNATIVE), (POWER_PARENTHESES,
                         POWER_ALTERNATIVE), (POWER_LABEL, POWER_ALTERNATIVE),
                         (FIX_ADDS_TWICE, FIX_ALTERNATIVE), (SOFTMAX_GENERATOR,
                         SOFTMAX_WRONG_SIGN), (NLL_NEIGHBOUR, SOFTMAX_WRONG_SIGN)]:
    assert _mistake != _right

NEG_FRESH_VALUE = SUB_ADDS.replace("return self + other", "return self + (-other)").replace(
    "return self * -1", 'return Value(-self.data, (self,), "neg")')
assert NEG_FRESH_VALUE.count('"neg"') == 1 and "self + (-other)" in NEG_FRESH_VALUE

TRUEDIV_ONE_OVER = SUB_ADDS.replace("return self + other", "return self + (-other)").replace(
    "return self * other**-1", "return self * (1 / other)")
assert "(1 / other)" in TRUEDIV_ONE_OVER and "self + (-other)" in TRUEDIV_ONE_OVER

SUB_OTHER_WAY_ROUND = SUB_ADDS.replace("return self + other", "return -self + other")
assert SUB_OTHER_WAY_ROUND != SUB_ADDS

LOG10_DERIVATIVE = LOG_ALTERNATIVE.replace("out.grad / self.data",
                                           "out.grad / (self.data * math.log(10))")
assert LOG10_DERIVATIVE != LOG_ALTERNATIVE

LOG10_FORWARD = LOG_ALTERNATIVE.replace("math.log(self.data)", "math.log10(self.data)")
assert LOG10_FORWARD != LOG_ALTERNATIVE

SOFTMAX_FLOAT_TOTAL = SOFTMAX_NOT_NORMALIZED.replace(
    "    return [z.exp() for z in logits]",
    "    total = sum(math.exp(z.data) for z in logits)\n"
    "    return [z.exp() / total for z in logits]")
assert "total" in SOFTMAX_FLOAT_TOTAL

RELU_SLOPE_1_AT_0 = RELU_OVERWRITES.replace(
    "self.grad = (1.0 if self.data > 0 else 0.0)", "self.grad += (1.0 if self.data >= 0 else 0.0)")
assert ">= 0" in RELU_SLOPE_1_AT_0

RELU_INVERTED = RELU_OVERWRITES.replace(
    "self.grad = (1.0 if self.data > 0 else 0.0)", "self.grad += (1.0 if self.data < 0 else 0.0)")
assert "< 0" in RELU_INVERTED

RTRUEDIV_FRESH_VALUE = RSUB_ALTERNATIVE.replace("return self**-1 * other",
                                                "return Value(other / self.data)")
assert RTRUEDIV_FRESH_VALUE != RSUB_ALTERNATIVE

RTRUEDIV_WRONG_WAY_ROUND = RSUB_ALTERNATIVE.replace("return self**-1 * other",
                                                    "return self / other")
assert RTRUEDIV_WRONG_WAY_ROUND != RSUB_ALTERNATIVE

MUL_FIXED_TIMES_A_GRADIENT = MUL_FIXED_ALTERNATIVE.replace("other.grad += x * out.grad",
                                                          "other.grad += x * self.grad")
assert MUL_FIXED_TIMES_A_GRADIENT != MUL_FIXED_ALTERNATIVE

NOT_ATTACHED = ["never attached", "out._backward = _backward"]

# round 2 (issue 15): classes that were only located, now named from structure
LOG_MISPLACED = LOG_ALTERNATIVE.replace("out.grad / self.data", "1 / (self.data * out.grad)")
assert LOG_MISPLACED != LOG_ALTERNATIVE

EXP_OWN_GRAD = EXP_ALTERNATIVE.replace("math.exp(self.data) * out.grad",
                                       "out.data * self.grad")
assert EXP_OWN_GRAD != EXP_ALTERNATIVE

RELU_MIN = RELU_ALTERNATIVE.replace("self.data if self.data > 0 else 0.0", "min(0.0, self.data)")
assert RELU_MIN != RELU_ALTERNATIVE

SUB_NUMBER_DATA = SUB_ADDS.replace("return self + other", "return self + (-other.data)")
assert SUB_NUMBER_DATA != SUB_ADDS

TOPO_SHALLOW = '''\
def topological_order(root):
    order = []
    for child in root._prev:
        if child not in order:
            order.append(child)
    order.append(root)
    return order
'''

ANSWERS = {
    "add": {
        "alternatives": [ADD_PLUS_EQUALS],
        "mistakes": [
            (ADD_FORGETS_OUT_GRAD, "the incoming gradient is missing", ["+="]),
            (ADD_NOT_ATTACHED, "never attached", ["+=", "incoming gradient"]),
            (ADD_HALVES, "the + splits out.grad in halves", ["+=", "incoming gradient"]),
        ],
    },
    "mul": {
        "alternatives": [MUL_ALTERNATIVE],
        "mistakes": [
            (MUL_SWAPPED, "swapped", ["same operand", "+="]),
            (MUL_SAME_OPERAND, "same operand", ["swapped", "+="]),
            (MUL_GRAD_A_VALUE, "not a number: a gradient must be a float",
             ["swapped", "+="]),
        ],
    },
    "tanh": {
        "alternatives": [TANH_ALTERNATIVE],
        "mistakes": [
            (TANH_OF_INPUT, "from the input", ["+=", "incoming gradient"]),
            (TANH_SECH, "not sech(x) = 1 / cosh(x)", ["+=", "OUTPUT"]),
            (TANH_AT_OUTPUT, "evaluated at the OUTPUT", ["+=", "from the input"]),
            (TANH_PARENTHESES, "missing parentheses", ["+=", "incoming gradient"]),
        ],
    },
    "topological_order": {
        "alternatives": [TOPO_KAHN, TOPO_ITERATIVE],
        "mistakes": [
            (TOPO_REVERSED, "reversed", ["visited"]),
            (TOPO_PREORDER, "before its input", ["visited"]),
            (TOPO_NO_VISITED, "no record of the values already placed", ["reversed"]),
            (TOPO_BREADTH_FIRST, "a breadth-first search (a queue), reversed", ["AFTER"]),
            (TOPO_SHALLOW, "only the root and its own inputs are listed", ["AFTER"]),
        ],
    },
    "backward": {
        "alternatives": [BACKWARD_ALTERNATIVE],
        "mistakes": [
            (BACKWARD_NO_SEED, "not seeded with 1", ["inputs first", "+="]),
            (BACKWARD_WRONG_ORDER, "inputs first", ["seeded", "+="]),
            (BACKWARD_SEED_ADDED, "the seed is added", ["inputs first", "not seeded"]),
        ],
    },
    "dx": {
        "alternatives": [GATES_ALTERNATIVE],
        "mistakes": [
            (GATES_ONE_PATH, "only the path through x + y", ["max routes", "mul swaps"]),
            (GATES_MAX_TO_LOSER, "the input that WON", ["fork", "mul swaps"]),
            (GATES_MUL_NOT_SWAPPED, "mul swaps", ["fork", "max routes"]),
            (GATES_ADD_HALVES, "does not split it into halves", ["fork", "mul swaps"]),
            (GATES_MAX_SPLITS, "max does not split its gradient", ["fork", "mul swaps"]),
        ],
    },
    "add#2": {
        "alternatives": [FIX_ALTERNATIVE],
        "mistakes": [
            (FIX_KEEPS_EQUALS_IN_ADD, "`=` instead of `+=`", ["incoming gradient", "swapped"]),
            (FIX_KEEPS_EQUALS_IN_MUL, "`=` instead of `+=`", ["incoming gradient", "swapped"]),
            (FIX_ADDS_TWICE, "self's gradient is added twice", ["`=` instead", "swapped"]),
        ],
    },
    "radd": {
        "alternatives": [RADD_ALTERNATIVE],
        "mistakes": [
            (RMUL_ADDS, "Likely mistake: the forward pass adds: out.data is self + other",
             ["either"]),
            (RADD_FRESH_VALUE, "build radd from the operations you have", NOT_ATTACHED),
            (RADD_CALLS_ITSELF, "with `other` a plain number, `other + self` makes Python call "
             "`self.__radd__(other)`", NOT_ATTACHED),
        ],
    },
    "exp": {
        "alternatives": [EXP_ALTERNATIVE],
        "mistakes": [
            (EXP_OVERWRITES, "`=` instead of `+=`", ["incoming gradient"]),
            (EXP_FORGETS_OUT_GRAD, "the incoming gradient is missing", ["+="]),
            (EXP_OWN_GRAD, "multiplied by self.grad, its own gradient", ["never changes"]),
        ],
    },
    "power": {
        "alternatives": [POWER_ALTERNATIVE],
        "mistakes": [
            (POWER_WRONG_EXPONENT, "lowers the exponent", ["+=", "incoming gradient"]),
            (POWER_AT_OUTPUT, "evaluated at the OUTPUT", ["+=", "lowers"]),
            (POWER_FACTOR_K_MINUS_1, "the power rule's factor is k", ["+=", "OUTPUT"]),
            (POWER_PARENTHESES, "missing parentheses", ["+=", "lowers"]),
            (POWER_LABEL, "out._op is '**'", ["Likely mistake"]),
        ],
    },
    "truediv": {
        "alternatives": [DIV_ALTERNATIVE],
        "mistakes": [
            (SUB_ADDS, "Likely mistake: the forward pass adds: out.data is self + other",
             ["either"]),
            (NEG_FRESH_VALUE, "build neg from the operations you have", NOT_ATTACHED),
            (TRUEDIV_ONE_OVER, "needs Value.__rtruediv__", []),
            (SUB_OTHER_WAY_ROUND, "the operands are the other way round", []),
            (SUB_NUMBER_DATA, "a number has no .data", []),
        ],
    },
    "log": {
        "alternatives": [LOG_ALTERNATIVE],
        "mistakes": [
            (LOG_FORGETS_OUT_GRAD, "the incoming gradient is missing", ["+="]),
            (LOG_WRONG_SIGN, "opposite", ["Likely mistake"]),
            (LOG_OF_OUTPUT, "evaluated at the OUTPUT: 1 / x is taken at the input",
             ["+=", "incoming gradient", "ZeroDivisionError"]),
            (LOG10_DERIVATIVE, "the derivative of log10, 1 / (x ln 10)", ["+="]),
            (LOG10_FORWARD, "log10 instead of the natural log", ["+="]),
            (LOG_MISPLACED, "misplaced parentheses: self's gradient is "
             "`1 / (self.data * out.grad)`", ["+=", "either"]),
        ],
    },
    "softmax": {
        "alternatives": [SOFTMAX_ALTERNATIVE],
        "mistakes": [
            (SOFTMAX_WRONG_SIGN, "MINUS the log", ["no gradient reached", "divided"]),
            (SOFTMAX_NOT_NORMALIZED, "not divided by their sum", ["sign", "no gradient"]),
            (SOFTMAX_DETACHED, "no gradient reached the logits", ["sign"]),
            (SOFTMAX_FLOAT_TOTAL, "the sum (the denominator) is a plain float",
             ["exp, log", "sign"]),
            (SOFTMAX_GENERATOR, "returned a generator: return a list", ["sign"]),
            (NLL_NEIGHBOUR, "probs[target - 1]", ["sign"]),
        ],
    },
    "relu": {
        "alternatives": [RELU_ALTERNATIVE],
        "mistakes": [
            (RELU_OVERWRITES, "`=` instead of `+=`", ["incoming gradient"]),
            (RELU_SLOPE_1_AT_0, "at exactly x = 0 the task picks the slope 0", ["+="]),
            (RELU_INVERTED, "relu's step is inverted", ["+="]),
            (RELU_MIN, "min where max belongs", []),
        ],
    },
    "rsub": {
        "alternatives": [RSUB_ALTERNATIVE],
        "mistakes": [
            (RSUB_WRONG_WAY_ROUND, "the operands are the other way round: out.data is "
             "self - other on every input tried", []),
            (RTRUEDIV_FRESH_VALUE, "build rtruediv from the operations you have", NOT_ATTACHED),
            (RTRUEDIV_WRONG_WAY_ROUND, "out.data is self / other on every input tried", []),
        ],
    },
    "mul_fixed": {
        "alternatives": [MUL_FIXED_ALTERNATIVE],
        "mistakes": [
            (MUL_FIXED_STILL_WRONG, "same operand", ["swapped", "+="]),
            (MUL_FIXED_TIMES_A_GRADIENT, "multiplied by self.grad, not by out.grad",
             ["swapped", "same operand"]),
        ],
    },
}
