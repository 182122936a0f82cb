from notify.transports import SendResult


class _Standin:
    def send(self, channel, message):
        return SendResult(ok=True, detail="200 OK")


def transport_for(kind):
    return _Standin()
