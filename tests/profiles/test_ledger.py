"""The consent ledger is append-only: rows are added, never changed or removed."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from profiles.models import AppendOnlyError, ConsentRecord, User, append_only_erasure

pytestmark = pytest.mark.django_db

# The trigger exists on PostgreSQL only.
postgres_only = pytest.mark.postgres


def test_the_model_refuses_to_update_a_ledger_row(alice: User) -> None:
    record = ConsentRecord.objects.filter(user=alice).first()
    assert record is not None
    record.granted = False
    with pytest.raises(AppendOnlyError, match="append-only"):
        record.save()
    assert ConsentRecord.objects.get(pk=record.pk).granted


def test_the_queryset_refuses_to_update_ledger_rows(alice: User) -> None:
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(user=alice).update(granted=False)
    assert all(ConsentRecord.objects.filter(user=alice).values_list("granted", flat=True))


def test_the_model_and_the_queryset_refuse_to_delete_ledger_rows(alice: User) -> None:
    count = ConsentRecord.objects.filter(user=alice).count()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(user=alice).delete()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(user=alice).first().delete()  # type: ignore[union-attr]
    assert ConsentRecord.objects.filter(user=alice).count() == count


def test_a_member_with_a_ledger_cannot_be_deleted_around_the_erasure_service(
    alice: User,
) -> None:
    with pytest.raises(ProtectedError):
        alice.delete()
    assert User.objects.filter(pk=alice.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_rule_is_lifted_only_inside_the_erasure_transaction(alice: User) -> None:
    with pytest.raises(RuntimeError, match="inside the erasure transaction"):
        with append_only_erasure():
            pass
    with transaction.atomic(), append_only_erasure():
        ConsentRecord.objects.filter(user=alice).delete()
    assert not ConsentRecord.objects.filter(user=alice).exists()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(user=alice).delete()


@postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE profiles_consentrecord SET granted = false WHERE user_id = %s",
        "DELETE FROM profiles_consentrecord WHERE user_id = %s",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(alice: User, sql: str) -> None:
    with pytest.raises(IntegrityError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [alice.pk])
    assert ConsentRecord.objects.filter(user=alice, granted=True).count() == 5


@postgres_only
def test_the_database_lets_account_erasure_delete_within_its_transaction_only(
    alice: User,
) -> None:
    with transaction.atomic(), append_only_erasure(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM profiles_consentrecord WHERE user_id = %s", [alice.pk])
    assert not ConsentRecord.objects.filter(user=alice).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('influence.account_erasure', true)")
        assert cursor.fetchone()[0] in (None, "", "off")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_erasure_setting_does_not_outlive_its_transaction(alice: User) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('influence.account_erasure', 'on', true)")
    with pytest.raises(IntegrityError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM profiles_consentrecord WHERE user_id = %s", [alice.pk])
