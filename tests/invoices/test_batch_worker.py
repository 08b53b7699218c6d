"""The batch deposit with a real Celery worker on Redis and PostgreSQL (marked ``services``): the
worker is killed (SIGKILL) in the middle of a batch; the sweeper hands the batch to a new worker,
which goes on from the first pending file, and no invoice is deposited twice."""

import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from invoices import services
from invoices.models import BatchItemState, DepositBatch, Invoice
from invoices.samples import generated_xml
from tests.conftest import wait_for
from tests.invoices.zips import make_zip
from tests.structures.factories import BankAccountFactory, MembershipFactory, StructureFactory

pytestmark = pytest.mark.services
TIMEOUT = 120
FILES = 40


@pytest.fixture
def member(transactional_db):
    membership = MembershipFactory(structure=StructureFactory(identifier="73282932000074"))
    BankAccountFactory(structure=membership.structure)
    StructureFactory(public=True, identifier="11000201100044")
    return membership


def processed(batch_id: int) -> int:
    return DepositBatch.objects.values_list("processed_count", flat=True).get(pk=batch_id)


def test_a_worker_killed_mid_batch_leaves_it_to_the_sweeper_without_duplicates(celery_worker_process, member, settings):
    media = {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}  # the worker reads the archive the test stores
    celery_worker_process["restart"](**media)
    data = make_zip([(f"f{n:02d}.xml", generated_xml(number=f"K-{n:02d}")) for n in range(FILES)])
    batch = services.deposit_batch_create(
        supplier=member.structure, user=member.user, file=SimpleUploadedFile("lot.zip", data)
    )  # autocommit: the task is published at once, to the worker
    wait_for(lambda: processed(batch.pk) >= 3, timeout=TIMEOUT)
    celery_worker_process["process"].send_signal(signal.SIGKILL)
    celery_worker_process["process"].wait(timeout=10)
    done = processed(batch.pk)
    assert 3 <= done < FILES, "the worker finished before it was killed"
    assert batch.items.filter(state=BatchItemState.PENDING).count() == FILES - done
    assert Invoice.objects.count() == done  # each processed file with its invoice, no other

    celery_worker_process["restart"](**media)
    # The killed task would come back after the visibility timeout; the sweeper is sooner.
    assert services.deposit_batches_requeue(older_than_minutes=0) == [batch.pk]
    wait_for(lambda: DepositBatch.objects.get(pk=batch.pk).is_done, timeout=TIMEOUT)
    batch.refresh_from_db()
    assert (batch.processed_count, batch.sent_count, batch.refused_count) == (FILES, FILES, 0)
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert sorted(numbers) == [f"K-{n:02d}" for n in range(FILES)]
    assert batch.attempts >= 2
    assert not batch.items.filter(invoice__isnull=True).exists()
