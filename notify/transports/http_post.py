"""What the HTTP transports share: one guarded POST (notify.outbound) and one reading of its outcome.

The reading, for every receiver alike:
- 2xx: sent;
- 429: retry, after the receiver's Retry-After when it gave one; 408 and 5xx: retry (a 503's Retry-After is kept);
- timeouts, connection errors, resolver errors: retry;
- 3xx: failed, not retried: following it would escape the address check, and the channel's URL is out of date;
- any other 4xx: failed, not retried (the URL, the token or the payload is wrong: the same request fails again);
  the detail names the status, the host and what the receiver said, plus a hint from the transport;
- a refused address: failed, not retried, with the setting that would allow it.
"""

import json
from collections.abc import Callable

from notify import outbound
from notify.transports import SendResult

# A transport's reading of a 4xx: (status, body excerpt) -> a hint such as "(the webhook was deleted?)", or "".
Explain = Callable[[int, str], str]


def encode_json(payload: dict) -> bytes:
    """Compact UTF-8 JSON: receivers count characters, not escapes, and the signature covers these exact bytes."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None, explain: Explain | None = None):
    """POST the JSON `body` to `url` and say what happened, as the sender needs it."""
    return result_of(outbound.post(url, body, headers), explain)


def result_of(response: outbound.Response, explain: Explain | None = None) -> SendResult:
    if response.failure:
        return SendResult(ok=False, detail=response.failure, retry=response.retry)
    status = response.status
    if 200 <= status < 300:
        return SendResult(ok=True, detail=f"{status} {response.reason}".strip())
    where = f"{status} from {response.host}"
    said = f": {response.excerpt}" if response.excerpt else ""
    if 300 <= status < 400:
        location = response.location or "no Location given"
        return SendResult(
            ok=False,
            detail=f"{where}: redirects to {location}; redirects are not followed, put the final URL in the channel",
        )
    if status == 429:
        wait = response.retry_after
        after = f", asked to wait {wait:g} s" if wait is not None else ""
        return SendResult(ok=False, detail=f"{where}: rate limited{after}", retry=True, retry_after=wait)
    if status >= 500 or status == 408:
        return SendResult(ok=False, detail=f"{where}{said}", retry=True, retry_after=response.retry_after)
    if 400 <= status < 500:
        hint = explain(status, response.excerpt) if explain else ""
        return SendResult(ok=False, detail=f"{where}{said}{' ' + hint if hint else ''}")
    return SendResult(ok=False, detail=f"{where}: an unexpected status{said}", retry=True)
