"""The cuDNN path: taken where stock Keras takes it, never with extensions."""

import keras
import pytest

from rnnzoo import layers

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="graph inspection is TF"
)


@pytest.fixture
def fake_gpu(monkeypatch):
    """Makes TensorFlow report a GPU, so layers trace their cuDNN path."""
    import tensorflow as tf

    real = tf.config.list_logical_devices

    def list_logical_devices(device_type=None):
        if device_type == "GPU":
            return [tf.config.LogicalDevice("/device:GPU:0", "GPU")]
        return real(device_type)

    monkeypatch.setattr(tf.config, "list_logical_devices", list_logical_devices)


def traced_op_types(layer):
    import tensorflow as tf

    fn = tf.function(lambda x: layer(x))
    graph = fn.get_concrete_function(tf.TensorSpec((2, 5, 3))).graph
    return {op.type for op in graph.get_operations()}


@pytest.mark.parametrize(
    "make, cudnn",
    [
        (lambda: layers.LSTM(4), True),
        (lambda: layers.GRU(4), True),
        (lambda: layers.LSTM(4, use_cudnn=False), False),
        (lambda: layers.LSTM(4, projection_units=2), False),
        (lambda: layers.LSTM(4, layer_norm=True), False),
        (lambda: layers.GRU(4, layer_norm=True), False),
        (lambda: layers.GRU(4, reset_after=False), False),
    ],
)
def test_cudnn_kernel_only_for_the_stock_configuration(fake_gpu, make, cudnn):
    assert ("CudnnRNNV3" in traced_op_types(make())) is cudnn


def test_use_cudnn_survives_the_config_round_trip():
    layer = layers.GRU(4, use_cudnn=False)
    assert layers.GRU.from_config(layer.get_config()).use_cudnn is False


@pytest.mark.parametrize(
    "make, supports_jit",
    [
        (lambda: layers.LSTM(4), False),
        (lambda: layers.GRU(4), False),
        (lambda: layers.LSTM(4, use_cudnn=False), True),
        (lambda: layers.LSTM(4, layer_norm=True), True),
        (lambda: layers.GRU(4, activation="relu"), True),
    ],
)
def test_models_that_run_cudnn_proceed_without_xla(fake_gpu, make, supports_jit):
    assert make().supports_jit is supports_jit
