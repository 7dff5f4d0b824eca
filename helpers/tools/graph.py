"""Trace a scalar expression graph and draw it with Graphviz.

A node is any object with ``data``, ``grad``, ``_prev`` (its children) and ``_op``
(the operation that made it, ``""`` for a leaf), plus an optional ``label``: the
lecture's ``Value`` and ``helpers.tools.engine.Value`` both qualify.

The drawing must be the same in every run so that nbval can compare it. The
lecture's version names Graphviz nodes by ``id(node)``, a memory address that
changes every time; here a node's name is its position in a deterministic order.
When ``_prev`` is an ordered sequence that order is used; when it is a set (whose
iteration order follows memory addresses) the children are sorted by a fingerprint
of their whole sub-graph (label, op, data, grad, and their own children), so the
order depends only on what the graph contains.
"""

import hashlib
import re
import struct

import graphviz

from helpers.tools.engine import topological_order

__all__ = ["GraphvizMissingError", "GraphDrawing", "trace", "draw_dot"]

RANKDIRS = ("LR", "RL", "TB", "BT")
PNG_DPI = 192  # Graphviz draws at 96 dpi: the PNG has twice the pixels
# Tight spacing, and at most 9.5 inches wide (912 px at 96 dpi, a JupyterLab or Colab
# column): a wider graph is scaled down to fit. Graphviz's `size` only ever shrinks.
COMPACT = {"ranksep": "0.15", "nodesep": "0.1", "size": "9.5,40"}
FITS = 9.5 * 72 / 0.75   # "auto" draws left to right while that shrinks labels to 75% at most

INSTALL_HINT = (
    "Graphviz's `dot` program was not found, so the graph cannot be drawn as a picture;\n"
    "the listing above is the same graph as text. Install Graphviz, then restart the kernel:\n"
    "  Debian / Ubuntu / Colab:  sudo apt-get install -y graphviz\n"
    "  macOS (Homebrew):         brew install graphviz\n"
    "  conda:                    conda install -c conda-forge graphviz"
)


class GraphvizMissingError(RuntimeError):
    """Raised when a picture is requested but Graphviz's ``dot`` is not installed."""


def _check_node(obj, role):
    missing = [name for name in ("data", "grad", "_prev", "_op") if not hasattr(obj, name)]
    if missing:
        raise TypeError(
            f"{role} must be a graph node with .data, .grad, ._prev and ._op "
            f"(a Value); got {type(obj).__name__} {obj!r:.60}, which lacks "
            + ", ".join("." + m for m in missing)
        )


def _fmt(x):
    """Four decimals, with no minus sign on a value that rounds to zero."""
    text = f"{float(x):.4f}"
    return "0.0000" if text == "-0.0000" else text


def _label(node):
    return str(getattr(node, "label", "") or "")


def _collect(root):
    """Every node reachable from ``root``, each checked once (any order)."""
    _check_node(root, "draw_dot/trace argument")
    seen = {id(root): root}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                _check_node(child, f"a child of {_label(node) or 'a node'}")
                seen[id(child)] = child
                stack.append(child)
    return list(seen.values())


def _fingerprints(nodes):
    """A hash of each node's whole sub-graph; ``nodes`` in topological order (children first)."""
    prints = {}
    for node in nodes:
        parts = sorted(prints[id(c)] for c in node._prev)
        text = "|".join([_label(node), str(node._op), repr(float(node.data)),
                         repr(float(node.grad)), *parts])
        prints[id(node)] = hashlib.sha1(text.encode()).hexdigest()
    return prints


def _ordered_children(node, prints):
    prev = node._prev
    if isinstance(prev, (set, frozenset)):
        return sorted(prev, key=lambda c: prints[id(c)])
    return list(prev)


def trace(root):
    """Return ``(nodes, edges)`` reachable from ``root`` in a deterministic order.

    ``nodes`` is in topological order (children before the nodes made from them,
    ``root`` last); ``edges`` holds ``(child, parent)`` pairs in the same order.
    """
    everything = _collect(root)   # checks every node first
    needs_prints = any(isinstance(n._prev, (set, frozenset)) for n in everything)
    prints = _fingerprints(topological_order(root)) if needs_prints else {}
    nodes = topological_order(root, children=lambda node: _ordered_children(node, prints))
    edges = [(child, node) for node in nodes for child in _ordered_children(node, prints)]
    return nodes, edges


def _escape(text):
    """Escape the characters that mean something inside a Graphviz record label."""
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


