import pytest

from notify.models import Channel
from notify.transports.registry import transport_for


def test_every_channel_kind_has_a_transport():
    for kind in Channel.Kind.values:
        assert callable(transport_for(kind).send)


def test_a_kind_without_transport_is_a_lookup_error():
    with pytest.raises(LookupError, match="no transport for channel kind 'pager'"):
        transport_for("pager")
