"""A citizen's journey in a real headless Chromium (Debian's package) over the real server on 127.0.0.1.

home → search "Banobras" → the 2017 Banobras loan (2,800 MDP, 8.25 %) → its source row → the lender →
the loans it granted and what they refinanced → English. Screenshots go to tests/artifacts/.
"""

import threading
import time
from pathlib import Path

import pytest
from conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")


@pytest.fixture(scope="module")
def server(sample_store):
    import uvicorn

    from ftm_graph.app import create_app
    from ftm_graph.config import Settings

    port = free_port()
    app = create_app(Settings(store=str(sample_store.path)), sample_store)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield b
        b.close()


def test_citizen_journey(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 412, "height": 900}, locale="es-MX")

    def shot(name):
        page.screenshot(path=str(ARTIFACTS / f"journey_{name}.png"), full_page=True)

    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "es"
    shot("1_home")

    page.fill("#q", "Banobras")
    page.wait_for_selector("#suggestions a")  # type-ahead
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=Banobras*")
    shot("2_search")

    page.click('#results-loan a[href="/id/debt/ZAC-2017-BANOBRAS"]')
    page.wait_for_url("**/id/debt/ZAC-2017-BANOBRAS")
    headline = page.inner_text(".headline-figures")
    assert "2.8 mil millones de pesos" in headline and "8.25 %" in headline
    assert page.locator("section.flows svg.sankey").is_visible()
    shot("3_loan")

    page.click("section.amounts a.row")
    assert "/row/" in page.url
    shot("4_source_row")
    page.go_back()

    page.click("section.facts dd a[href='/id/bank/banobras']")
    page.wait_for_url("**/id/bank/banobras")
    assert page.inner_text("h1") == "Banobras"
    shot("5_lender")

    page.click("#featured-loans_granted a[href='/id/debt/ZAC-2017-BANOBRAS']")
    refinanced = page.locator("section.facts dd a[href^='/id/debt/ZAC-2011'], section.facts dd a[href^='/id/debt/ZAC-2012']")
    assert refinanced.count() == 4
    refinanced.first.click()
    assert "/id/debt/ZAC-201" in page.url
    shot("6_refinanced_loan")

    page.click("a.lang-switch")
    page.wait_for_url("**lang=en*")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#featured-refinanced_by h3").inner_text().startswith("Loans that refinanced it")
    shot("7_english")
    page.close()
