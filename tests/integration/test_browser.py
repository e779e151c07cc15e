"""End to end in a real headless Chromium (Debian's chromium and
chromium-driver, driven by python3-selenium): a person opens the match list
with the samples loaded, filters by title, follows a row to its detail page
and reads it. Screenshots go to tests/artifacts/ (not in git)."""

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import ROOT, tag, wait_until

ARTIFACTS = ROOT / "tests" / "artifacts"
NCHAN = Path("/usr/lib/nginx/modules/ngx_nchan_module.so")


@pytest.fixture(scope="module")
def samples(stack, fixtures):
    # waits for these very messages (the samples may be there already from
    # other tests, and the page's history must not change under the test)
    stack.publish_applied([(fixtures / f"message{i}.json").read_bytes() for i in range(1, 5)])
    return stack


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="esports-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                "--window-size=1280,900"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def shot(driver, name):
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_filter_by_title_and_open_a_match(samples, browser):
    b = browser
    b.get(samples.http + "/")
    assert b.title == "Matches · eSports matches"
    assert b.find_element(By.TAG_NAME, "h1").text == "Matches"
    shot(b, "01-list")

    # filter by title and team, as a person would: pick the title in its
    # select, type the team (the field suggests the most active teams), and
    # submit (other tests may have loaded many more Overcooked matches)
    Select(b.find_element(By.ID, "f-title")).select_by_visible_text("Overcooked")
    team = b.find_element(By.ID, "f-team")
    assert team.get_attribute("list") == "l-team"
    suggested = [o.get_attribute("value")
                 for o in b.find_elements(By.CSS_SELECTOR, "datalist#l-team option")]
    assert suggested and len(suggested) <= 50
    team.send_keys("bayes team 3")  # any case: matched as the API matches names
    b.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_until(lambda: "title=" in b.current_url and "team=" in b.current_url, timeout=10,
               what="the filtered page")
    assert b.find_element(By.ID, "f-team").get_attribute("value") == "bayes team 3"
    shot(b, "02-filtered")
    rows = b.find_elements(By.CSS_SELECTOR, "table.matches tbody tr")
    assert rows, "no rows after filtering by title"
    titles = {r.find_elements(By.TAG_NAME, "td")[1].text for r in rows}
    assert titles == {"Overcooked"}
    # the select keeps the choice
    assert Select(b.find_element(By.ID, "f-title")).first_selected_option.text == "Overcooked"

    # the sample match: Bayes Team 2 beat Bayes Team 3 2-0
    row = next(r for r in rows if "Bayes Team 3" in r.text and "Overbayes" in r.text)
    assert "Winner" in row.text and "Finished" in row.text
    row.find_element(By.LINK_TEXT, "Details").click()
    wait_until(lambda: "/matches/" in b.current_url, timeout=10, what="the detail page")
    shot(b, "03-detail")

    h1 = b.find_element(By.TAG_NAME, "h1").text
    assert h1 == "Bayes Team 2 vs Bayes Team 3"
    facts = dict(zip([e.text for e in b.find_elements(By.CSS_SELECTOR, "dl.facts dt")],
                     [e.text for e in b.find_elements(By.CSS_SELECTOR, "dl.facts dd")]))
    assert facts["Title"] == "Overcooked"
    assert facts["Tournament"] == "Overbayes Season 1 - Group Stage"
    assert facts["State"] == "Finished"
    assert facts["Best of"] == "3"
    assert facts["Start (UTC)"] == "2020-01-07 15:00"
    link = b.find_element(By.CSS_SELECTOR, "dl.facts dd a")
    assert link.get_attribute("href") == "https://www.source1.org/matches/1/"
    team_rows = b.find_elements(By.CSS_SELECTOR, "table.teams-table tbody tr")
    assert [r.text.split("\n")[0] for r in team_rows] == ["Bayes Team 2 2 Winner", "Bayes Team 3 0 Lost"]
    history = b.find_elements(By.CSS_SELECTOR, "article.message pre")
    mid = int(b.current_url.rstrip("/").rsplit("/", 1)[1])
    logged = int(samples.scalar(f"SELECT COUNT(*) FROM messages WHERE match_id = {mid}"))
    assert len(history) == logged >= 2  # the samples may have been sent by other tests too
    assert '"Bayes Esports Team 1"' in history[0].text  # message 1, as sent

    # the stylesheet applied (the page is not unstyled) and no script ran or failed
    header_bg = b.find_element(By.CSS_SELECTOR, "header.site").value_of_css_property("background-color")
    assert header_bg == "rgba(18, 38, 63, 1)"
    logs = [e for e in b.get_log("browser") if e["level"] == "SEVERE"]
    assert logs == [], logs

    # back to the list through the crumb link
    b.find_element(By.LINK_TEXT, "‹ All matches").click()
    wait_until(lambda: b.current_url.rstrip("/") == samples.http, timeout=10, what="the list")


