"""Install, update or roll back fairpos from a kit (a folder made by ``fairpos kit build``), with
no network: the standard library, ``openssl`` and the kit's own wheels alone.

It runs before fairpos is on the machine, so it imports nothing of fairpos (an import contract
keeps it so) and is copied into every kit beside its ``install`` script. In order:

1. **Verify.** ``manifest.sha256`` must carry a good Ed25519 signature (``manifest.sig``) by the
   key the machine trusts — the one installed with its first kit (``PREFIX/kit.pub``); the first
   kit brings its own, and its fingerprint is printed to compare with the one the cooperative
   keeps. Every file of the kit must be listed with its SHA-256, and nothing else may be there.
   A kit that does not verify is refused in one line before anything is touched.
2. **Refuse a lane mid-shift**: a journal with a shift open is never updated or rolled back.
3. **Back the journal up** (SQLite's online backup) into ``PREFIX/backups/``.
4. **Install** the version into ``PREFIX/VERSION/`` (a venv; ``pip --no-index`` from the kit's
   wheels for this Python and machine), then run ``fairpos check`` with it on the lane's data —
   which migrates the journal. Only when that passes does ``PREFIX/current`` point to it (the
   old one is ``PREFIX/previous``); otherwise the journal is put back from the backup and the
   machine stays as it was.
5. **Units**: ``fairpos-till@.service`` (the till on a console, ``fairpos-till@tty1``),
   ``fairpos-ledger.service`` and ``fairpos-hub.service``, each restarting on failure, written to
   ``/etc/systemd/system`` (or ``PREFIX/systemd`` with ``--no-system``), with a service user.

``--rollback`` points ``current`` back to ``previous`` and puts back the journal backed up by
that update. Sales made on the newer version are never dropped: when the journal holds any the
backup does not, it is kept whole in a lane folder of its own, those sales are named, and the
journal put back continues their numbering (so no sale id is ever used twice).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from datetime import datetime
from pathlib import Path

MANIFEST, SIGNATURE, KEY, ABOUT = "manifest.sha256", "manifest.sig", "kit.pub", "kit.json"
JOURNAL = "fairpos.db"

WORDS = {
    "es": {
        "bad signature": "el kit no está firmado por la clave de confianza de esta máquina "
                         "({key}): no se instaló nada",
        "unsigned": "el kit no tiene firma ({file}): no se instaló nada",
        "tampered": "el kit fue alterado: {file} no coincide con su suma: no se instaló nada",
        "unlisted": "el kit tiene un archivo que su lista no nombra ({file}): no se instaló nada",
        "missing": "al kit le falta {file}: no se instaló nada",
        "no wheels": "el kit no trae paquetes para Python {python} en {machine}: no se instaló "
                     "nada",
        "first key": "Primera instalación: esta máquina confiará en la clave {fingerprint} "
                     "(compárela con la de la cooperativa).",
        "mid shift": "hay un turno abierto en {data}: cierre el turno antes de actualizar: no "
                     "se cambió nada",
        "backed up": "Diario respaldado: {path}",
        "installed": "fairpos {version} instalado en {path}",
        "check failed": "fairpos {version} no pasó la revisión ({reason}): el diario se "
                        "restauró y sigue la versión {current}",
        "current": "Versión en uso: {version}",
        "same": "fairpos {version} ya está en uso",
        "no previous": "no hay una versión anterior a la cual volver",
        "rolled back": "De vuelta a fairpos {version}; diario restaurado desde {backup}",
        "kept newer": "Ventas hechas con {version} que no están en el diario restaurado "
                      "({count}): {ids}. Se guardan en {folder}; envíelas al libro central "
                      "con: fairpos --data-dir {folder} sync",
        "units": "Servicios: {path}",
        "failed": "no se pudo instalar: {reason}",
        "openssl": "falta openssl para revisar la firma del kit: no se instaló nada",
    },
    "en": {
        "bad signature": "the kit is not signed by the key this machine trusts ({key}): "
                         "nothing was installed",
        "unsigned": "the kit has no signature ({file}): nothing was installed",
        "tampered": "the kit was altered: {file} does not match its checksum: nothing was "
                    "installed",
        "unlisted": "the kit holds a file its manifest does not name ({file}): nothing was "
                    "installed",
        "missing": "the kit lacks {file}: nothing was installed",
        "no wheels": "the kit has no packages for Python {python} on {machine}: nothing was "
                     "installed",
        "first key": "First install: this machine will trust the key {fingerprint} (compare "
                     "it with the cooperative's).",
        "mid shift": "a shift is open in {data}: close it before updating: nothing was changed",
        "backed up": "Journal backed up: {path}",
        "installed": "fairpos {version} installed in {path}",
        "check failed": "fairpos {version} did not pass its check ({reason}): the journal was "
                        "put back and {current} stays in use",
        "current": "Version in use: {version}",
        "same": "fairpos {version} is already in use",
        "no previous": "there is no earlier version to go back to",
        "rolled back": "Back to fairpos {version}; journal put back from {backup}",
        "kept newer": "Sales made on {version} that are not in the journal put back "
                      "({count}): {ids}. They are kept in {folder}; send them to the ledger "
                      "with: fairpos --data-dir {folder} sync",
        "units": "Services: {path}",
        "failed": "could not install: {reason}",
        "openssl": "openssl is missing to check the kit's signature: nothing was installed",
    },
}

TILL_UNIT = """[Unit]
Description=fairpos till on %I
After=systemd-user-sessions.service getty-pre.target
Conflicts=getty@%i.service
Before=getty.target

