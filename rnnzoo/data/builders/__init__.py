"""TFDS builders generated locally from a seed; importing registers them.

- `rnnzoo_addition`: `RnnzooAddition`, configs `AdditionConfig`;
- `rnnzoo_adding_problem`: `RnnzooAddingProblem`, `AddingProblemConfig`;
- `rnnzoo_copy_memory`: `RnnzooCopyMemory`, `CopyMemoryConfig`.
"""

from rnnzoo.data.builders.adding_problem import AddingProblemConfig
from rnnzoo.data.builders.adding_problem import RnnzooAddingProblem
from rnnzoo.data.builders.addition import AdditionConfig
from rnnzoo.data.builders.addition import RnnzooAddition
from rnnzoo.data.builders.copy_memory import CopyMemoryConfig
from rnnzoo.data.builders.copy_memory import RnnzooCopyMemory
