"""Property tests: every recurrent layer against the NumPy reference.

Hypothesis draws the batch size, the number of steps, the feature and unit
sizes, the weights and inputs (from a drawn seed), a mask (none, or one per
row: no padding, fully masked, leading or trailing padding, holes), the
layer flags and an optional initial state; the layer's outputs and final
states must equal `tests.layers.numpy_reference.run` to 1e-5. A second
property changes the masked inputs (to noise, huge values, NaN or inf) and
requires identical outputs and states. With an initial state, Keras's JAX
loop outputs `initial_state[0]`, not zeros, at masked steps before a row's
first real step (see `jax_masked_start`); the test expects that there.

The variants are `tests.layers.test_reference.CASES` (every cell family and
its options), with the sizes replaced by drawn ones. On TensorFlow layers
are called eagerly (a `tf.function` trace would cost about a second per
drawn shape); on JAX each example's call is compiled once with `jax.jit`,
which is faster there than eager dispatch, whose every new shape compiles
every op. Draws are derandomized, so CI sees the same examples on every
run.
"""

import functools

import keras
import numpy as np
import pytest
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.layers import numpy_reference as ref
from tests.layers.test_reference import CASES

NAMES = sorted(CASES)
ATOL = RTOL = 1e-5

PROPERTY = settings(deadline=None, derandomize=True, database=None)
# Examples per variant. An example costs ~30 ms on TensorFlow (eager) and
# ~0.5 s on JAX (one XLA compilation), so JAX draws fewer.
ON_JAX = keras.backend.backend() == "jax"
REFERENCE_EXAMPLES = 10 if ON_JAX else 25
PADDING_EXAMPLES = 4 if ON_JAX else 10
INITIALIZED = ("kernel", "recurrent", "bias")
MASK_KINDS = ("real", "fully_masked", "leading", "trailing", "holes")
PADDING_FILLS = ("noise", "huge", "nan", "inf")


@functools.lru_cache(maxsize=None)
def template(name):
    """The class and config of variant `name`, with its fixed sizes."""
    layer = CASES[name][0]()
    return type(layer), layer.get_config()


@functools.lru_cache(maxsize=None)
def layer_for(name, features, sizes, flags):
    """The layer of variant `name`, built for `features`, one per config.

    `sizes` overrides `units`, `output_units` and `projection_units`;
    `flags` sets `go_backwards`, `return_state` and `return_sequences`.
    """
    cls, config = template(name)
    # The weights are overwritten: cheap initializers save building time.
    cheap = {f"{role}_initializer": "zeros" for role in INITIALIZED}
    layer = cls.from_config({**config, **cheap, **dict(sizes), **dict(flags)})
    layer.build((None, None, features))
    return layer


def sizes_of(name, units, other):
    """`units`, and `other` for the second size argument of `name`'s
    variant (`output_units` or `projection_units`) if it has one."""
    _, config = template(name)
    sizes = {"units": units}
    for key in ("output_units", "projection_units"):
        if config.get(key):
            sizes[key] = other
    return tuple(sorted(sizes.items()))


def mask_row(draw, time):
    """One row of a mask, of a drawn kind (see `MASK_KINDS`)."""
    kind = draw(st.sampled_from(MASK_KINDS), label="mask row")
    event(f"mask row: {kind}")
    row = np.ones(time, dtype=bool)
    if kind == "fully_masked":
        row[:] = False
    elif kind == "leading":
        row[: draw(st.integers(1, time), label="leading masked")] = False
    elif kind == "trailing":
        row[time - draw(st.integers(1, time), label="trailing masked") :] = False
    elif kind == "holes":
        row[:] = draw(
            st.lists(st.booleans(), min_size=time, max_size=time), label="holes"
        )
    return row


@st.composite
def examples(draw, name, padded=False):
    """A drawn layer configuration and the seed of its weights and inputs.

    With `padded`, the mask is never absent and masks at least one step.
    """
    batch = draw(st.integers(1, 4), label="batch")
    time = draw(st.integers(1, 9), label="time")
    features = draw(st.integers(1, 5), label="features")
    units = draw(st.integers(1, 6), label="units")
    other = draw(st.integers(1, 6), label="output or projection units")
    flags = tuple(
        (flag, draw(st.booleans(), label=flag))
        for flag in ("go_backwards", "return_state", "return_sequences")
    )
    # A mask three times in four: 0 (no mask) is where failures shrink to.
    if padded or draw(st.integers(0, 3), label="masked (not 0)"):
        mask = np.stack([mask_row(draw, time) for _ in range(batch)])
        if padded and mask.all():
            mask[draw(st.integers(0, batch - 1), label="padded row"), -1] = False
    else:
        mask = None
        event("no mask")
    return {
        "name": name,
        "shape": (batch, time, features),
        "units": units,
        "other_units": other,
        "flags": flags,
        "mask": mask,
        "initial_state": draw(st.booleans(), label="initial state"),
        "scale": draw(st.sampled_from([0.1, 0.5, 1.0]), label="weight scale"),
        "seed": draw(st.integers(0, 2**32 - 1), label="seed"),
    }


