"""helpers.tools.nn: structure, parameter counts, and a forward/backward pass against PyTorch;
helpers.finished.nn: the finished pieces of lectures 04 and 05."""

import gc
import math
import random

import pytest
import torch

from helpers.tools.engine import Value
from helpers.tools.nn import MLP, Layer, Module, Neuron


def test_mlp_3_4_4_1_has_41_parameters():
    # (3 weights + 1 bias) * 4 + (4 + 1) * 4 + (4 + 1) * 1 = 16 + 20 + 5
    assert len(MLP(3, [4, 4, 1]).parameters()) == 41


def test_layer_and_neuron_parameter_counts():
    assert len(Neuron(5).parameters()) == 6
    assert len(Layer(5, 3).parameters()) == 18
    assert Module().parameters() == []


def test_parameters_are_distinct_values():
    params = MLP(2, [3, 1]).parameters()
    assert all(isinstance(p, Value) for p in params)
    assert len({id(p) for p in params}) == len(params)


def test_weights_are_uniform_in_minus_one_one_and_seeded():
    random.seed(123)
    first = [p.data for p in MLP(4, [8, 8, 1]).parameters()]
    random.seed(123)
    second = [p.data for p in MLP(4, [8, 8, 1]).parameters()]
    assert first == second
    neuron_weights = [w.data for layer in MLP(4, [8, 8, 1]).layers
                      for n in layer.neurons for w in n.w]
    assert all(-1.0 <= w <= 1.0 for w in neuron_weights)
    assert max(neuron_weights) > 0.5 and min(neuron_weights) < -0.5  # spread over the range


def test_biases_start_at_zero():
    mlp = MLP(3, [4, 2])
    assert all(n.b.data == 0.0 for layer in mlp.layers for n in layer.neurons)


def test_hidden_layers_are_nonlinear_and_the_last_is_linear():
    mlp = MLP(2, [3, 3, 2])
    assert [n.nonlin for n in mlp.layers[0].neurons] == [True] * 3
    assert [n.nonlin for n in mlp.layers[1].neurons] == [True] * 3
    assert [n.nonlin for n in mlp.layers[2].neurons] == [False] * 2
    assert repr(mlp.layers[0].neurons[0]) == "ReluNeuron(2)"
    assert repr(mlp.layers[2].neurons[0]) == "LinearNeuron(3)"


def test_neuron_computes_bias_plus_weighted_sum():
    n = Neuron(3, nonlin=False)
    n.b.data = 0.25
    for w, value in zip(n.w, [0.5, -1.0, 2.0], strict=True):
        w.data = value
    out = n([2.0, 3.0, 0.5])
    assert out.data == 0.25 + 1.0 - 3.0 + 1.0
    out.backward()
    assert [w.grad for w in n.w] == [2.0, 3.0, 0.5]
    assert n.b.grad == 1.0
    relu = Neuron(3)
    relu.w[0].data, relu.w[1].data, relu.w[2].data = -1.0, 0.0, 0.0
    assert relu([1.0, 1.0, 1.0]).data == 0.0


def test_layer_output_shapes():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    out = Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    # A single-output hidden layer feeds the next layer correctly.
    assert len(MLP(2, [1, 3])([1.0, 2.0])) == 3
    assert isinstance(Neuron(1)(2.0), Value)


def reference_mlp(mlp, x, activation=torch.relu):
    """The same network in PyTorch (float64), built from ``mlp``'s weights."""
    weights, biases = [], []
    for layer in mlp.layers:
        w = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
        weights.append(w.requires_grad_())
        biases.append(b.requires_grad_())
    h = torch.tensor(x, dtype=torch.float64)
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = w @ h + b
        if i < len(weights) - 1:
            h = activation(h)
    return h, weights, biases


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_forward_and_backward_match_torch(activation):
    random.seed(7)
    mlp = MLP(3, [5, 4, 2], activation=activation)
    x = [0.3, -1.2, 2.0]
    out = mlp(x)
    loss = out[0] * out[0] + out[1] * 0.5
    loss.backward()
    ref, weights, biases = reference_mlp(mlp, x, getattr(torch, activation))
    ref_loss = ref[0] ** 2 + ref[1] * 0.5
    ref_loss.backward()
    assert math.isclose(loss.data, ref_loss.item(), rel_tol=1e-12)
    for layer, w, b in zip(mlp.layers, weights, biases, strict=True):
        for i, neuron in enumerate(layer.neurons):
            for j, wij in enumerate(neuron.w):
                assert math.isclose(wij.grad, w.grad[i, j].item(), rel_tol=1e-12, abs_tol=1e-15)
            assert math.isclose(neuron.b.grad, b.grad[i].item(), rel_tol=1e-12, abs_tol=1e-15)


def test_zero_grad():
    random.seed(0)
    mlp = MLP(3, [4, 4, 1])
    mlp([1.0, -2.0, 0.5]).backward()
    assert any(p.grad != 0.0 for p in mlp.parameters())
    mlp.zero_grad()
    assert all(p.grad == 0.0 for p in mlp.parameters())
    layer = Layer(2, 2)
    sum(layer([1.0, 1.0])).backward()
    layer.zero_grad()
    assert all(p.grad == 0.0 for p in layer.parameters())


