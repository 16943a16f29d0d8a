"""Gradients of a layer's outputs on the TensorFlow and JAX backends."""

import keras
import numpy as np


def weighted_sum(outputs, seed=0):
    """A scalar loss `sum(outputs * R)` with fixed random `R` per output."""
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    rng = np.random.default_rng(seed)
    total = 0.0
    for out in outputs:
        r = rng.normal(size=tuple(out.shape)).astype("float32")
        total = total + keras.ops.sum(out * r)
    return total


def loss_and_gradients(layer, inputs, **call_kwargs):
    """Returns `(outputs, d loss / d inputs, [d loss / d w for w in
    layer.trainable_weights])` as NumPy arrays, loss = `weighted_sum`."""
    inputs = np.asarray(inputs, dtype="float32")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.constant(inputs)
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = layer(x, **call_kwargs)
            loss = weighted_sum(outputs)
        grads = tape.gradient(loss, [x] + layer.trainable_weights)
    elif backend == "jax":
        import jax

        layer(inputs, **call_kwargs)  # build
        trainable = [v.value for v in layer.trainable_variables]
        fixed = [v.value for v in layer.non_trainable_variables]

        def loss_fn(trainable, x):
            outputs, _ = layer.stateless_call(trainable, fixed, x, **call_kwargs)
            return weighted_sum(outputs), outputs

        (_, outputs), (g_w, g_x) = jax.value_and_grad(
            loss_fn, argnums=(0, 1), has_aux=True
        )(trainable, inputs)
        grads = [g_x] + list(g_w)
    else:
        raise NotImplementedError(f"No gradient helper for {backend}")
    to_numpy = keras.ops.convert_to_numpy
    if isinstance(outputs, (list, tuple)):
        outputs = [to_numpy(o) for o in outputs]
    else:
        outputs = to_numpy(outputs)
    grads = [to_numpy(g) for g in grads]
    return outputs, grads[0], grads[1:]


def numeric_gradient(fn, value, eps=1e-6):
    """Central finite differences of scalar `fn` at float64 array `value`."""
    value = np.array(value, dtype="float64")
    grad = np.zeros_like(value)
    flat, gflat = value.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = fn(value)
        flat[i] = saved - eps
        minus = fn(value)
        flat[i] = saved
        gflat[i] = (plus - minus) / (2 * eps)
    return grad
