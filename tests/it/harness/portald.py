#!/usr/bin/python3
"""The desktop portal for the tests: owns org.freedesktop.portal.Desktop on the session
bus and speaks, as the XDG Desktop Portal specification says, org.freedesktop.portal.
Background (RequestBackground, answered through a Request object at the specified handle
path), org.freedesktop.portal.Request (Close) and org.freedesktop.portal.Notification
(AddNotification, RemoveNotification), each with its version property, and
org.freedesktop.DBus.Properties. Prints every call it receives as one JSON line.

Flags: --no-notification leaves the Notification interface out.
Commands on stdin (each echoed as a "command" line once taken): "answer RESPONSE BACKGROUND AUTOSTART" answers the next request so
(BACKGROUND and AUTOSTART 0 or 1); "refuse" answers it with response 1 (cancelled by the
person). Without a command a request is granted as asked."""

import json
import random
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
BACKGROUND = "org.freedesktop.portal.Background"
NOTIFICATION = "org.freedesktop.portal.Notification"
REQUEST = "org.freedesktop.portal.Request"
PROPERTIES = "org.freedesktop.DBus.Properties"


def out(**fields):
    print(json.dumps(fields), flush=True)


def plain(value):
    """A D-Bus value as JSON."""
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.Array, list)):
        return [plain(v) for v in value]
    if isinstance(value, (dbus.Dictionary, dict)):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (int, dbus.UInt32, dbus.Int32)):
        return int(value)
    return str(value)


class Request(dbus.service.Object):
    """One request's object, alive until it answered or was closed."""

    def __init__(self, bus, path):
        super().__init__(bus, path)
        self.path = path

    @dbus.service.method(REQUEST, in_signature="", out_signature="")
    def Close(self):
        out(event="close", handle=self.path)
        self.remove_from_connection()

    @dbus.service.signal(REQUEST, signature="ua{sv}")
    def Response(self, response, results):
        pass


class NoSuchInterface(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.DBus.Error.UnknownInterface"


class Portal(dbus.service.Object):
    versions = {BACKGROUND: 1}

    def __init__(self, bus):
        super().__init__(bus, PATH)
        self.bus = bus
        self.next_answer = None

    @dbus.service.method(
        BACKGROUND,
        in_signature="sa{sv}",
        out_signature="o",
        sender_keyword="sender",
        async_callbacks=("reply", "error"),
    )
    def RequestBackground(self, parent_window, options, sender, reply, error):
        token = str(options.get("handle_token", "t%d" % random.randrange(1 << 30)))
        handle = "%s/request/%s/%s" % (PATH, sender[1:].replace(".", "_"), token)
        out(
            event="request_background",
            sender=str(sender),
            parent_window=str(parent_window),
            handle=handle,
            options={str(k): plain(v) for k, v in options.items()},
        )
        request = Request(self.bus, handle)
        if self.next_answer is None:
            answer = (0, True, bool(options.get("autostart", False)))
        else:
            answer, self.next_answer = self.next_answer, None
        response, background, autostart = answer
        results = {"background": dbus.Boolean(background), "autostart": dbus.Boolean(autostart)}
        # Answered at once, right after the reply: a caller that subscribes to the Response
        # only once it has the reply misses it, as it could with a real portal.
        reply(dbus.ObjectPath(handle))
        request.Response(dbus.UInt32(response), dbus.Dictionary(results, signature="sv"))
        out(event="response", handle=handle, response=response, results=plain(results))
        request.remove_from_connection()

    def interfaces(self):
        return dict(self.versions)

    @dbus.service.method(PROPERTIES, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        out(event="get", interface=str(interface), property=str(prop))
        versions = self.interfaces()
        if interface not in versions or prop != "version":
            raise NoSuchInterface("no property %s.%s" % (interface, prop))
        return dbus.UInt32(versions[interface])

    @dbus.service.method(PROPERTIES, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        out(event="get_all", interface=str(interface))
        versions = self.interfaces()
        if interface not in versions:
            raise NoSuchInterface("no interface %s" % interface)
        return dbus.Dictionary({"version": dbus.UInt32(versions[interface])}, signature="sv")


class NotifyingPortal(Portal):
    versions = {BACKGROUND: 1, NOTIFICATION: 1}

    @dbus.service.method(NOTIFICATION, in_signature="sa{sv}", out_signature="")
    def AddNotification(self, nid, notification):
        out(event="add_notification", id=str(nid), keys=sorted(str(k) for k in notification))

    @dbus.service.method(NOTIFICATION, in_signature="s", out_signature="")
    def RemoveNotification(self, nid):
        out(event="remove_notification", id=str(nid))

    @dbus.service.signal(NOTIFICATION, signature="ssav")
    def ActionInvoked(self, nid, action, parameter):
        pass


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    portal = (Portal if "--no-notification" in sys.argv[1:] else NotifyingPortal)(bus)
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    loop = GLib.MainLoop()

    def on_stdin(source, _condition):
        line = source.readline()
        if not line:
            loop.quit()
            return False
        words = line.split()
        if words and words[0] == "refuse":
            portal.next_answer = (1, False, False)
        elif words and words[0] == "answer" and len(words) == 4:
            portal.next_answer = (int(words[1]), words[2] == "1", words[3] == "1")
        out(event="command", words=words)
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    out(event="ready", name=str(name.get_name()))
    loop.run()


if __name__ == "__main__":
    main()