def test_bad_filter_in_the_browser_shows_the_error(samples, browser):
    b = browser
    b.get(samples.http + "/?date_start__gte=soon")
    shot(b, "04-bad-filter")
    err = b.find_element(By.ID, "e-date_start__gte")
    assert err.is_displayed() and err.text
    assert b.find_element(By.CSS_SELECTOR, ".alert").is_displayed()


def test_narrow_screen_layout(samples, browser):
    b = browser
    b.set_window_size(400, 900)
    try:
        b.get(samples.http + "/")
        shot(b, "05-narrow")
        # no horizontal scrolling of the page itself on a phone-sized screen
        width = b.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, width
    finally:
        b.set_window_size(1280, 900)


def live_msg(source, score, state=3):
    return json.dumps({"source": source, "data": {
        "id": "1", "url": "https://example.org/live/1", "state": state, "bestof": "3",
        "title": "Overcooked", "tournament": "Live Cup", "date_start_text": "2031-01-01 12:00:00",
        "teams": [{"id": 1, "name": "Red"}, {"id": 2, "name": "Blue"}],
        "scores": [{"team": 1, "score": score, "winner": None},
                   {"team": 2, "score": 0, "winner": None}]}}).encode()


@pytest.mark.skipif(not NCHAN.exists(), reason="nginx's nchan module is missing")
def test_an_open_match_page_shows_a_new_score_without_reload(samples, browser):
    b = browser
    src = tag("page")
    samples.publish_applied([live_msg(src, 0, state=1)])
    b.get_log("browser")  # what earlier tests left there
    mid = int(samples.scalar(f"SELECT m.id FROM matches m JOIN sources s ON s.id = m.source_id "
                             f"WHERE s.name = '{src}'"))
    b.get(f"{samples.http}/matches/{mid}/")
    wait_until(lambda: b.find_elements(By.CSS_SELECTOR, "header.site .live-badge"), timeout=10,
               what="the page subscribed (its Live badge)")
    b.execute_script("window.notReloaded = true;")
    row = "table.teams-table tr[data-team] td.score"
    assert b.find_elements(By.CSS_SELECTOR, row)[0].text == "0"
    assert b.find_element(By.CSS_SELECTOR, '[data-field="state"]').text == "Upcoming"
    samples.publish([live_msg(src, 2, state=3)])
    wait_until(lambda: b.find_elements(By.CSS_SELECTOR, row)[0].text == "2", timeout=10,
               what="the new score on the open page")
    state = b.find_element(By.CSS_SELECTOR, '[data-field="state"]')
    assert state.text == "Live" and "state-live" in state.get_attribute("class")
    assert b.execute_script("return window.notReloaded === true;")  # the same page, updated
    shot(b, "06-live-match")
    logs = [e for e in b.get_log("browser") if e["level"] == "SEVERE"]
    assert logs == [], logs


@pytest.mark.skipif(not NCHAN.exists(), reason="nginx's nchan module is missing")
def test_the_list_offers_new_matches_instead_of_moving_rows(samples, browser):
    b = browser
    b.get_log("browser")  # what earlier tests left there
    b.get(samples.http + "/")
    wait_until(lambda: b.find_elements(By.CSS_SELECTOR, "header.site .live-badge"), timeout=10,
               what="the list subscribed")
    notice = b.find_element(By.CSS_SELECTOR, "[data-live-notice]")
    assert not notice.is_displayed()
    rows = [r.get_attribute("data-match") for r in
            b.find_elements(By.CSS_SELECTOR, "table.matches tbody tr")]
    samples.publish([live_msg(tag("new"), 1), live_msg(tag("new"), 1)])
    wait_until(lambda: notice.is_displayed() and notice.text == "2 new matches, show them",
               timeout=10, what="the notice of two new matches")
    # the rows stayed where they were
    assert rows == [r.get_attribute("data-match") for r in
                    b.find_elements(By.CSS_SELECTOR, "table.matches tbody tr")]
    shot(b, "07-live-list")
    notice.find_element(By.TAG_NAME, "a").click()
    wait_until(lambda: not b.find_element(By.CSS_SELECTOR, "[data-live-notice]").is_displayed(),
               timeout=10, what="the list shown again")
    logs = [e for e in b.get_log("browser") if e["level"] == "SEVERE"]
    assert logs == [], logs
