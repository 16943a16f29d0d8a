"""Data for rnnzoo: TFDS datasets, built-in builders and the user's files.

Importing this package registers the TFDS builders `rnnzoo_addition`,
`rnnzoo_adding_problem` and `rnnzoo_copy_memory`.
"""

from rnnzoo.data.api import describe
from rnnzoo.data.api import list_datasets
from rnnzoo.data.api import load
from rnnzoo.data.builders import AddingProblemConfig
from rnnzoo.data.builders import AdditionConfig
from rnnzoo.data.builders import CopyMemoryConfig
from rnnzoo.data.builders import RnnzooAddingProblem
from rnnzoo.data.builders import RnnzooAddition
from rnnzoo.data.builders import RnnzooCopyMemory
from rnnzoo.data.entities import entity_f1
from rnnzoo.data.entities import entity_scores
from rnnzoo.data.entities import tags_from_ids
from rnnzoo.data.files import DataFileError
from rnnzoo.data.offline import DatasetNotAvailableError
from rnnzoo.data.prepare import prepare
from rnnzoo.data.task_data import END_TOKEN
from rnnzoo.data.task_data import OOV_ID
from rnnzoo.data.task_data import PAD_ID
from rnnzoo.data.task_data import START_TOKEN
from rnnzoo.data.task_data import TASKS
from rnnzoo.data.task_data import TaskData
from rnnzoo.data.user_files import from_files
from rnnzoo.data.user_files import training_size
