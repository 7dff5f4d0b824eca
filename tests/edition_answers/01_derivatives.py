"""Answers for the four-way tests of exercises/01_derivatives.ipynb (see __init__.py)."""

GRAD_F_SQRT = '''\
def grad_f(a, b, c):
    return (-3 * a * a - 1 / (2 * math.sqrt(a)),
            3 * math.cos(3 * b) + 2.5 * math.sqrt(b) ** 3,
            c ** -2)
'''

GRAD_F_NO_INNER_3 = '''\
def grad_f(a, b, c):
    return [-3 * a**2 - 0.5 * a**-0.5, math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2]
'''

GRAD_F_MINUS_C = '''\
def grad_f(a, b, c):
    return [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, -1 / c**2]
'''

GRAD_F_MEMORISED = '''\
def grad_f(a, b, c):
    return [-12.353553390593273, 10.25699027111255, 0.0625]
'''

GRAD_F_EXPONENT = '''\
def grad_f(a, b, c):
    return [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**2.5, 1 / c**2]
'''

# round 2: -1/2 for -0.5 in an exponent without parentheses; a variable written for another
GRAD_F_PRECEDENCE = '''\
def grad_f(a, b, c):
    return [-3 * a**2 - 0.5 * a ** -1/2, 3 * math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2]
'''

GRAD_F_WRONG_VARIABLE = '''\
def grad_f(a, b, c):
    return [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * a) + 2.5 * b**1.5, 1 / c**2]
'''

GRAD_F_RAISES = '''\
def grad_f(a, b, c):
    df_da = -3 * a**2 - 0.5 * a**-0.5
    df_db = 3 * math.cos(3 * b) + 2.5 * b**1.5
    return [df_da, df_db, dfdc]
'''

QUOTIENTS_SET_NOT_MOVED = '''\
def forward_grad(fn, point, h):
    return [(fn(*[v + h if j == i else v for j, v in enumerate(point)]) - fn(*point)) / h
            for i in range(len(point))]


def central_grad(fn, point, h):
    out = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] = h
        down[i] = -h
        out.append((fn(*up) - fn(*down)) / (2 * h))
    return out
'''

QUOTIENTS_FORWARD_BY_2H = '''\
def forward_grad(fn, point, h):
    return [(fn(*[v + h if j == i else v for j, v in enumerate(point)]) - fn(*point)) / (2 * h)
            for i in range(len(point))]


def central_grad(fn, point, h):
    return [(fn(*[v + h if j == i else v for j, v in enumerate(point)])
             - fn(*[v - h if j == i else v for j, v in enumerate(point)])) / (2 * h)
            for i in range(len(point))]
'''

QUOTIENTS_COMPREHENSION = '''\
def nudged(point, i, step):
    return [v + step if j == i else v for j, v in enumerate(point)]


def forward_grad(fn, point, h):
    return [(fn(*nudged(point, i, h)) - fn(*point)) / h for i in range(len(point))]


def central_grad(fn, point, h):
    return [(fn(*nudged(point, i, h)) - fn(*nudged(point, i, -h))) / (2 * h)
            for i in range(len(point))]
'''

QUOTIENTS_BY_H = '''\
def forward_grad(fn, point, h):
    out = []
    for i in range(len(point)):
        up = list(point)
        up[i] += h
        out.append((fn(*up) - fn(*point)) / h)
    return out


def central_grad(fn, point, h):
    out = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        out.append((fn(*up) - fn(*down)) / h)
    return out
'''

QUOTIENTS_BACKWARD = '''\
def forward_grad(fn, point, h):
    out = []
    for i in range(len(point)):
        down = list(point)
        down[i] -= h
        out.append((fn(*point) - fn(*down)) / h)
    return out


def central_grad(fn, point, h):
    out = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        out.append((fn(*up) - fn(*down)) / (2 * h))
    return out
'''

