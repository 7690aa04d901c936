"""A three-member household answers the 2020 census short form through the JSON API alone.

    formserver serve --demo          # prints a "fresh" household's account code and password
    python examples/api_household.py http://127.0.0.1:8000 ACCOUNT PASSWORD

Every step is one HTTP request (the README shows the same with curl); only the standard library
is used. The API is described at /api/openapi.json and, readably, at /api/docs.
"""

from __future__ import annotations

import json
import secrets
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

# (method, path, JSON body or None, headers) -> (status, headers, JSON body or None)
Send = Callable[[str, str, Any, dict[str, str]], tuple[int, dict[str, str], Any]]

HOUSEHOLD = {"H1": "1",  # a family household
             "H2": {"present": 3, "absent": 0},  # three people lived here on the census night
             "H3": {"male": 0, "female": 0}, "H4": {"male": 0, "female": 0},  # no births, no deaths
             "H5": "1", "H6": 86.5, "H7": 3}  # the dwelling: 86.5 m², 3 rooms
PEOPLE = [
    {"D1": "欧阳明辉", "S1": "1", "D2": "0", "D4": "1", "D5": "1983-02", "D6": "01", "D7": "1", "D8": "1",
     "D9": "1", "D11": "7", "D12": True},
    {"D1": "欧阳小雨", "S1": "1", "D2": "2", "D4": "2", "D5": "2018-06", "D6": "01", "D7": "1", "D8": "1", "D9": "1"},
    {"D1": "欧阳晓燕", "S1": "1", "D2": "2", "D4": "2", "D5": "2005-03", "D6": "01", "D7": "1", "D8": "1", "D9": "1",
     "D11": "4", "D12": True},
]


def over_http(base_url: str) -> Send:
    """Requests to a running server (urllib); problems (4xx) come back like any answer."""
    def send(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base_url + path, data=data, method=method, headers={
            **headers, **({"Content-Type": "application/json"} if data is not None else {})})
        try:
            with urllib.request.urlopen(request) as response:
                status, answer, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, answer, raw = error.code, dict(error.headers), error.read()
        return status, {k.lower(): v for k, v in answer.items()}, json.loads(raw) if raw else None
    return send


def expect(status: int, answer: Any, wanted: int) -> Any:
    if status != wanted:  # a problem (RFC 9457): its detail says what to do
        raise SystemExit(f"{status}: {answer.get('detail') if isinstance(answer, dict) else answer}")
    return answer


def complete(send: Send, account: str, password: str) -> str:
    """Sign in, answer, add and answer three people, submit; the reference number."""
    status, _, session = send("POST", "/api/v1/sessions", {"account": account, "password": password}, {})
    bearer = {"Authorization": "Bearer " + expect(status, session, 201)["token"]}

    # The household as it stands: its answers, evaluation and the ETag that guards changes.
    status, headers, household = send("GET", "/api/v1/household", None, bearer)
    expect(status, household, 200)
    etag = headers["etag"]

    # The household's own answers: one request, all or nothing; If-Match says "as I last read it".
    status, headers, household = send("PATCH", "/api/v1/household/answers", {"records": {"household": HOUSEHOLD}},
                                      {**bearer, "If-Match": etag})
    expect(status, household, 200)
    etag = headers["etag"]

    # Each person: added (their id comes back), then their answers.
    for person in PEOPLE:
        status, headers, added = send("POST", "/api/v1/household/members", None, {**bearer, "If-Match": etag})
        member = expect(status, added, 201)["member"]
        status, headers, household = send("PATCH", "/api/v1/household/answers", {"records": {member: person}},
                                          {**bearer, "If-Match": headers["etag"]})
        expect(status, household, 200)
        etag = headers["etag"]
        print(f"{member}: {household['evaluation']['plan']['done']}/{household['evaluation']['plan']['total']} pages")

    # Anything left to put right or confirm is in the evaluation; here nothing is.
    evaluation = household["evaluation"]
    for issue in evaluation["errors"] + [w for w in evaluation["warnings"] if not w["confirmed"]]:
        print("to put right:", issue["record"], issue["question"], issue["message"]["en"])
    if not evaluation["submittable"]:
        raise SystemExit("not submittable yet")

    # The declaration and submission. The Idempotency-Key makes a retry safe: sent again (the
    # answer was lost, say), it answers with the same reference number.
    key = secrets.token_urlsafe(24)
    status, _, submitted = send("POST", "/api/v1/household/submission", {"declarant": PEOPLE[0]["D1"], "promise": True},
                                {**bearer, "If-Match": etag, "Idempotency-Key": key})
    reference = expect(status, submitted, 200)["reference"]

    status, _, _ = send("DELETE", "/api/v1/sessions/current", None, bearer)  # sign out: the token ends
    expect(status, None, 204)
    return str(reference)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    print("submitted, reference", complete(over_http(sys.argv[1].rstrip("/")), sys.argv[2], sys.argv[3]))
