"""Key management over REST for an administrator: list, create and revoke API keys.

Every endpoint needs an **administrator key** (``critmin keys create NAME --admin``, or one
created here with ``admin: true``) in ``X-API-Key``: no key, a malformed, unknown or revoked key
is 401; a valid key without the administrator flag is 403. A new key is shown once, in the
answer to its creation, and stored only as a salted hash (:mod:`critmin.web.storage.keys`). An
administrator cannot revoke the key they are signed in with (409), so the last administrator
key cannot be lost by a click; revoking it takes another administrator key or the terminal.
"""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Path, Request, Security
from pydantic import BaseModel, ConfigDict, Field

from critmin.web.api.responses import Problem, _error_docs, json_response, problem
from critmin.web.api.scenarios import API_KEY_HEADER, engine
from critmin.web.storage import db

#: Documented answers of every administrator endpoint.
ADMIN_RESPONSES: dict = {
    **_error_docs(400, 401, 413, 422, 503),
    403: {"model": Problem,
          "description": "A valid API key that is not an administrator key."},
}

router = APIRouter(prefix="/admin", tags=["administration"], responses=ADMIN_RESPONSES)


def require_admin(request: Request, _declared: Optional[str] = Security(API_KEY_HEADER)) -> dict:
    """The administrator key's row (401 without a valid key, 403 for a key that is not an administrator's)."""
    from critmin.web.storage.keys import presented_key, verify_admin

    return verify_admin(engine(request), presented_key(request.headers))


class NewKey(BaseModel):
    """A key to create: who or what it is for, and whether it is an administrator key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200, description="Who or what the key is for.")
    admin: bool = Field(False, description="May this key manage keys too?")


@router.get("/keys", summary="Every API key: id, name, created, revoked, last used, administrator (never the key)")
def list_keys(request: Request, admin: dict = Depends(require_admin)):
    items = db.list_keys(engine(request))
    return json_response({"items": items, "total": len(items), "limit": None, "offset": 0,
                          "meta": {"signed_in_as": admin["key_id"]}})


@router.post("/keys", status_code=201, summary="Create an API key; the answer holds the key, shown this once")
def create_key(request: Request, body: NewKey, admin: dict = Depends(require_admin)):
    from critmin.web.storage.keys import create_key as make

    try:
        key, record = make(engine(request), body.name, admin=body.admin)
    except ValueError as exc:
        raise problem(422, str(exc)) from None
    return json_response({**db.key_out(record), "key": key}, status_code=201)


@router.delete("/keys/{key_id}", responses={404: {"model": Problem, "description": "No active key with that id."},
                                             409: {"model": Problem, "description": "The key this request is signed with."}},
               summary="Revoke an API key: requests with it are refused from now on")
def revoke_key(request: Request, key_id: str = Path(..., pattern=r"^[0-9a-f]{8}$"),
               admin: dict = Depends(require_admin)):
    if key_id == admin["key_id"]:
        raise problem(409, "this is the key you are signed in with: revoke it with another administrator key "
                           "(or `critmin keys revoke` in a terminal)")
    if not db.revoke_key(engine(request), key_id):
        raise problem(404, f"no active key with id {key_id!r}")
    return json_response({"revoked": key_id})


__all__ = ["router"]
