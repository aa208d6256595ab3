"""Pseudonyms for people: identifiers are replaced on reading by a keyed hash, never written as they are.

Every identifier an export holds (an e-mail address, a user principal name, a platform user id, an
employee number, an xAPI actor) goes through :meth:`Pseudonymiser.person` as soon as it is read;
names are not read at all. The pseudonym is keyed BLAKE2b (RFC 7693, ``hashlib.blake2b`` with
``key=``) of the identifier, with a 32-byte key drawn from the operating system's random source
for each import and kept only in memory, so:

- the same person gets the same pseudonym everywhere in one import (the HR file and the platform
  export are matched through it), and
- nobody can tell who a pseudonym is, not even by hashing a list of the organisation's e-mail
  addresses and comparing, because the key is gone when the import ends. (An unkeyed hash of an
  e-mail address, such as Microsoft's concealed names or xAPI's ``mbox_sha1sum``, is no protection:
  it is reversed by hashing the staff list.)

``--key FILE`` instead keeps the key in a file the user controls (created with owner-only
permissions, outside the output folder), so that successive imports give the same pseudonyms.

E-mail addresses are compared as xAPI does: the SHA-1 of ``mailto:`` and the address in lower case
is the identity of a mailbox, so an actor known only by its ``mbox_sha1sum`` matches the same
person's e-mail address in the HR file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from ecosim.errors import InputError

KEY_BYTES = 32
#: Hex digits of a pseudonym (80 bits: no collision in any organisation, and short to read).
DIGITS = 20


def mailbox_sha1(email: str) -> str:
    """The xAPI ``mbox_sha1sum`` of an e-mail address: the SHA-1 of ``mailto:<address>`` (address in lower case)."""
    address = email.strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    return hashlib.sha1(("mailto:" + address.lower()).encode("utf-8")).hexdigest()


class Pseudonymiser:
    """Replaces identifiers by pseudonyms with a key of its own (see the module docstring)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(KEY_BYTES)
        self.kept_in = "memory"
        self._new_key_file: Path | None = None

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(key kept in {self.kept_in})"

    def hash(self, kind: str, identifier: str) -> str:
        """The pseudonym of ``identifier`` of a ``kind`` (``email``, ``engage``, ``slack``, ...)."""
        digest = hashlib.blake2b(
            f"{kind}\0{identifier}".encode(), key=self._key, digest_size=DIGITS // 2, person=b"ecosim-import"
        )
        return "p" + digest.hexdigest()

    def email(self, address: str) -> str:
        """The pseudonym of the person with e-mail ``address`` (case does not matter)."""
        return self.hash("mailbox", mailbox_sha1(address))

    def mailbox_sha1(self, sha1: str) -> str:
        """The pseudonym of the person whose mailbox SHA-1 is ``sha1`` (as :meth:`email` gives)."""
        return self.hash("mailbox", sha1.strip().lower())

    def person(self, kind: str, identifier: str) -> str:
        """The pseudonym of a person known by a platform's own id (``identifier``, case kept)."""
        return self.hash(kind, identifier.strip())

    @classmethod
    def from_key_file(cls, path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> Pseudonymiser:
        """A pseudonymiser whose key is in ``path``; a new key when missing (:meth:`save_key` writes it).

        Raises:
            InputError: the key file is inside the output folder, unreadable or not a key ecosim wrote.
        """
        p = Path(path)
        if out is not None:
            try:
                inside = p.resolve().is_relative_to(Path(out).resolve())
            except OSError:
                inside = False
            if inside:
                raise InputError(
                    "the key file must not be inside the output folder (whoever has the folder would have the key)",
                    file="--key",
                    value=str(path),
                    allowed="a file outside --out that only you can read",
                )
        if p.exists():
            try:
                text = p.read_text(encoding="ascii").strip()
                key = bytes.fromhex(text)
            except (OSError, UnicodeDecodeError, ValueError):
                key = b""
            if len(key) != KEY_BYTES:
                raise InputError(
                    "not an ecosim key file",
                    file=str(path),
                    allowed=f"a file ecosim wrote with --key ({KEY_BYTES * 2} hex digits), or a new path",
                )
        else:
            key = secrets.token_bytes(KEY_BYTES)
        made = cls(key)
        made.kept_in = "a key file"
        made._new_key_file = None if p.exists() else p
        return made

    def save_key(self) -> None:
        """Write a new key file (owner-only permissions), once the import has succeeded."""
        p = getattr(self, "_new_key_file", None)
        if p is None:
            return
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(self._key.hex() + "\n")
        except OSError as exc:
            raise InputError(f"cannot write the key file: {exc.strerror}", file=str(p)) from None
        self._new_key_file = None
