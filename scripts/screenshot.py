"""Take docs/screenshot.png from a running demo (./scripts/demo in another shell).

.venv/bin/python scripts/screenshot.py [http://127.0.0.1:8000] [user] [password]
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
user = sys.argv[2] if len(sys.argv) > 2 else "demo"
password = sys.argv[3] if len(sys.argv) > 3 else "tareas-demo-2026"
out = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"

with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    # Where a supervisor's day starts (today's tasks), at a laptop's 1440 px.
    page = browser.new_page(viewport={"width": 1440, "height": 900}, timezone_id="America/Santiago")
    page.goto(base + "/tasks/?range=today&per_page=10")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("tbody.task summary").nth(1).click()
    page.screenshot(path=str(out), full_page=True)
    browser.close()
print(out)
