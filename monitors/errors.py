"""What a check-in can be refused for, with the status code the HTTP endpoints answer (monitors/views.py); check-ins
from envelopes were answered 200 by ingest already, so for them the reason is only logged."""


class CheckInRefused(Exception):
    status = 400

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class UnknownMonitor(CheckInRefused):
    status = 404


class TooManyCheckIns(CheckInRefused):
    status = 429