# --- bad input ----------------------------------------------------------------

@pytest.mark.parametrize("nin", [0, -1, 2.5, True, "3", None])
def test_bad_nin_is_rejected(nin):
    message = r"nin \(the number of inputs\) must be a positive integer"
    with pytest.raises(ValueError, match=message):
        Neuron(nin)
    with pytest.raises(ValueError, match="positive integer"):
        Layer(nin, 2)
    with pytest.raises(ValueError, match="positive integer"):
        MLP(nin, [2])


@pytest.mark.parametrize("nouts", [[], 3, [4, 0], [4, -2]])
def test_bad_layer_sizes_are_rejected(nouts):
    with pytest.raises(ValueError, match="nouts|layer size"):
        MLP(2, nouts)


def test_bad_nout_and_activation_are_rejected():
    with pytest.raises(ValueError, match="nout"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, [3, 1], activation="softmax")


@pytest.mark.parametrize("module, expected", [
    (Neuron(3), "Neuron expects 3 inputs; got 2"),
    (Layer(3, 2), "Layer expects 3 inputs; got 2"),
    (MLP(3, [2, 1]), "MLP expects 3 inputs; got 2"),
])
def test_wrong_input_length_is_rejected(module, expected):
    with pytest.raises(ValueError, match=expected):
        module([1.0, 2.0])


def test_non_sequence_input_is_rejected():
    with pytest.raises(TypeError, match="MLP expects a list of 2 numbers or Values; got NoneType"):
        MLP(2, [1])(None)


def test_mlp_call_restores_gc_state_even_on_error():
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    try:
        gc.enable()
        mlp = MLP(2, [3, 1])
        mlp([1.0, 2.0])
        assert gc.isenabled()
        with pytest.raises(TypeError):
            mlp(["a", 1.0])  # fails inside the forward pass
        assert gc.isenabled()
        gc.disable()
        mlp([1.0, 2.0])
        assert not gc.isenabled()
        assert gc.get_threshold() == threshold
    finally:
        (gc.enable if enabled else gc.disable)()


# --- the finished pieces of lectures 04 and 05 --------------------------------------------


def test_tanh_classes_draw_like_lecture_04():
    """Weights then bias, neuron by neuron, layer by layer: the lecture's numbers."""
    from helpers.finished.nn import TanhMLP

    random.seed(3)
    mlp = TanhMLP(3, [4, 4, 1])
    rng = random.Random(3)
    expected = []
    for layer in mlp.layers:
        for n in layer.neurons:
            expected += [rng.uniform(-1, 1) for _ in n.w] + [rng.uniform(-1, 1)]
    assert [p.data for p in mlp.parameters()] == expected
    out = mlp([2.0, 3.0, -1.0])
    assert isinstance(out, Value) and -1 < out.data < 1
    assert len(mlp.parameters()) == 41


def test_gradient_step_and_train_follow_the_gradient():
    from helpers.finished.nn import TanhMLP, gradient_step, squared_error, train

    xs, ys = [[1.0, -2.0], [0.5, 0.5]], [1.0, -1.0]

    def loss_fn(model):
        return squared_error([model(x) for x in xs], ys)

    random.seed(0)
    model = TanhMLP(2, [3, 1])
    for p in model.parameters():
        p.grad = 5.0                        # stale gradients must not leak into the step
    before = [p.data for p in model.parameters()]
    loss = loss_fn(model)
    loss.backward()
    grads = [p.grad - 5.0 for p in model.parameters()]
    returned = gradient_step(model, loss_fn, 0.1)
    assert returned == loss.data
    after = [p.data for p in model.parameters()]
    assert all(math.isclose(a, b - 0.1 * g, rel_tol=1e-12, abs_tol=1e-15)
               for a, b, g in zip(after, before, grads, strict=True))
    losses = train(model, loss_fn, steps=20, lr=0.1)
    assert len(losses) == 20 and losses[-1] < losses[0] < returned


def test_max_margin_loss_and_accuracy_match_torch():
    from helpers.finished.nn import accuracy, max_margin_loss

    scores = [Value(v) for v in (2.0, -0.3, 0.4, -1.5)]
    targets = [1.0, 1.0, -1.0, -1.0]
    params = [Value(v) for v in (0.5, -1.0)]
    loss = max_margin_loss(scores, targets, params, 0.1)
    loss.backward()
    s = torch.tensor([2.0, -0.3, 0.4, -1.5], dtype=torch.float64, requires_grad=True)
    p = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor(targets, dtype=torch.float64)
    ref = torch.relu(1 - t * s).mean() + 0.1 * (p * p).sum()
    ref.backward()
    assert math.isclose(loss.data, ref.item(), rel_tol=1e-12)
    assert [v.grad for v in scores] == pytest.approx(s.grad.tolist(), rel=1e-12)
    assert [v.grad for v in params] == pytest.approx(p.grad.tolist(), rel=1e-12)
    assert accuracy(scores, targets) == 0.5
