"""Prompts are data: `prompts/<name>.yaml` files with declared variables, rendered into messages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

import yaml
from jinja2 import StrictUndefined, Template, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict, model_validator

from bot.llm.base import Message

FENCE_OPEN = "<<<DATA"
FENCE_CLOSE = "DATA>>>"

# Any run of three angle brackets (ASCII or full-width) could be half of a fence marker, so
# data never keeps one: the model then sees exactly one opening and one closing marker.
_OPEN_RUN = re.compile(r"[<＜]{3,}")
_CLOSE_RUN = re.compile(r"[>＞]{3,}")


def fence(text: object) -> str:
    """Wrap untrusted text as a data block that the text itself cannot close."""
    body = _CLOSE_RUN.sub("›››", _OPEN_RUN.sub("‹‹‹", _as_text(text)))
    return f"{FENCE_OPEN}\n{body}\n{FENCE_CLOSE}"


def fence_numbered(items: object) -> str:
    """Fence each item as its own block labelled [1], [2], … so answers can cite them."""
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, Iterable):
        items = [items]
    return "\n".join(f"[{n}]\n{fence(item)}" for n, item in enumerate(items, start=1))


def bullets(items: object) -> str:
    """Render a list as one `- item` per line; a string passes through unchanged."""
    if isinstance(items, str):
        return items
    if isinstance(items, Iterable):
        return "\n".join(f"- {item}" for item in items)
    return str(items)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return "\n".join(str(item) for item in value)
    return "" if value is None else str(value)


def _environment() -> ImmutableSandboxedEnvironment:
    # Sandboxed because admins may edit prompt files; strict so a typo fails loudly.
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
    )
    env.filters.update(fence=fence, fence_numbered=fence_numbered, bullets=bullets)
    return env


_ENV = _environment()


@lru_cache(maxsize=128)
def _template(source: str) -> Template:
    return _ENV.from_string(source)


class Prompt(BaseModel):
    """One prompt file: a system and a user template over declared variables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    variables: list[str]
    system: str
    user: str

    @model_validator(mode="after")
    def _templates_use_only_declared_variables(self) -> Prompt:
        # Checked at load, so a prompt edit that drifts from its declaration never ships.
        used: set[str] = set()
        for source in (self.system, self.user):
            used |= meta.find_undeclared_variables(_ENV.parse(source))
        undeclared = used - set(self.variables)
        if undeclared:
            raise ValueError(f"prompt {self.name!r} uses undeclared variables: {sorted(undeclared)}")
        return self

    def render(self, **variables: object) -> list[Message]:
        """The system and user messages, with exactly the declared variables filled in."""
        missing = set(self.variables) - variables.keys()
        extra = variables.keys() - set(self.variables)
        if missing or extra:
            raise ValueError(
                f"prompt {self.name!r}: missing variables {sorted(missing)}, undeclared {sorted(extra)}"
            )
        messages: list[Message] = []
        system = _template(self.system).render(**variables).strip()
        if system:
            messages.append(Message(role="system", content=system))
        messages.append(Message(role="user", content=_template(self.user).render(**variables).strip()))
        return messages


def _prompt_dir() -> Traversable:
    return files("prompts")


def list_prompts() -> list[str]:
    """The names of every prompt file, sorted."""
    return sorted(p.name.removesuffix(".yaml") for p in _prompt_dir().iterdir() if p.name.endswith(".yaml"))


@cache
def load_prompt(name: str) -> Prompt:
    """The prompt called `name`, validated; cached because prompt files only change on deploy."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"invalid prompt name: {name!r}")
    resource = _prompt_dir() / f"{name}.yaml"
    if not resource.is_file():
        raise ValueError(f"no such prompt: {name!r}")
    data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    prompt = Prompt.model_validate(data)
    if prompt.name != name:
        raise ValueError(f"prompt file {name}.yaml declares name {prompt.name!r}")
    return prompt
