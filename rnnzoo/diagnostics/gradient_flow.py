"""Gradient flow through time.

`gradient_flow(model, batch)` measures `||dL/dh_t||`, the gradient of the
loss with respect to each recurrent layer's hidden state at every step, the
quantity that vanishes or explodes as it flows back through time (Bengio et
al. 1994; Pascanu et al. 2013).

How: for one call, each recurrent layer gets a zero "probe" `p` of shape
`(batch, steps, state size)` beside its input sequence, and its cell adds
`p_t` to the state it computes, `h_t' = h_t + p_t`, both the step's output
and the state the next step reads. Outputs do not change (p = 0) and
`dL/dp_t` is exactly the total derivative `dL/dh_t` of back-propagation
through time, through the layers above and every later step. Masked
(padding) steps keep the previous state, so their probe gets exactly 0.
"""

import contextlib

import keras
import numpy as np
from keras import ops


FLOW_FILE = "gradient_flow.json"


def recurrent_layers(model):
    """`[(name, layer)]` of every recurrent layer of `model`, in order.

    A bidirectional layer `name` gives `name/forward` and `name/backward`;
    the teacher-forced Jordan layer of `OutputFeedbackRNN` gives its hidden
    layer (no recurrence while teacher forcing: each step only gets its own
    loss's gradient).
    """
    from rnnzoo.models.output_feedback import OutputFeedback

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            found.append((f"{layer.name}/forward", layer.forward_layer))
            found.append((f"{layer.name}/backward", layer.backward_layer))
        elif isinstance(layer, (keras.layers.RNN, OutputFeedback)):
            found.append((layer.name, layer))
        elif isinstance(layer, keras.Model):
            found += [(f"{layer.name}/{n}", sub) for n, sub in recurrent_layers(layer)]
    return found


def _state_size(cell):
    size = cell.state_size
    return int(size[0] if isinstance(size, (list, tuple)) else size)


def _add_probe(value, probe, size):
    """`value` with `probe` added to its first `size` features."""
    if value.shape[-1] == size:
        return value + probe
    return ops.concatenate([value[..., :size] + probe, value[..., size:]], axis=-1)


class _Probes:
    """Patches a model's recurrent layers for one forward pass: without
    `values` it notes each layer's probe shape and mask, with `values` it
    feeds each layer its probe."""

    def __init__(self, model):
        self.layers = recurrent_layers(model)
        if not self.layers:
            raise ValueError(
                f"Model {model.name!r} has no recurrent layer: no gradient "
                "flow through time to measure."
            )
        self.shapes, self.masks, self.values, self._mask = {}, {}, None, None

    @contextlib.contextmanager
    def patched(self, values=None):
        self.values = values
        undo = []
        try:
            for name, layer in self.layers:
                undo += self._patch(name, layer)
            yield self
        finally:
            for obj, attr, old in reversed(undo):
                if old is _MISSING:
                    delattr(obj, attr)
                else:
                    setattr(obj, attr, old)
            self.values = None

    def _set(self, obj, attr, value):
        old = obj.__dict__.get(attr, _MISSING)
        setattr(obj, attr, value)
        return [(obj, attr, old)]

    def _record(self, name, hidden_shape, mask):
        self.shapes[name] = tuple(int(d) for d in hidden_shape)
        if mask is not None:
            mask = np.asarray(ops.convert_to_numpy(mask)).astype(bool)
            self.masks[name] = mask.reshape(mask.shape[:2])

    def _patch(self, name, layer):
        if isinstance(layer, keras.layers.RNN):
            return self._patch_rnn(name, layer)
        return self._patch_feedback(name, layer)

    def _patch_rnn(self, name, layer):
        cell, size = layer.cell, _state_size(layer.cell)
        layer_call, cell_call = layer.call, cell.call

        def call(sequences, *args, **kwargs):
            if self.values is None:
                mask = kwargs.get("mask")
                mask = mask[0] if isinstance(mask, (list, tuple)) else mask
                self._record(name, tuple(sequences.shape[:2]) + (size,), mask)
                return layer_call(sequences, *args, **kwargs)
            probe = ops.cast(self.values[name], sequences.dtype)
            return layer_call(ops.concatenate([sequences, probe], -1), *args, **kwargs)

        def step(inputs, states, *args, **kwargs):
            if self.values is None:
                return cell_call(inputs, states, *args, **kwargs)
            inputs, probe = inputs[..., :-size], inputs[..., -size:]
            output, new_states = cell_call(inputs, states, *args, **kwargs)
            if isinstance(new_states, (list, tuple)):
                first = _add_probe(new_states[0], ops.cast(probe, new_states[0].dtype), size)
                new_states = [first] + list(new_states[1:])
            else:
                new_states = _add_probe(new_states, ops.cast(probe, new_states.dtype), size)
            return _add_probe(output, ops.cast(probe, output.dtype), size), new_states

        undo = self._set(layer, "call", call) + self._set(cell, "call", step)
        if hasattr(layer, "use_cudnn"):  # A fused kernel would bypass the cell.
            undo += self._set(layer, "use_cudnn", False)
        return undo

    def _patch_feedback(self, name, layer):
        cell = layer.cell
        layer_call, readout = layer.call, cell.readout

        def call(previous, *args, **kwargs):
            self._mask = layer.compute_mask(previous)
            return layer_call(previous, *args, **kwargs)

        def probed_readout(hidden):
            if self.values is None:
                self._record(name, hidden.shape, self._mask)
                return readout(hidden)
            return readout(hidden + ops.cast(self.values[name], hidden.dtype))

        return self._set(layer, "call", call) + self._set(cell, "readout", probed_readout)


_MISSING = object()


