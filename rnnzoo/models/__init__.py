"""One model per RNN design pattern, and decoding."""

from rnnzoo.models import decoding
from rnnzoo.models.sequence_tagger import SequenceTagger
from rnnzoo.models.output_feedback import OutputFeedbackRNN
from rnnzoo.models.sequence_classifier import SequenceClassifier
from rnnzoo.models.seq2seq import Seq2Seq
from rnnzoo.models.sequence_generator import SequenceGenerator
