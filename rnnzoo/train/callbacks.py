"""Callbacks that record diagnostics during training: gradient flow through
time (`GradientFlow`), gradient norms and clipping (`GradientNorms`)."""

import contextlib
import math
import os

import keras
import numpy as np
from keras import ops

from rnnzoo.checks import check_positive_int
from rnnzoo.diagnostics.gradient_flow import FLOW_FILE
from rnnzoo.diagnostics.gradient_flow import _MISSING
from rnnzoo.diagnostics.gradient_flow import _stack
from rnnzoo.diagnostics.gradient_flow import gradient_flow_by_layer
from rnnzoo.train.run_folder import read_json
from rnnzoo.train.run_folder import write_json


def clipping_threshold(optimizer):
    """`(kind, value)` of the optimizer's gradient clipping, or `None`."""
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    for kind in ("clipnorm", "global_clipnorm", "clipvalue"):
        value = getattr(optimizer, kind, None)
        if value:
            return kind, float(value)
    return None


def _summary_writer(log_dir):
    """A TensorBoard writer, or `None` without a folder or TensorFlow."""
    if log_dir is None:
        return None
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover - TensorFlow is a dependency.
        return None
    return tf.summary.create_file_writer(log_dir)


class GradientFlow(keras.callbacks.Callback):
    """Records `gradient_flow` on a fixed batch every `every` epochs.

    The record, `RUN_DIR/gradient_flow.json` (rewritten atomically after
    each measurement, and extended when a run resumes), holds for every
    recurrent layer one row of `||dL/dh_t||` per measured epoch:

        {"layers": [name, ...], "epochs": [0, 2, 4, ...],
         "flow": {name: [[step 1, ..., step T] per epoch]},
         "batch_size": B, "every": N}

    Epoch 0 is the initialization, measured before the first epoch of a new
    run; epoch e is after e epochs. The same goes to TensorBoard
    (`RUN_DIR/logs/gradient_flow`): an image per measurement (one band per
    layer, time left to right, brightness `log10 ||dL/dh_t||`), a histogram
    of `log10 ||dL/dh_t||` per layer, and the scalar `log10(||dL/dh_1|| /
    ||dL/dh_T||)` per layer (very negative: the gradient vanishes).

    Args:
        sample_batch: `(inputs, targets)`, one batch of validation data as
            the model takes it; the same batch at every measurement.
        run_dir: Folder of `gradient_flow.json` (`None`: not written).
        every: Positive integer, measure every `every` epochs.
        log_dir: TensorBoard folder (default `RUN_DIR/logs/gradient_flow`;
            `None` without a run folder: no TensorBoard).
        loss: Optional `fn(y_true, y_pred)`; default the compiled loss.
    """

    def __init__(self, sample_batch, run_dir=None, every=1, log_dir=None, loss=None):
        super().__init__()
        self.sample_batch = sample_batch
        self.run_dir = run_dir
        self.every = check_positive_int(every, "every")
        if log_dir is None and run_dir is not None:
            log_dir = os.path.join(run_dir, "logs", "gradient_flow")
        self.log_dir = log_dir
        self.loss = loss
        self.record = None
        self._writer = None

    @property
    def path(self):
        return None if self.run_dir is None else os.path.join(self.run_dir, FLOW_FILE)

    def on_train_begin(self, logs=None):
        path = self.path
        self.record = read_json(path) if path and os.path.exists(path) else None
        self._writer = _summary_writer(self.log_dir)

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 0 and not self._measured(0):
            self.measure(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.measure(epoch + 1)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _measured(self, epoch):
        return self.record is not None and epoch in self.record["epochs"]

    def measure(self, epoch):
        """Measures now and stores the result as `epoch`; returns it."""
        flows = gradient_flow_by_layer(self.model, self.sample_batch, self.loss)
        record = self.record or {
            "layers": list(flows),
            "epochs": [],
            "flow": {name: [] for name in flows},
            "batch_size": int(np.shape(keras.tree.flatten(self.sample_batch[1])[0])[0]),
            "every": self.every,
        }
        if epoch in record["epochs"]:  # Re-measured after a resume.
            index = record["epochs"].index(epoch)
            for name in record["layers"]:
                del record["flow"][name][index]
            del record["epochs"][index]
        record["epochs"].append(epoch)
        for name in record["layers"]:
            record["flow"][name].append(
                [float(v) if math.isfinite(v) else None for v in flows[name]])
        self.record = record
        if self.path is not None:
            os.makedirs(self.run_dir, exist_ok=True)
            write_json(self.path, record)
        self._write_summaries(epoch, flows)
        return flows

    def _write_summaries(self, epoch, flows):
        if self._writer is None:
            return
        import tensorflow as tf

        with self._writer.as_default(step=epoch):
            for name, flow in flows.items():
                logs = np.log10(flow[flow > 0]) if np.any(flow > 0) else np.zeros(1)
                tf.summary.histogram(f"gradient_flow/{name}", logs)
                if flow[0] > 0 and flow[-1] > 0:
                    tf.summary.scalar(
                        f"gradient_flow/{name}/log10_first_over_last",
                        float(np.log10(flow[0] / flow[-1])),
                    )
            tf.summary.image(
                "gradient_flow/log10_norm_layer_by_step", flow_image(flows.values())
            )
        self._writer.flush()


def flow_image(flows, band=12, min_width=256):
    """A grayscale image `(1, height, width, 1)` uint8 of flow rows: one
    band of `band` pixels per layer, time left to right, brightness linear
    in `log10 ||dL/dh_t||` between the smallest and largest value."""
    table = _stack(flows)
    logs = np.log10(np.where(table > 0, table, np.nan))
    low, high = (np.nanmin(logs), np.nanmax(logs)) if np.any(np.isfinite(logs)) else (0, 1)
    scaled = np.nan_to_num((logs - low) / max(high - low, 1e-12), nan=0.0)
    widen = max(1, -(-min_width // table.shape[1]))
    pixels = np.repeat(np.repeat(scaled, band, axis=0), widen, axis=1)
    return (255 * pixels).astype("uint8")[None, :, :, None]


class GradientNorms(keras.callbacks.Callback):
    """Logs the gradient norm of every training step and how often
    clipping cut it.

    At each step, before clipping: the global L2 norm of all gradients, and
    whether the optimizer's clipping changes them (`clipnorm`, which Keras
    applies to each variable's gradient alone: some variable's norm is
    above it; `global_clipnorm`: the global norm is; `clipvalue`: some
    entry is). Adds `grad_norm` (mean over the epoch's steps),
    `grad_norm_max` and `clipped_fraction` (share of steps clipped) to the
    epoch's logs, hence to the run's history and TensorBoard, and writes
    each step's `gradient_norm` and `clipped` to TensorBoard in `log_dir`.
    Works by watching `model.optimizer.apply` during `fit` (restored at the
    end), on TensorFlow (inside the compiled step), JAX and PyTorch.
    """

    KEYS = ("grad_norm", "grad_norm_max", "clipped_fraction")

    def __init__(self, log_dir=None):
        super().__init__()
        self.log_dir = log_dir
        self.steps = []  # (norm, clipped) of the epoch's steps.
        self._undo = self._writer = None

    def on_train_begin(self, logs=None):
        # The optimizer that clips: inside a LossScaleOptimizer (mixed
        # precision), it gets unscaled gradients, and only finite ones.
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        self.threshold = clipping_threshold(optimizer)
        self._backend = keras.backend.backend()
        # TensorFlow: sum, max, clipped steps, steps, last norm, last clipped.
        # Under tf.distribute, each replica clips its own gradients before
        # they are summed: the first replica's are recorded.
        # One variable for the callback's life: a train function traced in an
        # earlier `fit` call (the engine calls `fit` once per epoch) keeps
        # writing to the variable it was traced with.
        if getattr(self, "_totals", None) is None:
            strategy = getattr(self.model, "distribute_strategy", None)
            with strategy.scope() if strategy is not None else contextlib.nullcontext():
                self._totals = keras.Variable(np.zeros(6, "float32"), trainable=False,
                                              aggregation="only_first_replica")
        old, original = optimizer.__dict__.get("apply", _MISSING), optimizer.apply

        def apply(grads, trainable_variables=None):
            self._store(*self._measure(optimizer, grads))
            return original(grads, trainable_variables)

        optimizer.apply = apply
        self._undo = (optimizer, old)
        self._writer = _summary_writer(self.log_dir)
        self._step = int(ops.convert_to_numpy(optimizer.iterations))

    def _measure(self, optimizer, grads):
        grads = [ops.cast(ops.convert_to_tensor(g), "float32") for g in grads if g is not None]
        scale = getattr(optimizer, "loss_scale_factor", None)
        grads = grads if scale is None else [g / scale for g in grads]
        squares = ops.stack([ops.sum(ops.square(g)) for g in grads])
        norm = ops.sqrt(ops.sum(squares))
        kind, value = self.threshold or (None, None)
        if kind == "clipnorm":
            clipped = ops.any(ops.sqrt(squares) > value)
        elif kind == "global_clipnorm":
            clipped = norm > value
        elif kind == "clipvalue":
            clipped = ops.any(ops.stack([ops.max(ops.abs(g)) for g in grads]) > value)
        else:
            clipped = ops.zeros((), "bool")
        return norm, ops.cast(clipped, "float32")

    def _store(self, norm, clipped):
        if self._backend == "tensorflow":  # Inside the compiled train step.
            t = self._totals
            t.assign(ops.stack([t[0] + norm, ops.maximum(t[1], norm), t[2] + clipped,
                                t[3] + 1.0, norm, clipped]))
        elif self._backend == "jax":
            import jax

            jax.debug.callback(self._host_store, norm, clipped)
        else:
            self._host_store(norm, clipped)

    def _host_store(self, norm, clipped):
        self.steps.append((float(norm), float(clipped)))

    def on_epoch_begin(self, epoch, logs=None):
        self.steps = []
        self._totals.assign(np.zeros(6, "float32"))

    def on_train_batch_end(self, batch, logs=None):
        if self._backend == "tensorflow":  # Several steps per call: the last.
            self._host_store(*ops.convert_to_numpy(self._totals)[4:])

    def on_epoch_end(self, epoch, logs=None):
        if self._backend == "jax":
            import jax

            jax.effects_barrier()
        if self._backend == "tensorflow":
            total, high, cut, count = ops.convert_to_numpy(self._totals)[:4]
        else:
            norms, cuts = np.array(self.steps or [(0.0, 0.0)]).T
            total, high, cut, count = norms.sum(), norms.max(), cuts.sum(), len(self.steps)
        if count and logs is not None:
            logs.update(zip(self.KEYS, (float(total / count), float(high), float(cut / count))))
        if self._writer is not None:
            import tensorflow as tf

            with self._writer.as_default():
                for i, (norm, cut) in enumerate(self.steps, self._step + 1):
                    tf.summary.scalar("gradient_norm", norm, step=i)
                    tf.summary.scalar("clipped", cut, step=i)
            self._writer.flush()
        self._step += len(self.steps)

    def on_train_end(self, logs=None):
        if self._undo is not None:
            optimizer, old = self._undo
            if old is _MISSING:
                del optimizer.apply
            else:
                optimizer.apply = old
            self._undo = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def diagnostics_callbacks(model, sample_batch, run_dir, every):
    """The callbacks the training engine adds for `--gradient-flow N`.

    `GradientFlow` every `every` epochs into `RUN_DIR/gradient_flow.json`
    and `RUN_DIR/logs/gradient_flow`, and, when the optimizer of `model`
    clips gradients, `GradientNorms` (per-step TensorBoard values in
    `RUN_DIR/logs/gradients`). Empty when `every` is 0 or `None`. Put them
    before the callbacks that save the epoch's logs: `GradientNorms` adds
    `grad_norm`, `grad_norm_max` and `clipped_fraction` to them.
    """
    if not every:
        return []
    callbacks = [GradientFlow(sample_batch, run_dir, every)]
    if clipping_threshold(model.optimizer) is not None:
        callbacks.append(GradientNorms(os.path.join(run_dir, "logs", "gradients")))
    return callbacks
