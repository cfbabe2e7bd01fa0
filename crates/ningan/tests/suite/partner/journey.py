"""A partner's journey through a client generated from ningan's OpenAPI document.

Run by tests/suite/contract.rs after `openapi-python-client generate`: a carrier posts a
victim's signals and follows its red warning; a venue app posts
check-ins, one of them refused by field; an agency signs its acknowledgement of a name
change. Every answer is parsed by the generated models, so
a document that no longer matches the server fails here as it would for an integrator.
Prints one JSON line of what it saw.
"""

import datetime
import hashlib
import hmac
import json
import os
import sys
import time

sys.path.insert(0, os.environ["CLIENT_DIR"])

from ningan_client import AuthenticatedClient, Client  # noqa: E402
from ningan_client.api.fraud import get_fraud_warnings_id, post_fraud_signals  # noqa: E402
from ningan_client.api.precise import post_checkins  # noqa: E402
from ningan_client.api.services import post_services_changes_change_id_ack  # noqa: E402
from ningan_client.models import (  # noqa: E402
    CheckinBatch,
    CheckinReport,
    CheckinRequest,
    SignalBatch,
    SignalLine,
    SignalReport,
    WarningStatusDto,
)

base = os.environ["NINGAN_BASE"]
now = datetime.datetime.now(datetime.timezone.utc)


def ago(minutes: int) -> str:
    return (now - datetime.timedelta(minutes=minutes)).isoformat()


def client(token: str) -> AuthenticatedClient:
    # An undeclared status raises: the document must list every status the server answers.
    return AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)


carrier = client(os.environ["CARRIER_TOKEN"])
phone = os.environ["VICTIM_PHONE"]
batch = SignalBatch(
    signals=[
        SignalLine(id="p-1", phone=phone, at=ago(50), kind="call", from_=os.environ["LISTED_PHONE"], duration=300),
        SignalLine(id="p-2", phone=phone, at=ago(30), kind="app", package=os.environ["LISTED_APP"]),
        SignalLine(id="p-3", phone=phone, at=ago(10), kind="transfer", account="6217000011112222", amount=52000.0),
    ]
)
report = post_fraud_signals.sync(client=carrier, body=batch)
assert isinstance(report, SignalReport), report
levels = [w.level for w in report.warnings]
red = [w for w in report.warnings if w.level == "high"]
assert red, f"no red warning: {report}"
status = get_fraud_warnings_id.sync(red[0].task_id, client=carrier)
assert isinstance(status, WarningStatusDto), status

venue_app = client(os.environ["VENUE_TOKEN"])
resident = int(os.environ["RESIDENT_ID"])
checkins = CheckinBatch(
    checkins=[
        CheckinRequest(venue_code=os.environ["VENUE_CODE"], resident_id=resident, at=ago(40), left_at=ago(5)),
        CheckinRequest(venue_code="NO-SUCH-VENUE", resident_id=resident, at=ago(40)),
    ]
)
checked = post_checkins.sync(client=venue_app, body=checkins)
assert isinstance(checked, CheckinReport), checked

# An agency confirms it has verified a name change pushed to it, signing with its own key
# as the document's header parameters describe.
agency = os.environ["AGENCY"]
stamp = os.environ.get("AGENCY_STAMP") or str(int(time.time()))
signature = hmac.new(os.environ["AGENCY_SECRET"].encode(), f"{stamp}.".encode(), hashlib.sha256).hexdigest()
# An agency with a registered Ed25519 key also signs with it (computed by the test: no
# Ed25519 library is assumed here).
own_signature = {
    "x-ningan-key-id": os.environ.get("AGENCY_KEY_ID", ""),
    "x-ningan-ed25519": os.environ.get("AGENCY_ED25519", ""),
}
acked = post_services_changes_change_id_ack.sync_detailed(
    os.environ["CHANGE_ID"],
    client=Client(base_url=base, raise_on_unexpected_status=True, headers=own_signature),
    x_ningan_agency=agency,
    x_ningan_timestamp=stamp,
    x_ningan_signature=signature,
)
forged = post_services_changes_change_id_ack.sync_detailed(
    os.environ["CHANGE_ID"],
    client=Client(base_url=base, raise_on_unexpected_status=True),
    x_ningan_agency=agency,
    x_ningan_timestamp=stamp,
    x_ningan_signature="00" * 32,
)

print(
    json.dumps(
        {
            "accepted_signals": report.accepted,
            "levels": levels,
            "warning": status.to_dict(),
            "accepted_checkins": checked.accepted,
            "refused_checkins": checked.rejected_total,
            "ack": acked.status_code,
            "forged_ack": forged.status_code,
        }
    )
)
