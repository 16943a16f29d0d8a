"""Exports that TF Serving loads as they are, the zoo, and predictions.

`rnnzoo.export.saved_model.saved_model.export_run(run_dir)` writes a run's model as
`BASE_DIR/NAME/VERSION/`, a SavedModel with its card; `rnnzoo.export.saved_model.zoo`
lists the shipped ones; `rnnzoo.export.saved_model.predict` answers raw input with an
export alone; `rnnzoo.export.reexport.reexport(name)` writes a shipped export again
from its own weights when its serving graph or card learns something new.
"""