[Service]
Type=simple
User={user}
Environment=FAIRPOS_HOME={data} TERM=linux
ExecStart={prefix}/current/bin/fairpos till
StandardInput=tty-force
StandardOutput=tty
StandardError=journal
TTYPath=/dev/%I
TTYReset=yes
TTYVHangup=yes
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
"""

SERVER_UNIT = """[Unit]
Description=fairpos {what}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Environment=FAIRPOS_LEDGER_DB={data}/{what}/ledger.db
# the hub's FAIRPOS_LEDGER_UPSTREAM and FAIRPOS_LEDGER_UPSTREAM_TOKEN, a centre's
# FAIRPOS_LEDGER_READ_DB, kept out of the unit
EnvironmentFile=-{data}/{what}.env
ExecStart={prefix}/current/bin/fairpos ledger serve --host 0.0.0.0 --port {port}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


class Refused(Exception):
    """One line for the person installing; nothing was changed."""


class Say:
    def __init__(self, language: str) -> None:
        self.words = WORDS.get(language, WORDS["es"])

    def __call__(self, said: str, /, **values: object) -> str:
        return self.words[said].format(**values)


# -- verifying ---------------------------------------------------------------------------------

def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(key: Path) -> str:
    """The key's fingerprint: SHA-256 of its DER form, in groups of four."""
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(key), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    text = hashlib.sha256(der).hexdigest()[:32]
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def listed(kit: Path) -> dict[str, str]:
    """The manifest: each file's path in the kit and its SHA-256."""
    files = {}
    for line in (kit / MANIFEST).read_text(encoding="utf-8").splitlines():
        digest, _sep, name = line.partition("  ")
        files[name] = digest
    return files


def verify(kit: Path, trusted: Path, say: Say) -> dict[str, str]:
    """Refused unless the kit is signed by ``trusted`` and whole; its manifest."""
    if shutil.which("openssl") is None:
        raise Refused(say("openssl"))
    for name in (MANIFEST, SIGNATURE):
        if not (kit / name).is_file():
            raise Refused(say("unsigned" if name == SIGNATURE else "missing", file=name))
    checked = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(trusted), "-rawin", "-in",
         str(kit / MANIFEST), "-sigfile", str(kit / SIGNATURE)], capture_output=True)
    if checked.returncode != 0:
        raise Refused(say("bad signature", key=fingerprint(trusted)))
    files = listed(kit)
    present = {str(path.relative_to(kit)) for path in kit.rglob("*") if path.is_file()}
    for name in sorted(present - set(files) - {MANIFEST, SIGNATURE}):
        raise Refused(say("unlisted", file=name))
    for name, digest in sorted(files.items()):
        path = kit / name
        if not path.is_file():
            raise Refused(say("missing", file=name))
        if sha256(path) != digest:
            raise Refused(say("tampered", file=name))
    return files


# -- the journal -------------------------------------------------------------------------------

