"""Owners: one text form per owner, read back to the same owner; nothing else is one."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from retrieval.owners import EVERYONE, LOCAL, Owner, OwnerKind


@pytest.mark.parametrize(
    ("owner", "text"),
    [(LOCAL, "local"), (EVERYONE, "*"), (Owner.chat(42), "chat:42"), (Owner.chat(-100200), "chat:-100200"),
     (Owner.feed(7), "feed:7")],
)
def test_an_owner_is_written_and_read_back(owner: Owner, text: str) -> None:
    assert str(owner) == text
    assert Owner.parse(text) == owner


@pytest.mark.parametrize(
    "text", ["", "Local", "everyone", "chat", "chat:", "chat:0", "chat:x", "chat:1.5", "chat:--1", "chat:١٢",
             "feed:-", "digest:1", "chat:1 ", " local"],
)
def test_other_texts_name_no_owner(text: str) -> None:
    with pytest.raises(ValueError, match="owner|id"):
        Owner.parse(text)


def test_numbered_kinds_need_an_id_and_the_others_have_none() -> None:
    with pytest.raises(ValueError):
        Owner(OwnerKind.CHAT)
    with pytest.raises(ValueError):
        Owner(OwnerKind.LOCAL, 3)
    assert Owner.chat(5).kind is OwnerKind.CHAT and Owner.chat(5).id == 5
    assert Owner.feed(5) != Owner.chat(5)
    assert len({Owner.chat(5), Owner.parse("chat:5")}) == 1  # a value: equal owners hash alike


def test_models_take_owners_or_their_text_and_write_the_text() -> None:
    class Held(BaseModel):
        owner: Owner

    assert Held(owner="chat:9").owner == Owner.chat(9)
    assert Held(owner=LOCAL).model_dump() == {"owner": "local"}
    assert Held(owner=Owner.feed(3)).model_dump_json() == '{"owner":"feed:3"}'
    assert Held.model_validate_json('{"owner":"*"}').owner == EVERYONE
    with pytest.raises(ValidationError):
        Held(owner="chat:nobody")
    with pytest.raises(ValidationError):
        Held(owner=42)
