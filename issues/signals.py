"""Signals other apps subscribe to (issues imports nothing above it, so it announces instead of calling).

`transitions_committed(sender, transition_ids=[...])` is sent after the transaction that wrote those
IssueTransition rows committed: a receiver may read them and act (notify), and never sees a rolled-back row.
Receivers run in the digest worker: they must be quick and hand real work to a task.
"""

from django.dispatch import Signal

transitions_committed = Signal()

# `check_ins_accepted(sender, project_ids={...})`: ingest committed check-in items to the inbox (monitors reads
# them). A wake-up only: monitors also looks every few seconds.
check_ins_accepted = Signal()
