"""Signals other apps subscribe to (issues imports nothing above it, so it announces instead of calling).

`transitions_committed(sender, transition_ids=[...])` is sent after the transaction that wrote those
IssueTransition rows committed: a receiver may read them and act (notify), and never sees a rolled-back row.
Receivers run in the digest worker: they must be quick and hand real work to a task.
"""

from django.dispatch import Signal

transitions_committed = Signal()
