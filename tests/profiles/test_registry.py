"""The personal-data registry covers every model that can reach a member."""

from __future__ import annotations

from collections import deque

import pytest
from django.apps import apps
from django.db.models import Model

from profiles.models import User
from profiles.registry import HOLDINGS, holding_for

pytestmark = pytest.mark.django_db


def path_to_member(model: type[Model], max_depth: int = 4) -> str | None:
    """The first chain of forward foreign keys from the model to the member, if any."""
    if model is User:
        return "id"
    queue: deque[tuple[type[Model], list[str]]] = deque([(model, [])])
    seen = {model}
    while queue:
        current, path = queue.popleft()
        if len(path) >= max_depth:
            continue
        for field in current._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model):
                continue
            if field.many_to_many:
                continue  # the auto-created through models are walked themselves
            target = field.related_model
            if target is User:
                return "__".join([*path, field.name])
            if isinstance(target, type) and target not in seen:
                seen.add(target)
                queue.append((target, [*path, field.name]))
    return None


def test_every_model_with_a_path_to_a_member_is_in_the_registry() -> None:
    missing = {}
    for model in apps.get_models(include_auto_created=True):
        path = path_to_member(model)
        if path is not None and holding_for(model._meta.label) is None:
            missing[model._meta.label] = path
    assert not missing, (
        "These models can hold data about a member but are missing from "
        "profiles/registry.py (add each with what it holds and how it is exported and "
        f"erased): {missing}"
    )


def test_the_walk_finds_indirect_paths() -> None:
    assert path_to_member(apps.get_model("signals.ImportedContent")) == "source__user"
    assert path_to_member(apps.get_model("socialaccount.SocialToken")) == "account__user"
    assert path_to_member(apps.get_model("contenttypes.ContentType")) is None


def test_every_registry_entry_names_an_installed_model_and_reaches_the_member(
    alice: User, bob: User
) -> None:
    labels = [h.model for h in HOLDINGS]
    assert len(labels) == len(set(labels)), "a model is registered twice"
    for holding in HOLDINGS:
        model = holding.model_class()  # raises LookupError for a stale entry
        field_names = {f.name for f in model._meta.get_fields()}
        for name in (*holding.withheld_fields, *holding.file_fields):
            assert name in field_names, f"{holding.model} has no field {name}"
        # The path must select by the member: the query runs, and it is filtered by the
        # member's id (the unfiltered table would not carry it as a parameter).
        rows = holding.rows(alice.pk)
        rows.count()  # runs on the database, so a broken path fails here
        _, params = rows.query.sql_with_params()
        assert alice.pk in params, f"{holding.model}: rows() does not filter by the member"
        assert rows.query.where, f"{holding.model}: rows() selects the whole table"
    assert list(holding_for("profiles.User").rows(alice.pk)) == [alice]  # type: ignore[union-attr]
    assert holding_for("profiles.ConsentRecord").rows(bob.pk).count() == 1  # type: ignore[union-attr]


def test_the_account_row_is_erased_last_so_nothing_still_points_at_it() -> None:
    assert HOLDINGS[-1].model == "profiles.User"