def materialize(example):
    """The example's layer with random weights, and its random arrays.

    Returns `(layer, weights by name in float64, x, initial state or None,
    the generator, for more random arrays)`.
    """
    batch, _, features = example["shape"]
    name = example["name"]
    sizes = sizes_of(name, example["units"], example["other_units"])
    layer = layer_for(name, features, sizes, example["flags"])
    rng = np.random.default_rng(example["seed"])
    weights = {}
    for variable in layer.weights:
        value = rng.normal(scale=example["scale"], size=variable.shape)
        if "gamma" in variable.name:
            value = 1.0 + 0.2 * value
        value = value.astype("float32")
        variable.assign(value)
        weights[variable.name] = value.astype("float64")
    x = rng.normal(size=example["shape"]).astype("float32")
    initial_state = None
    if example["initial_state"]:
        initial_state = [
            rng.normal(size=(batch, size)).astype("float32")
            for size in layer.state_size
        ]
    return layer, weights, x, initial_state, rng


@functools.lru_cache(maxsize=None)
def jax_function(layer):
    """`layer`'s call as one compiled JAX function (see the docstring)."""
    import jax

    def run(trainable, non_trainable, x, kwargs):
        results, _ = layer.stateless_call(trainable, non_trainable, x, **kwargs)
        return results

    return jax.jit(run)


def call(layer, x, mask, initial_state):
    """The layer's results as a list of NumPy arrays: output, then states."""
    kwargs = {}
    if mask is not None:
        kwargs["mask"] = mask
    if initial_state is not None:
        kwargs["initial_state"] = initial_state
    if ON_JAX:
        results = jax_function(layer)(
            [v.value for v in layer.trainable_variables],
            [v.value for v in layer.non_trainable_variables],
            x,
            kwargs,
        )
    else:
        results = layer(x, **kwargs)
    results = results if isinstance(results, (list, tuple)) else [results]
    return [keras.ops.convert_to_numpy(r) for r in results]


def reference(name, layer, weights, x, mask, initial_state):
    """The same results from `numpy_reference.run`, in float64."""
    _, step = CASES[name]
    states = (
        [s.astype("float64") for s in initial_state]
        if initial_state is not None
        else [np.zeros((x.shape[0], size)) for size in layer.state_size]
    )
    states0 = states
    outputs, states = ref.run(
        lambda xt, s: step(weights, xt, s),
        x.astype("float64"),
        states,
        mask,
        layer.go_backwards,
    )
    if ON_JAX and mask is not None:
        outputs = jax_masked_start(outputs, mask, states0, layer.go_backwards)
    if not layer.return_sequences:
        outputs = outputs[:, -1]
    return [outputs, *states] if layer.return_state else [outputs]


def jax_masked_start(outputs, mask, initial_states, go_backwards):
    """The outputs of Keras's JAX loop, from those of `numpy_reference`.

    Masked steps before a row's first real step output zeros on TensorFlow
    (and PyTorch) but `initial_state[0]` on JAX: its `lax.scan` loop
    repeats `states[0]` where the others repeat the previous output
    (keras/src/backend/jax/rnn.py). They differ only with an initial state.
    """
    processed = mask[:, ::-1] if go_backwards else mask
    before_first = ~np.logical_or.accumulate(processed, axis=1)
    start = np.broadcast_to(initial_states[0][:, None], outputs.shape)
    return np.where(before_first[..., None], start, outputs)


def assert_results(got, want, layer, x, mask, initial_state, **tolerance):
    """Asserts `got == want` result by result, naming the configuration."""
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        try:
            np.testing.assert_allclose(g, w, **tolerance)
        except AssertionError as error:
            raise AssertionError(
                f"result {i} (0: output, then the states) of "
                f"{type(layer).__name__}({layer.get_config()}) differs; "
                f"x shape {x.shape}, initial state given: "
                f"{initial_state is not None}, mask:\n"
                f"{None if mask is None else mask.astype(int)}\n{error}"
            ) from None


@pytest.mark.parametrize("name", NAMES)
@settings(PROPERTY, max_examples=REFERENCE_EXAMPLES)
@given(data=st.data())
def test_layer_matches_numpy_reference(name, data):
    example = data.draw(examples(name))
    layer, weights, x, initial_state, _ = materialize(example)
    mask = example["mask"]
    got = call(layer, x, mask, initial_state)
    want = reference(name, layer, weights, x, mask, initial_state)
    assert_results(
        got, want, layer, x, mask, initial_state, atol=ATOL, rtol=RTOL
    )


@pytest.mark.parametrize("name", NAMES)
@settings(PROPERTY, max_examples=PADDING_EXAMPLES)
@given(data=st.data())
def test_padding_content_does_not_matter(name, data):
    example = data.draw(examples(name, padded=True))
    layer, _, x, initial_state, rng = materialize(example)
    mask = example["mask"]
    fill = data.draw(st.sampled_from(PADDING_FILLS), label="padding fill")
    event(f"padding fill: {fill}")
    padding = {
        "noise": rng.normal(size=x.shape),
        "huge": rng.choice([-1.0, 1.0], size=x.shape) * 1e30,
        "nan": np.full(x.shape, np.nan),
        "inf": rng.choice([-np.inf, np.inf], size=x.shape),
    }[fill].astype("float32")
    changed = np.where(mask[..., None], x, padding)
    before = call(layer, x, mask, initial_state)
    after = call(layer, changed, mask, initial_state)
    # A masked step repeats the last real output (before the first one, a
    # value that does not read the inputs), so every output and state, not
    # only those of real steps, must stay the same, exactly.
    assert_results(after, before, layer, x, mask, initial_state, rtol=0, atol=0)
