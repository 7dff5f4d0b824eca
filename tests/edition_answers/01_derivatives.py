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

ANSWERS = {
    "flat_points": {
        "alternatives": ["flat_points = [3, 1]\nlocal_max = 1\nlocal_min = 3\n"],
        "mistakes": [
            ("flat_points = [1.0, 3.0]\nlocal_max = 3.0\nlocal_min = 1.0\n",
             "so it is the other kind", []),
            ("flat_points = [1.0, 3.0]\nlocal_max = 2.0\nlocal_min = 3.0\n",
             "local_max = 2.0 is not in flat_points", []),
            ("flat_points = [0.0, 3.0]\nlocal_max = 0.0\nlocal_min = 3.0\n",
             "the slope of q at 0.0 is not zero", []),
        ],
    },
    "de_da": {
        "alternatives": ["de_da = de_db = 4.0\nde_dc = 1.0\n"],
        "mistakes": [("de_da = c\nde_db = c\nde_dc = a * b\n", "nudging gives", [])],
    },
    "forward_error_f": {
        "alternatives": ["forward_error_f = 3 * 0.5\ncentral_error_f = 0.0\n"],
        "mistakes": [("forward_error_f = 1.5\ncentral_error_f = 0.75\n",
                      "central_error_f is 0.75", [])],
    },
    "grad_f": {
        "alternatives": [GRAD_F_SQRT],
        "mistakes": [
            (GRAD_F_NO_INNER_3, "the factor 3 from inside sin(3b) is missing", []),
            (GRAD_F_MINUS_C, "Likely mistake: the sign", []),
            (GRAD_F_MEMORISED, "differs at", ["Likely mistake"]),
        ],
    },
    "forward_grad": {
        "alternatives": [QUOTIENTS_COMPREHENSION],
        "mistakes": [
            (QUOTIENTS_BY_H, "divide by 2h", []),
            (QUOTIENTS_ALL_AT_ONCE, "every input nudged at once", []),
            (QUOTIENTS_BACKWARD, "this is the backward difference", []),
        ],
    },
}
