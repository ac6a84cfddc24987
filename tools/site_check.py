#!/usr/bin/env python3
"""Check a site `ansinh publish` wrote in a real browser: headless Chromium, driven by
selenium, at 360 px (a phone) and 1280 px wide.

    python3 tools/site_check.py SITE_DIR FUNDS.json EVENT_ID SCREENSHOT_DIR

FUNDS.json is what `ansinh funds --format json` printed for the same store; EVENT_ID a
donation the look-up must find and prove. The site is served from 127.0.0.1 on a free
port by this program, and every request it serves is recorded. It checks, and names the
first thing that fails:
  1. every page renders (a heading, no page wider than the window): the home page, each
     fund's, each year's disclosure with Decree 93's four items, each piggy-bank model's,
     the notice board and the look-up;
  2. the funds on the home page are the figures of FUNDS.json;
  3. a fund's register filters and pages;
  4. the look-up finds EVENT_ID (from the receipt's link, /tra-cuu/#ID) and shows its
     inclusion proof as verified against the signed checkpoint and the tiles;
  5. with one byte of a tile changed, or one bit of the checkpoint's signature (each in
     a copy of the site), the look-up says the proof fails (the signature is checked
     with WebCrypto's Ed25519 against the ward's verifier key);
  6. no request leaves the site (the browser's network log holds only its own address);
  7. the browser's console has no error.
Screenshots of each page at each width go to SCREENSHOT_DIR.
Exit status: 0 when all holds; 1 when something does not; 2 for usage.
"""
import base64
import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


LOOKUP_ROWS, LAST_ENTRY = [], {}


class SiteError(Exception):
    pass


class Server:
    """The site's folder over HTTP on 127.0.0.1, recording each path asked for."""

    def __init__(self, folder):
        self.requests = []
        requests = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *arguments):
                requests.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=folder))
        self.base = "http://127.0.0.1:%d/" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def browser(width):
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=%d,900" % width):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    return driver


def check_page(driver, url, shots, name, width):
    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    heading = driver.find_element(By.TAG_NAME, "h1").text
    if not heading:
        raise SiteError("%s has no heading" % url)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        raise SiteError("%s is %d px wider than the window at %d px" % (url, overflow, width))
    driver.save_screenshot(os.path.join(shots, "%s-%d.png" % (name, width)))
    return heading


def amount(text):
    return int(text.replace(".", "").replace(" ", "") or "0")


