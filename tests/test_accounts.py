"""Named accounts and roles: a treasurer signs in with a name and password, reads every page
and settles the quarantine in their own name; every admin action (enrol a lane, revoke one)
is refused to them and done by an admin; the audit lists each action with who and when."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fairpos.ledger.store import LedgerError, open_ledger
from fairpos.ledger.store.accounts import password_hash, password_matches
from harness.lanes import LaneDir
from harness.sync_helpers import LedgerServer
from tests.conftest import STORES, ledger_db
from tests.test_quarantine_resolved import collided

MARTA = "una clave larga de Marta"
ANA = "la clave de Ana, admin"


def test_a_password_is_kept_as_its_scrypt_hash() -> None:
    kept = password_hash(MARTA)
    assert kept.startswith("scrypt$16384$8$1$") and MARTA not in kept
    assert password_matches(MARTA, kept) and not password_matches(MARTA + "x", kept)
    assert not password_matches(MARTA, "scrypt$not$a$hash")
    assert password_hash(MARTA) != kept  # (salted)


@pytest.mark.parametrize("store", STORES)
def test_accounts_at_the_command_line(store: str, tmp_path: Path,
                                      request: pytest.FixtureRequest) -> None:
    db = ledger_db(store, tmp_path, request)
    cli = LaneDir(tmp_path / "cli")
    short = cli.run("ledger", "user", "add", "Marta", "--role", "treasurer", "--db", db,
                    input="corta\ncorta\n", ok=False)
    assert short.exit_code == 1 and "the password needs 10 characters at least" in short.output
    added = cli.run("ledger", "user", "add", "Marta", "--role", "treasurer", "--db", db,
                    input=f"{MARTA}\n{MARTA}\n")
    assert "Account Marta (treasurer) added" in added.output and MARTA not in added.output
    again = cli.run("ledger", "user", "add", "Marta", "--role", "admin", "--db", db,
                    input=f"{ANA}\n{ANA}\n", ok=False)
    assert "there is an account Marta already" in again.output
    bad = cli.run("ledger", "user", "add", "Ana", "--role", "owner", "--db", db, ok=False)
    assert bad.exit_code == 2 and "owner" in bad.output
    assert "Marta\ttreasurer\tactive" in cli.run("ledger", "user", "list", "--db", db).output
    ledger = open_ledger(db)
    try:
        session = ledger.sign_in_account("Marta", MARTA)
        assert session is not None and ledger.session_of(session) is not None
        assert ledger.sign_in_account("Marta", ANA) is None
        assert ledger.sign_in_account("Nobody", MARTA) is None
    finally:
        ledger.close()
    cli.run("ledger", "user", "disable", "Marta", "--db", db)
    ledger = open_ledger(db)
    try:
        assert ledger.session_of(session) is None  # its sessions end
        assert ledger.sign_in_account("Marta", MARTA) is None
        with pytest.raises(LedgerError, match="no active account Marta"):
            ledger.disable_account("Marta", "test")
        said = [(a.who, a.action, a.detail) for a in ledger.audit_log()[0]]
    finally:
        ledger.close()
    assert [action for _who, action, _detail in said] == ["account disabled",
                                                          "account added"]
    assert said[0][0].startswith("command line (")


def signed_in(chromium: Any, server: LedgerServer, name: str, password: str) -> Any:
    page = chromium.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return page


def post_as(page: Any, server: LedgerServer, path: str, **fields: str) -> Any:
    """A form posted with the page's session and its forms' token, as a crafted request
    would (the page offers no such form)."""
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    return page.request.post(server.url + path, form={"csrf": csrf, **fields},
                             headers={"Origin": server.url}, max_redirects=0)


@pytest.mark.slow
def test_a_treasurer_reads_and_settles_an_admin_enrols_and_revokes(
        tmp_path: Path, browser: Any) -> None:
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        _first, _second, _day = collided(tmp_path, server)
        with server.store() as ledger:
            ledger.add_account("Marta", "treasurer", MARTA, "test")
            ledger.add_account("Ana", "admin", ANA, "test")
        marta = signed_in(browser, server, "Marta", MARTA)
        assert "Signed in: Marta" in marta.inner_text("nav")
        assert marta.locator("a[href='/enrol']").count() == 0  # not offered
        for path in ("/day/2026-11-21", "/quarantine", "/search", "/audit", "/lane/COPY01"):
            assert marta.goto(server.url + path).status == 200, path
        assert marta.locator("form[action$='/revoke']").count() == 0
        # every admin action refused to a treasurer, one line each
        refused = marta.goto(f"{server.url}/enrol")
        assert refused.status == 403 and "Only an admin may do this" in marta.inner_text("body")
        marta.goto(f"{server.url}/quarantine")
        assert post_as(marta, server, "/enrol", fair="Feria Centro", lane="9").status == 403
        assert post_as(marta, server, "/lane/COPY01/revoke").status == 403
        with server.store() as ledger:
            assert [d.lane for d in ledger.devices()] == [1]  # nothing enrolled or revoked
            assert not ledger.devices()[0].revoked_at
        # the quarantine settled in her own name (the form asks no name of an account)
        marta.goto(f"{server.url}/quarantine")
        marta.click("text=Open and settle")
        assert marta.locator("input[name=by]").count() == 0
        marta.check("input[value=copy]")
        marta.fill("textarea[name=reason]", "The same sale twice")
        marta.click("button:has-text('Settle')")
        assert "left out: a copy · Marta" in marta.inner_text("body")

        ana = signed_in(browser, server, "Ana", ANA)
        ana.goto(f"{server.url}/enrol")
        ana.fill("input[name=fair]", "Feria Oeste")
        ana.fill("input[name=lane]", "2")
        ana.click("button:has-text('Enrol')")
        command = ana.locator("pre").inner_text()
        assert command.startswith(f"fairpos connect {server.url} --token ")
        ana.goto(f"{server.url}/lane/COPY01")
        ana.click("button:has-text('Revoke this lane')")
        assert ana.locator("form[action$='/revoke']").count() == 0
        with server.store() as ledger:
            assert ledger.device_for_token(command.split()[-1]) is not None  # it works
            assert ledger.devices("COPY01")[0].revoked_at is not None
        ana.goto(f"{server.url}/audit")
        rows = ana.locator("tbody tr").all_inner_texts()
        said = [(r.split("\t")[1], r.split("\t")[2]) for r in rows]
        assert said[:6] == [("Ana", "lane revoked"), ("Ana", "lane enrolled"),
                            ("Ana", "signed in"), ("Marta", "quarantine: left out, a copy"),
                            ("Marta", "signed in"), ("test", "account added")]
        marta.close()
        ana.close()
    finally:
        server.stop()


def test_a_wrong_password_is_held_back_per_account(tmp_path: Path, browser: Any
                                                   ) -> None:
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        with server.store() as ledger:
            ledger.add_account("Marta", "treasurer", MARTA, "test")
        page = browser.new_page()
        statuses = []
        for _ in range(7):
            reply = page.request.post(f"{server.url}/login",
                                      form={"name": "Marta", "password": "not hers"},
                                      max_redirects=0)
            statuses.append(reply.status)
        assert statuses[:5] == [401] * 5 and statuses[-1] == 429  # then made to wait
        page.close()
    finally:
        server.stop()