def shift_open(journal: Path) -> bool:
    if not journal.exists():
        return False
    with closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as conn:
        try:
            return bool(conn.execute(
                "SELECT COUNT(*) FROM shifts WHERE closed_at IS NULL").fetchone()[0])
        except sqlite3.Error:
            return False  # (not a journal yet: a ledger's or a hub's data folder)


def copy_journal(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def sales_after(journal: Path, seq: int) -> list[str]:
    with closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as conn:
        return [row[0] for row in conn.execute(
            "SELECT id FROM sales WHERE seq > ? ORDER BY seq", [seq])]


def last_seq(journal: Path) -> int:
    with closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM sales").fetchone()[0])


# -- installing --------------------------------------------------------------------------------

def target_of() -> str:
    return f"cp{sys.version_info.major}{sys.version_info.minor}-{platform.machine()}"


def state_of(prefix: Path) -> dict[str, str]:
    path = prefix / "state.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_state(prefix: Path, state: dict[str, str]) -> None:
    part = prefix / "state.json.part"
    part.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(part, prefix / "state.json")


def point(prefix: Path, name: str, version: str) -> None:
    """``PREFIX/name`` → ``VERSION``, switched in one rename."""
    link = prefix / f"{name}.new"
    link.unlink(missing_ok=True)
    link.symlink_to(version)
    os.replace(link, prefix / name)


def venv(kit: Path, prefix: Path, version: str, wheels: Path) -> Path:
    """``PREFIX/VERSION``: a venv with fairpos and its dependencies from the kit's wheels."""
    home = prefix / version
    if home.exists():
        shutil.rmtree(home)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True,
                   capture_output=True)
    pip = next((kit / "wheels" / "any").glob("pip-*.whl"))
    done = subprocess.run(
        [str(home / "bin" / "python"), f"{pip}/pip", "install", "--quiet", "--no-index",
         "--disable-pip-version-check", "--no-cache-dir", "--find-links", str(wheels),
         "--find-links", str(kit / "wheels" / "any"), f"fairpos=={version}"],
        capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        raise Refused((done.stderr.strip().splitlines() or ["pip"])[-1])
    return home


def check(home: Path, data: Path) -> str | None:
    """``fairpos check`` of the version at ``home`` on the lane's data: None when it passes,
    else what it said."""
    if not (data / "fairpos.toml").exists():
        return None  # a machine set up before its lane: nothing to check yet
    done = subprocess.run([str(home / "bin" / "fairpos"), "--data-dir", str(data), "check"],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else (done.stderr.strip() or done.stdout.strip())


def units(prefix: Path, data: Path, user: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    values = {"prefix": prefix, "data": data, "user": user}
    (folder / "fairpos-till@.service").write_text(TILL_UNIT.format(**values))
    (folder / "fairpos-ledger.service").write_text(SERVER_UNIT.format(
        what="ledger", port=8040, **values))
    (folder / "fairpos-hub.service").write_text(SERVER_UNIT.format(
        what="hub", port=8040, **values))
    return folder


def system_setup(data: Path, user: str) -> None:
    """The service user and its data folder (as root, on a real system)."""
    known = subprocess.run(["id", "-u", user], capture_output=True).returncode == 0
    if not known:
        subprocess.run(["useradd", "--system", "--home-dir", str(data), "--shell",
                        "/usr/sbin/nologin", "--groups", "dialout,lp", user], check=True,
                       capture_output=True)
    data.mkdir(parents=True, exist_ok=True)
    shutil.chown(data, user, user)


def install(kit: Path, prefix: Path, data: Path, system: bool, say: Say) -> list[str]:
    prefix.mkdir(parents=True, exist_ok=True)
    trusted = prefix / KEY if (prefix / KEY).exists() else kit / KEY
    said = [] if (prefix / KEY).exists() else [say("first key",
                                                   fingerprint=fingerprint(kit / KEY))]
    verify(kit, trusted, say)
    about = json.loads((kit / ABOUT).read_text(encoding="utf-8"))
    version = about["version"]
    wheels = kit / "wheels" / target_of()
    if not wheels.is_dir():
        raise Refused(say("no wheels", python=platform.python_version(),
                          machine=platform.machine()))
    state = state_of(prefix)
    current = state.get("current")
    if current == version and (prefix / version).is_dir():
        return [*said, say("same", version=version)]
    journal = data / JOURNAL
    if shift_open(journal):
        raise Refused(say("mid shift", data=data))
    backup = None
    if journal.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = prefix / "backups" / f"{JOURNAL}.{current or 'none'}-to-{version}-{stamp}"
        copy_journal(journal, backup)
        said.append(say("backed up", path=backup))
    home = venv(kit, prefix, version, wheels)
    problem = check(home, data)
    if problem is not None:
        if backup is not None:
            copy_journal(backup, journal)
        shutil.rmtree(home, ignore_errors=True)
        raise Refused(say("check failed", version=version, reason=problem,
                          current=current or "-"))
    if current and current != version:
        point(prefix, "previous", current)
    point(prefix, "current", version)
    write_state(prefix, {"current": version, "previous": current or "",
                         "backup": str(backup or "")})
    if not (prefix / KEY).exists():
        shutil.copyfile(kit / KEY, prefix / KEY)
    if system:
        system_setup(data, "fairpos")
        folder = units(prefix, data, "fairpos", Path("/etc/systemd/system"))
        subprocess.run(["systemctl", "daemon-reload"], capture_output=True)
    else:
        folder = units(prefix, data, os.environ.get("USER", "fairpos"), prefix / "systemd")
    return [*said, say("installed", version=version, path=prefix / version),
            say("units", path=folder)]


def rollback(prefix: Path, data: Path, say: Say) -> list[str]:
    state = state_of(prefix)
    previous, newer = state.get("previous"), state.get("current")
    if not previous or not (prefix / previous).is_dir():
        raise Refused(say("no previous"))
    journal = data / JOURNAL
    if shift_open(journal):
        raise Refused(say("mid shift", data=data))
    said = []
    backup = Path(state["backup"]) if state.get("backup") else None
    if backup is not None and backup.exists() and journal.exists():
        extra = sales_after(journal, last_seq(backup))
        if extra:  # sales made on the newer version: kept whole, named, never reused
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            kept = data / f"after-rollback-{stamp}"
            copy_journal(journal, kept / JOURNAL)
            if (data / "fairpos.toml").exists():
                shutil.copyfile(data / "fairpos.toml", kept / "fairpos.toml")
            said.append(say("kept newer", count=len(extra), version=newer,
                            ids=", ".join(extra), folder=kept))
        seq = last_seq(journal)
        with tempfile.TemporaryDirectory() as scratch:
            restored = Path(scratch) / JOURNAL
            shutil.copyfile(backup, restored)
            with closing(sqlite3.connect(restored)) as conn:  # numbering goes on from there
                conn.execute("UPDATE device SET last_seq = MAX(last_seq, ?)", [seq])
                conn.commit()
            copy_journal(restored, journal)
        said.append(say("rolled back", version=previous, backup=backup))
    else:
        said.append(say("rolled back", version=previous, backup="-"))
    point(prefix, "current", previous)
    (prefix / "previous").unlink(missing_ok=True)
    write_state(prefix, {"current": previous, "previous": "", "backup": ""})
    return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="install", description="Install, update or roll back fairpos from this kit, "
        "offline. Verifies the kit's signature and checksums first.")
    parser.add_argument("--prefix", type=Path, default=Path("/opt/fairpos"),
                        help="Where versions are installed (default: /opt/fairpos).")
    parser.add_argument("--data", type=Path, default=Path("/var/lib/fairpos"),
                        help="The lane's data folder (default: /var/lib/fairpos).")
    parser.add_argument("--no-system", action="store_true",
                        help="No service user, units written to PREFIX/systemd only.")
    parser.add_argument("--rollback", action="store_true",
                        help="Go back to the previous version and its journal backup.")
    parser.add_argument("--lang", choices=sorted(WORDS), default=None,
                        help="Language of what is said (default: es, or LANG's).")
    args = parser.parse_args(argv)
    language = args.lang or ("en" if os.environ.get("LANG", "").startswith("en") else "es")
    say = Say(language)
    kit = Path(__file__).resolve().parent
    system = not args.no_system and os.geteuid() == 0
    try:
        said = rollback(args.prefix, args.data, say) if args.rollback else \
            install(kit, args.prefix, args.data, system, say)
    except Refused as err:
        print(f"fairpos: {err}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error, subprocess.CalledProcessError) as err:
        print(f"fairpos: {say('failed', reason=err)}", file=sys.stderr)
        return 1
    for line in said:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
