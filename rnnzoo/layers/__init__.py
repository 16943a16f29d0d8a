"""Recurrent cells and layers: Elman, Jordan, LSTM, GRU."""

from rnnzoo.layers.elman import Elman
from rnnzoo.layers.elman import ElmanCell
from rnnzoo.layers.gru import GRU
from rnnzoo.layers.gru import GRUCell
from rnnzoo.layers.jordan import Jordan
from rnnzoo.layers.jordan import JordanCell
from rnnzoo.layers.lstm import LSTM
from rnnzoo.layers.lstm import LSTMCell
from rnnzoo.layers.recurrent import RecurrentCell
