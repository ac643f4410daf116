"""Prefect Secret blocks as newsmon.alerts.secrets reads them: a channel may name a block (`secret = "slack-url"`)
instead of writing its URL in sources.toml. Create one in the Prefect UI (Blocks, Secret), or in Python:
`Secret(value="slack://...").save("slack-url")`. The flows pass read_secret_block to the alert delivery; the CLI
passes it lazily, so Prefect loads only when a channel names a block."""

from __future__ import annotations

from typing import cast

from prefect.blocks.system import Secret
from prefect.settings import PREFECT_API_URL

from newsmon.alerts.secrets import SecretUnavailable


def read_secret_block(name: str) -> str:
    """The value of the Prefect Secret block `name`, on the Prefect API in force (PREFECT_API_URL, or Prefect's
    local server)."""
    try:
        block = cast(Secret, Secret.load(name))  # called from sync code: the block, not a coroutine
        value = block.get()
    except ValueError:  # Prefect's answer to a name it does not know
        where = PREFECT_API_URL.value() or "Prefect's local server"
        raise SecretUnavailable(f"no Prefect Secret block {name!r} on {where}") from None
    if not isinstance(value, str):
        raise SecretUnavailable(f"Prefect Secret block {name!r} holds {type(value).__name__}, not a URL")
    return value
