"""The READMEs' tables of results are what `benchmarks/readme_tables.py`
renders from the kept runs and the zoo's cards: no figure typed by hand."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tables():
    spec = importlib.util.spec_from_file_location(
        "readme_tables", os.path.join(ROOT, "benchmarks", "readme_tables.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["quality", "zoo", "long_range", "user_files"])
def test_each_readme_table_is_the_rendered_one(name):
    module = tables()
    shown = module.in_readme(name)
    assert shown is not None, f"{module.PLACES[name]} has no table:{name} markers"
    assert shown == module.TABLES[name](), (
        f"the {name} table of {module.PLACES[name]} differs from what "
        "`python benchmarks/readme_tables.py` renders; run it with --write")


def test_the_check_sees_a_changed_figure(tmp_path, monkeypatch):
    module = tables()
    (tmp_path / "README.md").write_text("x\n<!-- table:quality -->\n| 1 |\n"
                                        "<!-- /table:quality -->\n")
    monkeypatch.setattr(module, "ROOT", str(tmp_path))
    assert module.in_readme("quality") == "| 1 |"
    module.write("quality", "| 2 |")
    assert module.in_readme("quality") == "| 2 |"
