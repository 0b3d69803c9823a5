"""The socket `aduan serve --workers N` shares is TCP, so accepted connections get TCP_NODELAY."""
import socket

from serving.commands import TcpConfig


def test_shared_socket_is_declared_tcp():
    config = TcpConfig("serving.main:app_from_env", factory=True, host="127.0.0.1", port=0, workers=2)
    sock = config.bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY only on such sockets
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()
