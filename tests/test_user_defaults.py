"""The data-size rule: settings that fit the user's files, resolved as
`rnnzoo.train.user_defaults` documents (values, no training)."""

import pytest

from rnnzoo import cli
from rnnzoo.train import user_defaults
from rnnzoo.train.recipe import find_recipe
from rnnzoo.train.recipe import recipe_names
from rnnzoo.train.recipe import resolve
from rnnzoo.train.user_defaults import RULES
from rnnzoo.train.user_defaults import resolve_for_data


def tsv(path, lines):
    path.write_text("".join(f"text {i}\t{'ab'[i % 2]}\n" for i in range(lines)))
    return str(path)


def band(task, size):
    rule = RULES[task]
    _, settings = user_defaults.band_of(rule, size)
    return {**rule.every, **settings}


@pytest.mark.parametrize("task", sorted(RULES))
def test_every_band_stops_early_and_the_last_holds_any_size(task):
    rule = RULES[task]
    limits = [up_to for up_to, _ in rule.bands]
    assert limits[-1] is None and limits[:-1] == sorted(limits[:-1])
    for _, settings in rule.bands:
        assert settings["patience"] > 0 and settings["epochs"] > settings["patience"]
        resolve(find_recipe(user_defaults.RECIPE_OF_KIND[task]), fitted=settings)  # Valid.


def test_the_band_is_the_first_whose_limit_holds_the_size():
    (first, settings), (second, bigger), *_ = RULES["classification"].bands
    assert user_defaults.band_of(RULES["classification"], first) == (first, settings)
    assert user_defaults.band_of(RULES["classification"], first + 1) == (second, bigger)
    assert user_defaults.band_of(RULES["classification"], 10**12)[0] is None


def test_a_run_on_user_files_takes_the_bands_settings(tmp_path):
    path = tsv(tmp_path / "small.tsv", 100)  # 90 training examples.
    settings, fit = resolve_for_data(find_recipe("imdb_sentiment"), {"data": path})
    expected = band("classification", 90)
    assert (fit.size, fit.unit) == (90, "examples")
    assert {k: settings[k] for k in expected} == {**expected, "batch_size": min(
        expected["batch_size"], 90)}
    assert fit.applied == fit.chosen and settings["patience"] > 0
    # What the rule leaves alone is the recipe's.
    assert settings["max_input_tokens"] == 200 and settings["select_on"] == "val_accuracy"
    assert fit.record()["training_size"] == 90
    assert "90 training examples" in fit.describe()


@pytest.mark.parametrize("tokens", ["char", "word", None])
def test_the_token_unit_of_the_files_has_its_say(tmp_path, tokens):
    path = tsv(tmp_path / "small.tsv", 100)
    given = {"data": path, "tokens": tokens}
    settings, fit = resolve_for_data(find_recipe("imdb_sentiment"), given)
    by_tokens = RULES["classification"].by_tokens
    # Without --tokens, the recipe's unit (word for imdb_sentiment).
    expected = {**band("classification", 90), **by_tokens.get(tokens or "word", {})}
    assert settings["dropout"] == expected["dropout"] == fit.chosen["dropout"]
    assert by_tokens["char"]["dropout"] != band("classification", 90)["dropout"]


def test_flags_and_smoke_win_over_the_rule(tmp_path):
    path = tsv(tmp_path / "small.tsv", 100)
    recipe = find_recipe("imdb_sentiment")
    given = {"data": path, "units": 7, "patience": 0, "epochs": 3}
    settings, fit = resolve_for_data(recipe, given)
    assert (settings["units"], settings["patience"], settings["epochs"]) == (7, 0, 3)
    assert not {"units", "patience", "epochs"} & set(fit.applied)
    assert settings["dropout"] == band("classification", 90)["dropout"]
    settings, fit = resolve_for_data(recipe, {"data": path, "smoke": True})
    assert {k: settings[k] for k in recipe.smoke} == recipe.smoke
    assert not set(recipe.smoke) & set(fit.applied)


def test_the_batch_is_at_most_the_training_examples(tmp_path):
    path = tsv(tmp_path / "tiny.tsv", 10)  # 8 training examples.
    settings, _ = resolve_for_data(find_recipe("ted_translate"), {"data": path})
    assert settings["batch_size"] == 8


def test_a_language_model_is_sized_by_the_characters_of_its_training_text(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("abcdefghij" * 1000)  # 9,000 training characters.
    settings, fit = resolve_for_data(find_recipe("shakespeare_char"), {"data": str(path)})
    assert (fit.size, fit.unit) == (9000, "characters")
    expected = band("language_model", 9000)
    assert {k: settings[k] for k in expected} == expected


def test_init_from_keeps_the_trained_architecture(tmp_path):
    path = tsv(tmp_path / "small.tsv", 100)
    settings, fit = resolve_for_data(find_recipe("imdb_sentiment"),
                                     {"data": path, "init_from": "a_zoo_model"})
    assert settings["units"] is None and "units" not in fit.chosen
    assert settings["patience"] == band("classification", 90)["patience"]


def test_a_task_without_a_rule_only_stops_early(tmp_path):
    path = tmp_path / "ner.conll"
    path.write_text("John B-PER\nsleeps O\n\n" * 30)
    recipe = find_recipe("conll_ner")
    settings, fit = resolve_for_data(recipe, {"data": str(path)})
    assert fit.size is None and fit.applied == {"patience": user_defaults.FALLBACK_PATIENCE}
    assert {k: v for k, v in settings.items() if k not in ("data", "patience")} == {
        k: v for k, v in resolve(recipe).items() if k not in ("data", "patience")}
    # A recipe that stops early already keeps its patience.
    _, fit = resolve_for_data(find_recipe("adding_problem"), {"data": "series.csv"})
    assert fit.applied == {}


@pytest.mark.parametrize("name", [n for n in recipe_names() if n != "long_range"])
def test_the_recipes_own_dataset_keeps_the_recipes_values(name):
    recipe = find_recipe(name)
    for overrides in ({}, {"epochs": 2}, {"smoke": True}):
        settings, fit = resolve_for_data(recipe, overrides)
        assert fit is None and settings == resolve(recipe, overrides)
    assert {k: resolve(recipe)[k] for k in recipe.settings} == recipe.settings


def test_data_check_prints_the_settings_of_the_run(tmp_path, capsys):
    path = tsv(tmp_path / "small.tsv", 100)
    assert cli.main(["data", "check", "classification", path]) == 0
    out = capsys.readouterr().out
    expected = band("classification", 90)
    assert (f"rnnzoo train imdb_sentiment --data {path} takes (90 training examples: "
            "band up to ") in out
    assert f"units {expected['units']}, num_layers 2, dropout {expected['dropout']}" in out
    assert (f"epochs {expected['epochs']} at most: it stops after {expected['patience']} "
            "epochs without a better val_accuracy") in out
    assert cli.main(["data", "check", "seq2seq", path, "--recipe", "addition"]) == 0
    assert "rnnzoo train addition --data" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        cli.main(["data", "check", "seq2seq", path, "--recipe", "imdb_sentiment"])
    assert stop.value.code == 2
    assert ("--recipe imdb_sentiment trains on classification files, not seq2seq; recipes "
            "of seq2seq files: addition, ted_translate.") in capsys.readouterr().err
