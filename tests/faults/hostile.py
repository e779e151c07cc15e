"""Hostile messages for the fault suite: every class of bad or borderline
input the consumer must survive. Each is (class, bytes). Their sources are
named "hostile..." so they never touch the rows of the valid messages they
are interleaved with; whether one is applied or rejected is the consumer's
call, not this file's."""

MAX_MESSAGE_BYTES = 1048576  # the consumer's default

EMOJI = "\U0001F600"  # 4 bytes in UTF-8


def _str(s):
    """A JSON string of s: non-ASCII kept as UTF-8, \\u escapes only where
    JSON needs them (the caller passes raw bytes for anything else)."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out).encode()


def match(key, *, source=None, id_=None, name=None, date=None, score=None, team_id=None,
          tournament=None, title=None, extra=b""):
    """A message shaped like the samples with one part replaced by raw JSON
    bytes (each argument is already-encoded JSON)."""
    source = source if source is not None else b'"hostile"'
    id_ = id_ if id_ is not None else _str("h-" + key)
    name = name if name is not None else b'"Hostile Team A"'
    date = date if date is not None else b'"2020-05-01 12:00:00"'
    score = score if score is not None else b"2"
    team_id = team_id if team_id is not None else b'"1"'
    tournament = tournament if tournament is not None else b'{"id": "1", "name": "Hostile Cup"}'
    title = title if title is not None else b'"Hostile Game"'
    return (b'{"source": ' + source + b', "data": {"id": ' + id_ +
            b', "url": "https://www.hostile.org/matches/' + key.encode() + b'/", "state": 2, '
            b'"teams": [{"id": ' + team_id + b', "name": ' + name + b'}, '
            b'{"id": "2", "name": "Hostile Team B"}], "bestof": "3", '
            b'"scores": [{"team": ' + team_id + b', "score": ' + score + b', "winner": true}, '
            b'{"team": "2", "score": 0, "winner": false}], '
            b'"tournament": ' + tournament + b', "date_start_text": ' + date +
            b', "title": ' + title + extra + b'}}')


def messages():
    out = []

    def add(cls, body):
        out.append((cls, body))

    # dates far out of range, and the edges of what MariaDB's DATETIME holds
    for d in ["0000-01-01 00:00:00", "10000-01-01 00:00:00", "2040-01-01 00:00:00",
              "1969-12-31 23:59:59", "1000-01-01 00:00:00", "9999-12-31 23:59:59",
              "0000-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "2038-01-19 03:14:08",
              "2020-02-30 00:00:00", "2020-01-01 24:00:00"]:
        add(f"date {d}", match("date-" + d.replace(" ", "_").replace(":", ""), date=_str(d)))

    # names at the columns' limits (VARCHAR(191) keys, VARCHAR(255) names), in
    # ASCII and in 4-byte characters, and multibyte characters across a limit
    for n in (191, 192, 255, 256, 1000):
        add(f"team name {n} ASCII", match(f"ascii-{n}", name=_str("N" * n)))
        add(f"team name {n} emoji", match(f"emoji-{n}", name=_str(EMOJI * n)))
    for n in (190, 254):
        add(f"team name {n} ASCII + emoji", match(f"mixed-{n}", name=_str("a" * n + EMOJI * 2)))
    add("tournament name 256", match("tournament-256",
                                     tournament=b'{"id": "9", "name": ' + _str("T" * 256) + b"}"))
    add("bare tournament 192 emoji", match("tournament-emoji", tournament=_str(EMOJI * 192)))
    add("title 256", match("title-256", title=_str("G" * 256)))
    add("title 192 emoji", match("title-emoji", title=_str(EMOJI * 192)))
    add("source 192", match("source-192", source=_str("hostile" + "s" * 185)))
    add("id 192", match("id-192", id_=_str("i" * 192)))

    # ids past every integer type
    for raw in [b"9223372036854775807", b"9223372036854775808", b"18446744073709551615",
                b"18446744073709551616", b"1e20", b'"18446744073709551616"', b"-1", b"0",
                b"1.5", b"-9223372036854775809", b"1" * 400]:
        add(f"id {raw[:30].decode()}", match("id", id_=raw))
    add("team id 2^64", match("team-id-2-64", team_id=b"18446744073709551616"))
    add("team id 1e20", match("team-id-1e20", team_id=b"1e20"))

    # NUL and other control characters, escaped and raw
    add("\\u0000 in source", match("nul-source", source=b'"host\\u0000ile"'))
    add("\\u0000 in id", match("nul-id", id_=b'"h\\u0000id"'))
    add("\\u0000 in name", match("nul-name", name=b'"Team\\u0000Null"'))
    add("escaped control bytes in name", match("ctl-esc", name=b'"T\\u0001\\u001f\\u007f\\u0008"'))
    add("raw control byte 0x01 in name", match("ctl-raw", name=b'"T\x01eam"'))
    add("raw DEL 0x7f in name", match("del-raw", name=b'"T\x7feam"'))
    add("raw TAB in name", match("tab-raw", name=b'"Team\tTab"'))
    add("raw LF in name", match("lf-raw", name=b'"Team\nLine"'))
    add("raw CR LF in name", match("crlf-raw", name=b'"Team\r\nLine"'))
    add("raw LF between tokens", match("lf-ws", extra=b',\n"x": 1\n'))

    # bodies that are not a match
    add("null body", b"null")
    add("data null", b'{"source": "hostile", "data": null}')
    add("source null", b'{"source": null, "data": {"id": "h-source-null"}}')
    add("empty body", b"")
    add("white space body", b" \n\t ")
    add("array body", b"[]")
    add("string body", b'"hostile"')
    add("trailing garbage", match("trailing") + b" x")
    add("two documents", match("two-a") + match("two-b"))
    add("BOM then JSON", b"\xef\xbb\xbf" + match("bom"))

    # scores past int32 (the column is INT)
    for raw in [b"2147483647", b"2147483648", b"-2147483648", b"-2147483649",
                b"9223372036854775808", b"1e10", b"99999999999999999999999", b"-0", b"2.5"]:
        add(f"score {raw.decode()}", match("score-" + raw.decode(), score=raw))

    # deep nesting
    add("10000-deep arrays in data", match("deep-arrays", extra=b', "x": ' + b"[" * 10000 +
                                           b"]" * 10000))
    add("10000-deep objects in data", match("deep-objects", extra=b', "x": ' +
                                            b'{"a": ' * 10000 + b"1" + b"}" * 10000))
    add("10000-deep arrays as the body", b"[" * 10000 + b"]" * 10000)

    # size: at the limit and one byte over
    for size, what in ((MAX_MESSAGE_BYTES, "exactly MAX_MESSAGE_BYTES"),
                       (MAX_MESSAGE_BYTES + 1, "MAX_MESSAGE_BYTES + 1")):
        base = match("size-" + str(size), extra=b', "pad": ""')
        pad = size - len(base)
        add(f"body of {what}", match("size-" + str(size), extra=b', "pad": "' + b"p" * pad + b'"'))
        assert len(out[-1][1]) == size

    # invalid UTF-8, raw and through escapes
    add("invalid UTF-8 0xff 0xfe in name", match("utf8-ff", name=b'"Team \xff\xfe"'))
    add("overlong UTF-8 in name", match("utf8-overlong", name=b'"Team \xc0\xaf"'))
    add("truncated UTF-8 in name", match("utf8-truncated", name=b'"Team \xe2\x82"'))
    add("UTF-8 surrogate in name", match("utf8-surrogate", name=b'"Team \xed\xa0\x80"'))
    add("UTF-8 past U+10FFFF in name", match("utf8-big", name=b'"Team \xf4\x90\x80\x80"'))
    add("invalid UTF-8 in source", match("utf8-source", source=b'"hostile\xff"'))
    add("lone surrogate escape in name", match("esc-surrogate", name=b'"Team \\ud800"'))
    add("surrogate pair escape in name", match("esc-pair", name=b'"Team \\ud83d\\ude00"'))

    # duplicated keys
    add("duplicated source", b'{"source": "hostile", "source": "hostile-dup", '
                             b'"data": {"id": "h-dup-source"}}')
    add("duplicated data.id", b'{"source": "hostile", "data": {"id": "h-dup-a", "id": "h-dup-b"}}')
    add("duplicated data", b'{"source": "hostile", "data": {"id": "h-dup-c"}, '
                           b'"data": {"id": "h-dup-d"}}')
    add("duplicated teams", match("dup-teams", extra=b', "teams": []'))
    return out
