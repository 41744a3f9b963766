#!/usr/bin/python3
"""The status page in a real browser (headless Chromium through chromedriver and Selenium).

Starts `boomi-sched sim` and `boomi-sched run` against it on loopback, loads the status page,
finds every job row, makes the simulator fail the triggers and waits for a red mark, opens a
job's page, and checks that the browser logged no error. Writes a screenshot of the page.

usage: status_page_test.py BSCHED_BINARY SCREENSHOT.png
Exit 0: passed; 1: failed; 77: skipped (no Chromium and CI is not set).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN_ENV = "BSCHED_BROWSER_TOKEN"
TOKEN = "browser-test-token"
JOBS = ["inventory-refresh", "invoice-export", "orders-sync"]


def skip_or_fail(why):
    if os.environ.get("CI"):
        print(f"FAIL: {why} (CI is set, so the browser test must run; "
              "scripts/install-deps.sh --test installs chromium, chromium-driver, python3-selenium)")
        sys.exit(1)
    print(f"SKIP: {why}; install them with scripts/install-deps.sh --test")
    sys.exit(77)


def find_tools():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not os.path.exists(chromium) or not os.path.exists(driver):
        skip_or_fail("chromium or chromedriver is not installed")
    try:
        import selenium  # noqa: F401
    except ImportError:
        skip_or_fail("python3-selenium is not installed")
    return chromium, driver


def wait_for(what, check, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {limit}s waiting for {what}")


def start_sim(binary, work):
    out = open(os.path.join(work, "sim.out"), "w+")
    env = dict(os.environ, **{TOKEN_ENV: TOKEN})
    proc = subprocess.Popen([binary, "sim", "--listen", "127.0.0.1:0", "--token-env", TOKEN_ENV,
                             "--pickup-delay", "200ms", "--run-duration", "300ms"],
                            stdout=out, stderr=open(os.path.join(work, "sim.err"), "w"), env=env)
    line = wait_for("the simulator's address",
                    lambda: (out.seek(0), out.readline())[1].strip(), 10)
    m = re.search(r"(http://127\.0\.0\.1:(\d+)/\S+) account=(\S+)", line)
    assert m, line
    return proc, m.group(1), int(m.group(2)), m.group(3)


def write_config(work, base_url, account):
    jobs = "".join(
        f"  {name}:\n    schedule: \"*/2 * * * * *\"\n"
        f"    process_id: 6e79aead-40d4-4a35-9037-00000000000{i}\n"
        f"    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n" for i, name in enumerate(JOBS))
    path = os.path.join(work, "boomi-sched.yaml")
    with open(path, "w") as f:
        f.write(f"platform:\n  account_id: {account}\n  base_url: {base_url}\n"
                f"  username: BOOMI_TOKEN.sim@example.com\n  token_env: {TOKEN_ENV}\n"
                f"  requests_per_second: 0\n  timeout: 2s\n"
                f"storage:\n  path: {os.path.join(work, 'state.db')}\n"
                f"http:\n  listen: 127.0.0.1:0\n"
                f"defaults:\n  timezone: Europe/Berlin\n  poll: {{initial: 200ms, max: 500ms}}\n"
                f"  submit_retry: {{attempts: 1, initial: 100ms, max: 100ms}}\n"
                f"jobs:\n{jobs}")
    return path


def start_daemon(binary, work, config):
    log = os.path.join(work, "daemon.log")
    env = dict(os.environ, **{TOKEN_ENV: TOKEN})
    proc = subprocess.Popen([binary, "run", "--config", config], stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"), env=env)

    def address():
        if proc.poll() is not None:
            raise AssertionError("the daemon ended:\n" + open(log).read())
        m = re.search(r"http\.listening address=(\S+)", open(log).read())
        return m and m.group(1)
    return proc, "http://" + wait_for("the daemon's http.listening", address, 15) + "/"


def browser(chromium, driver):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,720"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def check_page(web, url, sim_port, screenshot):
    from selenium.webdriver.common.by import By
    web.get(url)
    rows = web.find_elements(By.CSS_SELECTOR, "tr.job")
    names = sorted(r.get_attribute("data-job") for r in rows)
    assert names == JOBS, f"job rows {names}, expected {JOBS}"
    wait_for("a green mark", lambda: web.find_elements(By.CSS_SELECTOR, ".mark.m-ok"), 20)
    assert not web.find_elements(By.CSS_SELECTOR, ".mark.m-bad"), "a red mark before any failure"
    # From now on the simulator answers every trigger with 500: the next runs fail.
    req = urllib.request.Request(f"http://127.0.0.1:{sim_port}/__sim/faults", method="POST",
                                 data=json.dumps({"rate_500": 1, "only_submits": True}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()
    # The page refreshes itself (every 10 s): no reload from here.
    red = wait_for("a red mark", lambda: web.find_elements(By.CSS_SELECTOR, ".mark.m-bad"), 40)
    assert red[0].get_attribute("title").startswith("slot "), red[0].get_attribute("title")
    web.save_screenshot(screenshot)
    link = web.find_element(By.CSS_SELECTOR, "tr.job[data-job='orders-sync'] a")
    link.click()
    wait_for("the job page", lambda: web.find_elements(By.TAG_NAME, "h2"), 10)
    assert web.find_element(By.TAG_NAME, "h2").text == "orders-sync"
    assert web.find_elements(By.CSS_SELECTOR, "tr.run"), "no runs on the job page"
    severe = [e for e in web.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, f"browser errors: {severe}"


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, screenshot = sys.argv[1], sys.argv[2]
    chromium, driver = find_tools()
    work = tempfile.mkdtemp(prefix="bsched-browser-")
    procs, web = [], None
    try:
        sim, base_url, sim_port, account = start_sim(binary, work)
        procs.append(sim)
        daemon, url = start_daemon(binary, work, write_config(work, base_url, account))
        procs.append(daemon)
        web = browser(chromium, driver)
        check_page(web, url, sim_port, screenshot)
        print(f"PASS: {url} in Chromium; screenshot {screenshot}")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}")
        for name in ("daemon.log", "sim.err"):
            p = os.path.join(work, name)
            if os.path.exists(p):
                print(f"--- {name} (last 30 lines)\n" + "".join(open(p).readlines()[-30:]))
        return 1
    finally:
        if web:
            web.quit()
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
