#!/usr/bin/python3
"""A notification server for the tests: speaks org.freedesktop.Notifications (Desktop
Notifications Specification 1.2) on the session bus and prints, as one JSON line each,
every call it receives. Commands on stdin: "invoke ID KEY" emits ActionInvoked (KEY
"default" is a click on the notification), "close ID REASON" emits NotificationClosed."""

import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

INTERFACE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def out(**fields):
    print(json.dumps(fields), flush=True)


class Server(dbus.service.Object):
    next_id = 1

    @dbus.service.method(INTERFACE, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["actions", "body", "persistence"]

    @dbus.service.method(INTERFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("sotto-test-notifications", "sotto", "1", "1.2")

    @dbus.service.method(INTERFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        nid = int(replaces)
        if nid == 0:
            nid = self.next_id
            self.next_id += 1
        out(
            event="notify",
            id=nid,
            replaces=int(replaces),
            app=str(app),
            summary=str(summary),
            body=str(body),
            actions=[str(a) for a in actions],
            hints={str(k): str(v) for k, v in hints.items()},
        )
        return dbus.UInt32(nid)

    @dbus.service.method(INTERFACE, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        out(event="close", id=int(nid))
        self.NotificationClosed(nid, dbus.UInt32(3))

    @dbus.service.signal(INTERFACE, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass

    @dbus.service.signal(INTERFACE, signature="us")
    def ActionInvoked(self, nid, key):
        pass


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(INTERFACE, bus, do_not_queue=True)
    server = Server(bus, PATH)
    loop = GLib.MainLoop()

    def on_stdin(source, _condition):
        line = source.readline()
        if not line:
            loop.quit()
            return False
        words = line.split()
        if words and words[0] == "invoke":
            # As servers do for a notification that is not resident: act, then close it
            # (reason 2: dismissed by the user).
            server.ActionInvoked(dbus.UInt32(int(words[1])), words[2])
            server.NotificationClosed(dbus.UInt32(int(words[1])), dbus.UInt32(2))
        elif words and words[0] == "close":
            server.NotificationClosed(dbus.UInt32(int(words[1])), dbus.UInt32(int(words[2])))
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    out(event="ready", name=str(name.get_name()))
    loop.run()


if __name__ == "__main__":
    main()
