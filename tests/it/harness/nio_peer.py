"""A headless matrix-nio client (libolm for its encryption) that the Rust tests drive.

Usage: nio_peer.py STORE_DIR

Reads one JSON command per line on stdin and answers each with one JSON line on stdout:
{"ok": true, "result": {...}} or {"ok": false, "error": "..."}. Everything else (nio's own
logging) goes to stderr. After `login` it syncs in the background (nio's sync_forever, which
also uploads, queries and claims keys and sends to-device messages) and records every
message event, decrypted or not.

Commands (fields beyond "cmd"):
  login            homeserver, user, password, device_name   -> user_id, device_id
  create_room      name, encrypted, invite, is_direct (optional) -> room_id
  wait_for_member  room_id, user_id, timeout                 -> {}
  trust_device     user_id, device_id, timeout               -> ed25519
  send             room_id, body                             -> event_id
  send_key_later   room_id, body                             -> event_id, held
  release_keys                                               -> released
  wait_for_message room_id, body, timeout                    -> event_id, sender, decrypted
  download_media   room_id, name, path, thumbnail_path, timeout
                   waits for an m.image/m.file/... event whose file name (`filename`, else
                   `body`) is `name`, downloads its file (decrypting it with the event's
                   EncryptedFile when it has one) to `path`, and its thumbnail, if any, to
                   thumbnail_path                          -> event_id, sender, decrypted, content
  send_image       room_id, path, name, mimetype, width, height, size, caption,
                   thumbnail (null or {path, mimetype, width, height}), blurhash
                   uploads the file at `path` (and the thumbnail) encrypted with nio's
                   upload(encrypt=True) and sends an m.image whose `file` (and
                   `info.thumbnail_file`) carry the keys; `info` says what the caller
                   claims (mimetype, w, h, size: nothing is checked)  -> event_id, url
  quit                                                       -> {}
"""

import asyncio
import json
import os
import sys
import traceback
from uuid import uuid4

from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    DownloadError,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomEncryptedMedia,
    RoomMessageMedia,
    RoomMessageText,
    RoomSendResponse,
    ShareGroupSessionResponse,
    SyncResponse,
    UploadResponse,
)
from nio.crypto.attachments import decrypt_attachment

# Answers go to the real stdout; anything a library prints goes to stderr.
ANSWERS = sys.stdout
sys.stdout = sys.stderr


class CommandError(Exception):
    pass


