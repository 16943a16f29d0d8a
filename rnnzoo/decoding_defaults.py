"""The decoding settings used when a run or a request does not say.

Plain Python, no TensorFlow: the training settings table
(`rnnzoo.train.recipe.SETTINGS`) takes its defaults from here while the
command parses its arguments, and the models' decoding
(`rnnzoo.models.decoding`) and serving signatures use the same values.
"""

DECODE_DEFAULTS = {
    "decode_method": "greedy",
    "beam_width": 4,
    "length_penalty": 0.6,
    "max_new_tokens": 100,
    "temperature": 0.8,
    "seed": 0,
    "forecast_steps": 1,
}

#: The inputs of a sampling export's `sample` signature besides its text or
#: label, in order; each takes one value per instance.
SAMPLING_INPUTS = ("temperature", "top_k", "seed", "max_new_tokens")
#: The most new tokens a `sample` request may ask for (an export whose run
#: decodes more by default takes its own default as the limit).
MAX_NEW_TOKENS_LIMIT = 1000
