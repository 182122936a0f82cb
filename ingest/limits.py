"""Size caps of the ingest edge, in bytes. The figures are Sentry's own defaults, so that SDKs that trim their
payloads to Sentry's limits are never refused here."""

MAX_EVENT_BYTES = 1024 * 1024  # one event item, decompressed
MAX_ENVELOPE_COMPRESSED_BYTES = 20 * 1024 * 1024  # the request body as sent
MAX_ENVELOPE_BYTES = 100 * 1024 * 1024  # the request body once decompressed (other items are skipped, not kept)
MAX_HEADER_LINE_BYTES = 64 * 1024  # an envelope or item header line
