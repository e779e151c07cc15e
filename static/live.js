/*
 * live.js: keeps the match list and a match page up to date while they are
 * open. It subscribes (EventSource) to /live/matches, or /live/matches/{id}
 * on a match page, and updates what is shown in place: state, scores,
 * winners, names. On the list, a match that is new is not inserted under
 * the reader's eyes: a notice offers to show the new matches. On the list
 * (which gets every change, numbered without gaps) a gap in the numbers is
 * filled from /api/changes/. Without JavaScript the pages are as they were.
 */
(function () {
    "use strict";

    var root = document.querySelector("[data-live]");
    if (!root || !window.EventSource || !window.JSON) {
        return;
    }
    var onList = root.getAttribute("data-live") === "list";
    var matchId = onList ? null : root.getAttribute("data-match");
    var STATES = {1: ["Upcoming", "upcoming"], 2: ["Finished", "finished"], 3: ["Live", "live"]};
    var lastSeq = 0;
    var fresh = 0;
    var filling = false;

    function setText(el, text) {
        if (el && el.textContent !== text) {
            el.textContent = text;
        }
    }

    function setState(el, state) {
        var s = state === null || state === undefined ? ["Unknown", "unknown"]
            : STATES[state] || [String(state), "other"];
        if (!el) {
            return;
        }
        setText(el, s[0]);
        el.className = "state state-" + s[1];
    }

    /* Puts team t's name, score and result into its element. */
    function setTeam(el, t) {
        var name = el.querySelector(".team-name");
        /* the match page links each name to its team's page: keep the link */
        setText(name && name.querySelector("a") ? name.querySelector("a") : name,
                t.name || "(no name)");
        setText(el.querySelector(".score"), t.score === null ? "\u2013" : String(t.score));
        el.classList.toggle("winner", t.winner === true);
        var result = el.querySelector(".result");
        var badge = el.querySelector(".badge");
        if (result) {
            /* the match page: Winner, Lost or not decided */
            result.textContent = "";
            if (t.winner === true) {
                badge = document.createElement("span");
                badge.className = "badge";
                badge.textContent = "Winner";
                result.appendChild(badge);
            } else if (t.winner === false) {
                result.textContent = "Lost";
            } else {
                badge = document.createElement("span");
                badge.className = "none";
                badge.textContent = "not decided";
                result.appendChild(badge);
            }
        } else if (t.winner === true && !badge) {
            badge = document.createElement("span");
            badge.className = "badge";
            badge.textContent = "Winner";
            el.appendChild(document.createTextNode(" "));
            el.appendChild(badge);
        } else if (t.winner !== true && badge) {
            badge.parentNode.removeChild(badge);
        }
    }

    /* Updates every place that shows match m. */
    function update(m) {
        var places = document.querySelectorAll('[data-match="' + m.id + '"]');
        var i, j;
        for (i = 0; i < places.length; i++) {
            var p = places[i];
            setState(p.querySelector('[data-field="state"]'), m.state);
            setText(p.querySelector('[data-field="updated_at"]'),
                    (m.updated_at || "").replace("T", " ").slice(0, 19));
            for (j = 0; j < m.teams.length; j++) {
                var el = p.querySelector('[data-team="' + m.teams[j].id + '"]');
                if (el) {
                    setTeam(el, m.teams[j]);
                }
            }
            p.classList.remove("live-changed");
            void p.offsetWidth; /* so the highlight runs again */
            p.classList.add("live-changed");
        }
        return places.length > 0;
    }

    function notice() {
        var n = document.querySelector("[data-live-notice]");
        if (!n) {
            return;
        }
        var a = n.querySelector("a");
        a.textContent = fresh + " new match" + (fresh === 1 ? "" : "es") + ", show them";
        a.href = window.location.href;
        n.hidden = false;
    }

    function show(c) {
        if (c.match && !update(c.match) && onList && c.kind === "created") {
            fresh++;
            notice();
        }
    }

    function apply(c) {
        if (c.seq > lastSeq) { /* else seen already (a resumed stream, a filled gap) */
            lastSeq = c.seq;
            show(c);
        }
    }

    /* The list gets every change: a jump in seq means some were missed
     * (the stream was away too long); the feed has those between. */
    function fill(from, upto) {
        if (filling) {
            return;
        }
        filling = true;
        var req = new XMLHttpRequest();
        req.open("GET", "/api/changes/?after=" + from + "&limit=1000");
        req.onload = function () {
            filling = false;
            if (req.status !== 200) {
                return; /* 410: too old to fill; a reload shows it all */
            }
            var res = JSON.parse(req.responseText).results;
            for (var i = 0; i < res.length && res[i].seq < upto; i++) {
                show(res[i]);
            }
        };
        req.onerror = function () {
            filling = false;
        };
        req.send();
    }

    /* A "Live" badge in the site's header while the stream is open. */
    function badge(on) {
        var b = document.querySelector(".live-badge");
        var h = document.querySelector("header.site");
        if (on && !b && h) {
            b = document.createElement("span");
            b.className = "live-badge";
            b.setAttribute("title", "This page updates itself");
            b.textContent = "Live";
            h.appendChild(b);
        } else if (!on && b) {
            b.parentNode.removeChild(b);
        }
    }

    var es = null;

    function onChange(e) {
        var c;
        try {
            c = JSON.parse(e.data);
        } catch (err) {
            return;
        }
        if (onList && lastSeq > 0 && c.seq > lastSeq + 1) {
            fill(lastSeq, c.seq);
        }
        apply(c);
    }

    function connect() {
        es = new EventSource(matchId ? "/live/matches/" + matchId : "/live/matches");
        es.onmessage = onChange;
        es.onopen = function () {
            badge(true);
        };
        es.onerror = function () {
            badge(false); /* EventSource reconnects by itself, with Last-Event-ID */
        };
    }

    /* A page left (or kept in the back-forward cache) gives its connection
     * back: a browser holds only a few per site over HTTP/1.1. */
    window.addEventListener("pagehide", function () {
        if (es) {
            es.close();
            es = null;
            badge(false);
        }
    });
    window.addEventListener("pageshow", function (e) {
        if (e.persisted && !es) {
            connect(); /* back from the cache: what changed meanwhile comes with the next change */
        }
    });
    connect();
})();
