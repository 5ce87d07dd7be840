"""Admins read and replace the category taxonomy; a bad edit is refused with the reason (400)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, Field

from bot import taxonomy
from bot.admin import audit, config_edits
from connectors.web.deps import AdminDep, DbDep, RuntimeDep

router = APIRouter(prefix="/api/admin/taxonomy", tags=["admin"])


@router.get("")
def read_taxonomy(runtime: RuntimeDep, _admin: AdminDep) -> dict[str, Any]:
    """The taxonomy in force (the admin's override, else the shipped file)."""
    return taxonomy.load_taxonomy(runtime.settings.overrides_dir).model_dump(mode="json")


@router.get("/refit")
def refit_status(runtime: RuntimeDep, _admin: AdminDep) -> dict[str, Any]:
    """Whether the category classifier has caught up with the latest edit (it is refitted in the background;
    meanwhile messages are classified into the new taxonomy by the previous classifier)."""
    if "triage" not in runtime.__dict__:
        return {"refitting": False, "fits": 0, "last_error": None}
    refit = runtime.taxonomy_refit
    return {"refitting": refit.refitting, "fits": refit.fits, "last_error": refit.last_error}


@router.put("")
def replace_taxonomy(runtime: RuntimeDep, admin: AdminDep, db: DbDep,
                     data: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Validate and store a new taxonomy; the next turn is triaged with it."""
    overrides = runtime.settings.overrides_dir
    old = taxonomy.load_taxonomy(overrides)
    tax = config_edits.save_taxonomy(overrides, data)  # InvalidConfig → 400 with the reason, nothing written
    runtime.taxonomy_changed()
    before, after = config_edits.taxonomy_changes(old.model_dump(mode="json"), tax.model_dump(mode="json"))
    audit.record(db, actor=admin.name, role=admin.role, action="taxonomy.replace", target=tax.version,
                 before={"version": old.version, **before}, after={"version": tax.version, **after})
    return tax.model_dump(mode="json")


class SubCategoryIn(BaseModel):
    """A second-level category as an admin edits it."""

    name: str | None = Field(None, max_length=100, description="a new name (rename); the path's name by default")
    description: str | None = Field(None, max_length=500)
    keywords: list[str] | None = Field(None, max_length=500)
    topics: list[str] | None = Field(None, max_length=500)
    department: str | None = Field(None, max_length=100)


Name = Annotated[str, Path(min_length=1, max_length=100)]


@router.put("/{level1}/{level2}")
def put_subcategory(level1: Name, level2: Name, body: SubCategoryIn, runtime: RuntimeDep, admin: AdminDep,
                    db: DbDep) -> dict[str, Any]:
    """Create or replace one second-level category; an unknown first level is 404, a bad edit 400."""
    before, after = config_edits.put_subcategory(runtime.settings.overrides_dir, level1, level2,
                                                 body.model_dump(exclude_none=True))
    runtime.taxonomy_changed()
    audit.record(db, actor=admin.name, role=admin.role, action="taxonomy.create" if before is None
                 else "taxonomy.update", target=f"{level1}/{level2}", before=before, after=after)
    return {"level1": level1, "category": after}


@router.delete("/{level1}/{level2}")
def delete_subcategory(level1: Name, level2: Name, runtime: RuntimeDep, admin: AdminDep,
                       db: DbDep) -> dict[str, Any]:
    """Remove one second-level category; refused (400) while a routing rule names it."""
    before = config_edits.delete_subcategory(runtime.settings.overrides_dir, level1, level2)
    runtime.taxonomy_changed()
    audit.record(db, actor=admin.name, role=admin.role, action="taxonomy.delete", target=f"{level1}/{level2}",
                 before=before)
    return {"deleted": f"{level1}/{level2}"}