def check_site(base, funds, event_id, shots, width):
    driver = browser(width)
    try:
        check_page(driver, base + "index.html", shots, "trang-chu", width)
        rows = driver.find_elements(By.CSS_SELECTOR, "#cac-quy tbody tr")
        shown = {}
        for row in rows:
            cells = [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
            shown[cells[0]] = [amount(cell) for cell in cells[1:]]
        for fund in funds:
            expected = [fund["openingBalance"], fund["received"], fund["disbursed"], fund["balance"]]
            if shown.get(fund["name"]) != expected:
                raise SiteError("the home page shows %s as %s, funds --format json says %s" % (fund["name"], shown.get(fund["name"]), expected))
        for fund in funds:
            check_page(driver, base + "quy/%s/index.html" % fund["fundId"], shots, "quy-" + fund["fundId"], width)
            balance = amount(driver.find_element(By.ID, "so-du").text)
            if balance != fund["balance"]:
                raise SiteError("the page of %s shows the balance %d, not %d" % (fund["fundId"], balance, fund["balance"]))
            visible = len(driver.find_elements(By.CSS_SELECTOR, "#so-quy tbody tr"))
            if visible == 0 or visible > 50:
                raise SiteError("the register of %s shows %d rows on its first page" % (fund["fundId"], visible))
        # The years' disclosures (Decree 93's four items), the piggy-bank models, the notice board.
        driver.get(base + "index.html")
        others = [link.get_attribute("href") for link in driver.find_elements(By.CSS_SELECTOR, "main a[href*='ky/'], main a[href*='ong-heo/']")]
        if not any("/ky/" in link for link in others):
            raise SiteError("the home page links no year's disclosure")
        for link in others + [base + "bang-cong-khai/index.html"]:
            name = link[len(base):].replace("/index.html", "").replace("/", "-")
            check_page(driver, link, shots, name, width)
            if "/ky/" in link:
                for item in ("muc-1", "muc-2", "muc-3", "muc-4"):
                    if not driver.find_elements(By.ID, item):
                        raise SiteError("%s lacks Decree 93's item %s" % (link, item[-1]))
        # Sorting by amount puts the smallest first, then the largest.
        driver.get(base + "quy/%s/index.html" % funds[3]["fundId"])
        amounts = lambda: [int(cell.get_attribute("data-value")) for cell in driver.find_elements(By.CSS_SELECTOR, "#so-quy tbody tr td:nth-child(5)")]
        header = driver.find_elements(By.CSS_SELECTOR, "#so-quy thead th button")[4]
        header.click()
        ascending = amounts()
        header.click()
        descending = amounts()
        if not ascending or ascending != sorted(ascending) or descending != sorted(descending, reverse=True) or descending[0] < ascending[-1]:
            raise SiteError("sorting the register by amount does not order it (%s…, then %s…)" % (ascending[:3], descending[:3]))
        # Filtering narrows the register.
        driver.get(base + "quy/%s/index.html" % funds[0]["fundId"])
        before = driver.find_element(By.ID, "trang").text
        driver.find_element(By.ID, "loc").send_keys("zzzz-không-có")
        after = driver.find_element(By.ID, "trang").text
        if "· 0 dòng" not in after or before == after:
            raise SiteError("filtering the register does not narrow it (%r, then %r)" % (before, after))
        # The look-up, as a receipt's QR code opens it.
        check_page(driver, base + "tra-cuu/index.html#" + event_id, shots, "tra-cuu", width)
        status = WebDriverWait(driver, 60).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "#k-%s .proof" % event_id)
            if "Đang" not in d.find_element(By.CSS_SELECTOR, "#k-%s .proof" % event_id).text else False)
        if "verified" not in status.get_attribute("class"):
            raise SiteError("the look-up does not verify %s: %s" % (event_id, status.text))
        if "chữ ký số của phường đúng" not in status.text:
            raise SiteError("the look-up does not check the checkpoint's signature: %s" % status.text)
        driver.save_screenshot(os.path.join(shots, "tra-cuu-kiem-chung-%d.png" % width))
        # By receipt number; by amount and date.
        row = next(r for r in LOOKUP_ROWS if r["eventId"] == event_id)
        for fields in ({"so-bien-nhan": row["receiptNo"]}, {"so-tien": str(row["amount"]), "ngay": row["date"]}):
            driver.get(base + "tra-cuu/index.html")
            WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "tra-cuu").get_attribute("data-ready") == "yes")
            for name, value in fields.items():
                element = driver.find_element(By.ID, name)
                if name == "ngay":
                    driver.execute_script("arguments[0].value = arguments[1]", element, value)
                else:
                    element.send_keys(value)
            driver.find_element(By.CSS_SELECTOR, "#tra-cuu button[type=submit]").click()
            WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "k-" + event_id))
        # An entry's fixed address on the last page of a long register.
        if not LAST_ENTRY:
            raise SiteError("no register is longer than one page, so no entry's address is checked past the first")
        for fund_id, last in LAST_ENTRY.items():
            driver.get(base + "quy/%s/index.html#k-%s" % (fund_id, last))
            WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
            shown = driver.find_elements(By.ID, "k-" + last)
            if not shown or not shown[0].is_displayed():
                raise SiteError("quy/%s/#k-%s does not show that entry" % (fund_id, last))
        check_logs(driver, base)
    finally:
        driver.quit()


def check_logs(driver, base):
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            raise SiteError("the browser's console has an error: %s" % entry["message"])
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not (url.startswith(base) or url.startswith("data:")):
                raise SiteError("the page asked for %s, outside the site" % url)


