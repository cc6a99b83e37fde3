"""Clients share one connection to a server unless they ask for their own
(this module's own server, so no other test's connections are counted)."""
import metricdb


def server_connections(port):
    """Established TCP connections whose local port is the server's."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                local, state = fields[1], fields[3]
                if int(local.rsplit(":", 1)[1], 16) == port and state == "01":
                    count += 1
    return count


def test_clients_share_a_connection_unless_they_ask_for_their_own(server):
    port = int(server.rsplit(":", 1)[1])
    with metricdb.Client(server) as first, metricdb.Client(server) as second:
        first.list_collections()
        second.list_collections()
        assert server_connections(port) == 1
        with metricdb.Client(server, own_connection=True) as a, \
                metricdb.Client(server, own_connection=True) as b:
            a.list_collections()
            b.list_collections()
            assert server_connections(port) == 3
