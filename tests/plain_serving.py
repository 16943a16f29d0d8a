"""Exports served by plain TensorFlow, in a process that cannot import rnnzoo."""

import json
import subprocess
import sys

#: The start of a child script in which `import rnnzoo` fails, as on a server.
NO_RNNZOO = """
import json, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "rnnzoo" or name.startswith("rnnzoo."):
            raise ImportError("rnnzoo may not be imported here")
sys.meta_path.insert(0, Block())
"""

BLOCK_RNNZOO = NO_RNNZOO + """import numpy as np
import tensorflow as tf
def plain(v):
    return [x.decode("utf-8", "replace") for x in v.ravel()] if v.dtype == object else v.tolist()
def serve(path, feed):
    fn = tf.saved_model.load(path).signatures["serving_default"]
    (name, spec), = fn.structured_input_signature[1].items()
    value = tf.constant(feed, dtype=spec.dtype)
    outputs = {k: v.numpy() for k, v in fn(**{name: value}).items()}
    return {k: {"value": plain(v), "shape": v.shape} for k, v in outputs.items()}
requests = json.loads(sys.stdin.read())
print(json.dumps({case: serve(path, feed) for case, (path, feed) in requests.items()}))
"""


def serve_in_subprocess(requests):
    """`{case: outputs}` of `{case: (export path, feed)}`, served by plain
    TensorFlow in one process that cannot import rnnzoo."""
    process = subprocess.run(
        [sys.executable, "-c", BLOCK_RNNZOO],
        input=json.dumps(requests), capture_output=True, text=True, timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.strip().splitlines()[-1])


def serve_one(path, feed):
    """What the export at `path` answers to `feed`, served as above."""
    return serve_in_subprocess({"one": (path, feed)})["one"]