def check_tampered(folder, event_id, position, shots, kind="tile"):
    """A copy of the site with one byte of the leaf's tile changed, or one bit of the
    checkpoint's signature: the proof must fail."""
    copy = tempfile.mkdtemp(prefix="ansinh-site-tampered-")
    try:
        site = os.path.join(copy, "site")
        shutil.copytree(folder, site)
        if kind in ("tile", "sibling"):
            tiles = sorted(os.path.relpath(os.path.join(root, name), site)
                           for root, _, names in os.walk(os.path.join(site, "tile", "0")) for name in names)
            index = (position - 1) // 256
            tile = next(path for path in tiles if path.split(os.sep)[2].split(".")[0] == "%03d" % index)
            data = bytearray(open(os.path.join(site, tile), "rb").read())
            # The leaf's own hash, or its neighbour's: a hash of the proof's path.
            leaf = (position - 1) % 256 if kind == "tile" else ((position - 1) ^ 1) % 256
            data[leaf * 32 + 5] ^= 0x01
            open(os.path.join(site, tile), "wb").write(bytes(data))
        else:
            tile = "checkpoint"
            text = open(os.path.join(site, tile), encoding="utf-8").read()
            head, line = text.rsplit("\n\n", 1)
            dash, name, signature = line.strip().split(" ")
            raw = bytearray(base64.b64decode(signature))
            raw[20] ^= 0x01
            open(os.path.join(site, tile), "w", encoding="utf-8").write(
                head + "\n\n" + " ".join((dash, name, base64.b64encode(bytes(raw)).decode())) + "\n")
        server = Server(site)
        driver = browser(1280)
        try:
            driver.get(server.base + "tra-cuu/index.html#" + event_id)
            status = WebDriverWait(driver, 60).until(
                lambda d: d.find_element(By.CSS_SELECTOR, "#k-%s .proof" % event_id)
                if "Đang" not in d.find_element(By.CSS_SELECTOR, "#k-%s .proof" % event_id).text else False)
            if "failed" not in status.get_attribute("class"):
                raise SiteError("with %s changed, the look-up still says: %s" % (tile, status.text))
            driver.save_screenshot(os.path.join(shots, "tra-cuu-%s-bi-sua-1280.png" % kind))
            return status.text
        finally:
            driver.quit()
            server.stop()
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def main(arguments):
    if len(arguments) != 4:
        print(__doc__)
        return 2
    folder, funds_path, event_id, shots = arguments
    os.makedirs(shots, exist_ok=True)
    funds = json.load(open(funds_path))
    index = json.load(open(os.path.join(folder, "du-lieu", "tra-cuu.json")))
    rows = [dict(zip(index["columns"], row)) for row in index["rows"]]
    position = next((row["position"] for row in rows if row["eventId"] == event_id), None)
    if position is None:
        print("site check failed: %s is not in the look-up's index" % event_id, file=sys.stderr)
        return 1
    global LOOKUP_ROWS, LAST_ENTRY
    LOOKUP_ROWS = rows
    LAST_ENTRY = {}
    for name in os.listdir(os.path.join(folder, "quy")):
        page = open(os.path.join(folder, "quy", name, "index.html"), encoding="utf-8").read()
        ids = [part.split('"')[0] for part in page.split('<tr id="k-')[1:]]
        if len(ids) > 50:
            LAST_ENTRY[name] = ids[-1]  # on the register's last page
    server = Server(folder)
    try:
        for width in (360, 1280):
            check_site(server.base, funds, event_id, shots, width)
        refused = check_tampered(folder, event_id, position, shots)
        sibling = check_tampered(folder, event_id, position, shots, kind="sibling")
        if "gốc" not in sibling:
            raise SiteError("with a hash of the proof's path changed, the look-up says: %s" % sibling)
        forged = check_tampered(folder, event_id, position, shots, kind="signature")
        if "chữ ký" not in forged:
            raise SiteError("with the checkpoint's signature changed, the look-up says: %s" % forged)
    except SiteError as error:
        print("site check failed: %s" % error, file=sys.stderr)
        return 1
    finally:
        server.stop()
    print("ok: %d funds match, the look-up proves %s at 360 and 1280 px, a changed tile is refused (%s), "
          "a changed path hash is refused (%s), a changed signature is refused (%s); %d requests, all to the site"
          % (len(funds), event_id, refused, sibling, forged, len(server.requests)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
