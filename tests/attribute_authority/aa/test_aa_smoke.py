from aa_support import envelope, query, read, signed
from support import BART


def test_demo_app_gets_barts_rights(aa_server):
    q = signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair)
    reply = aa_server.post(envelope(q))
    assert reply.status_code == 200, reply.text
    answer = read(reply.content)
    assert answer.statuses == ["Success"], reply.text
    assert answer.rights == ["demo-app-reader@44088"]