class Peer:
    def __init__(self, store_dir):
        self.store_dir = store_dir
        self.client = None
        self.sync_task = None
        self.messages = []  # (room_id, event_id, sender, body, decrypted)
        self.media = []  # (room_id, event)
        self.undecryptable = 0
        self.held_keys = []  # (room_id, sharing_with, to-device content), for release_keys
        self.changed = asyncio.Condition()

    async def notify(self):
        async with self.changed:
            self.changed.notify_all()

    async def until(self, condition, timeout, what):
        """Waits until condition() holds, re-checking after each sync and event."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self.changed:
            while True:
                if self.sync_task is not None and self.sync_task.done():
                    raise CommandError(f"the sync loop ended: {self.sync_task.exception()!r}")
                value = condition()
                if value:
                    return value
                left = deadline - loop.time()
                if left <= 0:
                    raise CommandError(f"timed out after {timeout} s waiting for {what}")
                try:
                    await asyncio.wait_for(self.changed.wait(), left)
                except asyncio.TimeoutError:
                    pass

    async def on_message(self, room, event):
        self.messages.append(
            (room.room_id, event.event_id, event.sender, event.body, bool(event.decrypted))
        )
        await self.notify()

    async def on_media(self, room, event):
        self.media.append((room.room_id, event))
        await self.notify()

    async def on_undecryptable(self, room, event):
        self.undecryptable += 1
        await self.notify()

    async def on_sync(self, response):
        await self.notify()

    async def login(self, homeserver, user, password, device_name):
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        self.client = AsyncClient(homeserver, user, store_path=self.store_dir, config=config)
        response = await self.client.login(password, device_name=device_name)
        if not isinstance(response, LoginResponse):
            raise CommandError(f"login failed: {response}")
        self.client.add_event_callback(self.on_message, RoomMessageText)
        self.client.add_event_callback(self.on_media, (RoomMessageMedia, RoomEncryptedMedia))
        self.client.add_event_callback(self.on_undecryptable, MegolmEvent)
        self.client.add_response_callback(self.on_sync, SyncResponse)
        # Short polls, so that key uploads, queries and claims between syncs happen promptly.
        self.sync_task = asyncio.create_task(self.client.sync_forever(timeout=500, full_state=True))
        # The first sync and the key upload are done once the server has our one-time keys.
        await self.until(
            lambda: self.client.olm is not None and not self.client.should_upload_keys,
            60,
            "the first sync and the key upload",
        )
        return {"user_id": self.client.user_id, "device_id": self.client.device_id}

    async def create_room(self, name, encrypted, invite, is_direct=False):
        initial_state = []
        if encrypted:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        response = await self.client.room_create(
            name=name, invite=invite, initial_state=initial_state, is_direct=is_direct
        )
        if not isinstance(response, RoomCreateResponse):
            raise CommandError(f"creating the room failed: {response}")
        await self.wait_for_room(response.room_id, encrypted)
        return {"room_id": response.room_id}

    async def wait_for_room(self, room_id, encrypted):
        def ready():
            room = self.client.rooms.get(room_id)
            return room is not None and (encrypted is None or room.encrypted == encrypted)

        await self.until(ready, 60, f"the room {room_id} in the sync")

    async def wait_for_member(self, room_id, user_id, timeout):
        def joined():
            room = self.client.rooms.get(room_id)
            return room is not None and user_id in room.users and user_id not in room.invited_users

        await self.until(joined, timeout, f"{user_id} to join {room_id}")
        return {}

    async def trust_device(self, user_id, device_id, timeout):
        """Waits until the keys of the device are known (asking the server again after each
        sync while they are not), then marks the device as verified, so that nio shares its
        room keys with it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            device = self.client.device_store[user_id].get(device_id)
            if device is not None:
                break
            if loop.time() > deadline:
                raise CommandError(f"timed out after {timeout} s waiting for the keys of {device_id}")
            self.client.olm.users_for_key_query.add(user_id)
            await self.client.keys_query()
            if self.client.device_store[user_id].get(device_id) is None:
                # Not published yet: wait for the next sync before asking again.
                async with self.changed:
                    try:
                        await asyncio.wait_for(self.changed.wait(), max(0.0, deadline - loop.time()))
                    except asyncio.TimeoutError:
                        pass
        self.client.verify_device(device)
        return {"ed25519": device.ed25519}

    async def send(self, room_id, body):
        # Unverified devices make nio refuse to send (trust them first with trust_device).
        response = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": body},
            ignore_unverified_devices=False,
        )
        if not isinstance(response, RoomSendResponse):
            raise CommandError(f"sending failed: {response}")
        return {"event_id": response.event_id}

    async def send_key_later(self, room_id, body):
        """Sends a message under a new room key that is not given to anyone yet: the key's
        to-device messages are held back until release_keys, so the receivers get the event
        before they can decrypt it."""
        client = self.client
        missing = client.get_missing_sessions(room_id)
        if missing:
            await client.keys_claim(missing)
        users = list(client.rooms[room_id].users.keys())
        held = list(client.olm.share_group_session_parallel(room_id, users))
        client.olm.outbound_group_sessions[room_id].shared = True
        response = await client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": body},
            ignore_unverified_devices=False,
        )
        if not isinstance(response, RoomSendResponse):
            raise CommandError(f"sending failed: {response}")
        self.held_keys.extend((room_id, sharing_with, content) for sharing_with, content in held)
        return {"event_id": response.event_id, "held": len(held)}

    async def release_keys(self):
        """Sends the room keys held back by send_key_later."""
        released = 0
        while self.held_keys:
            room_id, sharing_with, content = self.held_keys.pop(0)
            method, path, data = Api.to_device(
                self.client.access_token, "m.room.encrypted", content, uuid4()
            )
            response = await self.client._send(
                ShareGroupSessionResponse, method, path, data, response_data=(room_id, sharing_with)
            )
            if not isinstance(response, ShareGroupSessionResponse):
                raise CommandError(f"sending the room key failed: {response}")
            released += 1
        return {"released": released}

    async def wait_for_message(self, room_id, body, timeout):
        def found():
            for room, event_id, sender, text, decrypted in self.messages:
                if room == room_id and text == body:
                    return {"event_id": event_id, "sender": sender, "decrypted": decrypted}
            return None

        try:
            return await self.until(found, timeout, "the message")
        except CommandError as err:
            raise CommandError(
                f"{err}; {len(self.messages)} other messages arrived, "
                f"{self.undecryptable} could not be decrypted"
            )

    async def fetch(self, url, encrypted_file):
        """The bytes at the mxc:// `url`, decrypted with `encrypted_file` (an EncryptedFile:
        key, iv, hashes) when given; decrypt_attachment checks the SHA-256 hash."""
        response = await self.client.download(mxc=url)
        if isinstance(response, DownloadError):
            raise CommandError(f"downloading {url} failed: {response}")
        if encrypted_file is None:
            return response.body
        return decrypt_attachment(
            response.body,
            encrypted_file["key"]["k"],
            encrypted_file["hashes"]["sha256"],
            encrypted_file["iv"],
        )

    async def download_media(self, room_id, name, path, thumbnail_path, timeout):
        def found():
            for room, event in self.media:
                content = event.source.get("content", {})
                if room == room_id and content.get("filename", content.get("body")) == name:
                    return event
            return None

        try:
            event = await self.until(found, timeout, f"the attachment {name}")
        except CommandError as err:
            raise CommandError(
                f"{err}; {len(self.media)} other attachments arrived, "
                f"{self.undecryptable} events could not be decrypted"
            )
        content = event.source["content"]
        encrypted_file = content.get("file")
        url = encrypted_file["url"] if encrypted_file else content["url"]
        with open(path, "wb") as out:
            out.write(await self.fetch(url, encrypted_file))
        info = content.get("info") or {}
        thumbnail_file = info.get("thumbnail_file")
        thumbnail_url = thumbnail_file["url"] if thumbnail_file else info.get("thumbnail_url")
        if thumbnail_path and thumbnail_url:
            with open(thumbnail_path, "wb") as out:
                out.write(await self.fetch(thumbnail_url, thumbnail_file))
        return {
            "event_id": event.event_id,
            "sender": event.sender,
            "decrypted": bool(event.decrypted),
            "content": content,
        }

    async def upload_encrypted(self, path, mimetype):
        with open(path, "rb") as data:
            response, keys = await self.client.upload(
                data,
                content_type=mimetype,
                filename=os.path.basename(path),
                encrypt=True,
                filesize=os.path.getsize(path),
            )
        if not isinstance(response, UploadResponse):
            raise CommandError(f"uploading failed: {response}")
        return {"url": response.content_uri, "mimetype": mimetype, **keys}

    async def send_image(
        self, room_id, path, name, mimetype, width, height, size, caption, thumbnail, blurhash
    ):
        file = await self.upload_encrypted(path, mimetype)
        info = {"mimetype": mimetype, "size": size, "w": width, "h": height}
        if blurhash:
            info["xyz.amorgan.blurhash"] = blurhash
        if thumbnail:
            info["thumbnail_file"] = await self.upload_encrypted(
                thumbnail["path"], thumbnail["mimetype"]
            )
            info["thumbnail_info"] = {
                "mimetype": thumbnail["mimetype"],
                "w": thumbnail["width"],
                "h": thumbnail["height"],
                "size": os.path.getsize(thumbnail["path"]),
            }
        content = {"msgtype": "m.image", "body": caption or name, "info": info, "file": file}
        if caption:
            content["filename"] = name
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=False
        )
        if not isinstance(response, RoomSendResponse):
            raise CommandError(f"sending failed: {response}")
        return {"event_id": response.event_id, "url": file["url"]}

    async def quit(self):
        if self.client is not None:
            self.client.stop_sync_forever()
            if self.sync_task is not None:
                self.sync_task.cancel()
                try:
                    await self.sync_task
                except (asyncio.CancelledError, Exception):
                    pass
            await self.client.close()
        return {}


COMMANDS = (
    "login",
    "create_room",
    "wait_for_member",
    "trust_device",
    "send",
    "send_key_later",
    "release_keys",
    "wait_for_message",
    "download_media",
    "send_image",
    "quit",
)


async def main():
    peer = Peer(sys.argv[1])
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            await peer.quit()
            return
        name = None
        try:
            command = json.loads(line)
            name = command.pop("cmd")
            if name not in COMMANDS:
                raise CommandError(f"unknown command {name}")
            handler = getattr(peer, name)
            answer = {"ok": True, "result": await handler(**command)}
        except Exception as err:  # every failure is an answer, never a silent hang
            traceback.print_exc(file=sys.stderr)
            answer = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        ANSWERS.write(json.dumps(answer) + "\n")
        ANSWERS.flush()
        if name == "quit":
            return


if __name__ == "__main__":
    asyncio.run(main())