QUOTIENTS_ALL_AT_ONCE = '''\
def forward_grad(fn, point, h):
    moved = [v + h for v in point]
    return [(fn(*moved) - fn(*point)) / h for _ in point]


def central_grad(fn, point, h):
    up, down = [v + h for v in point], [v - h for v in point]
    return [(fn(*up) - fn(*down)) / (2 * h) for _ in point]
'''

QUOTIENTS_UNPACKED_NOT = '''\
def forward_grad(fn, point, h):
    out = []
    for i in range(len(point)):
        up = list(point)
        up[i] += h
        out.append((fn(up) - fn(point)) / h)
    return out


def central_grad(fn, point, h):
    out = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        out.append((fn(up) - fn(down)) / (2 * h))
    return out
'''

ANSWERS = {
    "flat_points": {
        "alternatives": ["flat_points = [3, 1]\nlocal_max = 1\nlocal_min = 3\n"],
        "mistakes": [
            # maximum and minimum swapped
            ("flat_points = [1.0, 3.0]\nlocal_max = 3.0\nlocal_min = 1.0\n",
             "local_max = 3 and local_min = 1 are swapped", []),
            ("flat_points = [1.0, 3.0]\nlocal_max = 2.0\nlocal_min = 3.0\n",
             "local_max = 2 (it is not in flat_points)", ["Likely mistake"]),
            ("flat_points = [0.0, 3.0]\nlocal_max = 0.0\nlocal_min = 3.0\n",
             "the slope of q at 0 is not zero", []),
            # the heights q(x) stored instead of the places x
            ("flat_points = [q(1.0), q(3.0)]\nlocal_max, local_min = q(1.0), q(3.0)\n",
             "are the heights q(x) at the flat points, not the places", []),
            ("flat_points = [1.0, 3.0]\nlocal_max, local_min = q(1.0), q(3.0)\n",
             "local_max = 5 (it is not in flat_points). Likely mistake: the height q(x) of the "
             "maximum, not its place x", []),
            # the zeros of a derivative with a sign error: the negated points
            ("flat_points = [-1.0, -3.0]\nlocal_max, local_min = -3.0, -1.0\n",
             "These are the zeros of 3x² + 12x + 9: a sign went wrong in the derivative", []),
            ("flat_points = [1.0]\nlocal_max, local_min = 1.0, 3.0\n",
             "flat_points holds 1 number", []),
            # round 2: the quadratic formula without parentheses around its denominator
            ("disc = math.sqrt(12**2 - 4 * 3 * 9)\n"
             "flat_points = [(12 - disc) / 2 * 3, (12 + disc) / 2 * 3]\n"
             "local_max, local_min = flat_points\n",
             "the quadratic formula as Python reads `(-b ± math.sqrt(b ** 2 - 4 * a * c)) / 2 * a`",
             []),
        ],
    },
    "de_da": {
        "alternatives": ["de_da = de_db = 4.0\nde_dc = 1.0\n"],
        "mistakes": [
            ("de_da = c\nde_db = c\nde_dc = a * b\n",
             "de_dc is -3.75; nudging gives 1. Likely mistake: + taken as ·", []),
            # the right numbers in another order
            ("de_da, de_db, de_dc = c, a + b, c\n",
             "the right numbers in another order", []),
            # the gradient of d = a·b + c of section 5
            ("de_da, de_db, de_dc = b, a, 1.0\n",
             "the gradient of d = a·b + c of section 5, not of e = (a + b)·c", []),
            # + taken as · everywhere
            ("de_da, de_db, de_dc = b * c, a * c, a * b\n",
             "+ taken as ·: the gradient of a·b·c", []),
            # the sum's local derivative without the factor c
            ("de_da, de_db, de_dc = 1.0, 1.0, a + b\n",
             "de_da is 1; nudging gives 4. Likely mistake: the local derivative "
             "∂(a + b)/∂a = 1 alone: multiply it by the gradient that arrived at a + b", []),
            # e's value for its gradient: two readings give this number, but the cell run
            # again on other numbers tells them apart
            ("de_da, de_db, de_dc = c, c, (a + b) * c\n",
             "de_dc is 4; nudging gives 1. Likely mistake: e's value itself (4)", ["either"]),
            # a piece of the other factor where the whole a + b belongs
            ("de_da, de_db, de_dc = c, c, a\n",
             "Likely mistake: a (2.5) where the whole other factor a + b (1) belongs", []),
            ("de_da, de_db, de_dc = c, c, 2.0\n", "de_dc is 2; nudging gives 1",
             ["Likely mistake"]),
        ],
    },
    "forward_error_f": {
        "alternatives": ["forward_error_f = 3 * 0.5\ncentral_error_f = 0.0\n"],
        "mistakes": [
            ("forward_error_f = 1.5\ncentral_error_f = 0.75\n",
             "central_error_f is 0.75; measuring at x = 3 with h = 0.5 gives 0",
             ["Likely mistake"]),
            # swapped
            ("forward_error_f = 0.0\ncentral_error_f = 1.5\n", "the two swapped", []),
            # 3h² instead of 3h
            ("forward_error_f = 3 * 0.5**2\ncentral_error_f = 0.0\n",
             "3h², the step squared", []),
            # the cubic's h² error carried over to the quadratic
            ("forward_error_f = 1.5\ncentral_error_f = 0.5**2\n",
             "central_error_f is 0.25; measuring at x = 3 with h = 0.5 gives 0. Likely "
             "mistake: h² (0.25), the cubic g's error of section 6 carried over", []),
            # a signed error
            ("h = 0.5\nforward_error_f = df(3.0) - slope_forward(f, 3.0, h)\n"
             "central_error_f = 0.0\n", "a signed error: store the absolute error", []),
            # a relative error
            ("forward_error_f = abs(slope_forward(f, 3.0, 0.5) - 14) / 14\n"
             "central_error_f = abs(slope_central(f, 3.0, 0.5) - 14) / 14\n",
             "Likely mistake: a relative error, divided by f'(3) = 14", []),
        ],
    },
    "grad_f": {
        "alternatives": [GRAD_F_SQRT],
        "mistakes": [
            (GRAD_F_NO_INNER_3, "the factor 3 from inside sin(3b) is missing", []),
            (GRAD_F_MINUS_C, "Likely mistake: the sign", []),
            (GRAD_F_MEMORISED, "differs at", ["Likely mistake"]),
            (GRAD_F_EXPONENT, "Likely mistake: the exponent not lowered in b^2.5", []),
            (GRAD_F_RAISES, "your grad_f(a=2.0, b=3.0, c=4.0) raised NameError", []),
            (GRAD_F_PRECEDENCE, "Likely mistake: `-1 / 2 * a ** (-1) / 2` where "
             "`-1 / 2 * a**(-1 / 2)` belongs", ["either"]),
            (GRAD_F_WRONG_VARIABLE, "Likely mistake: a where b belongs: `3 * math.cos(3 * a)`",
             ["either"]),
        ],
    },
    "forward_grad": {
        "alternatives": [QUOTIENTS_COMPREHENSION],
        "mistakes": [
            (QUOTIENTS_BY_H, "divide by 2h", []),
            (QUOTIENTS_ALL_AT_ONCE, "every input nudged at once", []),
            (QUOTIENTS_BACKWARD, "this is the backward difference", []),
            # fn(p) for fn(*p): the TypeError says to unpack the point
            (QUOTIENTS_UNPACKED_NOT, "unpack the point when you call it, fn(*point)", []),
            (QUOTIENTS_SET_NOT_MOVED, "Likely mistake: `=` where `+=` belongs", []),
            (QUOTIENTS_FORWARD_BY_2H, "Likely mistake: divided by 2h", []),
        ],
    },
}