def _unpack(batch):
    if not isinstance(batch, (list, tuple)) or len(batch) not in (2, 3):
        raise ValueError(
            "`batch` must be `(inputs, targets)` or `(inputs, targets, "
            f"sample_weight)`, as the model takes it. Received: {type(batch)}"
        )
    to_numpy = lambda t: None if t is None else np.asarray(t)  # noqa: E731
    x, y, *weight = keras.tree.map_structure(to_numpy, tuple(batch))
    return x, y, (weight[0] if weight else None)


def _loss_function(model, x, y, weight, loss):
    if loss is None and getattr(model, "optimizer", None) is None:
        raise ValueError(
            "`gradient_flow` needs the model's loss: compile the model or "
            "pass `loss=fn(y_true, y_pred)`."
        )

    def compute(y_pred):
        if loss is not None:
            return loss(y, y_pred)
        return model.compute_loss(x, y, y_pred, weight, training=False)

    return compute


def _gradients(loss_of, probes):
    """`{name: dL/dprobe}` as NumPy, on the current Keras backend."""
    backend = keras.backend.backend()
    names = list(probes)
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.constant(probes[n]) for n in names]
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            value = loss_of(dict(zip(names, tensors)))
        grads = tape.gradient(value, tensors)
    elif backend == "jax":
        import jax

        grads = jax.grad(loss_of)({n: probes[n] for n in names})
        grads = [grads[n] for n in names]
    elif backend == "torch":
        import torch

        tensors = [torch.tensor(probes[n], requires_grad=True) for n in names]
        value = loss_of(dict(zip(names, tensors)))
        grads = torch.autograd.grad(value, tensors, allow_unused=True)
    else:
        raise NotImplementedError(
            f"gradient_flow differentiates on TensorFlow, JAX and PyTorch; "
            f"the Keras backend is {backend!r}."
        )
    return {
        n: np.zeros_like(probes[n]) if g is None else np.asarray(ops.convert_to_numpy(g))
        for n, g in zip(names, grads)
    }


def gradient_flow_by_layer(model, batch, loss=None, per_example=False):
    """`||dL/dh_t||` of every recurrent layer: `{name: array (steps,)}`.

    Like `gradient_flow`, one entry per layer of `recurrent_layers(model)`
    with that layer's own number of steps (encoder and decoder of a
    `Seq2Seq` differ). With `per_example=True` each array is `(batch,
    steps)`, before averaging.
    """
    x, y, weight = _unpack(batch)
    compute = _loss_function(model, x, y, weight, loss)
    probes = _Probes(model)
    # Stateful layers keep their states: saved here, restored below; the
    # differentiated pass runs in a stateless scope (JAX traces it).
    states = [(v, ops.convert_to_numpy(v)) for _, layer in probes.layers
              if getattr(layer, "stateful", False) for v in layer.states]
    try:
        with probes.patched():
            compute(model(x, training=False))  # Shapes, masks; builds the loss.

        def loss_of(values):
            with keras.StatelessScope(), probes.patched(values):
                return compute(model(x, training=False))

        zeros = {n: np.zeros(s, dtype="float32") for n, s in probes.shapes.items()}
        grads = _gradients(loss_of, zeros)
    finally:
        for variable, value in states:
            variable.assign(value)
    flows = {}
    for name, _ in probes.layers:
        if name not in grads:
            continue  # A layer this model's call does not use.
        norms = np.sqrt(np.sum(np.square(grads[name].astype("float64")), axis=-1))
        mask = probes.masks.get(name)
        if mask is not None:
            norms = np.where(mask, norms, 0.0)
        if per_example:
            flows[name] = norms
            continue
        real = np.ones_like(norms) if mask is None else mask.astype("float64")
        count = real.sum(axis=0)
        flows[name] = np.where(count > 0, norms.sum(axis=0) / np.maximum(count, 1), 0.0)
    return flows


def gradient_flow(model, batch, loss=None):
    """The norm of the loss gradient w.r.t. each hidden state through time.

    Returns a NumPy array `(layers, steps)`: row `i` is layer `i` of
    `recurrent_layers(model)`, entry `t` is `||dL/dh_t||` (L2 norm over the
    state's units; the hidden state `h_t` is the output that recurs: `h_t`
    of Elman, LSTM and GRU, `y_t` of Jordan) averaged over the examples of
    `batch` whose step t is not padding, 0 where every example is padding.
    It is the total derivative of back-propagation through time: for a
    loss on the last step only, `dL/dh_t = dL/dh_T J_T ... J_{t+1}` with
    the step Jacobians `J_s = dh_s/dh_{s-1}`. A layer with fewer steps than the
    longest one (the encoder of a `Seq2Seq` against its decoder) is padded
    with NaN. Computed in inference mode (no dropout); the weights do not
    change.

    Args:
        model: A Keras model with recurrent layers (`keras.layers.RNN`, its
            subclasses, `Bidirectional`), compiled unless `loss` is given.
        batch: `(inputs, targets)` or `(inputs, targets, sample_weight)`, as
            `model.fit` takes them.
        loss: Optional `fn(y_true, y_pred) -> scalar`; default the compiled
            loss (`model.compute_loss`, regularization included).

    Example:

    >>> flow = rnnzoo.diagnostics.gradient_flow(model, (x, y))
    >>> flow[0, 0] / flow[0, -1]   # How much of the last step's gradient
    ...                            # reaches the first step.
    """
    return _stack(gradient_flow_by_layer(model, batch, loss).values())


def _stack(flows):
    """Rows of different lengths as one array, padded with NaN."""
    flows = list(flows)
    table = np.full((len(flows), max(len(f) for f in flows)), np.nan)
    for i, flow in enumerate(flows):
        table[i, : len(flow)] = flow
    return table