class GraphDrawing:
    """A drawn expression graph: SVG in Jupyter, a compact listing as plain text.

    ``source`` is the DOT text, ``text`` the listing, ``svg()`` the picture, and
    ``digraph`` the underlying :class:`graphviz.Digraph` for further styling.
    """

    def __init__(self, digraph, text):
        self.digraph = digraph
        self.text = text

    @property
    def source(self):
        return self.digraph.source

    def svg(self):
        """The picture as SVG text; raises GraphvizMissingError without ``dot``."""
        try:
            return self.digraph.pipe(format="svg", encoding="utf-8")
        except graphviz.ExecutableNotFound:
            raise GraphvizMissingError(INSTALL_HINT) from None

    def png(self):
        """The picture as PNG bytes, drawn at twice the SVG's scale (sharp on any screen)."""
        sharp = self.digraph.copy()
        sharp.graph_attr["dpi"] = str(PNG_DPI)
        try:
            return sharp.pipe(format="png")
        except graphviz.ExecutableNotFound:
            raise GraphvizMissingError(INSTALL_HINT) from None

    def _repr_mimebundle_(self, include=None, exclude=None):
        """SVG and PNG of the picture, with the listing as text/plain.

        Both images: JupyterLab does not render the SVG of a notebook that is not
        trusted (every freshly opened one) but does render the PNG; a trusted notebook,
        Colab and GitHub pick one of the two. The PNG's metadata asks for the SVG's size.
        """
        try:
            svg, png = self.svg(), self.png()
        except GraphvizMissingError as err:
            return {"text/plain": f"{self.text}\n\n{err}"}
        data = {"image/svg+xml": svg, "image/png": png, "text/plain": self.text}
        width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR chunk
        scale = 96 / PNG_DPI
        size = {"width": round(width * scale), "height": round(height * scale)}
        return data, {"image/png": size}

    def __repr__(self):
        return self.text


def draw_dot(root, rankdir="auto"):
    """Draw the graph that ends at ``root``: one box per value, an oval per operation.

    Each box shows the value's label, data and grad. ``rankdir`` is Graphviz's
    direction: "LR" (left to right), "RL", "TB" or "BT"; "auto" (the default) is "LR"
    when that fits a notebook's column with readable labels, else "TB" (top to bottom).
    """
    if rankdir not in RANKDIRS + ("auto",):
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)} or 'auto'; "
                         f"got {rankdir!r}")
    nodes, edges = trace(root)
    if rankdir == "auto":
        rankdir = "LR" if _natural_width(_digraph(nodes, edges, "LR")) <= FITS else "TB"
    return GraphDrawing(_digraph(nodes, edges, rankdir), _listing(nodes, edges))


def _natural_width(dot):
    """The drawing's width in points before ``size`` shrinks it (0 without ``dot``)."""
    free = dot.copy()
    free.graph_attr.pop("size", None)
    try:
        svg = free.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        return 0.0
    return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))


def _digraph(nodes, edges, rankdir):
    name = {id(node): f"v{i}" for i, node in enumerate(nodes)}
    dot = graphviz.Digraph("expression", graph_attr={"rankdir": rankdir, **COMPACT},
                           node_attr={"fontsize": "11", "height": "0.3"},
                           edge_attr={"arrowsize": "0.6"})
    # A record's fields stack vertically: bare in LR, in braces in TB.
    vertical = "{ %s }" if rankdir in ("TB", "BT") else "%s"
    for node in nodes:
        vid, label = name[id(node)], _label(node)
        fields = [_escape(label)] if label else []
        fields += [f"data {_fmt(node.data)}", f"grad {_fmt(node.grad)}"]
        dot.node(vid, vertical % " | ".join(fields), shape="record")
        if node._op:
            dot.node(vid + "_op", _escape(str(node._op)), margin="0.02")
            dot.edge(vid + "_op", vid)
    for child, parent in edges:
        dot.edge(name[id(child)], name[id(parent)] + ("_op" if parent._op else ""))
    return dot


def _listing(nodes, edges):
    name = {id(node): f"v{i}" for i, node in enumerate(nodes)}
    lines = [f"expression graph: {len(nodes)} values, "
             f"{sum(1 for n in nodes if n._op)} operations"]
    width = max(len(_label(n)) for n in nodes)
    kids = {}
    for child, parent in edges:
        kids.setdefault(id(parent), []).append(name[id(child)])
    for node in nodes:
        vid, label = name[id(node)], _label(node)
        data, grad = _fmt(node.data), _fmt(node.grad)
        line = f"  {vid:>4} {label:<{width}}  data {data:>10}  grad {grad:>10}"
        if node._op:
            line += f"  = {node._op}({', '.join(kids.get(id(node), []))})"
        lines.append(line.rstrip())
    return "\n".join(lines)
