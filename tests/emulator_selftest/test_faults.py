"""Fault injection and the request log, for outage tests of the tool."""

from __future__ import annotations

import pytest
import requests

from tests.emulator import PlatformEmulator

from .conftest import TIMEOUT


def test_down_drops_the_connection_without_an_answer(emu: PlatformEmulator) -> None:
    emu.fault("/mod/lti/certs.php", "down")

    with pytest.raises(requests.ConnectionError):
        requests.get(emu.jwks_url, timeout=TIMEOUT)
    assert requests.get(emu.openid_configuration_url, timeout=TIMEOUT).status_code == 200


def test_status_faults_answer_moodles_error_document_and_can_be_limited(emu: PlatformEmulator) -> None:
    emu.fault("/mod/lti/services.php", "500", times=1)

    failed = requests.get(emu.lineitems_url(), timeout=TIMEOUT)
    recovered = requests.get(emu.lineitems_url(), timeout=TIMEOUT)

    assert failed.status_code == 500
    assert failed.json()["reason"] == "Internal Server Error"
    assert recovered.status_code == 401


def test_slow_answers_after_the_delay(emu: PlatformEmulator) -> None:
    emu.fault("/mod/lti/certs.php", "slow", seconds=1.0)

    with pytest.raises(requests.Timeout):
        requests.get(emu.jwks_url, timeout=0.2)
    emu.clear_faults()
    assert requests.get(emu.jwks_url, timeout=TIMEOUT).status_code == 200


def test_unknown_fault_modes_are_refused(emu: PlatformEmulator) -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        emu.fault("/", "explode")
    with pytest.raises(ValueError, match="seconds"):
        emu.fault("/", "slow")


def test_stopped_emulator_refuses_connections_and_restarts_on_the_same_port(emu: PlatformEmulator) -> None:
    url = emu.jwks_url
    emu.stop()
    try:
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=TIMEOUT)
    finally:
        emu.start()
    assert requests.get(url, timeout=TIMEOUT).status_code == 200


def test_requests_are_logged_with_their_details(emu: PlatformEmulator) -> None:
    emu.clear_requests()

    requests.post(emu.token_url, data={"grant_type": "client_credentials"}, headers={"X-Probe": "1"}, timeout=TIMEOUT)

    logged = emu.requests[-1]
    assert (logged.method, logged.path) == ("POST", "/mod/lti/token.php")
    assert logged.form == {"grant_type": "client_credentials"}
    assert logged.headers["X-Probe"] == "1"
