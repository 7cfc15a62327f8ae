#!/usr/bin/python3
"""Reads the accessibility tree of one application as a screen reader does (AT-SPI, through
pyatspi) and fails on a name that a screen reader would read wrongly: one with a mnemonic
underscore ("_Try Again") or with the same words twice ("Try Again Try Again").

Usage: accessible_names.py PID MIN_BUTTONS [EXPECTED_NAME...]
PID is the process whose tree is read (and no other); the walk fails unless it saw at least
MIN_BUTTONS buttons and a button named each EXPECTED_NAME, so an empty or wrong
tree cannot pass. Prints what it checked; exits 1 on any failure.
"""

import re
import sys
import time

import pyatspi

BUTTON_ROLES = {pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX}
# An underscore at the start of a word: a mnemonic GTK did not take out. (One inside a word,
# as in a Matrix ID "@bob_x:server", is text.)
MNEMONIC = re.compile(r"(?:^|\s)_\w")


def doubled(name):
    """Whether `name`, mnemonic underscores left out, is the same words twice."""
    words = MNEMONIC.sub(lambda m: m.group(0).replace("_", ""), name).split()
    half = len(words) // 2
    return half > 0 and len(words) % 2 == 0 and words[:half] == words[half:]


def application(pid):
    desktop = pyatspi.Registry.getDesktop(0)
    seen = []
    for app in desktop:
        if app is None:
            continue
        try:
            app_pid = app.get_process_id()
        except Exception:  # an application that went away meanwhile
            continue
        seen.append(f"{app.name} ({app_pid})")
        if app_pid == pid:
            return app
    sys.exit(f"no application with process id {pid} on the accessibility bus; seen: {seen}")


def walk(node, path, found):
    try:
        role = node.getRole()
        name = node.name or ""
        children = list(node)
    except Exception as err:  # a widget destroyed while the walk ran
        found["gone"] += 1
        print(f"  (gone: {path}: {err})")
        return
    found["accessibles"] += 1
    if role in BUTTON_ROLES:
        found["buttons"] += 1
        found["button names"].add(name)
    where = f"{path} > {node.getRoleName()}"
    if MNEMONIC.search(name):
        found["bad"].append(f"mnemonic underscore: {name!r} at {where}")
    elif doubled(name):
        found["bad"].append(f"the same label twice: {name!r} at {where}")
    for child in children:
        if child is not None:
            walk(child, where, found)


def main():
    pid, min_buttons, expected = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    started = time.monotonic()
    app = application(pid)
    found = {"accessibles": 0, "buttons": 0, "gone": 0, "button names": set(), "bad": []}
    walk(app, f"{app.name}", found)
    print(
        f"application {app.name!r} (process {pid}): {found['accessibles']} accessibles, "
        f"{found['buttons']} buttons, read in {time.monotonic() - started:.1f} s"
    )
    failed = False
    for bad in found["bad"]:
        print(f"BAD {bad}")
        failed = True
    if found["buttons"] < min_buttons:
        print(f"BAD only {found['buttons']} buttons, expected at least {min_buttons}")
        failed = True
    for name in expected:
        if name not in found["button names"]:
            print(f"BAD no button named {name!r}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
