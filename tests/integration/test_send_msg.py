"""tools/send_msg against the real broker: bytes and order preserved,
confirms, the generator, and every bad-input case."""

import subprocess
import time
import uuid

import pika

from conftest import ROOT

SEND = str(ROOT / "tools" / "send_msg")


def run(stack, *args, stdin=None):
    return subprocess.run([SEND, "--env-file", str(stack.dir / "stack.env"), *args],
                          input=stdin, capture_output=True, timeout=120,
                          env={k: v for k, v in stack.app_env().items() if k != "AMQP_URL"})


def own_queue(stack, exchange=None):
    """A queue of the test's own (bound to exchange with '#' when given)."""
    name = "sendmsg-" + uuid.uuid4().hex[:8]
    conn = pika.BlockingConnection(pika.URLParameters(stack.amqp_url))
    ch = conn.channel()
    ch.queue_declare(name, auto_delete=False)
    if exchange:
        ch.exchange_declare(exchange, "topic", durable=True)
        ch.queue_bind(name, exchange, "#")
    conn.close()
    return name


def read_back(stack, queue):
    conn = pika.BlockingConnection(pika.URLParameters(stack.amqp_url))
    ch = conn.channel()
    out = []
    while True:
        method, props, body = ch.basic_get(queue, auto_ack=True)
        if method is None:
            break
        out.append((props, body))
    ch.queue_delete(queue)
    conn.close()
    return out


def test_samples_arrive_byte_identical_and_in_order(stack, fixtures):
    q = own_queue(stack)
    r = run(stack, "--queue", q, str(fixtures))
    assert r.returncode == 0, r.stderr
    assert b"sent 4, confirmed 4, nacked 0, returned 0, unconfirmed 0" in r.stderr
    got = read_back(stack, q)
    assert [b for _, b in got] == [(fixtures / f"message{i}.json").read_bytes() for i in range(1, 5)]
    for props, _ in got:
        assert props.content_type == "application/json"
        assert props.delivery_mode == 2
        assert props.message_id
    assert len({p.message_id for p, _ in got}) == 4


def test_files_in_the_order_given_through_an_exchange(stack, fixtures):
    x = "sendmsg-x-" + uuid.uuid4().hex[:6]
    q = own_queue(stack, exchange=x)
    files = [str(fixtures / "message3.json"), str(fixtures / "strict" / "message1.json")]
    r = run(stack, "--exchange", x, "--routing-key", "source.any", *files)
    assert r.returncode == 0, r.stderr
    assert [b for _, b in read_back(stack, q)] == [open(f, "rb").read() for f in files]


def test_stdin_one_message_per_line(stack):
    q = own_queue(stack)
    r = run(stack, "--queue", q, "-", stdin=b'{"a": 1}\n\n{"b": 2,}\nnot json\n')
    assert r.returncode == 0, r.stderr
    assert [b for _, b in read_back(stack, q)] == [b'{"a": 1}', b'{"b": 2,}', b"not json"]


def test_generator_is_deterministic(stack):
    a = run(stack, "--generate", "500", "--seed", "9", "--dump")
    b = run(stack, "--generate", "500", "--seed", "9", "--dump")
    c = run(stack, "--generate", "500", "--seed", "10", "--dump")
    assert a.returncode == 0 and a.stdout == b.stdout
    assert a.stdout != c.stdout
    lines = a.stdout.splitlines()
    assert len(lines) == 500
    text = a.stdout.decode()
    # shaped like the samples: both id forms, both tournament forms, nulls, updates
    assert '"id":"' in text and '"id":1,' in text
    assert '"tournament":{' in text and '"tournament":"' in text
    assert '"score":null' in text and '"winner":null' in text and '"bestof":null' in text
    ids = [l.split(b'"url":"')[1].split(b'"')[0] for l in lines]
    assert len(set(ids)) < len(ids)  # later messages update earlier matches
    r = run(stack, "--generate", "100", "--sources", "1", "--update-ratio", "0", "--dump")
    urls = [l.split(b'"url":"')[1].split(b'"')[0] for l in r.stdout.splitlines()]
    assert len(set(urls)) == 100 and all(u.startswith(b"https://www.source1.org/") for u in urls)


def test_generated_messages_are_published_and_confirmed(stack):
    q = own_queue(stack)
    r = run(stack, "--queue", q, "--generate", "2000", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert b"sent 2000, confirmed 2000, nacked 0, returned 0, unconfirmed 0" in r.stderr
    dump = run(stack, "--generate", "2000", "--seed", "3", "--dump").stdout.splitlines()
    assert [b for _, b in read_back(stack, q)] == dump


def test_rate_paces_publishing(stack):
    q = own_queue(stack)
    t0 = time.monotonic()
    r = run(stack, "--queue", q, "--rate", "40", "--generate", "20")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 >= 19 / 40
    assert len(read_back(stack, q)) == 20


def test_unroutable_messages_are_named(stack, fixtures):
    r = run(stack, "--queue", "no-such-queue-" + uuid.uuid4().hex[:6], str(fixtures / "message1.json"))
    assert r.returncode == 1
    assert f"{fixtures / 'message1.json'}: returned: no queue is bound".encode() in r.stderr
    assert b"confirmed 0, nacked 0, returned 1" in r.stderr


def test_unreadable_file_sends_nothing(stack, fixtures, tmp_path):
    q = own_queue(stack)
    missing = tmp_path / "missing.json"
    r = run(stack, "--queue", q, str(fixtures / "message1.json"), str(missing))
    assert r.returncode == 1
    assert r.stderr.decode().strip() == f"send_msg: cannot read {missing}: No such file or directory"
    assert read_back(stack, q) == []


def test_invalid_json_is_sent_unless_validate(stack, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"source": "s", "data": {"id": 1,, }}')
    q = own_queue(stack)
    r = run(stack, "--queue", q, "--validate", str(bad))
    assert r.returncode == 1
    assert f"send_msg: {bad}: invalid JSON at byte".encode() in r.stderr
    assert b"nothing was sent" in r.stderr
    assert read_back(stack, q) == []
    q = own_queue(stack)
    r = run(stack, "--queue", q, str(bad))
    assert r.returncode == 0, r.stderr
    assert [b for _, b in read_back(stack, q)] == [bad.read_bytes()]


def test_broker_unreachable_or_wrong_credentials(stack, fixtures):
    f = str(fixtures / "message1.json")
    r = run(stack, "--url", "amqp://guest:guest@127.0.0.1:1/%2f", f)
    assert r.returncode == 1
    assert r.stderr.decode().splitlines() == [
        "send_msg: cannot reach the broker at 127.0.0.1:1: a socket error occurred"]
    port = stack.vals["AMQP_PORT"]
    r = run(stack, "--url", f"amqp://guest:wrong@127.0.0.1:{port}/%2f", f)
    assert r.returncode == 1
    assert f"send_msg: the broker at 127.0.0.1:{port} refused the login of 'guest'".encode() in r.stderr


def test_usage_errors(stack):
    assert run(stack).returncode == 2
    r = run(stack, "--generate", "0")
    assert r.returncode == 2 and b"invalid --generate '0'" in r.stderr
    r = run(stack, "--bogus")
    assert r.returncode == 2 and b"unknown option --bogus" in r.stderr
    r = run(stack, "--help")
    assert r.returncode == 0 and b"--generate N" in r.stdout
