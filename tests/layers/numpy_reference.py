"""Plain NumPy versions of the cell equations, in float64, for the tests."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def layer_norm(x, gamma, beta=0.0, epsilon=1e-5):
    mean = x.mean(-1, keepdims=True)
    variance = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def elman_step(w, x, states, activation=np.tanh):
    (a,) = states
    a = activation(x @ w["kernel"] + a @ w["recurrent_kernel"] + w["bias"])
    return a, [a]


def jordan_step(w, x, states):
    (y,) = states
    h = np.tanh(x @ w["kernel"] + y @ w["recurrent_kernel"] + w["bias"])
    y = h @ w["output_kernel"] + w["output_bias"]
    return y, [y]


def lstm_step(w, x, states, layer_norm_on=False, projection=False):
    h, c = states
    xw, hu = x @ w["kernel"], h @ w["recurrent_kernel"]
    if layer_norm_on:
        xw = layer_norm(xw, w["input_norm_gamma"])
        hu = layer_norm(hu, w["recurrent_norm_gamma"])
    i, f, g, o = np.split(xw + hu + w["bias"], 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    c_out = c
    if layer_norm_on:
        c_out = layer_norm(c, w["cell_norm_gamma"], w["cell_norm_beta"])
    h = sigmoid(o) * np.tanh(c_out)
    if projection:
        h = h @ w["projection_kernel"]
    return h, [h, c]


def gru_step(w, x, states, reset_after=True, layer_norm_on=False):
    (h,) = states
    units = h.shape[-1]
    kernel, recurrent = w["kernel"], w["recurrent_kernel"]
    if reset_after:
        xw, hu = x @ kernel, h @ recurrent
        if layer_norm_on:
            xw = layer_norm(xw, w["input_norm_gamma"])
            hu = layer_norm(hu, w["recurrent_norm_gamma"])
        xw, hu = xw + w["bias"][0], hu + w["bias"][1]
        x_z, x_r, x_h = np.split(xw, 3, axis=-1)
        u_z, u_r, u_h = np.split(hu, 3, axis=-1)
        z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
        candidate = np.tanh(x_h + r * u_h)
    else:
        x_z, x_r, x_h = np.split(x @ kernel + w["bias"], 3, axis=-1)
        z = sigmoid(x_z + h @ recurrent[:, :units])
        r = sigmoid(x_r + h @ recurrent[:, units : 2 * units])
        candidate = np.tanh(x_h + (r * h) @ recurrent[:, 2 * units :])
    h = z * h + (1 - z) * candidate
    return h, [h]


def run(step, x, states, mask=None, go_backwards=False):
    """Runs `step` over `x (batch, time, features)` with Keras semantics.

    A masked step keeps the previous states and repeats the previous
    output; with `go_backwards` the outputs come in processing order.
    """
    steps = range(x.shape[1])
    outputs, previous = [], None
    for t in reversed(steps) if go_backwards else steps:
        output, new_states = step(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            new_states = [np.where(m, n, s) for n, s in zip(new_states, states)]
            last = previous if previous is not None else np.zeros_like(output)
            output = np.where(m, output, last)
        states, previous = new_states, output
        outputs.append(output)
    return np.stack(outputs, axis=1), states


def elman_gradients(w, x, h0, upstream):
    """Backpropagation through time for the Elman cell (tanh), by hand.

    `upstream` is dL/d(outputs) for every step; returns the gradients of
    L with respect to `x` and to each weight.
    """
    outputs, _ = run(lambda xt, s: elman_step(w, xt, s), x, [h0])
    grads = {k: np.zeros_like(v) for k, v in w.items()}
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h = outputs[:, t]
        h_prev = outputs[:, t - 1] if t > 0 else h0
        dz = (upstream[:, t] + dh_next) * (1.0 - h**2)
        grads["kernel"] += x[:, t].T @ dz
        grads["recurrent_kernel"] += h_prev.T @ dz
        grads["bias"] += dz.sum(0)
        dx[:, t] = dz @ w["kernel"].T
        dh_next = dz @ w["recurrent_kernel"].T
    return dx, grads
