"""What every section of a model spec shares: strict, frozen models and column identifiers."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class StrictModel(BaseModel):
    """A spec section: unknown fields are refused and a loaded section never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OmitUnsetModel(StrictModel):
    """Leaves its ``_UNSET_OMITTED`` fields out of dumps while they are None, so that adding an
    optional field changes neither the code versions nor the recorded identity of specs that
    do not use it (both hash the dumped spec)."""

    _UNSET_OMITTED: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        for name in self._UNSET_OMITTED:
            if data.get(name, ...) is None:
                del data[name]
        return data
