"""Answers for the synthetic lecture in tests/test_editions.py (an example of the format)."""

ANSWERS = {
    "add": {
        "alternatives": [
            "def add(self, other):\n    total = self.data\n    total += other.data\n"
            "    return type(self)(total)\n\n\nBox.__add__ = add\n",
            "def add(self, other):\n    return Box(other.data + self.data)\n\n\n"
            "Box.__add__ = add\n",
        ],
        "mistakes": [
            ("def add(self, other):\n    return Box(self.data * other.data)\n\n\n"
             "Box.__add__ = add\n", "multiplied, not added", ["returned None"]),
            ("def add(self, other):\n    Box(self.data + other.data)\n\n\nBox.__add__ = add\n",
             "returned None", ["multiplied"]),
        ],
    },
    "Doubler": {
        "alternatives": [
            "class Doubler:\n    def __init__(self, k=2):\n        self.k = k\n\n"
            "    def __call__(self, x):\n        return x + x if self.k == 2 else self.k * x\n\n"
            "    def name(self):\n        return 'doubler'\n",
        ],
        "mistakes": [],
    },
    "answer": {
        "alternatives": ["answer = 21\n"],
        "mistakes": [("answer = 3 + 7\n", "is not 3 * 7", ["correct"])],
    },
}
