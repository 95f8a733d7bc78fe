"""The outbox passes the worker makes back to back, for tests that ask "what has the worker sent by now".

A pass stops taking routine events after ROUTINE_BUDGET_S (outbox.py) and says so (`more`); the worker's job
then runs the next pass at once (jobs.deliver_outbox). On a loaded machine one pass can run out of time after
an event or two, so a test that ran a single pass would see only part of what the worker sends."""
from dataclasses import fields

from siaga.worker.outbox import PassReport, deliver_pending

MAX_PASSES = 100


def passes_until_idle(session, channels, **options) -> PassReport:
    """Passes until one leaves nothing it could have taken; their reports summed."""
    total = PassReport()
    for _ in range(MAX_PASSES):
        report = deliver_pending(session, channels, **options)
        for field in fields(PassReport):
            if field.name != "more":
                setattr(total, field.name, getattr(total, field.name) + getattr(report, field.name))
        total.more = report.more
        if not report.more:
            return total
    raise AssertionError(f"the outbox still had events after {MAX_PASSES} passes")
