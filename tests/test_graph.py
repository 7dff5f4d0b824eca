"""helpers.tools.graph: deterministic tracing and drawing of expression graphs."""

import subprocess
import sys
import textwrap

import pytest

from helpers.tools.graph import GraphvizMissingError, draw_dot, trace


class Node:
    """A minimal lecture-style value: children kept in a *set*, as the lecture does."""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad = data, 0.0
        self._prev, self._op, self.label = set(children), op, label

    def __add__(self, other):
        return type(self)(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return type(self)(self.data * other.data, (self, other), "*")


class OrderedNode(Node):
    """The same, with children in a tuple (like helpers.tools.engine.Value)."""

    def __init__(self, data, children=(), op="", label=""):
        super().__init__(data, (), op, label)
        self._prev = tuple(children)


def expression(cls=Node):
    a, b, c, f = (cls(v, label=n) for v, n in [(2.0, "a"), (-3.0, "b"), (10.0, "c"), (-2.0, "f")])
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, (a, b, c, d, e, f)


def test_trace_finds_every_node_in_topological_order():
    L, (a, b, c, d, e, f) = expression()
    nodes, edges = trace(L)
    assert {id(n) for n in nodes} == {id(n) for n in (a, b, c, d, e, f, L)}
    assert len(nodes) == 7 and nodes[-1] is L
    position = {id(n): i for i, n in enumerate(nodes)}
    assert len(edges) == 6
    for child, parent in edges:
        assert position[id(child)] < position[id(parent)]
    assert {(child.label, parent.label) for child, parent in edges} == {
        ("a", "e"), ("b", "e"), ("e", "d"), ("c", "d"), ("d", "L"), ("f", "L")}


def test_reused_child_in_a_tuple_gives_two_edges():
    a = OrderedNode(3.0, label="a")
    b = a + a
    nodes, edges = trace(b)
    assert len(nodes) == 2
    assert [(c.label, p.data) for c, p in edges] == [("a", 6.0), ("a", 6.0)]
    assert "= +(v0, v0)" in draw_dot(b).text


def test_listing_shows_labels_data_grads_and_operations():
    L, (a, *_rest) = expression()
    L.grad, a.grad = 1.0, 6.0
    text = repr(draw_dot(L))
    lines = text.splitlines()
    assert lines[0] == "expression graph: 7 values, 3 operations"
    (l_line,) = [line for line in lines if " L " in line]
    assert "data    -8.0000" in l_line and "grad     1.0000" in l_line and "= *(" in l_line
    (a_line,) = [line for line in lines if " a " in line]
    assert "grad     6.0000" in a_line and "=" not in a_line


def test_negative_zero_is_shown_as_zero():
    node = Node(-0.0, label="z")
    node.grad = -1e-9
    assert "-0.0000" not in draw_dot(node).text


def test_dot_source_has_a_record_per_value_and_an_oval_per_operation():
    L, _ = expression()
    source = draw_dot(L, rankdir="TB").source
    assert "rankdir=TB" in source
    assert source.count("shape=record") == 7
    assert source.count("_op [label=") == 3
    assert "0x" not in source  # no memory addresses


def test_labels_with_record_characters_are_escaped():
    node = Node(1.0, label="a|b{c}")
    drawing = draw_dot(node)
    assert "a\\|b\\{c\\}" in drawing.source
    assert "<svg" in drawing.svg()


def test_svg_and_png_are_offered_to_jupyter_with_the_text_form():
    L, _ = expression()
    bundle, metadata = draw_dot(L)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    # The PNG is what an untrusted JupyterLab notebook shows (it does not render SVG).
    png = bundle["image/png"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert bundle["text/plain"].startswith("expression graph")
    # Shown at the SVG's size: Graphviz's points are 4/3 CSS pixels.
    svg_width_pt = float(bundle["image/svg+xml"].split('width="')[1].split("pt")[0])
    assert metadata["image/png"]["width"] == pytest.approx(svg_width_pt * 4 / 3, abs=3)
    pixels = int.from_bytes(png[16:20], "big")
    assert pixels == pytest.approx(2 * metadata["image/png"]["width"], abs=2)


SCRIPT = textwrap.dedent("""
    import sys
    junk = [object() for _ in range(int(sys.argv[1]))]  # shifts every later address
    sys.path.insert(0, sys.argv[2])
    from test_graph import expression, Node
    from helpers.tools.graph import draw_dot
    L, (a, b, *_rest) = expression(Node)
    nodes = [Node(float(i % 3), label="") for i in range(40)]  # many twins in one set
    total = Node(0.0, nodes, "sum")
    root = L * total * (a + b)
    drawing = draw_dot(root)
    sys.stdout.write(drawing.source + "\\n=====\\n" + drawing.svg())
""")


def test_same_graph_in_two_fresh_processes_gives_identical_dot_and_svg(tmp_path):
    here = str(__import__("pathlib").Path(__file__).parent)
    script = tmp_path / "draw.py"
    script.write_text(SCRIPT)
    outputs = [
        subprocess.run([sys.executable, str(script), str(n), here], check=True,
                       capture_output=True, text=True).stdout
        for n in (10, 54321)
    ]
    assert "<svg" in outputs[0]
    assert outputs[0] == outputs[1]


def test_deep_chain_does_not_hit_the_recursion_limit():
    node = OrderedNode(1.0)
    for _ in range(5 * sys.getrecursionlimit()):
        node = node + OrderedNode(1.0)
    nodes, edges = trace(node)
    assert len(nodes) == 1 + 2 * 5 * sys.getrecursionlimit()
    set_node = Node(1.0)
    for _ in range(5 * sys.getrecursionlimit()):
        set_node = set_node + Node(1.0)
    assert len(trace(set_node)[0]) == len(nodes)


@pytest.mark.parametrize("bad", [3, None, "x", {"data": 1}])
def test_a_non_graph_argument_raises_type_error_naming_what_is_expected(bad):
    with pytest.raises(TypeError, match=r"\.data, \.grad, \._prev and \._op"):
        draw_dot(bad)


def test_a_bad_child_is_reported_too():
    node = Node(1.0)
    node._prev = {1.0}
    with pytest.raises(TypeError, match="a child"):
        trace(node)


def test_bad_rankdir_is_rejected():
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT"):
        draw_dot(Node(1.0), rankdir="sideways")


def test_missing_dot_gives_install_instructions_and_keeps_the_text(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    L, _ = expression()
    drawing = draw_dot(L)
    bundle = drawing._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    text = bundle["text/plain"]
    assert text.startswith("expression graph: 7 values")
    for hint in ("apt-get install -y graphviz", "brew install graphviz",
                 "conda install -c conda-forge graphviz"):
        assert hint in text
    with pytest.raises(GraphvizMissingError, match="was not found"):
        drawing.svg()
