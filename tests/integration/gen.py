"""A deterministic generator of messages shaped like the shared samples, for
tests: mixed int and string ids, object and string tournaments, null scores
and winners, stray spaces and case in names, and updates of earlier matches."""

import json
import random


def generate(n, seed=1, sources=3, update_ratio=0.3, prefix="gen"):
    rnd = random.Random(seed)
    titles = ["Overcooked", "OverCooked ", "Overcooked 2", " Rocket League", "rocket  league"]
    matches = []  # (source, id, team ids) already published
    out = []
    for i in range(n):
        if matches and rnd.random() < update_ratio:
            source, mid, teams = rnd.choice(matches)
        else:
            source = f"{prefix}-source{rnd.randrange(sources) + 1}"
            mid = len(matches) + 1
            teams = rnd.sample(range(1, 200), 2)
            matches.append((source, mid, teams))
        as_str = rnd.random() < 0.5
        state = rnd.choice([1, 2, 3])
        scored = state > 1
        scores = []
        for pos, t in enumerate(teams):
            score = rnd.randrange(4) if scored else None
            scores.append({
                "team": str(t) if rnd.random() < 0.5 else t,
                "score": score,
                "winner": (pos == 0) if state == 3 else None,
            })
        if rnd.random() < 0.5:
            tournament = {"id": str(mid % 7 + 1), "name": f"Cup {mid % 7 + 1} Season {rnd.randrange(3)}"}
        else:
            tournament = f"Open Series {mid % 5 + 1}" + (" " if rnd.random() < 0.3 else "")
        msg = {
            "source": source,
            "data": {
                "id": str(mid) if as_str else mid,
                "url": f"https://{source}.example/matches/{mid}/",
                "state": state,
                "teams": [{"id": t if rnd.random() < 0.5 else str(t),
                           "name": f"Team {t}" + (" " if rnd.random() < 0.2 else "")} for t in teams],
                "bestof": rnd.choice(["3", 5, None]),
                "scores": scores,
                "tournament": tournament,
                "date_start_text": f"2020-0{rnd.randrange(1, 10)}-1{rnd.randrange(10)} 1{rnd.randrange(10)}:{rnd.randrange(6)}0:00",
                "title": rnd.choice(titles),
            },
        }
        out.append(json.dumps(msg).encode())
    return out
