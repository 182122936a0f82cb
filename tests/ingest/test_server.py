"""The production web server in front of ingest: it streams request bodies, so size caps hold while reading."""

import socket

from tests.ingest.client import auth


def test_an_oversized_body_is_refused_while_the_client_is_still_sending(tracehound_server, project_key):
    # A chunked envelope whose event never ends: the handler refuses it once the event passes 1 MiB. A server
    # that buffered whole bodies before calling the application would wait for the end forever, and no answer
    # would come before the client gives up (a reverse proxy's body cap would be all that protected it).
    host, port = tracehound_server.url.removeprefix("http://").split(":")
    head = (
        f"POST /api/{project_key.project_id}/envelope/ HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in auth(project_key).items())
        + "\r\n"
    ).encode()
    piece = b"a" * 65536
    chunk = b"%x\r\n%s\r\n"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + chunk % (len(b'{}\n{"type":"event"}\n{"m":"'), b'{}\n{"type":"event"}\n{"m":"'))
        try:
            for _ in range(48):  # 3 MiB, never the terminating empty chunk
                sock.sendall(chunk % (len(piece), piece))
        except OSError:
            pass  # the server answered and closed the connection mid-body: what this test wants
        answer = b""
        while b'"detail"' not in answer and (received := sock.recv(4096)):
            answer += received
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"larger than 1048576 bytes" in answer
