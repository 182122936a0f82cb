"""The SDK and the server scrub by the same list of secret-looking key parts.

Each keeps its own copy (the SDK may import nothing from the server), so this test is what keeps them in step.
"""

from tracehound import consts

from issues import scrub


def test_the_sdk_and_the_server_scrub_the_same_keys():
    assert set(consts.SECRET_KEY_PARTS) == set(scrub.SECRET_KEY_PARTS)
