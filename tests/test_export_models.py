"""Exports of models built by hand: names, versions, interruptions, no
cuDNN op, attention seq2seq served text in, text out."""

import os

import keras
import numpy as np
import pytest

from rnnzoo import models
from rnnzoo.models import serving
from rnnzoo.export.saved_model import ExportError
from rnnzoo.export.saved_model import export_saved_model
from rnnzoo.export.saved_model import serving_config
from tests.plain_serving import serve_one

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="export is TensorFlow"
)


@pytest.mark.parametrize("data, name", [
    (None, "imdb_sentiment"), ("my.tsv", "my"), ("/home/me/runs/data/mr.tsv", "mr"),
    ("my reviews (2).tsv", "my_reviews__2_"), ("./.hidden.tsv", "hidden"),
    ("corpus/", "corpus"), ("train.tsv,extra.tsv", "train"), ("__.tsv", "imdb_sentiment"),
])
def test_an_export_is_named_after_the_users_data_file(data, name):
    from rnnzoo.export.saved_model import check_name
    from rnnzoo.export.saved_model import default_name

    config = {"recipe": "imdb_sentiment", "settings": {"data": data}}
    assert default_name(config) == check_name(name)


def small_model():
    model = models.SequenceClassifier(cell="lstm", units=4, num_classes=2, vocabulary_size=10)
    model.build((None, None))
    return model


def test_versions_increase_and_are_never_overwritten(tmp_path):
    model = small_model()
    first = export_saved_model(model, "m", base_dir=str(tmp_path))
    second = export_saved_model(model, "m", base_dir=str(tmp_path))
    assert [os.path.basename(first), os.path.basename(second)] == ["1", "2"]
    with pytest.raises(ExportError, match="exists"):
        export_saved_model(model, "m", base_dir=str(tmp_path), version=1)
    export_saved_model(model, "m", base_dir=str(tmp_path), version=1, overwrite=True)
    assert sorted(os.listdir(tmp_path / "m")) == ["1", "2"]
    config = open(serving_config(str(tmp_path))).read()
    assert 'name: "m"' in config and f'base_path: "{tmp_path / "m"}"' in config


def test_an_interrupted_export_leaves_no_version(tmp_path, monkeypatch):
    import rnnzoo.export.saved_model as export_module

    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(export_module, "_write_assets", fail)
    with pytest.raises(KeyboardInterrupt):
        export_saved_model(small_model(), "m", base_dir=str(tmp_path))
    assert os.listdir(tmp_path / "m") == []


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "../x", ".hidden", None])
def test_names_that_are_not_plain_folder_names_are_refused(name, tmp_path):
    with pytest.raises(ExportError, match="plain folder name"):
        export_saved_model(small_model(), name, base_dir=str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_no_cudnn_op_even_on_a_gpu_host(tmp_path, monkeypatch):
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    real = tf.config.list_logical_devices

    def fake(device_type=None):
        if device_type == "GPU":
            return [tf.config.LogicalDevice("/device:GPU:0", "GPU")]
        return real(device_type)

    monkeypatch.setattr(tf.config, "list_logical_devices", fake)

    def op_types(path):
        proto = saved_model_pb2.SavedModel()
        proto.ParseFromString(open(os.path.join(path, "saved_model.pb"), "rb").read())
        graph = proto.meta_graphs[0].graph_def
        ops = {node.op for node in graph.node}
        for function in graph.library.function:
            ops |= {node.op for node in function.node_def}
        return ops

    for bidirectional in (False, True):
        model = models.SequenceClassifier(
            cell="lstm", units=4, num_classes=2, vocabulary_size=10,
            bidirectional=bidirectional,
        )
        model.build((None, None))
        path = export_saved_model(model, f"lstm{int(bidirectional)}", base_dir=str(tmp_path))
        assert not any(op.startswith("Cudnn") for op in op_types(path))
    # The trap is real: the same model traced plainly on a "GPU host" has it.
    fn = tf.function(lambda ids: model(ids))
    graph = fn.get_concrete_function(tf.TensorSpec((None, None), tf.int32)).graph
    assert "CudnnRNNV3" in {op.type for op in graph.get_operations()}


@pytest.mark.parametrize("attention", ["bahdanau", "luong"])
def test_seq2seq_with_attention_exports_text_in_text_out(attention, tmp_path):
    import tensorflow as tf

    letters = list("abcdefgh")
    source = keras.layers.TextVectorization(split="character", standardize=None, vocabulary=letters)
    target = keras.layers.TextVectorization(
        split="character", standardize=None, vocabulary=["[START]", "[END]"] + letters
    )
    model = models.Seq2Seq(
        cell="gru", units=8, source_vocabulary_size=source.vocabulary_size(),
        target_vocabulary_size=target.vocabulary_size(), attention=attention,
        start_id=2, end_id=3,
    )
    context = serving.ServingContext(
        vectorizers={"source": source, "target": target},
        decode={"decode_method": "beam", "beam_width": 3, "max_new_tokens": 7},
    )
    path = export_saved_model(model, attention, base_dir=str(tmp_path), context=context)
    texts = ["abc", "", "hgfedcbahgfedcba"]
    served = serve_one(path, texts)
    ids = serving.text_to_ids(source, tf.constant(texts), 500).numpy()
    tokens, scores = model.generate(ids, max_length=7, method="beam", beam_width=3)
    np.testing.assert_array_equal(served["tokens"]["value"], tokens)
    np.testing.assert_allclose(served["scores"]["value"], scores, atol=1e-5)
